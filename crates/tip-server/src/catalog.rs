//! The domain layer: what the services answer, over the store and the country registry. The
//! gRPC handlers only validate requests and call these functions.

use std::sync::Arc;

use tip_ingest::{Hints, parse_document};
use tip_model::pb::{
    self, Completeness, Highlight, IngestOutcome, Region, Report, ReportEventType, ReportRevision, ReportView,
    SearchResult, Snippet, StandardsFinding, Tier, TierChange,
};
use tip_model::{Country, CountryRegistry, Iso3, ReportName, parse_tier};
use tokio::sync::{broadcast, watch};

use crate::error::ApiError;
use crate::filter::{Field, FieldKind, SqlFilter, compile_filter, compile_order_by};
use crate::page_token::{PageTokens, page_size};
use crate::reply_cache::ReplyCache;
use crate::store::{HIGHLIGHT_END, HIGHLIGHT_START, PutOutcome, SearchHit, Store, StoreError};

/// One page of results.
#[derive(Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The token of the next page; empty on the last page.
    pub next_page_token: String,
    /// The number of items across all pages.
    pub total_size: u64,
}

/// A report that was created or replaced, as WatchReports streams it.
#[derive(Clone, Debug)]
pub struct ReportEvent {
    pub event_type: ReportEventType,
    pub report: Report,
}

/// How many report events a slow watcher may fall behind before it is told it lost some.
const WATCH_BUFFER: usize = 1024;

/// The TIP Atlas catalog: reports, countries, ingestion and the insights over them.
#[derive(Clone)]
pub struct Catalog {
    pub(crate) store: Arc<Store>,
    tokens: Arc<PageTokens>,
    pub(crate) registry: &'static CountryRegistry,
    events: broadcast::Sender<ReportEvent>,
    stopping: watch::Receiver<bool>,
    reports: Arc<ReplyCache<Report>>,
    searches: Arc<ReplyCache<Page<SearchResult>>>,
}

/// The fields a report filter may name, and their columns.
pub const REPORT_FIELDS: &[Field] = &[
    Field { name: "year", column: "year", kind: FieldKind::Integer },
    Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: country_code } },
    Field { name: "tier", column: "tier", kind: FieldKind::Enum { parse: tier_value } },
    Field { name: "region", column: "region", kind: FieldKind::Enum { parse: region_value } },
    Field { name: "finding", column: "finding", kind: FieldKind::Enum { parse: finding_value } },
    Field { name: "tier_change", column: "tier_change", kind: FieldKind::Enum { parse: tier_change_value } },
    Field { name: "completeness", column: "completeness", kind: FieldKind::Enum { parse: completeness_value } },
];

/// The fields a country filter may name, and their columns.
pub const COUNTRY_FIELDS: &[Field] = &[
    Field { name: "country", column: "iso3", kind: FieldKind::Text { normalize: country_code } },
    Field { name: "region", column: "region", kind: FieldKind::Enum { parse: region_value } },
    Field { name: "tier", column: "latest_tier", kind: FieldKind::Enum { parse: tier_value } },
    Field { name: "year", column: "latest_year", kind: FieldKind::Integer },
];

fn country_code(value: &str) -> Result<String, String> {
    let value = value.strip_prefix("countries/").unwrap_or(value);
    CountryRegistry::global()
        .resolve(value)
        .map(|c| c.iso3.to_string())
        .ok_or_else(|| format!("{value:?} is not a country the TIP Report ranks"))
}

fn tier_value(value: &str) -> Result<i64, String> {
    Tier::from_str_name(value).or_else(|| parse_tier(value)).map(|t| t as i64).ok_or_else(|| {
        format!("{value:?} is not a tier: use TIER_1, TIER_2, TIER_2_WATCH_LIST, TIER_3 or TIER_SPECIAL_CASE")
    })
}

/// Reads an enum value by its full name ("REGION_AF") or without the prefix ("AF", "af").
fn enum_value(value: &str, prefix: &str, from_name: fn(&str) -> Option<i32>, kind: &str) -> Result<i64, String> {
    let upper = value.to_uppercase();
    from_name(&upper)
        .or_else(|| from_name(&format!("{prefix}{upper}")))
        .filter(|v| *v != 0)
        .map(i64::from)
        .ok_or_else(|| format!("{value:?} is not a {kind}"))
}

fn region_value(value: &str) -> Result<i64, String> {
    enum_value(
        value,
        "REGION_",
        |n| Region::from_str_name(n).map(|r| r as i32),
        "region: use AF, EAP, EUR, NEA, SCA or WHA",
    )
}

fn finding_value(value: &str) -> Result<i64, String> {
    let name = |n: &str| StandardsFinding::from_str_name(n).map(|f| f as i32);
    enum_value(
        value,
        "STANDARDS_FINDING_",
        name,
        "finding: use FULLY_MEETS, SIGNIFICANT_EFFORTS or NOT_SIGNIFICANT_EFFORTS",
    )
}

fn tier_change_value(value: &str) -> Result<i64, String> {
    let name = |n: &str| TierChange::from_str_name(n).map(|c| c as i32);
    enum_value(value, "TIER_CHANGE_", name, "tier change: use UPGRADED, DOWNGRADED, REMAINED or PLACED")
}

