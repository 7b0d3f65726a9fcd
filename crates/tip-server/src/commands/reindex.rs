//! `tip-atlas reindex [--db PATH]`: re-derive every stored report from its raw document with
//! this release's parser, with a progress bar on a terminal and a summary of what changed.

use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use tip_server::Store;
use tip_server::reindex::reindex;

/// Re-derives the store's reports; exit 0 when every document was re-derived, 1 when some could
/// not be (they keep what was stored), 2 when the store cannot be opened or written.
pub fn run(db: &Path) -> ExitCode {
    let store = match Store::open(db) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tip-atlas: cannot open the store {}: {error}", db.display());
            return ExitCode::from(2);
        }
    };
    let progress = ProgressBar::new(0);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} documents").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = reindex(&store, |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    });
    progress.finish_and_clear();
    let summary = match summary {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("tip-atlas: reindex failed: {error}");
            return ExitCode::from(2);
        }
    };
    for (name, fields) in &summary.changed {
        println!("{name}: changed: {}", fields.join(", "));
    }
    for (name, reason) in &summary.failed {
        eprintln!("{name}: not re-derived: {reason}");
    }
    println!("{summary}");
    if summary.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
