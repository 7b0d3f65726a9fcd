//! Re-deriving the stored reports from their raw documents with this release's parser. The raw
//! documents are the source of truth; reports, their full-text entries and the latest
//! placements are derived from them, and follow the parser when it changes.

use std::fmt;

use tip_ingest::{Hints, PARSER_VERSION, parse_file};
use tip_model::ReportName;
use tip_model::pb::Report;

use crate::store::{Rederived, Store, StoreError, StoredDocument};

/// Documents re-parsed and written per transaction.
const BATCH_SIZE: usize = 256;

/// What re-deriving did.
#[derive(Debug, Default)]
pub struct ReindexSummary {
    /// Reports re-derived from their current documents.
    pub reports: usize,
    /// Reports that came out differently, with the fields that changed.
    pub changed: Vec<(ReportName, Vec<&'static str>)>,
    /// Reports that came out as stored.
    pub unchanged: usize,
    /// Earlier revisions re-read (their tier and completeness columns).
    pub revisions: usize,
    /// Documents that could not be re-derived, and why; what was stored for them stays.
    pub failed: Vec<(ReportName, String)>,
}

impl fmt::Display for ReindexSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parser version {PARSER_VERSION}: {} report(s) re-derived, {} changed, {} unchanged, {} failed; {} earlier revision(s) re-read",
            self.reports,
            self.changed.len(),
            self.unchanged,
            self.failed.len(),
            self.revisions
        )
    }
}

/// Re-parses every stored document as ingest did (its source URI, and its report's country and
/// year as hints) and writes what changed, a transaction per batch; `progress` is told how many
/// documents are done out of how many. Idempotent: a second run changes nothing. Records the
/// parser version at the end.
pub fn reindex(store: &Store, mut progress: impl FnMut(usize, usize)) -> Result<ReindexSummary, StoreError> {
    let documents = store.documents()?;
    let mut summary = ReindexSummary::default();
    for (batch_index, batch) in documents.chunks(BATCH_SIZE).enumerate() {
        let mut parsed: Vec<(&StoredDocument, Report)> = Vec::with_capacity(batch.len());
        for document in batch {
            match rederive(store, document)? {
                Ok(report) => parsed.push((document, report)),
                Err(reason) => summary.failed.push((document.name, reason)),
            }
        }
        let pairs: Vec<(&StoredDocument, &Report)> = parsed.iter().map(|(d, r)| (*d, r)).collect();
        for ((document, after), outcome) in parsed.iter().zip(store.put_rederived(&pairs)?) {
            match outcome {
                Ok(Rederived::Unchanged) => summary.unchanged += 1,
                Ok(Rederived::Changed { before }) => {
                    summary.changed.push((document.name, changed_fields(&before, after)))
                }
                Ok(Rederived::Revision) => summary.revisions += 1,
                Err(error) => summary.failed.push((document.name, error.to_string())),
            }
        }
        progress((batch_index * BATCH_SIZE + batch.len()).min(documents.len()), documents.len());
    }
    summary.reports = summary.unchanged + summary.changed.len();
    store.set_parser_version(PARSER_VERSION)?;
    Ok(summary)
}

/// Re-derives the stored reports when they were derived by an older parser than this release's
/// (on start-up, before serving). Returns what it did, if anything.
pub fn reindex_if_outdated(store: &Store) -> Result<Option<ReindexSummary>, StoreError> {
    let stored = store.parser_version()?;
    if stored >= PARSER_VERSION {
        return Ok(None);
    }
    tracing::info!(stored, current = PARSER_VERSION, "the stored reports come from an older parser: re-deriving them");
    let summary = reindex(store, |_, _| {})?;
    tracing::info!(%summary, "reports re-derived");
    Ok(Some(summary))
}

/// The report a stored document reads as now, or why it cannot be re-derived.
fn rederive(store: &Store, document: &StoredDocument) -> Result<Result<Report, String>, StoreError> {
    let Some(content) = store.document_content(&document.sha256)? else {
        return Ok(Err(format!("the raw document {} is missing", document.sha256)));
    };
    let hints = Hints {
        country: Some(document.name.country.to_string()),
        year: Some(i64::from(document.name.year.get())),
        source_uri: Some(document.source_uri.clone()),
    };
    // The stored bytes are the whole file as ingested: a web page or a PDF may hold other
    // countries' narratives besides this report's.
    let mut parts = match parse_file(&content, &hints, None) {
        Ok(file) => file.parts,
        Err(error) => return Ok(Err(error.to_string())),
    };
    let parsed = if parts.len() == 1 {
        parts.pop()
    } else {
        parts.into_iter().find(|part| part.storable_name() == Some(document.name))
    };
    let Some(parsed) = parsed else {
        return Ok(Err(format!("the document no longer holds a narrative of {}", document.name)));
    };
    Ok(match parsed.storable_name() {
        Some(name) if name == document.name => Ok(parsed.report),
        Some(name) => Err(format!("the document now reads as {name}")),
        None => Err(parsed.diagnostics.errors.first().map_or_else(
            || "the document no longer names its country and year".to_owned(),
            |e| format!("{}:{}: {}", e.line, e.column, e.message),
        )),
    })
}

