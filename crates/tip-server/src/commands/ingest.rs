//! `tip-atlas ingest [--db PATH] PATH...`: load narratives (from text files, web pages and PDFs,
//! one or a whole report) and tier tables into the store, with progress bars on a terminal and a
//! summary at the end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::rc::Rc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tip_ingest::{Hints, Placement, parse_file_with_progress};
use tip_model::ReportName;
use tip_model::pb::Report;
use tip_server::Store;
use tip_server::store::PutOutcome;

use super::{Input, collect_inputs, open_with_bundle, read_tier_table};

#[derive(Default)]
struct Summary {
    files_read: usize,
    files_refused: usize,
    created: usize,
    replaced: usize,
    unchanged: usize,
    kept: usize,
    failed: usize,
    placements_read: usize,
    placements_changed: usize,
    rows_rejected: usize,
}

/// The bars on a terminal (one over the inputs, one over a PDF's pages while it is read) and
/// the lines printed between them; nothing is drawn when standard error is not a terminal.
struct Progress {
    bars: MultiProgress,
    inputs: ProgressBar,
}

impl Progress {
    fn new(inputs: usize) -> Self {
        let bars = MultiProgress::new();
        let inputs = bars.add(ProgressBar::new(inputs as u64));
        inputs.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self { bars, inputs }
    }

    /// Prints a line on standard error without breaking the bars.
    fn say(&self, line: &str) {
        self.bars.suspend(|| eprintln!("{line}"));
    }

