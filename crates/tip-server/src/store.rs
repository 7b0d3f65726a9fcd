//! The SQLite store, the source of truth: raw documents by content hash, the current report of
//! each country and year (encoded `tip.v1.Report`, with its verdict in columns for filters),
//! every document ingested for each report, full-text indexes, and tier placements.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prost::Message;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};
use tip_ingest::Placement;
use tip_model::pb::{Completeness, Report, SectionKind, Tier, TierChange};
use tip_model::{CountryRegistry, Iso3, ReportName, ReportYear};

use crate::filter::SqlFilter;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored report could not be decoded.
    #[error("stored report {name} is corrupt: {source}")]
    Corrupt { name: String, source: prost::DecodeError },
    /// The database folder could not be created.
    #[error("cannot create {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The database was written by a newer release, whose schema this one does not know.
    #[error("the database has schema version {found}, newer than this release's {known}: use a newer tip-atlas")]
    NewerSchema { found: i64, known: i64 },
}

type Result<T> = std::result::Result<T, StoreError>;

/// What storing a document did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// A report for this country and year was stored for the first time.
    Created,
    /// The report replaced an earlier version; the earlier raw document is kept.
    Replaced,
    /// These exact bytes were stored before: nothing changed.
    Unchanged,
    /// The document was stored as a revision, but looks less complete than the current one,
    /// which stays current.
    KeptCurrent,
}

/// A placement as stored, with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPlacement {
    pub iso3: Iso3,
    pub year: i32,
    pub tier: Tier,
    pub source: String,
    pub tier_as_published: String,
}

/// The verdict of a stored report, without its text.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportVerdict {
    pub iso3: Iso3,
    pub year: i32,
    pub tier: Tier,
    pub tier_change: TierChange,
    pub waiver: bool,
}

/// A country's most recent placement: report year and tier.
pub type LatestPlacement = (i32, Tier);

/// A country and its most recent placement, if any.
pub type CountryRow = (Iso3, Option<LatestPlacement>);

/// One document ingested for a report.
#[derive(Clone, Debug)]
pub struct Revision {
    pub sha256: String,
    pub current: bool,
    pub ingested_at: i64,
    pub source_uri: String,
    pub encoding: String,
    pub tier: i32,
    pub completeness: i32,
    pub content: Vec<u8>,
}

/// A search hit: the report's verdict columns, score and raw snippets with highlight markers.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub name: ReportName,
    pub tier: i32,
    pub score: f64,
    pub narrative_snippet: String,
    pub recommendations_snippet: String,
}

/// Marks the start and end of a match in snippets (private-use characters no text contains).
pub const HIGHLIGHT_START: char = '\u{E000}';
/// See [`HIGHLIGHT_START`].
pub const HIGHLIGHT_END: char = '\u{E001}';

/// The schema of the release before migrations were numbered (user_version 0), every statement
/// IF NOT EXISTS: the first migration, which an empty file and such a database both take.
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS documents (
    sha256      TEXT PRIMARY KEY,
    content     BLOB NOT NULL,
    encoding    TEXT NOT NULL,
    source_uri  TEXT NOT NULL,
    ingested_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    id              INTEGER PRIMARY KEY,
    iso3            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    region          INTEGER NOT NULL,
    tier            INTEGER NOT NULL,
    tier_change     INTEGER NOT NULL,
    finding         INTEGER NOT NULL,
    completeness    INTEGER NOT NULL,
    waiver          INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    ingested_at     INTEGER NOT NULL,
    report          BLOB NOT NULL,
    UNIQUE (iso3, year)
);
CREATE INDEX IF NOT EXISTS reports_by_year ON reports (year, iso3);
-- The columns search filters and orders by, narrow: a search joins every match to its report,
-- and the report rows, which hold the encoded report, are too wide for that (a few per page).
CREATE INDEX IF NOT EXISTS reports_search_columns
    ON reports (id, iso3, year, region, tier, tier_change, finding, completeness);
