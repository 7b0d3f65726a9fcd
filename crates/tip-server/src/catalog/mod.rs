//! The domain layer: what the services answer, over the store and the country registry. The
//! gRPC handlers convert each request into the typed arguments of [`requests`], then call one
//! catalog function: reports and search in `reports`, countries in `countries`, ingestion in
//! `ingest`, the insights across countries and years in `insights`, and the enforcement
//! figures across them in `enforcement`.

mod changes;
mod countries;
mod enforcement;
mod ingest;
mod insights;
mod reports;
pub mod requests;
mod search_cost;

pub use changes::{MAX_WATCHERS, ReportEvent, Watcher};

use std::sync::Arc;

use tip_model::CountryRegistry;
use tip_model::pb::{Report, SearchResult};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::page_token::PageTokens;
use crate::reply_cache::ReplyCache;
use crate::store::{Interrupt, Store, StoreError};
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

/// The TIP Atlas catalog: reports, countries, ingestion and the insights over them.
#[derive(Clone)]
pub struct Catalog {
    store: Arc<Store>,
    tokens: Arc<PageTokens>,
    registry: &'static CountryRegistry,
    changes: Arc<changes::Changes>,
    stopping: watch::Receiver<bool>,
    reports: Arc<ReplyCache<Report>>,
    searches: Arc<ReplyCache<Page<SearchResult>>>,
}

impl Catalog {
    /// A catalog over `store`, signing page tokens with the store's own key; `stopping` turns
    /// true when the server shuts down, which ends open streams. It keeps the last
    /// `cache_entries` reports, and as many search pages, while the data stays unchanged.
    pub fn new(store: Arc<Store>, stopping: watch::Receiver<bool>, cache_entries: usize) -> Result<Self, ApiError> {
        // A read-only store keeps no key of its own: tokens then last as long as the process.
        let key = if store.is_read_only() {
            store.meta("page_token_key")?.unwrap_or_else(random_key)
        } else {
            store.meta_or_init("page_token_key", random_key)?
        };
        let changes = changes::Changes::follow(store.clone(), stopping.clone())?;
        Ok(Self {
            store,
            tokens: Arc::new(PageTokens::new(key)),
            registry: CountryRegistry::global(),
            changes,
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

/// Runs blocking store work off the async threads. Its queries stop when the caller's future
/// ends (the request's deadline, the client's cancellation): dropped, it interrupts them. The
/// work holds the request's share of the in-flight limit until it really ends.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let interrupt = Interrupt::default();
    let _stop_when_dropped = interrupt.on_drop();
    let in_flight = crate::limits::request_permit();
    tokio::task::spawn_blocking(move || {
        let _in_flight = in_flight;
        interrupt.run(work)
    })
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
