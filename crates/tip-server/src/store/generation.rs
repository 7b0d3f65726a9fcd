//! The generation: what cached replies are checked against, moved on by this store's writes at
//! once and by another process's within [`OTHER_PROCESS_DELAY`], and by a snapshot renamed onto
//! a read-only store's file.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{Result, Store};

/// How long a commit by another process may go unseen by [`Store::generation`].
pub const OTHER_PROCESS_DELAY: Duration = Duration::from_millis(100);

/// What shows another process's commits: SQLite's data version, on a connection of its own
/// (the numbers compare only on one connection), asked at most every [`OTHER_PROCESS_DELAY`].
pub(super) struct OtherWrites {
    pub(super) probe: Connection,
    pub(super) data_version: i64,
    asked: Instant,
}

impl OtherWrites {
    /// Starts watching the database at `path`.
    pub(super) fn new(path: &std::path::Path, mode: super::Mode) -> Result<Self> {
        let probe = super::open_connection(path, mode)?;
        let data_version = data_version(&probe)?;
        Ok(Self { probe, data_version, asked: Instant::now() })
    }
}

impl Store {
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
            if self.is_read_only() && self.serve_replaced_file(&mut other) {
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
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

    /// Runs `write` on the writer connection, stopped when its request ends, then moves the
    /// generation on. The probe's data version is taken again first: it changed with this
    /// commit, which must not count a second time as another process's. Whether the store can
    /// take writes is updated from the outcome.
    pub(super) fn write<T>(&self, write: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result =
            self.check_file().and_then(|()| super::interrupt::interruptible(&mut writer, &self.stopping, write));
        match &result {
            Ok(_) => self.writable.send_if_modified(|writable| !std::mem::replace(writable, true)),
            Err(error) if error.is_unwritable() => {
                tracing::error!(%error, "the store cannot take writes");
                self.writable.send_if_modified(|writable| std::mem::replace(writable, false))
            }
            Err(_) => false,
        };
        let mut other = self.other_writes.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(now) = data_version(&other.probe) {
            other.data_version = now;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        result
    }
}

fn data_version(connection: &Connection) -> Result<i64> {
    Ok(connection.query_row("PRAGMA data_version", [], |row| row.get(0))?)
}

#[cfg(test)]
mod tests {
    use crate::store::testing::temporary_store;

    use super::*;

    #[test]
    fn own_writes_move_the_generation_at_once_and_another_processs_soon() {
        let (folder, store) = temporary_store();
        let before = store.generation();
        store.set_meta("a", &[1]).unwrap();
        let after_own = store.generation();
        assert_ne!(after_own, before);
        std::thread::sleep(OTHER_PROCESS_DELAY);
        assert_eq!(store.generation(), after_own, "its own commit does not count twice");

        let other =
            super::super::open_connection(&folder.path().join("tip.sqlite"), super::super::Mode::ReadWrite).unwrap();
        other.execute("INSERT INTO meta (key, value) VALUES ('b', x'02')", []).unwrap();
        std::thread::sleep(OTHER_PROCESS_DELAY);
        assert_ne!(store.generation(), after_own);
    }
}