fn completeness_value(value: &str) -> Result<i64, String> {
    let name = |n: &str| Completeness::from_str_name(n).map(|c| c as i32);
    enum_value(value, "COMPLETENESS_", name, "completeness: use COMPLETE, EXCERPT or TRUNCATED")
}

/// A request's filter and order_by compiled, or INVALID_ARGUMENT naming the field at fault.
fn compiled_query(
    filter: &str,
    order_by: &str,
    fields: &[Field],
    default_order_sql: &str,
) -> Result<(SqlFilter, String), ApiError> {
    let filter = compile_filter(filter, fields).map_err(|e| ApiError::invalid("filter", e))?;
    let order = compile_order_by(order_by, fields, default_order_sql).map_err(|e| ApiError::invalid("order_by", e))?;
    // Ties broken by the default order (the key), so that pages never overlap or skip.
    Ok((filter, format!("{order}, {default_order_sql}")))
}

impl Catalog {
    /// A catalog over `store`, signing page tokens with the store's own key; `stopping` turns
    /// true when the server shuts down, which ends open streams. It keeps the last
    /// `cache_entries` reports, and as many search pages, while the data stays unchanged.
    pub fn new(store: Arc<Store>, stopping: watch::Receiver<bool>, cache_entries: usize) -> Result<Self, ApiError> {
        let key = store.meta_or_init("page_token_key", random_key)?;
        let (events, _) = broadcast::channel(WATCH_BUFFER);
        Ok(Self {
            store,
            tokens: Arc::new(PageTokens::new(key)),
            registry: CountryRegistry::global(),
            events,
            stopping,
            reports: Arc::new(ReplyCache::new(cache_entries)),
            searches: Arc::new(ReplyCache::new(cache_entries)),
        })
    }

    /// Completes when the server starts shutting down.
    pub async fn stopped(&self) {
        let mut stopping = self.stopping.clone();
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }

    /// The offset and size of the page a request asks for. The token must have been issued for
    /// the same `query` (the request's other fields).
    pub(crate) fn page(
        &self,
        query: &str,
        requested: i32,
        token: &str,
        default: u64,
        max: u64,
    ) -> Result<(u64, u64), ApiError> {
        let limit = page_size(requested, default, max)?;
        Ok((self.tokens.decode(token, query)?, limit))
    }

    /// A page of `items` that started at `offset`, out of `total`.
    pub(crate) fn page_of<T>(&self, query: &str, offset: u64, items: Vec<T>, total: u64) -> Page<T> {
        let next = offset + items.len() as u64;
        Page {
            next_page_token: if next < total && !items.is_empty() {
                self.tokens.encode(query, next)
            } else {
                String::new()
            },
            items,
            total_size: total,
        }
    }

    /// One report.
    pub async fn get_report(&self, name: ReportName) -> Result<Report, ApiError> {
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
    pub async fn list_reports(
        &self,
        request: pb::ListReportsRequest,
        country: Option<Iso3>,
    ) -> Result<Page<Report>, ApiError> {
        let (mut filter, order) =
            compiled_query(&request.filter, &request.order_by, REPORT_FIELDS, "iso3 ASC, year ASC")?;
        if let Some(country) = country {
            filter = filter.and("iso3 = ?", country.to_string());
        }
        let query = format!("reports|{}|{}|{}", request.parent, request.filter, request.order_by);
        let (offset, limit) = self.page(&query, request.page_size, &request.page_token, 50, 1000)?;
        let store = self.store.clone();
        let (mut reports, total) = blocking(move || store.list_reports(&filter, &order, offset, limit)).await?;
        if request.view() != ReportView::Full {
            reports.iter_mut().for_each(basic_view);
        }
        Ok(self.page_of(&query, offset, reports, total))
    }

    /// Full-text search over narratives and recommendations.
    pub async fn search_reports(&self, request: pb::SearchReportsRequest) -> Result<Page<SearchResult>, ApiError> {
        if request.query.trim().is_empty() {
            return Err(ApiError::invalid("query", "the query is empty"));
        }
        if request.query.len() > 1000 {
            return Err(ApiError::invalid("query", "the query is longer than 1000 bytes"));
        }
        let (filter, _) = compiled_query(&request.filter, "", REPORT_FIELDS, "iso3 ASC")?;
        let query = format!("search|{}|{}", request.query, request.filter);
        let (offset, limit) = self.page(&query, request.page_size, &request.page_token, 20, 100)?;
        // Lengths first: no query and filter pair reads as another.
        let key = format!(
            "{}:{}{}:{}{offset}:{limit}",
            request.query.len(),
            request.query,
            request.filter.len(),
            request.filter
        );
        let version = self.store.generation();
        if let Some(page) = self.searches.get(version, &key) {
            return Ok(Page::clone(&page));
        }
        let store = self.store.clone();
        let text = request.query.clone();
        let (hits, total) =
            blocking(move || store.search(&text, &filter, offset, limit)).await.map_err(|error| match error {
                ApiError::Storage(StoreError::Sqlite(cause)) if is_fts_syntax_error(&cause) => ApiError::invalid(
                    "query",
                    format!("not a valid search: {cause}; use words, \"quoted phrases\", prefix* terms, AND, OR, NOT"),
                ),
                other => other,
            })?;
        let page = self.page_of(&query, offset, hits.into_iter().map(search_result).collect(), total);
        self.searches.insert(version, key, Arc::new(page.clone()));
        Ok(page)
    }

    /// Every document ingested for a report, current first.
    pub async fn list_revisions(
        &self,
        request: pb::ListReportRevisionsRequest,
        name: ReportName,
    ) -> Result<Page<ReportRevision>, ApiError> {
        let query = format!("revisions|{}", request.name);
        let (offset, limit) = self.page(&query, request.page_size, &request.page_token, 50, 1000)?;
        let store = self.store.clone();
        let revisions = blocking(move || store.revisions(name)).await?;
        if revisions.is_empty() {
            return Err(ApiError::NotFound { resource_type: "tip.v1.Report", name: name.to_string() });
        }
        let total = revisions.len() as u64;
        let page = revisions
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|r| ReportRevision {
                revision_id: r.sha256,
                current: r.current,
                create_time: Some(prost_types::Timestamp { seconds: r.ingested_at, nanos: 0 }),
                source_uri: r.source_uri,
                encoding: r.encoding,
                tier: r.tier,
                completeness: r.completeness,
                content: r.content,
            })
            .collect();
        Ok(self.page_of(&query, offset, page, total))
    }