CREATE TABLE IF NOT EXISTS report_documents (
    iso3            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    ingested_at     INTEGER NOT NULL,
    tier            INTEGER NOT NULL,
    completeness    INTEGER NOT NULL,
    PRIMARY KEY (iso3, year, document_sha256)
);
CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5(
    narrative, recommendations, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS placements (
    iso3                 TEXT NOT NULL,
    year                 INTEGER NOT NULL,
    tier                 INTEGER NOT NULL,
    source               TEXT NOT NULL,
    tier_as_published    TEXT NOT NULL,
    country_as_published TEXT NOT NULL,
    PRIMARY KEY (iso3, year, source)
);
CREATE TABLE IF NOT EXISTS countries (
    iso3   TEXT PRIMARY KEY,
    region INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS placements_by_year ON placements (year, iso3);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
";

/// The schema's changes, in order; `PRAGMA user_version` counts those a database has taken.
/// Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[SCHEMA_V1];

/// Brings the schema up to date: the migrations a database has not taken, in one transaction.
fn migrate(connection: &mut Connection) -> Result<()> {
    let tx = write_transaction(connection)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

/// A write transaction that takes the write lock at once (BEGIN IMMEDIATE): one that read first
/// would fail with SQLITE_BUSY, without waiting, when another writer committed meanwhile; this
/// one waits for the busy timeout instead.
fn write_transaction(connection: &mut Connection) -> Result<Transaction<'_>> {
    Ok(connection.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// How long a commit by another process may go unseen by [`Store::generation`].
pub const OTHER_PROCESS_DELAY: Duration = Duration::from_millis(100);

/// The store: one writer connection and a pool of readers, all on one SQLite file in WAL mode.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    generation: AtomicU64,
    other_writes: Mutex<OtherWrites>,
}

/// What shows another process's commits: SQLite's data version, on a connection of its own
/// (the numbers compare only on one connection), asked at most every [`OTHER_PROCESS_DELAY`].
struct OtherWrites {
    probe: Connection,
    data_version: i64,
    asked: Instant,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, and its folder.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Io { path: folder.to_owned(), source })?;
        }
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        sync_countries(&mut writer)?;
        let probe = open_connection(path)?;
        let data_version = data_version(&probe)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            other_writes: Mutex::new(OtherWrites { probe, data_version, asked: Instant::now() }),
        })
    }

    /// A number that changes when the data may have changed, what cached replies are checked
    /// against: at once after this store's writes, and within [`OTHER_PROCESS_DELAY`] after
    /// another process's (`tip-atlas ingest` on the same file). Taken before a read, it is never
    /// newer than what the read sees. Asking SQLite on every call would cost a read transaction
    /// (file locks, a few microseconds), as much as the reads the cache saves. When SQLite
    /// cannot say, the data counts as changed: the reads that follow go to SQLite, and report
    /// what is wrong if it lasts.
    pub fn generation(&self) -> u64 {
        if let Ok(mut other) = self.other_writes.try_lock()
            && other.asked.elapsed() >= OTHER_PROCESS_DELAY
        {
            let now = data_version(&other.probe).unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the data version; cached replies dropped");
                other.data_version.wrapping_add(1)
            });
            if now != other.data_version {
                other.data_version = now;
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
            other.asked = Instant::now();
        }
        self.generation.load(Ordering::Acquire)
    }

    /// Runs `write` on the writer connection, then moves the generation on. The probe's data
    /// version is taken again first: it changed with this commit, which must not count a second
    /// time as another process's.
    fn write<T>(&self, write: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result = write(&mut writer);
        let mut other = self.other_writes.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(now) = data_version(&other.probe) {
            other.data_version = now;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// Runs `read` on a pooled reader connection.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => open_reader(&self.path)?,
        };
        let result = read(&connection);
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).push(connection);
        result
    }

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

    /// Stores many parsed reports, in order, each as [`Store::put_report`] would, in one
    /// transaction: one commit and one write of the indexes for the whole batch, many times
    /// faster than a transaction per document for bulk loads (`tip-atlas ingest`). Each
    /// document is stored under a savepoint of its own: one that fails is rolled back alone and
    /// gets its error, the others are kept. The outer error is the batch's (nothing stored).
    pub fn put_reports(&self, documents: &[(ReportName, &Report, &[u8])]) -> Result<Vec<Result<PutOutcome>>> {
        self.write(|writer| {
            let mut tx = write_transaction(writer)?;
            let now = unix_seconds();
            let mut outcomes = Vec::with_capacity(documents.len());
            for &(name, report, raw) in documents {
                let savepoint = tx.savepoint()?;
                match put_in(&savepoint, name, report, raw, now) {
                    Ok(outcome) => {
                        savepoint.commit()?;
                        outcomes.push(Ok(outcome));
                    }
                    // Dropping the savepoint rolls this document back.
                    Err(error) => outcomes.push(Err(error)),
                }
            }
            tx.commit()?;
            Ok(outcomes)
        })
    }

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

    /// Every document ingested for a report: the current one first, then newest first.
    pub fn revisions(&self, name: ReportName) -> Result<Vec<Revision>> {
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT d.sha256, d.sha256 = coalesce(r.document_sha256, ''), rd.ingested_at, d.source_uri, d.encoding,
                        rd.tier, rd.completeness, d.content
                 FROM report_documents rd JOIN documents d ON d.sha256 = rd.document_sha256
                 LEFT JOIN reports r ON r.iso3 = rd.iso3 AND r.year = rd.year
                 WHERE rd.iso3 = ?1 AND rd.year = ?2
                 ORDER BY d.sha256 = coalesce(r.document_sha256, '') DESC, rd.ingested_at DESC, rd.rowid DESC",
            )?;
            let revisions = statement
                .query_map(params![name.country.as_str(), name.year.get()], |row| {
                    Ok(Revision {
                        sha256: row.get(0)?,
                        current: row.get(1)?,
                        ingested_at: row.get(2)?,
                        source_uri: row.get(3)?,
                        encoding: row.get(4)?,
                        tier: row.get(5)?,
                        completeness: row.get(6)?,
                        content: row.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(revisions)
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
        // The latest placement: the newest year's tier as the tier history settles it (history.rs
        // `settle`): the narrative's, else the tier most tables give, the alphabetically first
        // source's on a tie. Looked up per country through the indexes on (iso3, year): a window
        // over every placement would cost as much for one country as for all.
        let from = format!(
            "FROM (SELECT y.iso3, y.region, y.latest_year, (
                   SELECT tier FROM (
                       SELECT tier, 1 AS narrative, 1 AS votes, '' AS first_source FROM reports
                       WHERE iso3 = y.iso3 AND year = y.latest_year AND tier != 0
                       UNION ALL SELECT tier, 0, count(*), min(source) FROM placements
                       WHERE iso3 = y.iso3 AND year = y.latest_year GROUP BY tier)
                   ORDER BY narrative DESC, votes DESC, first_source LIMIT 1) AS latest_tier
                 FROM (SELECT c.iso3, c.region, (
                         SELECT max(year) FROM (SELECT year FROM reports WHERE iso3 = c.iso3 AND tier != 0
                                                UNION ALL SELECT year FROM placements WHERE iso3 = c.iso3)
                       ) AS latest_year FROM countries c) y)
             WHERE {}",
            filter.sql
        );
        self.read(|c| {
            let total: u64 =
                c.query_row(&format!("SELECT count(*) {from}"), params_from_iter(filter.params.iter()), |row| {
                    row.get(0)
                })?;
            let sql = format!("SELECT iso3, latest_year, latest_tier {from} ORDER BY {order} LIMIT ? OFFSET ?");
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(params_from_iter(paged(&filter.params, offset, limit)), |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<i32>>(1)?, row.get::<_, Option<i32>>(2)?))
            })?;
            let mut countries = Vec::new();
            for row in rows {
                let (iso3, year, tier) = row?;
                let Ok(iso3) = Iso3::parse(&iso3) else { continue };
                let latest = year.zip(tier.and_then(|t| Tier::try_from(t).ok()));
                countries.push((iso3, latest));
            }
            Ok((countries, total))
        })
    }

    /// Every stored placement, of one country or of all, by country, year and source.
    pub fn placements(&self, country: Option<Iso3>) -> Result<Vec<StoredPlacement>> {
        let country = country.map(|c| c.as_str().to_owned());
        self.read(|c| {
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
                placements.push(StoredPlacement { iso3, year, tier, source, tier_as_published });
            }
            Ok(placements)
        })
    }

    /// The verdicts of the stored reports, of one country or of all, by country and year.
    pub fn verdicts(&self, country: Option<Iso3>) -> Result<Vec<ReportVerdict>> {
        let country = country.map(|c| c.as_str().to_owned());
        self.read(|c| {
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
        })
    }

    /// Stores tier placements in one transaction; a placement of the same country, year and
    /// source is updated. Returns how many rows were new or changed.
    pub fn put_placements(&self, placements: &[Placement]) -> Result<usize> {
        self.write(|writer| {
            let tx = write_transaction(writer)?;
            let mut changed = 0;
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
                    changed += upsert.execute(params![
                        p.iso3.as_str(),
                        p.year.get(),
                        p.tier as i32,
                        p.source,
                        p.tier_as_published,
                        p.country_as_published
                    ])?;
                }
            }
            tx.commit()?;
            Ok(changed)
        })
    }

    /// How many placements are stored.
    pub fn placement_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM placements", [], |row| row.get(0))?))
    }

    /// A value of the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()?))
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
        Some(completeness) if completeness_rank(report.completeness) < completeness_rank(completeness) => {
            return Ok(PutOutcome::KeptCurrent);
        }
        Some(_) => PutOutcome::Replaced,
        None => PutOutcome::Created,
    };
    let mut stored = report.clone();
    stored.ingest_time = Some(prost_types::Timestamp { seconds: now, nanos: 0 });
    let region = CountryRegistry::global().get(name.country).map_or(0, |c| c.region as i32);
    let waiver = report_states_waiver(report);
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
                waiver,
                sha256,
                now,
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
    Ok(outcome)
}

