//! Reads, each on a pooled reader connection.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use tip_model::pb::{Report, Tier, TierChange};
use tip_model::{Iso3, ReportName, ReportYear};

use tip_model::history::{ReportVerdict, TablePlacement};

use super::{
    CountryRow, HIGHLIGHT_END, HIGHLIGHT_START, PARSER_VERSION_KEY, Result, Revision, SearchHit, Store, StoredDocument,
    UNRECORDED_PARSER_VERSION, YearPlacement, decode_report,
};
use crate::query_fields::SqlFilter;

impl Store {
    /// The current report of a country and year.
    pub fn get_report(&self, name: ReportName) -> Result<Option<Report>> {
        self.read(|c| {
            let blob: Option<Vec<u8>> = c
                .prepare_cached("SELECT report FROM reports WHERE iso3 = ?1 AND year = ?2")?
                .query_row(params![name.country.as_str(), name.year.get()], |row| row.get(0))
                .optional()?;
            blob.map(|bytes| decode_report(&name.to_string(), &bytes)).transpose()
        })
    }

    /// One page of reports matching `filter`, in `order` (SQL over the reports columns), with the
    /// total count of matches.
    pub fn list_reports(&self, filter: &SqlFilter, order: &str, offset: u64, limit: u64) -> Result<(Vec<Report>, u64)> {
        self.read(|c| {
            let total: u64 = c.query_row(
                &format!("SELECT count(*) FROM reports WHERE {}", filter.sql),
                params_from_iter(filter.params.iter()),
                |row| row.get(0),
            )?;
            let sql = format!(
                "SELECT iso3 || '/' || year, report FROM reports WHERE {} ORDER BY {order} LIMIT ? OFFSET ?",
                filter.sql
            );
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(params_from_iter(paged(&filter.params, offset, limit)), |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
            })?;
            let mut reports = Vec::new();
            for row in rows {
                let (name, bytes) = row?;
                reports.push(decode_report(&name, &bytes)?);
            }
            Ok((reports, total))
        })
    }

    /// Full-text search: one page of hits for an FTS5 `query` among reports matching `filter`,
    /// best first, with the total count of hits.
    pub fn search(&self, query: &str, filter: &SqlFilter, offset: u64, limit: u64) -> Result<(Vec<SearchHit>, u64)> {
        let mut params: Vec<Value> = vec![query.to_owned().into()];
        params.extend(filter.params.iter().cloned());
        self.read(|c| {
            let from = format!(
                // The filter's anonymous `?` placeholders number on after ?1 (SQLite's rule).
                "FROM report_text JOIN reports INDEXED BY reports_search_columns ON reports.id = report_text.rowid
                 WHERE report_text MATCH ?1 AND ({})",
                filter.sql
            );
            let total: u64 = c
                .prepare_cached(&format!("SELECT count(*) {from}"))?
                .query_row(params_from_iter(params.iter()), |row| row.get(0))?;
            // The page is ranked first and its snippets made after: made in the same query as
            // the ranking, a snippet would be made for every match before the sort, not only
            // for the page's. CROSS JOIN keeps the page the outer loop, so that each row's
            // snippet looks up one row of the index (MATCH and rowid).
            let sql = format!(
                "WITH page AS (
                     SELECT report_text.rowid AS id, bm25(report_text, 1.0, 2.0) AS score, reports.iso3 AS iso3,
                            reports.year AS year
                     {from} ORDER BY score, reports.iso3, reports.year LIMIT ? OFFSET ?)
                 SELECT reports.iso3, reports.year, reports.tier, -page.score,
                        snippet(report_text, 0, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24),
                        snippet(report_text, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24)
                 FROM page CROSS JOIN report_text CROSS JOIN reports
                 WHERE report_text.rowid = page.id AND reports.id = page.id AND report_text MATCH ?1
                 ORDER BY page.score, page.iso3, page.year"
            );
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(params_from_iter(paged(&params, offset, limit)), |row| {
                Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
            })?;
            let mut hits = Vec::new();
            for row in rows {
                let (iso3, year, tier, score, narrative_snippet, recommendations_snippet) = row?;
                let (Ok(country), Ok(year)) = (Iso3::parse(&iso3), ReportYear::new(year)) else { continue };
                hits.push(SearchHit {
                    name: ReportName { country, year },
                    tier,
                    score,
                    narrative_snippet,
                    recommendations_snippet,
                });
            }
            Ok((hits, total))
        })
    }

    /// One page of the documents ingested for a report, the current one first, then newest
    /// first, with how many there are: at most `limit` from `offset`, and fewer when their raw
    /// bytes would pass `byte_budget` (a page holds at least one). Rows are read one at a time,
    /// so the documents past the page are never read.
    pub fn revisions(
        &self,
        name: ReportName,
        offset: u64,
        limit: u64,
        byte_budget: usize,
    ) -> Result<(Vec<Revision>, u64)> {
        let key = params![name.country.as_str(), name.year.get()];
        self.read(|c| {
            let total: u64 = c
                .prepare_cached("SELECT count(*) FROM report_documents WHERE iso3 = ?1 AND year = ?2")?
                .query_row(key, |row| row.get(0))?;
            let mut statement = c.prepare_cached(
                "SELECT d.sha256, d.sha256 = coalesce(r.document_sha256, ''), rd.ingested_at, d.source_uri, d.encoding,
                        rd.tier, rd.completeness, length(d.content), d.content
                 FROM report_documents rd JOIN documents d ON d.sha256 = rd.document_sha256
                 LEFT JOIN reports r ON r.iso3 = rd.iso3 AND r.year = rd.year
                 WHERE rd.iso3 = ?1 AND rd.year = ?2
                 ORDER BY d.sha256 = coalesce(r.document_sha256, '') DESC, rd.ingested_at DESC, rd.rowid DESC
                 LIMIT ?3 OFFSET ?4",
            )?;
            let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            let mut rows =
                statement.query(params![name.country.as_str(), name.year.get(), bound(limit), bound(offset)])?;
            let (mut revisions, mut bytes) = (Vec::new(), 0usize);
            while let Some(row) = rows.next()? {
                // The length comes before the content: a document over the budget is not read.
                let length = usize::try_from(row.get::<_, i64>(7)?).unwrap_or(usize::MAX);
                if !revisions.is_empty() && bytes.saturating_add(length) > byte_budget {
                    break;
                }
                bytes = bytes.saturating_add(length);
                revisions.push(Revision {
                    sha256: row.get(0)?,
                    current: row.get(1)?,
                    ingested_at: row.get(2)?,
                    source_uri: row.get(3)?,
                    encoding: row.get(4)?,
                    tier: row.get(5)?,
                    completeness: row.get(6)?,
                    content: row.get(8)?,
                });
            }
            Ok((revisions, total))
        })
    }

    /// One page of countries matching `filter` (over iso3, region and the latest placement's
    /// latest_tier and latest_year), with their latest placement and the total count.
    pub fn list_countries(
        &self,
        filter: &SqlFilter,
        order: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<CountryRow>, u64)> {
        // The latest placement as writes keep it (see `writes::refresh_derived_placements`).
        let from = "(SELECT c.iso3, c.region, l.year AS latest_year, l.tier AS latest_tier
                     FROM countries c LEFT JOIN latest_placements l ON l.iso3 = c.iso3)";
        let page = Page { filter, order, offset, limit };
        self.read(|c| {
            select_page(c, "iso3, latest_year, latest_tier", from, &page, |row| {
                let (iso3, year, tier) =
                    (row.get::<_, String>(0)?, row.get::<_, Option<i32>>(1)?, row.get::<_, Option<i32>>(2)?);
                let latest = year.zip(tier.and_then(|t| Tier::try_from(t).ok()));
                Ok(Iso3::parse(&iso3).ok().map(|iso3| (iso3, latest)))
            })
        })
    }

    /// One page of the placements matching `filter` (over iso3, region, year, tier and
    /// movement), each year's as writes derive it, and the total count.
    pub fn list_placements(
        &self,
        filter: &SqlFilter,
        order: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<YearPlacement>, u64)> {
        let from = "(SELECT p.*, c.region FROM year_placements p JOIN countries c ON c.iso3 = p.iso3)";
        let columns = "iso3, year, tier, previous_year, previous_tier, movement, conflict";
        let page = Page { filter, order, offset, limit };
        self.read(|c| {
            select_page(c, columns, from, &page, |row| {
                let Ok(iso3) = Iso3::parse(&row.get::<_, String>(0)?) else { return Ok(None) };
                Ok(Some(YearPlacement {
                    iso3,
                    year: row.get(1)?,
                    tier: row.get(2)?,
                    previous_year: row.get(3)?,
                    previous_tier: row.get(4)?,
                    movement: row.get(5)?,
                    conflict: row.get(6)?,
                }))
            })
        })
    }

    /// Every stored placement, of one country or of all, by country, year and source.
    pub fn placements(&self, country: Option<Iso3>) -> Result<Vec<TablePlacement>> {
        self.read(|c| placements_in(c, country))
    }

    /// The verdicts of the stored reports, of one country or of all, by country and year.
    pub fn verdicts(&self, country: Option<Iso3>) -> Result<Vec<ReportVerdict>> {
        self.read(|c| verdicts_in(c, country))
    }

    /// Every document ingested for every report, by country, year and ingest order.
    pub fn documents(&self) -> Result<Vec<StoredDocument>> {
        self.read(|c| {
            let mut statement = c.prepare(
                "SELECT rd.iso3, rd.year, rd.document_sha256, d.source_uri,
                        rd.document_sha256 = coalesce(r.document_sha256, '')
                 FROM report_documents rd JOIN documents d ON d.sha256 = rd.document_sha256
                 LEFT JOIN reports r ON r.iso3 = rd.iso3 AND r.year = rd.year
                 ORDER BY rd.iso3, rd.year, rd.rowid",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })?;
            let mut documents = Vec::new();
            for row in rows {
                let (iso3, year, sha256, source_uri, current) = row?;
                let (Ok(country), Ok(year)) = (Iso3::parse(&iso3), ReportYear::new(year)) else { continue };
                documents.push(StoredDocument { name: ReportName { country, year }, sha256, source_uri, current });
            }
            Ok(documents)
        })
    }

    /// The raw bytes of a stored document.
    pub fn document_content(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT content FROM documents WHERE sha256 = ?1")?
                .query_row([sha256], |row| row.get(0))
                .optional()?)
        })
    }

    /// The parser version the stored reports were derived with.
    pub fn parser_version(&self) -> Result<u32> {
        let stored = self.meta(PARSER_VERSION_KEY)?;
        Ok(stored.and_then(|value| String::from_utf8(value).ok()?.parse().ok()).unwrap_or(UNRECORDED_PARSER_VERSION))
    }

    /// How many placements are stored.
    pub fn placement_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM placements", [], |row| row.get(0))?))
    }

    /// How many reports are stored.
    pub fn report_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM reports", [], |row| row.get(0))?))
    }

    /// A value of the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()?))
    }
}

