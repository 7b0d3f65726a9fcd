//! Ingestion: a document parsed, checked, stored, and announced to watchers.

use tip_ingest::parse_document;
use tip_model::pb::{IngestOutcome, Report, ReportEventType};

use super::requests::Document;
use super::{Catalog, ReportEvent, blocking};
use crate::error::ApiError;
use crate::store::PutOutcome;

impl Catalog {
    /// Parses a document and, unless `validate_only`, stores its report. A document with errors
    /// is refused whole: nothing is written.
    pub async fn ingest_document(&self, document: Document) -> Result<(Report, IngestOutcome), ApiError> {
        let Document { content, hints, validate_only } = document;
        let store = self.store.clone();
        let work = move || {
            let parsed = parse_document(&content, &hints);
            let Some(name) = parsed.storable_name() else {
                return Ok(Err(ApiError::InvalidDocument { errors: parsed.diagnostics.errors }));
            };
            if validate_only {
                return Ok(Ok((parsed.report, None)));
            }
            let outcome = store.put_report(name, &parsed.report, &content)?;
            let current = store.get_report(name)?.unwrap_or(parsed.report);
            Ok(Ok((current, Some(outcome))))
        };
        let (report, outcome) = blocking(work).await??;
        let Some(outcome) = outcome else { return Ok((report, IngestOutcome::Unspecified)) };
        let event_type = match outcome {
            PutOutcome::Created => Some(ReportEventType::Created),
            PutOutcome::Replaced => Some(ReportEventType::Replaced),
            PutOutcome::Unchanged | PutOutcome::KeptCurrent => None,
        };
        if let Some(event_type) = event_type {
            // No watcher is fine: send fails only when nobody listens.
            let _ = self.events.send(ReportEvent { event_type, report: report.clone() });
        }
        let outcome = match outcome {
            PutOutcome::Created => IngestOutcome::Created,
            PutOutcome::Replaced => IngestOutcome::Replaced,
            PutOutcome::Unchanged => IngestOutcome::Unchanged,
            PutOutcome::KeptCurrent => IngestOutcome::KeptCurrent,
        };
        Ok((report, outcome))
    }
}
