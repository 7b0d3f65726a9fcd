//! Ingestion: a document parsed, checked, stored, and announced to watchers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tip_ingest::{ParsedDocument, ParsedFile, parse_file};
use tip_model::ReportName;
use tip_model::pb::{Diagnostic, IngestOutcome, NarrativeOutcome, Report};

use super::reports::fit_for_reply;
use super::requests::Document;
use super::{Catalog, blocking};
use crate::error::ApiError;
use crate::store::{PutOutcome, Store, StoreError};

/// What ingesting a file did: one outcome per country narrative, and the tier placements of a
/// whole report's placement pages.
pub struct IngestedFile {
    /// What the file was read as (`text/plain`, `text/html`, `application/pdf`).
    pub media_type: &'static str,
    /// One per country narrative found, in file order.
    pub narratives: Vec<IngestedNarrative>,
    /// Tier placements read from the report's placement pages (stored unless only validated).
    pub placements: usize,
    /// Parts passed over, disagreements between tier pages and headings, rejected placements.
    pub notes: Vec<String>,
}

/// What became of one narrative of a file.
pub struct IngestedNarrative {
    /// The report as stored (or as it would be), trimmed as [`fit_for_reply`] says when large.
    pub report: Report,
    /// `Unspecified` when refused or only validated.
    pub outcome: IngestOutcome,
    /// Why it was refused; empty when stored.
    pub errors: Vec<Diagnostic>,
}

impl From<IngestedNarrative> for NarrativeOutcome {
    fn from(narrative: IngestedNarrative) -> Self {
        let IngestedNarrative { report, outcome, errors } = narrative;
        let (first_page, last_page) = report.source.as_ref().map_or((0, 0), |s| (s.first_page, s.last_page));
        NarrativeOutcome {
            report: if outcome == IngestOutcome::Unspecified { String::new() } else { report.name },
            outcome: outcome as i32,
            warnings: report.warnings,
            errors,
            first_page,
            last_page,
        }
    }
}

impl Catalog {
    /// Reads a file (plain text, a web page or a PDF) and, unless `validate_only`, stores each
    /// of its narratives and a whole report's tier placements (source `report_YYYY`).
    ///
    /// A file that cannot be read at all is refused with where it failed, and nothing is
    /// written. A file of one narrative is refused whole when that narrative has errors, and
    /// its write is cancellable: a call that ends before the write commits (its deadline passed,
    /// its client cancelled) writes nothing. In a file of several, a narrative with errors is
    /// refused alone and the others are stored in one transaction, which a call that ended before
    /// it begins does not start.
    pub async fn ingest_document(&self, document: Document) -> Result<IngestedFile, ApiError> {
        let Document { content, hints, media_type, validate_only } = document;
        let store = self.store.clone();
        let waiting = Waiting::default();
        let still_waiting = waiting.0.clone();
        let work = move || {
            let mut file = match parse_file(&content, &hints, media_type) {
                Ok(file) => file,
                Err(error) => {
                    let description = format!("{}: {}", error.location, error.message);
                    return Ok(Err(ApiError::invalid("content", description)));
                }
            };
            let wanted = || still_waiting.load(Ordering::Acquire);
            let stored = store_file(&store, &mut file, &content, validate_only, wanted)?;
            Ok(stored.map(|written| (file, written)))
        };
        let (file, written) = blocking(work).await??;
        drop(waiting);
        if written.changed {
            self.changes.written();
        }
        let narratives = written
            .narratives
            .into_iter()
            .map(|narrative| IngestedNarrative { report: fit_for_reply(narrative.report), ..narrative })
            .collect();
        let ParsedFile { media_type, mut notes, disagreements, .. } = file;
        notes.extend(disagreements);
        notes.extend(written.rejected_placements);
        Ok(IngestedFile { media_type: media_type.mime(), narratives, placements: written.placements, notes })
    }
}

