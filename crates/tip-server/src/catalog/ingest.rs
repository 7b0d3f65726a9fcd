//! Ingestion: a document parsed, checked, stored, and announced to watchers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tip_ingest::parse_document;
use tip_model::pb::{IngestOutcome, Report};

use super::reports::fit_for_reply;
use super::requests::Document;
use super::{Catalog, blocking};
use crate::error::ApiError;
use crate::store::PutOutcome;

impl Catalog {
    /// Parses a document and, unless `validate_only`, stores its report. A document with errors
    /// is refused whole: nothing is written. A call that ends before the write commits (its
    /// deadline passed, its client cancelled) writes nothing either: a write is answered, or
    /// does not happen. The report answered is trimmed as [`fit_for_reply`] says when large.
    pub async fn ingest_document(&self, document: Document) -> Result<(Report, IngestOutcome), ApiError> {
        let Document { content, hints, validate_only } = document;
        let store = self.store.clone();
        let waiting = Waiting::default();
        let still_waiting = waiting.0.clone();
        let work = move || {
            let parsed = parse_document(&content, &hints);
            let Some(name) = parsed.storable_name() else {
                return Ok(Err(ApiError::InvalidDocument { errors: parsed.diagnostics.errors }));
            };
            if validate_only {
                return Ok(Ok((parsed.report, None)));
            }
            let wanted = || still_waiting.load(Ordering::Acquire);
            let Some(outcome) = store.put_report_if_wanted(name, &parsed.report, &content, wanted)? else {
                // Nobody reads this: the call's future is gone.
                return Ok(Err(ApiError::Internal("the call ended before its write committed".into())));
            };
            let current = store.get_report(name)?.unwrap_or(parsed.report);
            Ok(Ok((current, Some(outcome))))
        };
        let (report, outcome) = blocking(work).await??;
        drop(waiting);
        let report = fit_for_reply(report);
        let Some(outcome) = outcome else { return Ok((report, IngestOutcome::Unspecified)) };
        if matches!(outcome, PutOutcome::Created | PutOutcome::Replaced) {
            self.changes.written();
        }
        let outcome = match outcome {
            PutOutcome::Created => IngestOutcome::Created,
            PutOutcome::Replaced => IngestOutcome::Replaced,
            PutOutcome::Unchanged => IngestOutcome::Unchanged,
            PutOutcome::KeptCurrent => IngestOutcome::KeptCurrent,
        };
        crate::metrics::document_ingested(outcome.as_str_name());
        Ok((report, outcome))
    }
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