    /// A bar over the pages of a PDF being read, removed when dropped.
    fn pages(&self) -> PageBar {
        let bar = self.bars.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template("{bar:40} page {pos}/{len}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        PageBar(bar)
    }
}

struct PageBar(ProgressBar);

impl PageBar {
    fn at(&self, page: u32, pages: u32) {
        self.0.set_length(u64::from(pages));
        self.0.set_position(u64::from(page));
    }
}

impl Drop for PageBar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
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
    let progress = Progress::new(inputs.len());
    let mut summary = Summary::default();
    let mut batch = Batch::default();
    let mut failed = false;
    for input in &inputs {
        match input {
            Input::Document(path) => {
                progress.inputs.set_message(path.display().to_string());
                if let Some(placements) = ingest_file(path, &mut batch, &mut summary, &progress) {
                    batch.flush(&store, &mut summary, &progress);
                    failed |= !store_placements(&store, path, &placements, &mut summary, &progress);
                }
                if batch.documents.len() >= BATCH_SIZE {
                    batch.flush(&store, &mut summary, &progress);
                }
            }
            Input::Table { path, named } => {
                progress.inputs.set_message(path.display().to_string());
                batch.flush(&store, &mut summary, &progress);
                let Some(table) = progress.bars.suspend(|| read_tier_table(path, *named, &mut failed)) else {
                    progress.inputs.inc(1);
                    continue;
                };
                progress.bars.suspend(|| report_table(path, &table));
                summary.placements_read += table.placements.len();
                summary.rows_rejected += table.rejected.len();
                failed |= !store_placements(&store, path, &table.placements, &mut summary, &progress);
            }
        }
        progress.inputs.inc(1);
    }
    batch.flush(&store, &mut summary, &progress);
    progress.inputs.finish_and_clear();
    println!(
        "files: {} read, {} refused; narratives: {} created, {} replaced, {} unchanged, {} kept as revisions of a more complete current one, {} refused; tier placements: {} read, {} new or changed, {} row(s) rejected",
        summary.files_read,
        summary.files_refused,
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
    } else if failed || summary.failed > 0 || summary.files_refused > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Stores placements and counts the changed rows; false (reported) when the store refuses them.
fn store_placements(
    store: &Store,
    path: &Path,
    placements: &[Placement],
    summary: &mut Summary,
    progress: &Progress,
) -> bool {
    match store.put_placements(placements) {
        Ok(changed) => {
            summary.placements_changed += changed;
            true
        }
        Err(error) => {
            progress.say(&format!("{}: not stored: {error}", path.display()));
            false
        }
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

/// Parsed narratives waiting to be stored together: one transaction per batch is many times
/// faster than one per narrative, and a narrative that fails is still rolled back alone. The
/// narratives of one file share its bytes, stored once.
#[derive(Default)]
struct Batch {
    documents: Vec<(String, ReportName, Report, Rc<[u8]>)>,
}

/// Narratives per transaction.
const BATCH_SIZE: usize = 512;

impl Batch {
    /// Stores the waiting narratives and counts what happened to each.
    fn flush(&mut self, store: &Store, summary: &mut Summary, progress: &Progress) {
        if self.documents.is_empty() {
            return;
        }
        let documents: Vec<_> = self.documents.iter().map(|(_, name, report, raw)| (*name, report, &raw[..])).collect();
        let outcomes: Vec<Result<PutOutcome, String>> = match store.put_reports(&documents) {
            Ok(outcomes) => outcomes.into_iter().map(|outcome| outcome.map_err(|e| e.to_string())).collect(),
            Err(error) => vec![Err(error.to_string()); documents.len()],
        };
        for ((location, ..), outcome) in self.documents.drain(..).zip(outcomes) {
            match outcome {
                Ok(PutOutcome::Created) => summary.created += 1,
                Ok(PutOutcome::Replaced) => summary.replaced += 1,
                Ok(PutOutcome::Unchanged) => summary.unchanged += 1,
                Ok(PutOutcome::KeptCurrent) => summary.kept += 1,
                Err(error) => {
                    progress.say(&format!("{location}: not stored: {error}"));
                    summary.failed += 1;
                }
            }
        }
    }
}

/// Reads one file (text, web page or PDF, told apart by its bytes) and puts each of its
/// narratives into the batch; a file that cannot be read at all, and each narrative with
/// errors, is reported and counted. Returns the tier placements of a whole report's placement
/// pages, to be stored after its narratives.
fn ingest_file(path: &Path, batch: &mut Batch, summary: &mut Summary, progress: &Progress) -> Option<Vec<Placement>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            progress.say(&format!("tip-atlas: cannot read {}: {error}", path.display()));
            summary.files_refused += 1;
            return None;
        }
    };
    // Only a PDF reports pages: its bar appears with its first page and goes when it is read.
    let mut pages: Option<PageBar> = None;
    let parsed = parse_file_with_progress(&bytes, &Hints::from_path(path), None, &mut |page, total| {
        pages.get_or_insert_with(|| progress.pages()).at(page, total);
    });
    drop(pages);
    let mut file = match parsed {
        Ok(file) => file,
        Err(error) => {
            progress.say(&format!("{}: {}: error: {}", path.display(), error.location, error.message));
            summary.files_refused += 1;
            return None;
        }
    };
    summary.files_read += 1;
    for note in &file.notes {
        progress.say(&format!("{}: {note}", path.display()));
    }
    let bytes: Rc<[u8]> = bytes.into();
    let several = file.parts.len() > 1;
    for (part, parsed) in std::mem::take(&mut file.parts).into_iter().enumerate() {
        // A part of a file of several is named by its pages (a PDF) or its index (a web page).
        let location = match parsed.report.source.as_ref().filter(|_| several) {
            Some(source) if source.first_page > 0 => {
                format!("{} (pages {}-{})", path.display(), source.first_page, source.last_page)
            }
            Some(_) => format!("{} (part {part})", path.display()),
            None => path.display().to_string(),
        };
        for d in &parsed.diagnostics.errors {
            progress.say(&format!("{location}:{}:{}: error: {}", d.line, d.column, d.message));
        }
        match parsed.storable_name() {
            Some(name) => batch.documents.push((location, name, parsed.report, Rc::clone(&bytes))),
            None => summary.failed += 1,
        }
    }
    for warning in &file.disagreements {
        progress.say(&format!("{}: warning: {warning}", path.display()));
    }
    if file.placements.is_empty() {
        return None;
    }
    let (placements, rejected) = file.tier_placements();
    for row in &rejected {
        progress.say(&format!("{}: {row}", path.display()));
    }
    summary.placements_read += placements.len();
    summary.rows_rejected += rejected.len();
    Some(placements)
}
