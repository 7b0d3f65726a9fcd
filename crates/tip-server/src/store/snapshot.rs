//! A consistent copy of a live database, published so that a reader of the target path sees the
//! old file or the new one, never half of one.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{Result, Store, StoreError};

/// What a snapshot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotSummary {
    pub reports: u64,
    pub placements: u64,
    /// The size of the published file.
    pub bytes: u64,
}

impl Store {
    /// Copies the database, as of one read transaction, to `target`: `VACUUM INTO` a temporary
    /// file beside it (writers go on meanwhile), check the copy's integrity, then rename it onto
    /// `target` in one step. On failure `target` is left as it was.
    pub fn snapshot(&self, target: &Path) -> Result<SnapshotSummary> {
        let partial = partial_path(target);
        remove_if_present(&partial)?;
        let published = self.copy_to(&partial).and_then(|()| {
            let summary = seal(&partial)?;
            std::fs::rename(&partial, target).map_err(|source| StoreError::Io { path: target.to_owned(), source })?;
            Ok(summary)
        });
        if published.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        published
    }

    fn copy_to(&self, partial: &Path) -> Result<()> {
        let into = partial.to_string_lossy().into_owned();
        self.read(|c| Ok(c.execute("VACUUM INTO ?1", [into]).map(drop)?))
    }
}

/// The temporary file of a snapshot of `target`: hidden, in the same folder (a rename within a
/// file system is atomic), named after the process so that two snapshots do not share it.
fn partial_path(target: &Path) -> PathBuf {
    let name = target.file_name().map_or_else(|| "snapshot".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            Err(StoreError::Io { path: path.to_owned(), source })
        }
        _ => Ok(()),
    }
}

/// Makes the copy a single self-contained file and checks it: `VACUUM INTO` keeps the source's
/// WAL mode, whose `-wal` and `-shm` files belong to a path, not to a file, and would be left
/// behind by the rename; a rollback-journal file has none while nobody writes it.
fn seal(partial: &Path) -> Result<SnapshotSummary> {
    let copy = Connection::open(partial)?;
    copy.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get::<_, String>(0))?;
    let problems: Vec<String> =
        copy.prepare("PRAGMA integrity_check")?.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
    if problems != ["ok"] {
        return Err(StoreError::SnapshotCorrupt { problems: problems.join("; ") });
    }
    let count = |table: &str| copy.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get::<_, u64>(0));
    let (reports, placements) = (count("reports")?, count("placements")?);
    drop(copy);
    let bytes = std::fs::metadata(partial).map_err(|source| StoreError::Io { path: partial.to_owned(), source })?.len();
    Ok(SnapshotSummary { reports, placements, bytes })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mali_2023, temporary_store};
    use super::*;

    #[test]
    fn a_snapshot_serves_the_same_report_and_replaces_the_target_whole() {
        let (folder, store) = temporary_store();
        let (name, report, bytes) = mali_2023();
        store.put_report(name, &report, bytes).unwrap();
        let target = folder.path().join("copy.sqlite");
        std::fs::write(&target, b"an older snapshot").unwrap();

        let summary = store.snapshot(&target).unwrap();

        assert_eq!(summary.reports, 1);
        assert_eq!(summary.bytes, std::fs::metadata(&target).unwrap().len());
        let copy = Store::open_read_only(&target).unwrap();
        assert_eq!(copy.get_report(name).unwrap(), store.get_report(name).unwrap());
        let left: Vec<_> = std::fs::read_dir(folder.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(!left.iter().any(|n| n.to_string_lossy().contains("copy.sqlite-")), "no -wal or -shm beside: {left:?}");
        assert!(!left.iter().any(|n| n.to_string_lossy().ends_with(".partial")), "no partial file: {left:?}");
    }

    #[test]
    fn a_snapshot_into_a_missing_folder_is_an_error() {
        let (folder, store) = temporary_store();
        let error = store.snapshot(&folder.path().join("missing/copy.sqlite")).unwrap_err();
        assert!(matches!(error, StoreError::Sqlite(_)), "{error}");
    }
}