/// The fields of a report that differ between two derivations of it.
fn changed_fields(before: &Report, after: &Report) -> Vec<&'static str> {
    let fields = [
        ("name", before.name != after.name),
        ("country", before.country != after.country),
        ("year", before.year != after.year),
        ("tier", before.tier != after.tier),
        ("tier_change", before.tier_change != after.tier_change),
        ("finding", before.finding != after.finding),
        ("paragraphs", before.paragraphs != after.paragraphs),
        ("sections", before.sections != after.sections),
        ("recommendations", before.recommendations != after.recommendations),
        ("source", before.source != after.source),
        ("completeness", before.completeness != after.completeness),
        ("warnings", before.warnings != after.warnings),
        ("downgrade_waived", before.downgrade_waived != after.downgrade_waived),
        ("enforcement", before.enforcement != after.enforcement),
    ];
    fields.into_iter().filter(|(_, differs)| *differs).map(|(name, _)| name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::BUNDLED_DOCUMENTS;

    #[test]
    fn reindex_rewrites_what_the_parser_now_reads_and_nothing_else() {
        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("tip.sqlite")).unwrap();
        let bytes = BUNDLED_DOCUMENTS[0].1;
        let parsed = parse_file(bytes, &Hints::default(), None).unwrap().parts.remove(0);
        let name = parsed.storable_name().unwrap();
        // Stored as an older parser read it: no recommendations, and an older version recorded.
        let mut older = parsed.report.clone();
        older.recommendations.clear();
        store.put_report(name, &older, bytes).unwrap();
        store.set_parser_version(PARSER_VERSION - 1).unwrap();

        let mut calls = 0;
        let summary = reindex_if_outdated(&store).unwrap().expect("an older parser version");
        assert_eq!(summary.changed, [(name, vec!["recommendations"])]);
        assert_eq!((summary.reports, summary.unchanged, summary.failed.len()), (1, 0, 0));
        let stored = store.get_report(name).unwrap().unwrap();
        assert_eq!(stored.recommendations, parsed.report.recommendations);
        assert_eq!(store.parser_version().unwrap(), PARSER_VERSION);

        assert!(reindex_if_outdated(&store).unwrap().is_none(), "up to date");
        let again = reindex(&store, |_, _| calls += 1).unwrap();
        assert_eq!((again.changed.len(), again.unchanged), (0, 1), "idempotent");
        assert_eq!(calls, 1);
        assert_eq!(store.get_report(name).unwrap().unwrap().ingest_time, stored.ingest_time);
    }

    #[test]
    fn a_document_that_now_reads_as_another_report_keeps_what_was_stored() {
        use tip_ingest::parse_document;

        let folder = tempfile::tempdir().unwrap();
        let store = Store::open(&folder.path().join("tip.sqlite")).unwrap();
        let bytes = BUNDLED_DOCUMENTS[0].1;
        let report = parse_document(bytes, &Hints::default()).report;
        let elsewhere = ReportName::parse("countries/FRA/reports/2023").unwrap();
        store.put_report(elsewhere, &report, bytes).unwrap();

        let summary = reindex(&store, |_, _| {}).unwrap();
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.failed[0].0, elsewhere);
        assert!(summary.failed[0].1.contains("countries/MLI/reports/2023"), "{}", summary.failed[0].1);
        assert_eq!(store.get_report(elsewhere).unwrap().unwrap().paragraphs, report.paragraphs);
    }

    #[test]
    fn changed_fields_names_each_field_that_differs() {
        let before = Report { tier: 2, downgrade_waived: false, ..Report::default() };
        let after = Report { tier: 3, downgrade_waived: true, ..Report::default() };
        assert_eq!(changed_fields(&before, &after), ["tier", "downgrade_waived"]);
        assert!(changed_fields(&before, &before).is_empty());
    }
}
