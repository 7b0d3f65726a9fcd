//! Writes, each in one write transaction on the writer connection.

use prost::Message;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};
use tip_ingest::Placement;

use tip_model::completeness::completeness_rank;
use tip_model::history::{latest_placement, tier_history};
use tip_model::pb::{Completeness, Report, SectionKind};
use tip_model::{CountryRegistry, Iso3, ReportName};

use super::reads::{placements_in, verdicts_in};
use super::{
    PARSER_VERSION_KEY, PutOutcome, Rederived, Result, Store, StoredDocument, unix_seconds, write_transaction,
};

impl Store {
    /// Stores a parsed report and its raw bytes in one transaction. The same bytes twice change
    /// nothing. Other bytes for the same country and year replace the report, unless they look
    /// less complete than the current document (a cut-off copy does not replace a whole one):
    /// then they are kept as a revision only. Every document stays retrievable.
    pub fn put_report(&self, name: ReportName, report: &Report, raw: &[u8]) -> Result<PutOutcome> {
        self.write(|writer| {
            let tx = write_transaction(writer)?;
            let outcome = put_in(&tx, name, report, raw, unix_seconds())?;
            tx.commit()?;
            Ok(outcome)
        })
    }

    /// As [`Store::put_report`], for a caller that may stop waiting for the answer: `wanted` is
    /// asked once the write lock is held, just before the commit. When it says no, nothing is
    /// written and the answer is `None`: a write is either answered or does not happen.
    pub fn put_report_if_wanted(
        &self,
        name: ReportName,
        report: &Report,
        raw: &[u8],
        wanted: impl Fn() -> bool,
    ) -> Result<Option<PutOutcome>> {
        self.write(|writer| {
            let tx = write_transaction(writer)?;
            let outcome = put_in(&tx, name, report, raw, unix_seconds())?;
            if !wanted() {
                // Dropped uncommitted: rolled back.
                return Ok(None);
            }
            tx.commit()?;
            Ok(Some(outcome))
        })
    }

    /// Stores many parsed reports, in order, each as [`Store::put_report`] would, in one
    /// transaction: one commit and one write of the indexes for the whole batch, many times
    /// faster than a transaction per document for bulk loads (`tip-atlas ingest`). Each
    /// document is stored under a savepoint of its own: one that fails is rolled back alone and
    /// gets its error, the others are kept. The outer error is the batch's (nothing stored).
    pub fn put_reports(&self, documents: &[(ReportName, &Report, &[u8])]) -> Result<Vec<Result<PutOutcome>>> {
        let now = unix_seconds();
        self.each_under_savepoint(documents, |tx, &(name, report, raw)| put_in(tx, name, report, raw, now))
    }

    /// Writes reports re-derived from their stored documents, each under a savepoint of its own
    /// as [`Store::put_reports`] does, in one transaction. Which document is current stays as
    /// it is; a current document's report keeps its ingest time.
    pub fn put_rederived(&self, documents: &[(&StoredDocument, &Report)]) -> Result<Vec<Result<Rederived>>> {
        self.each_under_savepoint(documents, |tx, &(document, report)| rederive_in(tx, document, report))
    }