fn open_connection(path: &Path) -> Result<Connection> {
    let connection = Connection::open(path)?;
    // WAL lets readers run beside the writer; NORMAL syncs at checkpoints, which keeps every
    // committed transaction across a process crash (kill -9), the failure this service guards.
    connection.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )?;
    Ok(connection)
}

/// A reader connection. It maps the file in memory: a report's text lives on overflow pages,
/// which SQLite reads past its page cache, one system call each, on every read; mapped, they are
/// plain memory reads.
fn open_reader(path: &Path) -> Result<Connection> {
    let connection = open_connection(path)?;
    connection.execute_batch("PRAGMA mmap_size = 1073741824;")?;
    Ok(connection)
}

/// A page query's parameters: the filter's, then LIMIT and OFFSET. Bound, not written into the
/// SQL, so that every page of a query is one cached statement.
fn paged(params: &[Value], offset: u64, limit: u64) -> Vec<Value> {
    let bound = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    params.iter().cloned().chain([bound(limit), bound(offset)]).collect()
}

fn data_version(connection: &Connection) -> Result<i64> {
    Ok(connection.query_row("PRAGMA data_version", [], |row| row.get(0))?)
}

fn decode_report(name: &str, bytes: &[u8]) -> Result<Report> {
    Report::decode(bytes).map_err(|source| StoreError::Corrupt { name: name.to_owned(), source })
}

