//! The domain layer: what the services answer, over the store and the country registry. The
//! gRPC handlers only validate requests and call these functions.

use std::sync::Arc;

use tip_ingest::{Hints, parse_document};
use tip_model::pb::{self, IngestOutcome, Report, ReportView};
use tip_model::{Country, CountryRegistry, Iso3, ReportName};

use crate::error::ApiError;
use crate::page_token::{PageTokens, page_size};
use crate::store::{PutOutcome, Store};

const DEFAULT_PAGE_SIZE: u64 = 50;
const MAX_PAGE_SIZE: u64 = 1000;

/// One page of results.
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The token of the next page; empty on the last page.
    pub next_page_token: String,
    /// The number of items across all pages.
    pub total_size: u64,
}

/// The TIP Atlas catalog: reports and countries.
#[derive(Clone)]
pub struct Catalog {
    store: Arc<Store>,
    tokens: Arc<PageTokens>,
    registry: &'static CountryRegistry,
}

impl Catalog {
    /// A catalog over `store`, signing page tokens with the store's own key.
    pub fn new(store: Arc<Store>) -> Result<Self, ApiError> {
        let key = store.meta_or_init("page_token_key", random_key)?;
        Ok(Self { store, tokens: Arc::new(PageTokens::new(key)), registry: CountryRegistry::global() })
    }

    /// The store behind the catalog.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// One report.
    pub async fn get_report(&self, name: ReportName) -> Result<Report, ApiError> {
        let store = self.store.clone();
        blocking(move || store.get_report(name))
            .await?
            .ok_or(ApiError::NotFound { resource_type: "tip.v1.Report", name: name.to_string() })
    }

    /// A page of reports, of one country or of all.
    pub async fn list_reports(
        &self,
        country: Option<Iso3>,
        requested_page_size: i32,
        page_token: &str,
        view: ReportView,
    ) -> Result<Page<Report>, ApiError> {
        let limit = page_size(requested_page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let query = format!("reports/{}", country.map_or("-".to_owned(), |c| c.to_string()));
        let offset = self.tokens.decode(page_token, &query)?;
        let store = self.store.clone();
        let (mut reports, total) = blocking(move || store.list_reports(country, offset, limit)).await?;
        if view != ReportView::Full {
            reports.iter_mut().for_each(basic_view);
        }
        let next = offset + reports.len() as u64;
        Ok(Page {
            next_page_token: if next < total { self.tokens.encode(&query, next) } else { String::new() },
            items: reports,
            total_size: total,
        })
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
            let name = match parsed.report_name() {
                Some(name) if parsed.is_ok() => name,
                _ => return Ok(Err(ApiError::InvalidDocument { errors: parsed.diagnostics.errors })),
            };
            if validate_only {
                return Ok(Ok((parsed.report, IngestOutcome::Unspecified)));
            }
            let outcome = match store.put_report(name, &parsed.report, &content)? {
                PutOutcome::Created => IngestOutcome::Created,
                PutOutcome::Replaced => IngestOutcome::Replaced,
                PutOutcome::Unchanged => IngestOutcome::Unchanged,
            };
            let stored = store.get_report(name)?.unwrap_or(parsed.report);
            Ok(Ok((stored, outcome)))
        };
        blocking(work).await?
    }

    /// One country of the registry.
    pub fn get_country(&self, iso3: Iso3) -> Result<pb::Country, ApiError> {
        self.registry.get(iso3).map(country_message).ok_or_else(|| ApiError::NotFound {
            resource_type: "tip.v1.Country",
            name: tip_model::names::country_name(iso3),
        })
    }

    /// A page of the registry's countries, by code.
    pub fn list_countries(&self, requested_page_size: i32, page_token: &str) -> Result<Page<pb::Country>, ApiError> {
        let limit = page_size(requested_page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let query = "countries";
        let offset = self.tokens.decode(page_token, query)?;
        let all = self.registry.all();
        let start = (offset as usize).min(all.len());
        let end = (start + limit as usize).min(all.len());
        Ok(Page {
            items: all[start..end].iter().map(country_message).collect(),
            next_page_token: if end < all.len() { self.tokens.encode(query, end as u64) } else { String::new() },
            total_size: all.len() as u64,
        })
    }
}

/// The BASIC view: everything but the narrative's text.
fn basic_view(report: &mut Report) {
    report.paragraphs.clear();
    report.sections.clear();
    report.recommendations.clear();
}

fn country_message(country: &Country) -> pb::Country {
    pb::Country {
        name: tip_model::names::country_name(country.iso3),
        display_name: country.display_name.clone(),
        aliases: country.aliases.clone(),
        region: country.region as i32,
    }
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
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
