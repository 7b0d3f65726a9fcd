//! `tip-atlas ingest [--db PATH] PATH...`: load documents and tier tables into the store, with a
//! progress bar on a terminal and a summary at the end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use tip_ingest::{Hints, parse_document};
use tip_model::ReportName;
use tip_model::pb::Report;
use tip_server::Store;
use tip_server::store::PutOutcome;

use super::{Input, collect_inputs, open_with_bundle, read_tier_table};

#[derive(Default)]
struct Summary {
    created: usize,
    replaced: usize,
    unchanged: usize,
    kept: usize,
    failed: usize,
    placements_read: usize,
    placements_changed: usize,
    rows_rejected: usize,
}

/// Ingests every input; exit 0 when all were stored, 1 when some were refused, 2 when a path or
/// the store cannot be opened.
pub fn run(db: &Path, paths: &[PathBuf]) -> ExitCode {
    let (inputs, unreadable) = collect_inputs(paths);
    let store = match open_with_bundle(db) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tip-atlas: {error}");
            return ExitCode::from(2);
        }
    };
    let progress = ProgressBar::new(inputs.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut batch = Batch::default();
    let mut failed = false;
    for input in &inputs {
        match input {
            Input::Document(path) => {
                progress.set_message(path.display().to_string());
                ingest_document(path, &mut batch, &mut summary, &progress);
                if batch.documents.len() >= BATCH_SIZE {
                    batch.flush(&store, &mut summary, &progress);
                }
            }
            Input::Table { path, named } => {
                progress.set_message(path.display().to_string());
                batch.flush(&store, &mut summary, &progress);
                let Some(table) = read_tier_table(path, *named, &mut failed) else {
                    progress.inc(1);
                    continue;
                };
                progress.suspend(|| report_table(path, &table));
                summary.placements_read += table.placements.len();
                summary.rows_rejected += table.rejected.len();
                match store.put_placements(&table.placements) {
                    Ok(changed) => summary.placements_changed += changed,
                    Err(error) => {
                        progress.suspend(|| eprintln!("{}: not stored: {error}", path.display()));
                        failed = true;
                    }
                }
            }
        }
        progress.inc(1);
    }
    batch.flush(&store, &mut summary, &progress);
    progress.finish_and_clear();
    println!(
        "documents: {} created, {} replaced, {} unchanged, {} kept as revisions of a more complete current one, {} refused; tier placements: {} read, {} new or changed, {} row(s) rejected",
        summary.created,
        summary.replaced,
        summary.unchanged,
        summary.kept,
        summary.failed,
        summary.placements_read,
        summary.placements_changed,
        summary.rows_rejected
    );
    if unreadable {
        ExitCode::from(2)
    } else if failed || summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// How a table was read and the first rejected rows, on stderr.
fn report_table(path: &Path, table: &tip_ingest::TierTable) {
    const SHOWN: usize = 5;
    for note in &table.notes {
        eprintln!("{}: {note}", path.display());
    }
    for row in table.rejected.iter().take(SHOWN) {
        eprintln!("{}:{}: rejected: {}", path.display(), row.line, row.reason);
    }
    if table.rejected.len() > SHOWN {
        eprintln!(
            "{}: {} more row(s) rejected (tip-atlas check lists them all)",
            path.display(),
            table.rejected.len() - SHOWN
        );
    }
}

/// Parsed documents waiting to be stored together: one transaction per batch is many times
/// faster than one per document, and a document that fails is still rolled back alone.
#[derive(Default)]
struct Batch {
    documents: Vec<(PathBuf, ReportName, Report, Vec<u8>)>,
}

/// Documents per transaction.
const BATCH_SIZE: usize = 512;

impl Batch {
    /// Stores the waiting documents and counts what happened to each.
    fn flush(&mut self, store: &Store, summary: &mut Summary, progress: &ProgressBar) {
        if self.documents.is_empty() {
            return;
        }
        let documents: Vec<_> =
            self.documents.iter().map(|(_, name, report, raw)| (*name, report, raw.as_slice())).collect();
        let outcomes: Vec<Result<PutOutcome, String>> = match store.put_reports(&documents) {
            Ok(outcomes) => outcomes.into_iter().map(|outcome| outcome.map_err(|e| e.to_string())).collect(),
            Err(error) => vec![Err(error.to_string()); documents.len()],
        };
        for ((path, ..), outcome) in self.documents.drain(..).zip(outcomes) {
            match outcome {
                Ok(PutOutcome::Created) => summary.created += 1,
                Ok(PutOutcome::Replaced) => summary.replaced += 1,
                Ok(PutOutcome::Unchanged) => summary.unchanged += 1,
                Ok(PutOutcome::KeptCurrent) => summary.kept += 1,
                Err(error) => {
                    progress.suspend(|| eprintln!("{}: not stored: {error}", path.display()));
                    summary.failed += 1;
                }
            }
        }
    }
}

/// Reads and parses one document into the batch; refused documents are reported and counted.
fn ingest_document(path: &Path, batch: &mut Batch, summary: &mut Summary, progress: &ProgressBar) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            progress.suspend(|| eprintln!("tip-atlas: cannot read {}: {error}", path.display()));
            summary.failed += 1;
            return;
        }
    };
    let parsed = parse_document(&bytes, &Hints::from_path(path));
    for d in &parsed.diagnostics.errors {
        progress.suspend(|| eprintln!("{}:{}:{}: error: {}", path.display(), d.line, d.column, d.message));
    }
    match parsed.storable_name() {
        Some(name) => batch.documents.push((path.to_owned(), name, parsed.report, bytes)),
        _ => summary.failed += 1,
    }
}
