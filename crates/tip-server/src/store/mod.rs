//! The SQLite store. The raw documents, by content hash, and the tier placements are the source
//! of truth; derived from them: the current report of each country and year (encoded
//! `tip.v1.Report`, with its verdict in columns for filters), the full-text index, and each
//! country's latest placement. `tip-atlas reindex` derives them again with a newer parser.
//!
//! `schema` migrates, `writes` and `reads` are what the names say, `generation` tells cached
//! replies when the data changed, `snapshot` publishes a consistent copy for read replicas, and
//! `replica` has a read-only store serve the new copy once it is renamed onto its file.

mod changes;
mod generation;
mod interrupt;
mod reads;
mod replica;
mod schema;
mod snapshot;
mod writes;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use tip_model::pb::{Report, Tier};
use tip_model::{Iso3, ReportName};
use tokio::sync::watch;

pub use changes::Ingestion;
pub use generation::OTHER_PROCESS_DELAY;
use generation::OtherWrites;
pub use interrupt::{Interrupt, InterruptOnDrop, is_interrupted, request_ended};
pub use replica::follow_replacements;
pub use schema::SCHEMA_VERSION;
use schema::{migrate, sync_countries};
pub use snapshot::SnapshotSummary;

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
    /// A read-only store on a database whose schema this release would migrate.
    #[error(
        "the database has schema version {found}, older than this release's {known}, and a read-only server does not \
         migrate it: run `tip-atlas serve` (or `tip-atlas reindex`) once without --read-only"
    )]
    OlderSchema { found: i64, known: i64 },
    /// The database file was deleted, or replaced by another file, while open: a write would be
    /// acknowledged and lost.
    #[error("the database file {path} was deleted or replaced while the server had it open; writes are refused")]
    FileReplaced { path: PathBuf },
    /// A snapshot's copy failed its integrity check; it was not published.
    #[error("the snapshot failed its integrity check: {problems}")]
    SnapshotCorrupt { problems: String },
}

impl StoreError {
    /// Whether the store cannot take writes for a reason that outlasts the request: a full disk,
    /// a file that is gone or read-only, an I/O failure. Health reports it.
    pub fn is_unwritable(&self) -> bool {
        use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly, SystemIoFailure};
        match self {
            Self::FileReplaced { .. } => true,
            Self::Sqlite(error) => {
                matches!(error.sqlite_error_code(), Some(DiskFull | ReadOnly | SystemIoFailure | CannotOpen))
            }
            _ => false,
        }
    }
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

/// A country's placement in one year as its tier history settles it; enums as their numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearPlacement {
    pub iso3: Iso3,
    pub year: i32,
    pub tier: i32,
    pub previous_year: i32,
    pub previous_tier: i32,
    pub movement: i32,
    pub conflict: bool,
}

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
    mode: Mode,
    /// The file's (device, inode) when opened: a write first checks that the path still names it.
    identity: (u64, u64),
    writer: Mutex<Connection>,
    readers: Mutex<ReaderPool>,
    generation: AtomicU64,
    other_writes: Mutex<OtherWrites>,
    /// Set when the server's shutdown grace is over: stops every query.
    stopping: Interrupt,
    /// Whether the last write could be stored (false after a full disk or a replaced file).
    writable: watch::Sender<bool>,
}

/// The reader connections kept between reads, all open on one file.
struct ReaderPool {
    /// The (device, inode) of that file: a read-only store serves another one after a snapshot
    /// is renamed onto its path, and connections on the file before are not taken back.
    identity: (u64, u64),
    connections: Vec<Connection>,
}

