//! Reports: one by name, a filtered page, full-text search, the revisions of one, and the
//! stream of changes.

use std::sync::Arc;

use prost::Message;
use tip_model::ReportName;
use tip_model::pb::{Highlight, Report, ReportRevision, SearchResult, Snippet};

use super::requests::{ReportListing, RevisionListing, SearchQuery};
use super::{Catalog, Page, blocking};
use crate::error::ApiError;
use crate::store::{HIGHLIGHT_END, HIGHLIGHT_START, Revision, SearchHit, StoreError};

/// The raw bytes of the documents on one page of revisions: a page stops before the document
/// that would pass them (it holds one at least), and its next_page_token goes on from there.
/// Half the 4 MiB that standard clients accept in a reply.
const REVISIONS_PAGE_BYTES: usize = 2 << 20;

impl Catalog {
    /// One report. FAILED_PRECONDITION when its encoding would pass [`MAX_REPLY_BYTES`]: a
    /// reply that standard clients refuse to read is no answer.
    pub async fn get_report(&self, name: ReportName) -> Result<Report, ApiError> {
        let report = self.stored_report(name).await?;
        let size = report.encoded_len();
        if size > MAX_REPLY_BYTES {
            return Err(ApiError::TooLarge {
                subject: name.to_string(),
                description: format!(
                    "the report is {size} bytes encoded, more than the {MAX_REPLY_BYTES} a reply may take \
                     (gRPC clients read at most 4 MiB by default); ListReports with the BASIC view gives its \
                     verdict without its text, and SearchReports finds words in it"
                ),
            });
        }
        Ok(report)
    }

    /// One report as stored, whatever its size.
    pub(super) async fn stored_report(&self, name: ReportName) -> Result<Report, ApiError> {
        let key = name.to_string();
        let version = self.store.generation();
        if let Some(report) = self.reports.get(version, &key) {
            return Ok(Report::clone(&report));
        }
        // One row by its primary key, on a WAL reader (which never waits for the writer): a few
        // microseconds, less than the hand-off to the blocking pool and back, which the profile
        // under load showed as the largest cost of this call (thread wake-ups and switches).
        let report = self
            .store
            .get_report(name)?
            .ok_or(ApiError::NotFound { resource_type: "tip.v1.Report", name: key.clone() })?;
        self.reports.insert(version, key, Arc::new(report.clone()));
        Ok(report)
    }

    /// A page of reports, of one country or of all, filtered and ordered.
    pub async fn list_reports(&self, listing: ReportListing) -> Result<Page<Report>, ApiError> {
        let ReportListing { country, mut filter, order, full_view, page } = listing;
        if let Some(country) = country {
            filter = filter.and("iso3 = ?", country.to_string());
        }
        let offset = self.offset(&page)?;
        let (store, limit) = (self.store.clone(), page.limit);
        let (mut reports, total) = blocking(move || store.list_reports(&filter, &order, offset, limit)).await?;
        if !full_view {
            reports.iter_mut().for_each(basic_view);
        }
        Ok(self.page_of(&page, offset, reports, total))
    }

    /// Full-text search over narratives and recommendations.
    pub async fn search_reports(&self, search: SearchQuery) -> Result<Page<SearchResult>, ApiError> {
        let SearchQuery { text, filter_text, filter, page } = search;
        let offset = self.offset(&page)?;
        let limit = page.limit;
        // Lengths first: no query and filter pair reads as another.
        let key = format!("{}:{text}{}:{filter_text}{offset}:{limit}", text.len(), filter_text.len());
        let version = self.store.generation();
        if let Some(page) = self.searches.get(version, &key) {
            return Ok(Page::clone(&page));
        }
        let store = self.store.clone();
        let (hits, total) =
            blocking(move || store.search(&text, &filter, offset, limit)).await.map_err(|error| match error {
                ApiError::Storage(StoreError::Sqlite(cause)) if is_fts_syntax_error(&cause) => ApiError::invalid(
                    "query",
                    format!("not a valid search: {cause}; use words, \"quoted phrases\", prefix* terms, AND, OR, NOT"),
                ),
                other => other,
            })?;
        let results = self.page_of(&page, offset, hits.into_iter().map(search_result).collect(), total);
        self.searches.insert(version, key, Arc::new(results.clone()));
        Ok(results)
    }