/// What [`store_file`] did.
struct FileWrite {
    narratives: Vec<IngestedNarrative>,
    /// Tier placements read (and stored unless only validated).
    placements: usize,
    /// A note per placement that could not be stored.
    rejected_placements: Vec<String>,
    /// Whether a report or placement was created or changed: watchers and caches are told.
    changed: bool,
}

/// Stores a parsed file's narratives and placements; `Ok(Err)` when it is refused or its call
/// ended first.
fn store_file(
    store: &Store,
    file: &mut ParsedFile,
    content: &[u8],
    validate_only: bool,
    wanted: impl Fn() -> bool,
) -> Result<Result<FileWrite, ApiError>, StoreError> {
    let (placements, rejected) = file.tier_placements();
    let rejected_placements = rejected.iter().map(ToString::to_string).collect();
    let placements_read = placements.len();
    let written =
        |narratives, changed| FileWrite { narratives, placements: placements_read, rejected_placements, changed };
    let parts = std::mem::take(&mut file.parts);
    if parts.len() == 1 && placements.is_empty() {
        let parsed = parts.into_iter().next().expect("one part");
        let Some(name) = parsed.storable_name() else {
            return Ok(Err(ApiError::InvalidDocument { errors: parsed.diagnostics.errors }));
        };
        if validate_only {
            let narrative =
                IngestedNarrative { report: parsed.report, outcome: IngestOutcome::Unspecified, errors: Vec::new() };
            return Ok(Ok(written(vec![narrative], false)));
        }
        let Some(outcome) = store.put_report_if_wanted(name, &parsed.report, content, wanted)? else {
            // Nobody reads this: the call's future is gone.
            return Ok(Err(ApiError::Internal("the call ended before its write committed".into())));
        };
        let current = store.get_report(name)?.unwrap_or(parsed.report);
        let changed = matches!(outcome, PutOutcome::Created | PutOutcome::Replaced);
        let narrative = IngestedNarrative { report: current, outcome: outcome_of(outcome), errors: Vec::new() };
        return Ok(Ok(written(vec![narrative], changed)));
    }
    let storable: Vec<(usize, ReportName)> =
        parts.iter().enumerate().filter_map(|(index, parsed)| Some((index, parsed.storable_name()?))).collect();
    let mut outcomes = vec![IngestOutcome::Unspecified; parts.len()];
    let mut changed = false;
    if !validate_only {
        // put_reports cannot be called off midway: the call that ended before it starts writes
        // nothing, one that ends during it finds its narratives stored.
        if !wanted() {
            return Ok(Err(ApiError::Internal("the call ended before its write began".into())));
        }
        let documents: Vec<_> = storable.iter().map(|&(index, name)| (name, &parts[index].report, content)).collect();
        for (&(index, _), outcome) in storable.iter().zip(store.put_reports(&documents)?) {
            let outcome = outcome?;
            changed |= matches!(outcome, PutOutcome::Created | PutOutcome::Replaced);
            outcomes[index] = outcome_of(outcome);
        }
        changed |= store.put_placements(&placements)? > 0;
    }
    let stored = parts
        .into_iter()
        .zip(outcomes)
        .map(|(ParsedDocument { report, diagnostics, .. }, outcome)| IngestedNarrative {
            report,
            outcome,
            errors: diagnostics.errors,
        })
        .collect();
    Ok(Ok(written(stored, changed)))
}

/// The API's outcome of a write, counted in the metrics (`tip_atlas_documents_ingested_total`).
fn outcome_of(outcome: PutOutcome) -> IngestOutcome {
    let outcome = match outcome {
        PutOutcome::Created => IngestOutcome::Created,
        PutOutcome::Replaced => IngestOutcome::Replaced,
        PutOutcome::Unchanged => IngestOutcome::Unchanged,
        PutOutcome::KeptCurrent => IngestOutcome::KeptCurrent,
    };
    crate::metrics::document_ingested(outcome.as_str_name());
    outcome
}

/// Whether a call still waits for its answer: true until the call's future is dropped, which is
/// how a passed deadline or a cancelled call ends it.
struct Waiting(Arc<AtomicBool>);

impl Default for Waiting {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
