//! The command-line subcommands besides `serve`.

pub mod check;
pub mod coverage;
pub mod export;
mod figures;
pub mod ingest;
pub mod reindex;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tip_server::Store;
use tip_server::seeds::load_bundled;

/// A file named on the command line or found in a named folder.
pub enum Input {
    /// A file of country narratives: plain text, a web page or a PDF, told apart by its bytes.
    Document(PathBuf),
    /// A CSV file: a tier table, or (found in a folder) another table to pass over.
    Table { path: PathBuf, named: bool },
}

/// Expands files and folders (recursively, in name order) into inputs: `.csv` files are tables,
/// every other file a document (whatever its name: its bytes say how it is read); hidden files are skipped. Returns whether some path could not be
/// read (reported on stderr).
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<Input>, bool) {
    let mut inputs = Vec::new();
    let mut unreadable = false;
    for path in paths {
        if let Err(error) = collect(path, true, &mut inputs) {
            eprintln!("tip-atlas: cannot read {}: {error}", path.display());
            unreadable = true;
        }
    }
    (inputs, unreadable)
}

fn collect(path: &Path, named: bool, inputs: &mut Vec<Input>) -> std::io::Result<()> {
    if std::fs::metadata(path)?.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries.iter().filter(|e| !e.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))) {
            collect(entry, false, inputs)?;
        }
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        inputs.push(Input::Table { path: path.to_owned(), named });
    } else {
        inputs.push(Input::Document(path.to_owned()));
    }
    Ok(())
}

/// Reads a tier table; a CSV met in a folder that is not a tier table (a manifest, say) is
/// passed over with a note, one named on the command line is an error. `None` when passed over
/// or failed (already reported on stderr; `failed` is set for errors).
pub fn read_tier_table(path: &Path, named: bool, failed: &mut bool) -> Option<tip_ingest::TierTable> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("tip-atlas: cannot read {}: {error}", path.display());
            *failed = true;
            return None;
        }
    };
    let source = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    match tip_ingest::parse_tier_table(&bytes, &source) {
        Ok(table) => Some(table),
        Err(error) if named => {
            eprintln!("tip-atlas: {}: {error}", path.display());
            *failed = true;
            None
        }
        Err(error) => {
            eprintln!("tip-atlas: passed over {}: {error}", path.display());
            None
        }
    }
}

/// The exit code of a command that wrote its output: a reader that stops early (`| head`) is not
/// a failure; any other write error is printed.
pub fn output_written(written: std::io::Result<()>, command: &str) -> ExitCode {
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tip-atlas: {command} failed: {error}");
            ExitCode::from(2)
        }
    }
}

/// Opens the store at `db` with the bundled data in it: a new store gets it first, as `serve`
/// would give it, and an older bundle is brought up to date. The error is the line to print.
pub fn open_with_bundle(db: &Path) -> Result<Store, String> {
    let store = Store::open(db).map_err(|error| format!("cannot open the store {}: {error}", db.display()))?;
    load_bundled(&store).map_err(|error| format!("cannot load the bundled data: {error}"))?;
    Ok(store)
}