fn unix_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Orders completeness: a complete narrative over an excerpt over a cut-off text.
fn completeness_rank(completeness: i32) -> u8 {
    match Completeness::try_from(completeness) {
        Ok(Completeness::Complete) => 3,
        Ok(Completeness::Excerpt) => 2,
        Ok(Completeness::Truncated) => 1,
        _ => 0,
    }
}

/// Whether the report says a downgrade was waived ("was granted a waiver ... from an otherwise
/// required downgrade to Tier 3").
fn report_states_waiver(report: &Report) -> bool {
    report
        .paragraphs
        .iter()
        .take(3)
        .any(|p| p.contains("otherwise required downgrade") || p.contains("granted a waiver"))
}

/// Mirrors the country registry into the `countries` table, for filters over countries.
fn sync_countries(connection: &mut Connection) -> Result<()> {
    let tx = write_transaction(connection)?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO countries (iso3, region) VALUES (?1, ?2) ON CONFLICT (iso3) DO UPDATE SET region = excluded.region",
        )?;
        for country in CountryRegistry::global().all() {
            upsert.execute(params![country.iso3.as_str(), country.region as i32])?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_version(path: &Path) -> i64 {
        Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn an_empty_file_takes_every_migration() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("new.sqlite");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.placement_count().unwrap(), 0);
        assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_database_of_the_release_before_migrations_keeps_its_rows() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("old.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(SCHEMA_V1).unwrap();
        old.execute("INSERT INTO meta (key, value) VALUES ('kept', x'01')", []).unwrap();
        drop(old);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.meta("kept").unwrap(), Some(vec![1]));
        assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
        drop(store);
        Store::open(&path).expect("opens again, with nothing left to migrate");
    }

    #[test]
    fn a_database_of_a_newer_release_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("newer.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 1000).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::NewerSchema { found: 1000, .. })));
    }

    #[test]
    fn a_second_writer_waits_for_the_first() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("busy.sqlite");
        let store = Store::open(&path).unwrap();
        let mut other = open_connection(&path).unwrap();
        let other_tx = write_transaction(&mut other).unwrap();
        other_tx.execute("INSERT INTO meta (key, value) VALUES ('other', x'02')", []).unwrap();
        std::thread::scope(|scope| {
            // Started while the other transaction holds the write lock: it reads, then writes.
            let waiting = scope.spawn(|| store.meta_or_init("mine", || vec![3]));
            std::thread::sleep(Duration::from_millis(200));
            other_tx.commit().unwrap();
            assert_eq!(waiting.join().unwrap().unwrap(), vec![3]);
        });
        assert_eq!(store.meta("other").unwrap(), Some(vec![2]));
    }
}
