//! The SQLite store, the source of truth: raw documents by content hash, the current report of
//! each country and year (encoded `tip.v1.Report`), and the versions it replaced.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use rusqlite::{Connection, OptionalExtension, params};
use tip_ingest::Placement;
use tip_model::pb::Report;
use tip_model::{Iso3, ReportName};

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
}

const SCHEMA: &str = "
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
    tier            INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    ingested_at     INTEGER NOT NULL,
    report          BLOB NOT NULL,
    UNIQUE (iso3, year)
);
CREATE TABLE IF NOT EXISTS report_versions (
    iso3            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    document_sha256 TEXT NOT NULL REFERENCES documents(sha256),
    replaced_at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_year ON reports (year, iso3);
CREATE TABLE IF NOT EXISTS placements (
    iso3                 TEXT NOT NULL,
    year                 INTEGER NOT NULL,
    tier                 INTEGER NOT NULL,
    source               TEXT NOT NULL,
    tier_as_published    TEXT NOT NULL,
    country_as_published TEXT NOT NULL,
    PRIMARY KEY (iso3, year, source)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
";

/// The store: one writer connection and a pool of readers, all on one SQLite file in WAL mode.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, and its folder.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Io { path: folder.to_owned(), source })?;
        }
        let writer = open_connection(path)?;
        writer.execute_batch(SCHEMA)?;
        Ok(Self { path: path.to_owned(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    /// Runs `read` on a pooled reader connection.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => open_connection(&self.path)?,
        };
        let result = read(&connection);
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).push(connection);
        result
    }

    /// Stores a parsed report and its raw bytes in one transaction. The same bytes twice change
    /// nothing; other bytes for the same country and year replace the report and keep the old
    /// document retrievable.
    pub fn put_report(&self, name: ReportName, report: &Report, raw: &[u8]) -> Result<PutOutcome> {
        let source = report.source.clone().unwrap_or_default();
        let now = unix_seconds();
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = writer.transaction()?;
        let current: Option<String> = tx
            .query_row(
                "SELECT document_sha256 FROM reports WHERE iso3 = ?1 AND year = ?2",
                params![name.country.as_str(), name.year.get()],
                |row| row.get(0),
            )
            .optional()?;
        if current.as_deref() == Some(source.content_sha256.as_str()) {
            return Ok(PutOutcome::Unchanged);
        }
        tx.execute(
            "INSERT OR IGNORE INTO documents (sha256, content, encoding, source_uri, ingested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![source.content_sha256, raw, source.encoding, source.uri, now],
        )?;
        let mut stored = report.clone();
        stored.ingest_time = Some(prost_types::Timestamp { seconds: now, nanos: 0 });
        let outcome = match current {
            Some(previous) => {
                tx.execute(
                    "INSERT INTO report_versions (iso3, year, document_sha256, replaced_at) VALUES (?1, ?2, ?3, ?4)",
                    params![name.country.as_str(), name.year.get(), previous, now],
                )?;
                PutOutcome::Replaced
            }
            None => PutOutcome::Created,
        };
        tx.execute(
            "INSERT INTO reports (iso3, year, tier, document_sha256, ingested_at, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (iso3, year) DO UPDATE SET tier = excluded.tier, document_sha256 = excluded.document_sha256,
                 ingested_at = excluded.ingested_at, report = excluded.report",
            params![name.country.as_str(), name.year.get(), stored.tier, source.content_sha256, now, stored.encode_to_vec()],
        )?;
        tx.commit()?;
        Ok(outcome)
    }

    /// The current report of a country and year.
    pub fn get_report(&self, name: ReportName) -> Result<Option<Report>> {
        self.read(|c| {
            let blob: Option<Vec<u8>> = c
                .query_row(
                    "SELECT report FROM reports WHERE iso3 = ?1 AND year = ?2",
                    params![name.country.as_str(), name.year.get()],
                    |row| row.get(0),
                )
                .optional()?;
            blob.map(|bytes| decode_report(&name.to_string(), &bytes)).transpose()
        })
    }

    /// One page of reports, ordered by country code then year, with the total count.
    pub fn list_reports(&self, country: Option<Iso3>, offset: u64, limit: u64) -> Result<(Vec<Report>, u64)> {
        let country = country.map(|c| c.as_str().to_owned());
        self.read(|c| {
            let total: u64 =
                c.query_row("SELECT count(*) FROM reports WHERE ?1 IS NULL OR iso3 = ?1", params![country], |row| {
                    row.get(0)
                })?;
            let mut statement = c.prepare_cached(
                "SELECT iso3 || '/' || year, report FROM reports WHERE ?1 IS NULL OR iso3 = ?1
                 ORDER BY iso3, year LIMIT ?2 OFFSET ?3",
            )?;
            let rows = statement.query_map(params![country, limit as i64, offset as i64], |row| {
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

    /// Stores tier placements in one transaction; a placement of the same country, year and
    /// source is updated. Returns how many rows were new or changed.
    pub fn put_placements(&self, placements: &[Placement]) -> Result<usize> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = writer.transaction()?;
        let mut changed = 0;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO placements (iso3, year, tier, source, tier_as_published, country_as_published)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (iso3, year, source) DO UPDATE SET tier = excluded.tier,
                     tier_as_published = excluded.tier_as_published, country_as_published = excluded.country_as_published
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
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A value of the meta table, created by `init` when missing.
    pub fn meta_or_init(&self, key: &str, init: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(value) =
            writer.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()?
        {
            return Ok(value);
        }
        let value = init();
        writer.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(value)
    }
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

fn decode_report(name: &str, bytes: &[u8]) -> Result<Report> {
    Report::decode(bytes).map_err(|source| StoreError::Corrupt { name: name.to_owned(), source })
}

fn unix_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
