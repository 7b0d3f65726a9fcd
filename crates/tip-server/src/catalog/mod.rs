//! The domain layer: what the services answer, over the store and the country registry. The
//! gRPC handlers convert each request into the typed arguments of [`requests`], then call one
//! catalog function: reports and search in `reports`, countries in `countries`, ingestion in
//! `ingest`, and the insights across countries and years in `insights`.

mod countries;
mod ingest;
mod insights;
mod reports;
pub mod requests;

use std::sync::Arc;

use tip_model::pb::{Completeness, Region, Report, ReportEventType, SearchResult, StandardsFinding, Tier, TierChange};
use tip_model::{CountryRegistry, parse_tier};
use tokio::sync::{broadcast, watch};

use crate::error::ApiError;
use crate::filter::{Field, FieldKind, SqlFilter, compile_filter, compile_order_by};
use crate::page_token::PageTokens;
use crate::reply_cache::ReplyCache;
use crate::store::{Store, StoreError};
use requests::PageRequest;

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
    store: Arc<Store>,
    tokens: Arc<PageTokens>,
    registry: &'static CountryRegistry,
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

    /// Where the requested page starts; INVALID_ARGUMENT when its token was issued for another
    /// query.
    fn offset(&self, page: &PageRequest) -> Result<u64, ApiError> {
        self.tokens.decode(&page.token, &page.query)
    }

    /// A page of `items` that started at `offset`, out of `total`.
    fn page_of<T>(&self, page: &PageRequest, offset: u64, items: Vec<T>, total: u64) -> Page<T> {
        let next = offset.saturating_add(count(items.len()));
        Page {
            next_page_token: if next < total && !items.is_empty() {
                self.tokens.encode(&page.query, next)
            } else {
                String::new()
            },
            items,
            total_size: total,
        }
    }

    /// The requested page of `all`, every result held in memory, starting at `offset`.
    fn page_of_all<T>(&self, page: &PageRequest, offset: u64, all: Vec<T>) -> Page<T> {
        let total = count(all.len());
        // Past the end of memory is past the end of the results: an empty page.
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let items = all.into_iter().skip(skip).take(take).collect();
        self.page_of(page, offset, items, total)
    }
}

/// A number of items in memory as a count of results.
fn count(items: usize) -> u64 {
    u64::try_from(items).unwrap_or(u64::MAX)
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| ApiError::Internal(format!("store task failed: {join}")))?
        .map_err(ApiError::from)
}

/// A key for page tokens that no client can guess: hashed from the clock, the process and the
/// address space, which differ on every first start.
fn random_key() -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(format!("{:?}", std::time::SystemTime::now()));
    hasher.update(std::process::id().to_be_bytes());
    hasher.update((&hasher as *const _ as usize).to_be_bytes());
    hasher.update(std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8).to_be_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

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