    /// Runs `write` on each item under a savepoint of its own, all in one transaction: an item
    /// that fails is rolled back alone (its savepoint dropped) and its error returned in its
    /// place; the outer error is the whole batch's (nothing stored).
    fn each_under_savepoint<I, T>(
        &self,
        items: &[I],
        mut write: impl FnMut(&Connection, &I) -> Result<T>,
    ) -> Result<Vec<Result<T>>> {
        self.write(|writer| {
            let mut tx = write_transaction(writer)?;
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                let savepoint = tx.savepoint()?;
                match write(&savepoint, item) {
                    Ok(outcome) => {
                        savepoint.commit()?;
                        outcomes.push(Ok(outcome));
                    }
                    Err(error) => outcomes.push(Err(error)),
                }
            }
            tx.commit()?;
            Ok(outcomes)
        })
    }

    /// Records the parser version the stored reports are now derived with.
    pub fn set_parser_version(&self, version: u32) -> Result<()> {
        self.set_meta(PARSER_VERSION_KEY, version.to_string().as_bytes())
    }

    /// Stores tier placements in one transaction; a placement of the same country, year and
    /// source is updated. Returns how many rows were new or changed. The latest placements of
    /// the countries they change are derived again.
    pub fn put_placements(&self, placements: &[Placement]) -> Result<usize> {
        self.write(|writer| {
            let tx = write_transaction(writer)?;
            let mut changed = 0;
            let mut touched = BTreeSet::new();
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO placements (iso3, year, tier, source, tier_as_published, country_as_published)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (iso3, year, source) DO UPDATE SET tier = excluded.tier,
                         tier_as_published = excluded.tier_as_published,
                         country_as_published = excluded.country_as_published
                     WHERE tier != excluded.tier OR tier_as_published != excluded.tier_as_published
                         OR country_as_published != excluded.country_as_published",
                )?;
                for p in placements {
                    let rows = upsert.execute(params![
                        p.iso3.as_str(),
                        p.year.get(),
                        p.tier as i32,
                        p.source,
                        p.tier_as_published,
                        p.country_as_published
                    ])?;
                    if rows > 0 {
                        touched.insert(p.iso3);
                    }
                    changed += rows;
                }
            }
            for iso3 in touched {
                refresh_derived_placements(&tx, Some(iso3))?;
            }
            tx.commit()?;
            Ok(changed)
        })
    }

    /// Sets a value of the meta table.
    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.write(|writer| {
            writer.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Caps the database file at about `max_bytes` (SQLite's `max_page_count`): a write past it
    /// fails with SQLITE_FULL, as on a full disk, and changes nothing.
    pub fn limit_size(&self, max_bytes: u64) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let page_size: u64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0))?;
        writer.query_row(&format!("PRAGMA max_page_count = {}", (max_bytes / page_size).max(1)), [], |_| Ok(()))?;
        Ok(())
    }

    /// A value of the meta table, created by `init` when missing.
    pub fn meta_or_init(&self, key: &str, init: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        self.write(|writer| {
            let tx = write_transaction(writer)?;
            if let Some(value) =
                tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()?
            {
                return Ok(value);
            }
            let value = init();
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
            tx.commit()?;
            Ok(value)
        })
    }
}

/// Stores one report inside the caller's transaction (see [`Store::put_report`]); statements are
/// prepared once per connection and cached.
fn put_in(tx: &Connection, name: ReportName, report: &Report, raw: &[u8], now: i64) -> Result<PutOutcome> {
    let source = report.source.as_ref();
    let sha256 = source.map_or("", |s| s.content_sha256.as_str());
    let (iso3, year) = (name.country.as_str(), name.year.get());
    let current: Option<i32> = tx
        .prepare_cached("SELECT completeness FROM reports WHERE iso3 = ?1 AND year = ?2")?
        .query_row(params![iso3, year], |row| row.get(0))
        .optional()?;
    let seen: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM report_documents WHERE iso3 = ?1 AND year = ?2 AND document_sha256 = ?3)",
        )?
        .query_row(params![iso3, year, sha256], |row| row.get(0))?;
    if seen {
        return Ok(PutOutcome::Unchanged);
    }
    tx.prepare_cached(
        "INSERT OR IGNORE INTO documents (sha256, content, encoding, source_uri, ingested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        sha256,
        raw,
        source.map_or("", |s| s.encoding.as_str()),
        source.map_or("", |s| s.uri.as_str()),
        now
    ])?;
    tx.prepare_cached(
        "INSERT INTO report_documents (iso3, year, document_sha256, ingested_at, tier, completeness)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![iso3, year, sha256, now, report.tier, report.completeness])?;
    let outcome = match current {
        Some(current)
            if completeness_rank(report.completeness())
                < completeness_rank(Completeness::try_from(current).unwrap_or(Completeness::Unspecified)) =>
        {
            return Ok(PutOutcome::KeptCurrent);
        }
        Some(_) => PutOutcome::Replaced,
        None => PutOutcome::Created,
    };
    let mut stored = report.clone();
    stored.ingest_time = Some(prost_types::Timestamp { seconds: now, nanos: 0 });
    write_current(tx, name, &stored)?;
    Ok(outcome)
}