    /// Follows created and replaced reports.
    pub fn watch(&self) -> broadcast::Receiver<ReportEvent> {
        self.events.subscribe()
    }

    /// Parses a document and, unless `validate_only`, stores its report. A document with errors
    /// is refused whole: nothing is written.
    pub async fn ingest_document(
        &self,
        content: Vec<u8>,
        hints: Hints,
        validate_only: bool,
    ) -> Result<(Report, IngestOutcome), ApiError> {
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

    /// One country of the registry, with its latest placement.
    pub async fn get_country(&self, iso3: Iso3) -> Result<pb::Country, ApiError> {
        let country = self.registry.get(iso3).ok_or_else(|| ApiError::NotFound {
            resource_type: "tip.v1.Country",
            name: tip_model::names::country_name(iso3),
        })?;
        let filter = SqlFilter::default().and("iso3 = ?", iso3.to_string());
        let store = self.store.clone();
        let (rows, _) = blocking(move || store.list_countries(&filter, "iso3", 0, 1)).await?;
        Ok(country_message(country, rows.first().and_then(|r| r.1)))
    }

    /// A page of the registry's countries, filtered by region, code and latest tier.
    pub async fn list_countries(&self, request: pb::ListCountriesRequest) -> Result<Page<pb::Country>, ApiError> {
        let (filter, order) = compiled_query(&request.filter, &request.order_by, COUNTRY_FIELDS, "iso3 ASC")?;
        let query = format!("countries|{}|{}", request.filter, request.order_by);
        let (offset, limit) = self.page(&query, request.page_size, &request.page_token, 50, 1000)?;
        let store = self.store.clone();
        let (rows, total) = blocking(move || store.list_countries(&filter, &order, offset, limit)).await?;
        let countries = rows
            .into_iter()
            .filter_map(|(iso3, latest)| self.registry.get(iso3).map(|c| country_message(c, latest)))
            .collect();
        Ok(self.page_of(&query, offset, countries, total))
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

/// The BASIC view: everything but the narrative's text.
fn basic_view(report: &mut Report) {
    report.paragraphs.clear();
    report.sections.clear();
    report.recommendations.clear();
}

fn country_message(country: &Country, latest: Option<(i32, Tier)>) -> pb::Country {
    pb::Country {
        name: tip_model::names::country_name(country.iso3),
        display_name: country.display_name.clone(),
        aliases: country.aliases.clone(),
        region: country.region as i32,
        latest_placement: latest.map(|(year, tier)| pb::TierPlacement { year, tier: tier as i32 }),
    }
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| ApiError::Internal(format!("store task failed: {join}")))?
        .map_err(ApiError::from)
}

/// A key for page tokens that no client can guess: 32 bytes from the operating system's random
/// source, drawn once per store.
fn random_key() -> Vec<u8> {
    let mut key = vec![0; 32];
    getrandom::fill(&mut key).expect("the operating system's random source answers");
    key
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
        let chars: Vec<char> = snippet.text.chars().collect();
        assert_eq!(chars[h.start as usize..h.end as usize].iter().collect::<String>(), "hereditary");
    }

    /// Search joins every match to this index, not to the wide report rows: a filter on a
    /// column it lacks would read those rows again.
    #[test]
    fn the_search_index_holds_every_column_a_report_filter_names() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("tip.sqlite");
        Store::open(&path).unwrap();
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection.prepare("SELECT name FROM pragma_index_info('reports_search_columns')").unwrap();
        let columns: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        for field in REPORT_FIELDS {
            assert!(columns.iter().any(|c| c == field.column), "{} is not in {columns:?}", field.column);
        }
    }
}