/// A page query's parameters: the filter's, then LIMIT and OFFSET. Bound, not written into the
/// SQL, so that every page of a query is one cached statement.
/// A page of a listing: which rows, in which order, how many after how many.
struct Page<'a> {
    filter: &'a SqlFilter,
    order: &'a str,
    offset: u64,
    limit: u64,
}

/// One page of the rows of `from` that the filter selects, read by `row` (which skips a row by
/// answering `None`), and the count of all the filter selects.
fn select_page<T>(
    c: &Connection,
    columns: &str,
    from: &str,
    page: &Page<'_>,
    mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<Option<T>>,
) -> Result<(Vec<T>, u64)> {
    let Page { filter, order, offset, limit } = page;
    let from = format!("FROM {from} WHERE {}", filter.sql);
    let total: u64 =
        c.query_row(&format!("SELECT count(*) {from}"), params_from_iter(filter.params.iter()), |r| r.get(0))?;
    let mut statement = c.prepare_cached(&format!("SELECT {columns} {from} ORDER BY {order} LIMIT ? OFFSET ?"))?;
    let rows = statement.query_map(params_from_iter(paged(&filter.params, *offset, *limit)), |r| row(r))?;
    let mut read = Vec::new();
    for value in rows {
        read.extend(value?);
    }
    Ok((read, total))
}

