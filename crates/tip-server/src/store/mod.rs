//! The SQLite store. The raw documents, by content hash, and the tier placements are the source
//! of truth; derived from them: the current report of each country and year (encoded
//! `tip.v1.Report`, with its verdict in columns for filters), the full-text index, and each
//! country's latest placement. `tip-atlas reindex` derives them again with a newer parser.
//!
//! `schema` migrates, `writes` and `reads` are what the names say, `generation` tells cached
//! replies when the data changed.

mod changes;
mod generation;
mod reads;
mod schema;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tip_model::pb::{Report, Tier};
use tip_model::{Iso3, ReportName};

pub use changes::Ingestion;
pub use generation::OTHER_PROCESS_DELAY;
use generation::OtherWrites;
pub use schema::SCHEMA_VERSION;
use schema::{migrate, sync_countries};

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

/// A document as ingested for a report, without its bytes: what re-deriving the report needs.
#[derive(Clone, Debug)]
pub struct StoredDocument {
    /// The report it was ingested for.
    pub name: ReportName,
    pub sha256: String,
    pub source_uri: String,
    /// Whether it is the report's current document.
    pub current: bool,
}

/// What re-deriving a report from one of its documents did.
#[derive(Clone, Debug, PartialEq)]
pub enum Rederived {
    /// The document is current and its report came out as stored.
    Unchanged,
    /// The document is current and its report changed; this was the stored one.
    Changed { before: Box<Report> },
    /// The document is an earlier revision: only its tier and completeness were written.
    Revision,
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

/// A write transaction that takes the write lock at once (BEGIN IMMEDIATE): one that read first
/// would fail with SQLITE_BUSY, without waiting, when another writer committed meanwhile; this
/// one waits for the busy timeout instead.
fn write_transaction(connection: &mut Connection) -> Result<Transaction<'_>> {
    Ok(connection.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// The meta key of the parser version the stored reports were derived with.
const PARSER_VERSION_KEY: &str = "parser_version";

/// The parser version of a database that records none: the release before versions were
/// recorded.
const UNRECORDED_PARSER_VERSION: u32 = 1;

/// The store: one writer connection and a pool of readers, all on one SQLite file in WAL mode.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    generation: AtomicU64,
    other_writes: Mutex<OtherWrites>,
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
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            other_writes: Mutex::new(OtherWrites::new(path)?),
        })
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

fn decode_report(name: &str, bytes: &[u8]) -> Result<Report> {
    Report::decode(bytes).map_err(|source| StoreError::Corrupt { name: name.to_owned(), source })
}

fn unix_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Test material shared by the store's modules.
#[cfg(test)]
pub(super) mod testing {
    use tip_ingest::{Hints, parse_document};

    use super::*;

    /// A store in a temporary folder (kept alive by the returned guard).
    pub fn temporary_store() -> (tempfile::TempDir, Store) {
        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("tip.sqlite")).unwrap();
        (folder, store)
    }

    /// The bundled Mali 2023 narrative, parsed, and its bytes.
    pub fn mali_2023() -> (ReportName, Report, &'static [u8]) {
        let bytes = crate::seeds::BUNDLED_DOCUMENTS[0].1;
        let parsed = parse_document(bytes, &Hints::default());
        (parsed.storable_name().unwrap(), parsed.report, bytes)
    }

    /// The Mali 2023 narrative cut off mid-sentence: other bytes, less complete.
    pub fn mali_2023_cut_off() -> (Report, Vec<u8>) {
        let bytes = crate::seeds::BUNDLED_DOCUMENTS[0].1;
        let cut = bytes[..bytes.len() / 2].to_vec();
        let parsed = parse_document(&cut, &Hints::default());
        (parsed.report, cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_the_folder_and_readers_are_pooled() {
        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("a/b/tip.sqlite")).unwrap();
        for _ in 0..3 {
            store.read(|c| Ok(c.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?)).unwrap();
        }
        assert_eq!(store.readers.lock().unwrap().len(), 1, "one reader, taken and given back");
    }
}