    /// Every document ingested for a report, current first.
    pub async fn list_revisions(&self, listing: RevisionListing) -> Result<Page<ReportRevision>, ApiError> {
        let RevisionListing { name, page } = listing;
        let offset = self.offset(&page)?;
        let (store, limit) = (self.store.clone(), page.limit);
        let (revisions, total) = blocking(move || store.revisions(name, offset, limit, REVISIONS_PAGE_BYTES)).await?;
        if total == 0 {
            return Err(ApiError::NotFound { resource_type: "tip.v1.Report", name: name.to_string() });
        }
        Ok(self.page_of(&page, offset, revisions.into_iter().map(revision_message).collect(), total))
    }
}

fn revision_message(revision: Revision) -> ReportRevision {
    ReportRevision {
        revision_id: revision.sha256,
        current: revision.current,
        create_time: Some(prost_types::Timestamp { seconds: revision.ingested_at, nanos: 0 }),
        source_uri: revision.source_uri,
        encoding: revision.encoding,
        tier: revision.tier,
        completeness: revision.completeness,
        content: revision.content,
    }
}

/// Whether SQLite refused a search because of the query's FTS5 syntax. The statement itself is
/// fixed and known good, so a plain SQLITE_ERROR can only come from the client's MATCH text;
/// I/O, corruption or locking failures have codes of their own and stay server errors.
fn is_fts_syntax_error(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::Unknown)
}

fn search_result(hit: SearchHit) -> SearchResult {
    let snippets = [("narrative", hit.narrative_snippet), ("recommendations", hit.recommendations_snippet)]
        .into_iter()
        .filter(|(_, text)| text.contains(HIGHLIGHT_START))
        .map(|(field, marked)| highlighted(field, &marked))
        .collect();
    SearchResult {
        report: hit.name.to_string(),
        country: tip_model::names::country_name(hit.name.country),
        year: hit.name.year.get(),
        tier: hit.tier,
        score: hit.score,
        snippets,
    }
}

/// A snippet with its highlight markers turned into code-point ranges.
fn highlighted(field: &str, marked: &str) -> Snippet {
    let mut text = String::with_capacity(marked.len());
    let mut highlights = Vec::new();
    let mut position = 0;
    let mut start = None;
    for c in marked.chars() {
        match c {
            HIGHLIGHT_START => start = Some(position),
            HIGHLIGHT_END => {
                if let Some(start) = start.take() {
                    highlights.push(Highlight { start, end: position });
                }
            }
            c => {
                text.push(c);
                position += 1;
            }
        }
    }
    Snippet { field: field.to_owned(), text, highlights }
}

/// The largest reply the catalog builds: the 4 MiB that gRPC clients read by default, less room
/// for the reply's other fields.
pub const MAX_REPLY_BYTES: usize = (4 << 20) - (64 << 10);

/// `report` as a reply that carries it whole may send it: unchanged when its encoding fits in
/// [`MAX_REPLY_BYTES`]; else in the BASIC view (without its text), and with as many of its first
/// warnings as then fit.
pub fn fit_for_reply(mut report: Report) -> Report {
    if report.encoded_len() <= MAX_REPLY_BYTES {
        return report;
    }
    basic_view(&mut report);
    let warnings = std::mem::take(&mut report.warnings);
    let mut room = MAX_REPLY_BYTES.saturating_sub(report.encoded_len());
    report.warnings = warnings
        .into_iter()
        .take_while(|warning| {
            // A field's key takes at most 5 bytes.
            let size = 5 + prost::length_delimiter_len(warning.encoded_len()) + warning.encoded_len();
            room.checked_sub(size).map(|left| room = left).is_some()
        })
        .collect();
    report
}

/// The BASIC view: everything but the narrative's text.
fn basic_view(report: &mut Report) {
    report.paragraphs.clear();
    report.sections.clear();
    report.recommendations.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_code_point_ranges() {
        let marked = format!("…Côte {HIGHLIGHT_START}hereditary{HIGHLIGHT_END} slavery");
        let snippet = highlighted("narrative", &marked);
        assert_eq!(snippet.text, "…Côte hereditary slavery");
        let h = &snippet.highlights[0];
        let (start, end) = (usize::try_from(h.start).unwrap(), usize::try_from(h.end).unwrap());
        assert_eq!(snippet.text.chars().skip(start).take(end - start).collect::<String>(), "hereditary");
    }
}
