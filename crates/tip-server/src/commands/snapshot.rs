//! `tip-atlas snapshot --db DB --out FILE`: a consistent copy of a live database, for read
//! replicas (`serve --read-only --db FILE`), published in one rename.

use std::path::Path;
use std::process::ExitCode;

use tip_server::Store;

/// Copies `db` to `out` while servers go on serving and ingesting it; exit 0 with a summary, 2
/// when the copy cannot be made (`out` is then left as it was).
pub fn run(db: &Path, out: &Path) -> ExitCode {
    match snapshot(db, out) {
        Ok(summary) => {
            println!(
                "snapshot {}: {} reports, {} placements, {} bytes",
                out.display(),
                summary.reports,
                summary.placements,
                summary.bytes
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("tip-atlas: {message}");
            ExitCode::from(2)
        }
    }
}

fn snapshot(db: &Path, out: &Path) -> Result<tip_server::store::SnapshotSummary, String> {
    let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(format!("cannot write {}: the folder {} does not exist", out.display(), folder.display()));
    }
    if !db.is_file() {
        return Err(format!("cannot snapshot {}: no such database file", db.display()));
    }
    let store =
        Store::open_read_only(db).map_err(|error| format!("cannot open the store {}: {error}", db.display()))?;
    store.snapshot(out).map_err(|error| format!("cannot snapshot {} to {}: {error}", db.display(), out.display()))
}
