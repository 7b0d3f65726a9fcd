//! A read-only replica follows its file: when `tip-atlas snapshot` (or any atomic rename)
//! replaces it, the store serves the new file without a restart. Reads in flight finish on the
//! connection they hold, on the old file, which is then closed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::generation::OtherWrites;
use super::{Store, check_schema, file_identity};

/// How often a replica looks whether its file was replaced, besides the reads that ask.
const REPLACEMENT_CHECK: Duration = Duration::from_secs(1);

impl Store {
    /// Swaps in the file the path names now, if it is another one and can be served; moves the
    /// generation on when it did.
    pub(super) fn swap_in_replaced_file(&self) -> bool {
        let mut other = self.other_writes.lock().unwrap_or_else(|e| e.into_inner());
        let swapped = self.serve_replaced_file(&mut other);
        if swapped {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        swapped
    }

    /// Swaps in the file the path names now when it is not the one served: a new probe, an
    /// empty reader pool. False when it is the same file, or the new one cannot be served (its
    /// schema, say): the old one goes on serving, and the next check tries again. A path that
    /// names no file keeps the old one too: a snapshot is renamed onto it, never deleted first.
    pub(super) fn serve_replaced_file(&self, other: &mut OtherWrites) -> bool {
        let Ok(identity) = file_identity(&self.path) else { return false };
        if self.readers.lock().unwrap_or_else(|e| e.into_inner()).identity == identity {
            return false;
        }
        let opened = OtherWrites::new(&self.path, self.mode).and_then(|fresh| {
            check_schema(&fresh.probe)?;
            let reports: u64 = fresh.probe.query_row("SELECT count(*) FROM reports", [], |row| row.get(0))?;
            Ok((fresh, reports))
        });
        let (fresh, reports) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(%error, path = %self.path.display(), "the database file was replaced by one that cannot be served; serving the previous one");
                return false;
            }
        };
        *other = fresh;
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        pool.identity = identity;
        pool.connections.clear();
        tracing::info!("serving snapshot {} (inode {}, {reports} reports)", self.path.display(), identity.1);
        true
    }
}

/// Checks every [`REPLACEMENT_CHECK`] whether a read-only store's file was replaced, so that a
/// replica nobody asks a cached question still moves to the new snapshot; until `stopping`.
pub async fn follow_replacements(store: Arc<Store>, mut stopping: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(REPLACEMENT_CHECK);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let store = store.clone();
        if tokio::task::spawn_blocking(move || store.generation()).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mali_2023, temporary_store};
    use super::super::{Mode, OTHER_PROCESS_DELAY};
    use super::*;

    #[test]
    fn a_read_only_store_serves_the_snapshot_renamed_onto_its_file() {
        let (folder, writer) = temporary_store();
        let replica_path = folder.path().join("replica.sqlite");
        writer.snapshot(&replica_path).unwrap();
        let replica = Store::open_read_only(&replica_path).unwrap();
        assert_eq!(replica.report_count().unwrap(), 0);
        let before = replica.generation();

        let (name, report, bytes) = mali_2023();
        writer.put_report(name, &report, bytes).unwrap();
        writer.snapshot(&replica_path).unwrap();
        std::thread::sleep(OTHER_PROCESS_DELAY);

        assert_ne!(replica.generation(), before, "cached replies are dropped");
        assert_eq!(replica.report_count().unwrap(), 1, "the pooled reader on the old file is not used again");
        assert_eq!(replica.get_report(name).unwrap(), writer.get_report(name).unwrap());
        assert_eq!(replica.mode, Mode::ReadOnly);
    }
}