/// Writes one re-derived report inside the caller's transaction (see [`Store::put_rederived`]).
fn rederive_in(tx: &Connection, document: &StoredDocument, report: &Report) -> Result<Rederived> {
    let (iso3, year) = (document.name.country.as_str(), document.name.year.get());
    tx.prepare_cached(
        "UPDATE report_documents SET tier = ?4, completeness = ?5
         WHERE iso3 = ?1 AND year = ?2 AND document_sha256 = ?3",
    )?
    .execute(params![iso3, year, document.sha256, report.tier, report.completeness])?;
    let current: Option<(i64, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT ingested_at, report FROM reports WHERE iso3 = ?1 AND year = ?2 AND document_sha256 = ?3",
        )?
        .query_row(params![iso3, year, document.sha256], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((ingested_at, before)) = current else { return Ok(Rederived::Revision) };
    let mut stored = report.clone();
    stored.ingest_time = Some(prost_types::Timestamp { seconds: ingested_at, nanos: 0 });
    if stored.encode_to_vec() == before {
        return Ok(Rederived::Unchanged);
    }
    write_current(tx, document.name, &stored)?;
    // A stored report that no longer decodes is replaced all the same: every field changed.
    Ok(Rederived::Changed { before: Box::new(Report::decode(before.as_slice()).unwrap_or_default()) })
}

/// Makes `stored` the current report of its country and year (read from the document its source
/// names, stored at its ingest time): its row, its full-text entry, and the country's latest
/// placement.
fn write_current(tx: &Connection, name: ReportName, stored: &Report) -> Result<()> {
    let (iso3, year) = (name.country.as_str(), name.year.get());
    let sha256 = stored.source.as_ref().map_or("", |s| s.content_sha256.as_str());
    let ingested_at = stored.ingest_time.as_ref().map_or(0, |t| t.seconds);
    let region = CountryRegistry::global().get(name.country).map_or(0, |c| c.region as i32);
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO reports (iso3, year, region, tier, tier_change, finding, completeness, waiver, document_sha256,
                 ingested_at, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (iso3, year) DO UPDATE SET region = excluded.region, tier = excluded.tier,
                 tier_change = excluded.tier_change, finding = excluded.finding, completeness = excluded.completeness,
                 waiver = excluded.waiver, document_sha256 = excluded.document_sha256, ingested_at = excluded.ingested_at,
                 report = excluded.report
             RETURNING id",
        )?
        .query_row(
            params![
                iso3,
                year,
                region,
                stored.tier,
                stored.tier_change,
                stored.finding,
                stored.completeness,
                stored.downgrade_waived,
                sha256,
                ingested_at,
                stored.encode_to_vec()
            ],
            |row| row.get(0),
        )?;
    tx.prepare_cached("DELETE FROM report_text WHERE rowid = ?1")?.execute([id])?;
    let mut narrative = String::new();
    let sections = stored.sections.iter().filter(|s| s.kind != SectionKind::Recommendations as i32);
    for paragraph in stored.paragraphs.iter().chain(sections.flat_map(|s| &s.paragraphs)) {
        if !narrative.is_empty() {
            narrative.push('\n');
        }
        narrative.push_str(paragraph);
    }
    let recommendations = stored.recommendations.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n");
    tx.prepare_cached("INSERT INTO report_text (rowid, narrative, recommendations) VALUES (?1, ?2, ?3)")?
        .execute(params![id, narrative, recommendations])?;
    refresh_derived_placements(tx, Some(name.country))
}

/// Recomputes what is derived from one country's placements and report verdicts, or every
/// country's, inside the caller's transaction: each year's placement as the tier history settles
/// it (`year_placements`) and the latest of them (`latest_placements`), one rule for both
/// ([`tier_history`]).
pub(super) fn refresh_derived_placements(tx: &Connection, country: Option<Iso3>) -> Result<()> {
    let mut by_country: BTreeMap<Iso3, (Vec<_>, Vec<_>)> = BTreeMap::new();
    for placement in placements_in(tx, country)? {
        by_country.entry(placement.iso3).or_default().0.push(placement);
    }
    for verdict in verdicts_in(tx, country)? {
        by_country.entry(verdict.iso3).or_default().1.push(verdict);
    }
    let code = country.map(|c| c.as_str().to_owned());
    tx.prepare_cached("DELETE FROM latest_placements WHERE ?1 IS NULL OR iso3 = ?1")?.execute([&code])?;
    tx.prepare_cached("DELETE FROM year_placements WHERE ?1 IS NULL OR iso3 = ?1")?.execute([&code])?;
    let mut latest = tx.prepare_cached("INSERT INTO latest_placements (iso3, year, tier) VALUES (?1, ?2, ?3)")?;
    let mut yearly = tx.prepare_cached(
        "INSERT INTO year_placements (iso3, year, tier, previous_year, previous_tier, movement, conflict)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (iso3, (placements, verdicts)) in by_country {
        let history = tier_history(iso3, &placements, &verdicts);
        for entry in history.iter().filter(|e| !e.missing) {
            let conflict = !entry.conflicts.is_empty();
            yearly.execute(params![
                iso3.as_str(),
                entry.year,
                entry.tier,
                entry.previous_year,
                entry.previous_tier,
                entry.movement,
                conflict
            ])?;
        }
        if let Some((year, tier)) = latest_placement(&history) {
            latest.execute(params![iso3.as_str(), year, tier as i32])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tip_model::pb::{Completeness, Tier};

    use super::*;
    use crate::store::testing::{mali_2023, mali_2023_cut_off, temporary_store};

    #[test]
    fn the_same_bytes_twice_change_nothing_and_a_cut_off_copy_stays_a_revision() {
        let (_folder, store) = temporary_store();
        let (name, report, bytes) = mali_2023();
        assert_eq!(store.put_report(name, &report, bytes).unwrap(), PutOutcome::Created);
        assert_eq!(store.put_report(name, &report, bytes).unwrap(), PutOutcome::Unchanged);
        let (cut, cut_bytes) = mali_2023_cut_off();
        assert_eq!(cut.completeness(), Completeness::Truncated);
        assert_eq!(store.put_report(name, &cut, &cut_bytes).unwrap(), PutOutcome::KeptCurrent);
        let current = store.get_report(name).unwrap().unwrap();
        assert_eq!(current.completeness(), report.completeness());
        assert_eq!(store.revisions(name, 0, 10, usize::MAX).unwrap().1, 2);
    }

    #[test]
    fn placements_count_only_what_changed() {
        let (_folder, store) = temporary_store();
        let table = tip_ingest::parse_tier_table(b"country,year,tier\nMali,2022,Tier 2 Watch List\n", "t.csv").unwrap();
        assert_eq!(store.put_placements(&table.placements).unwrap(), 1);
        assert_eq!(store.put_placements(&table.placements).unwrap(), 0);
        assert_eq!(store.placement_count().unwrap(), 1);
    }

    #[test]
    fn writes_keep_each_countrys_latest_placement() {
        let (_folder, store) = temporary_store();
        let latest = |store: &Store| {
            store
                .read(|c| {
                    Ok(c.query_row("SELECT year, tier FROM latest_placements WHERE iso3 = 'MLI'", [], |row| {
                        Ok((row.get::<_, i32>(0)?, row.get::<_, i32>(1)?))
                    })?)
                })
                .unwrap()
        };
        let table = tip_ingest::parse_tier_table(b"country,year,tier\nMali,2023,Tier 3\n", "t.csv").unwrap();
        store.put_placements(&table.placements).unwrap();
        assert_eq!(latest(&store), (2023, Tier::Tier3 as i32));
        let (name, report, bytes) = mali_2023();
        store.put_report(name, &report, bytes).unwrap();
        assert_eq!(latest(&store), (2023, Tier::Tier2 as i32), "the narrative settles its year");
    }

    #[test]
    fn meta_or_init_keeps_the_first_value() {
        let (_folder, store) = temporary_store();
        assert_eq!(store.meta_or_init("key", || vec![1]).unwrap(), vec![1]);
        assert_eq!(store.meta_or_init("key", || vec![2]).unwrap(), vec![1]);
        store.set_meta("key", &[3]).unwrap();
        assert_eq!(store.meta("key").unwrap(), Some(vec![3]));
    }

    #[test]
    fn a_second_writer_waits_for_the_first() {
        let (folder, store) = temporary_store();
        let path = folder.path().join("tip.sqlite");
        let mut other = crate::store::open_connection(&path, crate::store::Mode::ReadWrite).unwrap();
        let other_tx = write_transaction(&mut other).unwrap();
        other_tx.execute("INSERT INTO meta (key, value) VALUES ('other', x'02')", []).unwrap();
        std::thread::scope(|scope| {
            // Started while the other transaction holds the write lock: it reads, then writes.
            let waiting = scope.spawn(|| store.meta_or_init("mine", || vec![3]));
            std::thread::sleep(std::time::Duration::from_millis(200));
            other_tx.commit().unwrap();
            assert_eq!(waiting.join().unwrap().unwrap(), vec![3]);
        });
        assert_eq!(store.meta("other").unwrap(), Some(vec![2]));
    }
}