/// How a store opens its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    ReadWrite,
    /// SQLITE_OPEN_READ_ONLY: no migration, no write, the file never written.
    ReadOnly,
    /// Read-only, and SQLite told that nobody writes the file (`immutable=1`): for a file in a
    /// folder the process may not write, where SQLite cannot create the WAL's shared-memory file
    /// that locking needs.
    Immutable,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, and its folder, and migrates it.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Io { path: folder.to_owned(), source })?;
        }
        let mut writer = open_connection(path, Mode::ReadWrite)?;
        migrate(&mut writer)?;
        sync_countries(&mut writer)?;
        Self::with_writer(path, Mode::ReadWrite, writer)
    }

    /// Opens the existing database at `path` for reading only: nothing is migrated or written,
    /// so a file the process may not write serves as well. Its schema must be this release's.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let (mode, connection) = match open_connection(path, Mode::ReadOnly).and_then(readable) {
            Ok(connection) => (Mode::ReadOnly, connection),
            Err(StoreError::Sqlite(error))
                if matches!(error.sqlite_error_code(), Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)) =>
            {
                tracing::warn!(
                    %error,
                    "the database's folder is not writable, so SQLite cannot lock it for reading: serving it as \
                     immutable, which assumes no other process writes it meanwhile"
                );
                (Mode::Immutable, open_connection(path, Mode::Immutable).and_then(readable)?)
            }
            Err(error) => return Err(error),
        };
        check_schema(&connection)?;
        Self::with_writer(path, mode, connection)
    }

    fn with_writer(path: &Path, mode: Mode, writer: Connection) -> Result<Self> {
        let identity = file_identity(path)?;
        Ok(Self {
            path: path.to_owned(),
            mode,
            identity,
            writer: Mutex::new(writer),
            readers: Mutex::new(ReaderPool { identity, connections: Vec::new() }),
            generation: AtomicU64::new(0),
            other_writes: Mutex::new(OtherWrites::new(path, mode)?),
            stopping: Interrupt::default(),
            writable: watch::Sender::new(mode == Mode::ReadWrite),
        })
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.mode != Mode::ReadWrite
    }

    /// Follows whether the store can take writes: false after a write failed for a reason that
    /// outlasts it (a full disk, a replaced file), true again after a write succeeds.
    pub fn writable(&self) -> watch::Receiver<bool> {
        self.writable.subscribe()
    }

    /// Stops every query running now or started later: the server is closing.
    pub fn interrupt_all(&self) {
        self.stopping.interrupt();
    }

    /// Runs `read` on a pooled reader connection, stopped when its request ends.
    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let (identity, mut connection) = self.reader()?;
        let result = interrupt::interruptible(&mut connection, &self.stopping, |c| read(c));
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.identity == identity {
            pool.connections.push(connection);
        }
        result
    }

    /// A pooled reader connection, or a new one, and the (device, inode) of the file it is open
    /// on. A read-only store whose file was replaced serves the new file from then on: a new
    /// connection opens the path, so the new file is swapped in first, lest this read see newer
    /// data than the next one on a pooled connection.
    fn reader(&self) -> Result<((u64, u64), Connection)> {
        loop {
            let (identity, pooled) = {
                let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
                (pool.identity, pool.connections.pop())
            };
            if let Some(connection) = pooled {
                return Ok((identity, connection));
            }
            let connection = open_reader(&self.path, self.mode)?;
            let replaced = self.is_read_only() && file_identity(&self.path).is_ok_and(|now| now != identity);
            if !replaced || !self.swap_in_replaced_file() {
                return Ok((identity, connection));
            }
        }
    }

    /// Refuses a write when the path no longer names the file the store opened (its folder was
    /// deleted, or the file replaced): SQLite would write to the deleted file, and the write would
    /// be lost at the next start. One `stat`, a microsecond.
    fn check_file(&self) -> Result<()> {
        match file_identity(&self.path) {
            Ok(identity) if identity == self.identity => Ok(()),
            _ => Err(StoreError::FileReplaced { path: self.path.clone() }),
        }
    }
}

/// The (device, inode) of the file at `path`.
fn file_identity(path: &Path) -> Result<(u64, u64)> {
    let metadata = std::fs::metadata(path).map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    Ok((metadata.dev(), metadata.ino()))
}

/// Refuses a database whose schema is not this release's, which a read-only store cannot migrate.
fn check_schema(connection: &Connection) -> Result<()> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = SCHEMA_VERSION;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    if found < known {
        return Err(StoreError::OlderSchema { found, known });
    }
    Ok(())
}

/// `connection` once it has read the schema: a read-only connection finds out only then whether
/// it can take the locks a read needs.
fn readable(connection: Connection) -> Result<Connection> {
    connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))?;
    Ok(connection)
}

fn open_connection(path: &Path, mode: Mode) -> Result<Connection> {
    let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    match mode {
        Mode::ReadWrite => {}
        Mode::ReadOnly => {
            let connection = Connection::open_with_flags(path, read_only)?;
            connection.execute_batch("PRAGMA busy_timeout = 5000;")?;
            return Ok(connection);
        }
        Mode::Immutable => {
            let path = path.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
            let uri = format!("file:{path}?immutable=1");
            return Ok(Connection::open_with_flags(uri, read_only | OpenFlags::SQLITE_OPEN_URI)?);
        }
    }
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
fn open_reader(path: &Path, mode: Mode) -> Result<Connection> {
    let connection = open_connection(path, mode)?;
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
        assert_eq!(store.readers.lock().unwrap().connections.len(), 1, "one reader, taken and given back");
    }

    /// A query that would run for minutes: a billion rows counted.
    fn endless(c: &Connection) -> Result<i64> {
        Ok(c.query_row(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) FROM n",
            [],
            |row| row.get(0),
        )?)
    }

    #[test]
    fn a_request_interrupt_and_the_store_wide_one_stop_a_running_query() {
        let (_folder, store) = testing::temporary_store();
        let store = std::sync::Arc::new(store);
        let interrupt = Interrupt::default();
        let stop = interrupt.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            stop.interrupt();
        });
        let error = interrupt.run(|| store.read(endless)).unwrap_err();
        assert!(matches!(&error, StoreError::Sqlite(e) if is_interrupted(e)), "{error}");
        stopper.join().unwrap();
        assert_eq!(
            store.read(|c| Ok(c.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?)).unwrap(),
            1,
            "the next query runs"
        );

        let closing = store.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            closing.interrupt_all();
        });
        let error = store.read(endless).unwrap_err();
        assert!(matches!(&error, StoreError::Sqlite(e) if is_interrupted(e)), "{error}");
        stopper.join().unwrap();
    }

    #[test]
    fn a_write_to_a_deleted_database_is_refused_and_reported() {
        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("db/tip.sqlite")).unwrap();
        let writable = store.writable();
        store.set_meta("a", &[1]).unwrap();
        std::fs::remove_dir_all(folder.path().join("db")).unwrap();
        assert!(matches!(store.set_meta("a", &[2]), Err(StoreError::FileReplaced { .. })));
        assert!(!*writable.borrow(), "reported unwritable");
    }
}