fn paged(params: &[Value], offset: u64, limit: u64) -> Vec<Value> {
    let bound = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    params.iter().cloned().chain([bound(limit), bound(offset)]).collect()
}

/// [`Store::placements`] on a connection, for writes to read inside their transaction.
pub(super) fn placements_in(c: &Connection, country: Option<Iso3>) -> Result<Vec<TablePlacement>> {
    let country = country.map(|c| c.as_str().to_owned());
    let mut statement = c.prepare_cached(
        "SELECT iso3, year, tier, source, tier_as_published FROM placements
         WHERE ?1 IS NULL OR iso3 = ?1 ORDER BY iso3, year, source",
    )?;
    let rows = statement.query_map(params![country], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get::<_, i32>(2)?, row.get(3)?, row.get(4)?))
    })?;
    let mut placements = Vec::new();
    for row in rows {
        let (iso3, year, tier, source, tier_as_published) = row?;
        let Ok(iso3) = Iso3::parse(&iso3) else { continue };
        let tier = Tier::try_from(tier).unwrap_or(Tier::Unspecified);
        placements.push(TablePlacement { iso3, year, tier, source, tier_as_published });
    }
    Ok(placements)
}

/// [`Store::verdicts`] on a connection, for writes to read inside their transaction.
pub(super) fn verdicts_in(c: &Connection, country: Option<Iso3>) -> Result<Vec<ReportVerdict>> {
    let country = country.map(|c| c.as_str().to_owned());
    let mut statement = c.prepare_cached(
        "SELECT iso3, year, tier, tier_change, waiver FROM reports WHERE ?1 IS NULL OR iso3 = ?1 ORDER BY iso3, year",
    )?;
    let rows = statement.query_map(params![country], |row| {
        Ok((row.get::<_, String>(0)?, row.get(1)?, row.get::<_, i32>(2)?, row.get::<_, i32>(3)?, row.get(4)?))
    })?;
    let mut verdicts = Vec::new();
    for row in rows {
        let (iso3, year, tier, tier_change, waiver) = row?;
        let Ok(iso3) = Iso3::parse(&iso3) else { continue };
        verdicts.push(ReportVerdict {
            iso3,
            year,
            tier: Tier::try_from(tier).unwrap_or(Tier::Unspecified),
            tier_change: TierChange::try_from(tier_change).unwrap_or(TierChange::Unspecified),
            waiver,
        });
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use tip_model::pb::Tier;

    use super::*;
    use crate::store::testing::{mali_2023, mali_2023_cut_off, temporary_store};

    #[test]
    fn a_stored_report_reads_back_with_its_verdict_and_revisions() {
        let (_folder, store) = temporary_store();
        let (name, report, bytes) = mali_2023();
        assert_eq!(store.get_report(name).unwrap(), None);
        store.put_report(name, &report, bytes).unwrap();
        let (cut, cut_bytes) = mali_2023_cut_off();
        store.put_report(name, &cut, &cut_bytes).unwrap();

        let stored = store.get_report(name).unwrap().unwrap();
        assert_eq!(stored.paragraphs, report.paragraphs);
        assert!(stored.ingest_time.is_some());
        let verdicts = store.verdicts(Some(name.country)).unwrap();
        assert_eq!(verdicts.len(), 1);
        assert_eq!((verdicts[0].year, verdicts[0].tier), (2023, Tier::Tier2));
        let (revisions, total) = store.revisions(name, 0, 10, usize::MAX).unwrap();
        assert_eq!(total, 2);
        assert!(revisions[0].current && !revisions[1].current, "the current document first");
        assert_eq!(revisions[0].content, bytes);
        assert_eq!(revisions[1].content, cut_bytes);
        let (first, _) = store.revisions(name, 0, 10, 1).unwrap();
        assert_eq!(first.len(), 1, "a page holds one document however small its budget");
        let (second, _) = store.revisions(name, 1, 10, usize::MAX).unwrap();
        assert_eq!(second[0].content, cut_bytes, "the next page starts at its offset");
        assert!(store.verdicts(Some(Iso3::parse("FRA").unwrap())).unwrap().is_empty());

        let documents = store.documents().unwrap();
        let current: Vec<bool> = documents.iter().map(|d| d.current).collect();
        assert_eq!(current, [true, false], "in ingest order");
        assert!(documents.iter().all(|d| d.name == name));
        assert_eq!(store.document_content(&documents[1].sha256).unwrap().unwrap(), cut_bytes);
        assert_eq!(store.document_content("no such hash").unwrap(), None);
    }
}
