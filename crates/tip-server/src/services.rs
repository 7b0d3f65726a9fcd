//! The tonic services: each handler validates its request, then calls one catalog function.

use std::pin::Pin;

use tip_ingest::Hints;
use tip_model::names::parse_country_name;
use tip_model::pb::{
    CompareReportsRequest, Country, GetCountryRequest, GetReportRequest, GetTierDistributionRequest,
    GetTierHistoryRequest, IngestDocumentRequest, IngestDocumentResponse, IngestDocumentsRequest,
    IngestDocumentsResponse, IngestOutcome, ListCountriesRequest, ListCountriesResponse, ListRecommendationsRequest,
    ListRecommendationsResponse, ListReportRevisionsRequest, ListReportRevisionsResponse, ListReportsRequest,
    ListReportsResponse, ListTierChangesRequest, ListTierChangesResponse, Region, Report, ReportComparison,
    SearchReportsRequest, SearchReportsResponse, TierDistribution, TierHistory, WatchReportsRequest,
    WatchReportsResponse,
};
use tip_model::{Iso3, ReportName, ReportYear};
use tokio::sync::broadcast;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::api::country_service_server::CountryService;
use crate::api::ingest_service_server::IngestService;
use crate::api::insight_service_server::InsightService;
use crate::api::report_service_server::ReportService;
use crate::catalog::Catalog;
use crate::error::ApiError;

/// `tip.v1.ReportService` over the catalog.
pub struct Reports(pub Catalog);

/// `tip.v1.CountryService` over the catalog.
pub struct Countries(pub Catalog);

/// `tip.v1.IngestService` over the catalog.
pub struct Ingest(pub Catalog);

/// `tip.v1.InsightService` over the catalog.
pub struct Insights(pub Catalog);

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn report_name(field: &str, name: &str) -> Result<ReportName, ApiError> {
    ReportName::parse(name).map_err(|e| ApiError::invalid(field, e))
}

fn country(field: &str, name: &str) -> Result<Iso3, ApiError> {
    parse_country_name(name).map_err(|e| ApiError::invalid(field, e))
}

/// `countries/{ISO3}` as a filter on one country; empty or `countries/-` for all.
fn parent_country(parent: &str) -> Result<Option<Iso3>, ApiError> {
    match parent {
        "" | "countries/-" => Ok(None),
        name => country("parent", name).map(Some),
    }
}

fn year(field: &str, year: i32) -> Result<ReportYear, ApiError> {
    ReportYear::new(i64::from(year)).map_err(|e| ApiError::invalid(field, e))
}

fn region(field: &str, value: i32) -> Result<Region, ApiError> {
    Region::try_from(value).map_err(|_| ApiError::invalid(field, format!("{value} is not a Region value")))
}

fn hints(request: &IngestDocumentRequest) -> Result<Hints, ApiError> {
    if request.content.is_empty() {
        return Err(ApiError::invalid("content", "the document is empty"));
    }
    Ok(Hints {
        country: Some(request.country.clone()).filter(|c| !c.trim().is_empty()),
        year: (request.year != 0).then_some(i64::from(request.year)),
        source_uri: Some(request.source_uri.clone()).filter(|u| !u.is_empty()),
    })
}

#[tonic::async_trait]
impl ReportService for Reports {
    async fn get_report(&self, request: Request<GetReportRequest>) -> Result<Response<Report>, Status> {
        let name = report_name("name", &request.get_ref().name)?;
        Ok(Response::new(self.0.get_report(name).await?))
    }

    async fn list_reports(
        &self,
        request: Request<ListReportsRequest>,
    ) -> Result<Response<ListReportsResponse>, Status> {
        let request = request.into_inner();
        let country = parent_country(&request.parent)?;
        let page = self.0.list_reports(request, country).await?;
        Ok(Response::new(ListReportsResponse {
            reports: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size as i32,
        }))
    }

    async fn search_reports(
        &self,
        request: Request<SearchReportsRequest>,
    ) -> Result<Response<SearchReportsResponse>, Status> {
        let page = self.0.search_reports(request.into_inner()).await?;
        Ok(Response::new(SearchReportsResponse {
            results: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size as i32,
        }))
    }

    async fn list_report_revisions(
        &self,
        request: Request<ListReportRevisionsRequest>,
    ) -> Result<Response<ListReportRevisionsResponse>, Status> {
        let request = request.into_inner();
        let name = report_name("name", &request.name)?;
        let page = self.0.list_revisions(request, name).await?;
        Ok(Response::new(ListReportRevisionsResponse { revisions: page.items, next_page_token: page.next_page_token }))
    }

    type WatchReportsStream = ResponseStream<WatchReportsResponse>;

    async fn watch_reports(
        &self,
        request: Request<WatchReportsRequest>,
    ) -> Result<Response<Self::WatchReportsStream>, Status> {
        let wanted = parent_country(&request.get_ref().parent)?.map(tip_model::names::country_name);
        let catalog = self.0.clone();
        let mut events = catalog.watch();
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    () = catalog.stopped() => {
                        let _ = sender.send(Err(shutting_down())).await;
                        return;
                    }
                    () = sender.closed() => return,
                    event = events.recv() => event,
                };
                let message = match event {
                    Ok(event) if wanted.as_ref().is_none_or(|c| *c == event.report.country) => {
                        Ok(WatchReportsResponse { event_type: event.event_type as i32, report: Some(event.report) })
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(missed)) => Err(Status::data_loss(format!(
                        "the watcher fell {missed} event(s) behind and missed them; list reports to catch up, then watch again"
                    ))),
                    Err(broadcast::error::RecvError::Closed) => Err(shutting_down()),
                };
                let last = message.is_err();
                if sender.send(message).await.is_err() || last {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))))
    }
}

/// How open streams end when the server stops.
fn shutting_down() -> Status {
    Status::unavailable("the server is shutting down; reconnect to another instance or retry later")
}

#[tonic::async_trait]
impl CountryService for Countries {
    async fn get_country(&self, request: Request<GetCountryRequest>) -> Result<Response<Country>, Status> {
        let iso3 = country("name", &request.get_ref().name)?;
        Ok(Response::new(self.0.get_country(iso3).await?))
    }

    async fn list_countries(
        &self,
        request: Request<ListCountriesRequest>,
    ) -> Result<Response<ListCountriesResponse>, Status> {
        let page = self.0.list_countries(request.into_inner()).await?;
        Ok(Response::new(ListCountriesResponse {
            countries: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size as i32,
        }))
    }

    async fn get_tier_history(&self, request: Request<GetTierHistoryRequest>) -> Result<Response<TierHistory>, Status> {
        let iso3 = country("name", &request.get_ref().name)?;
        Ok(Response::new(self.0.tier_history(iso3).await?))
    }
}

#[tonic::async_trait]
impl IngestService for Ingest {
    async fn ingest_document(
        &self,
        request: Request<IngestDocumentRequest>,
    ) -> Result<Response<IngestDocumentResponse>, Status> {
        let request = request.into_inner();
        let hints = hints(&request)?;
        let (report, outcome) = self.0.ingest_document(request.content, hints, request.validate_only).await?;
        Ok(Response::new(IngestDocumentResponse { report: Some(report), outcome: outcome as i32 }))
    }

    type IngestDocumentsStream = ResponseStream<IngestDocumentsResponse>;

    async fn ingest_documents(
        &self,
        request: Request<Streaming<IngestDocumentsRequest>>,
    ) -> Result<Response<Self::IngestDocumentsStream>, Status> {
        let mut documents = request.into_inner();
        let catalog = self.0.clone();
        // One document at a time: the next is read only once this one is answered, and the
        // answer channel holds few, so a fast client waits for the store (back-pressure).
        let (results, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut index = 0i64;
            loop {
                let message = tokio::select! {
                    () = catalog.stopped() => {
                        let _ = results.send(Err(shutting_down())).await;
                        return;
                    }
                    message = documents.next() => message,
                };
                let Some(message) = message else { return };
                let result = match message {
                    Ok(message) => ingest_one(&catalog, index, message).await,
                    Err(status) => Err(status),
                };
                let stop = result.is_err();
                if results.send(result).await.is_err() || stop {
                    break;
                }
                index += 1;
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))))
    }
}

/// One document of a bulk stream: refused documents are answered with their errors, and the
/// stream goes on; only a failure of the server ends it.
async fn ingest_one(
    catalog: &Catalog,
    index: i64,
    message: IngestDocumentsRequest,
) -> Result<IngestDocumentsResponse, Status> {
    let refused = |errors| IngestDocumentsResponse { index, errors, ..Default::default() };
    let Some(document) = message.document else {
        let missing = tip_model::pb::Diagnostic {
            message: "the message has no document".into(),
            code: "empty".into(),
            ..Default::default()
        };
        return Ok(refused(vec![missing]));
    };
    let hints = match hints(&document) {
        Ok(hints) => hints,
        Err(error) => {
            let problem =
                tip_model::pb::Diagnostic { message: error.to_string(), code: "empty".into(), ..Default::default() };
            return Ok(refused(vec![problem]));
        }
    };
    match catalog.ingest_document(document.content, hints, document.validate_only).await {
        Ok((report, outcome)) => Ok(IngestDocumentsResponse {
            index,
            report: if outcome == IngestOutcome::Unspecified { String::new() } else { report.name },
            outcome: outcome as i32,
            warnings: report.warnings,
            errors: Vec::new(),
        }),
        Err(ApiError::InvalidDocument { errors }) => Ok(refused(errors)),
        Err(other) => Err(other.into()),
    }
}

#[tonic::async_trait]
impl InsightService for Insights {
    async fn list_tier_changes(
        &self,
        request: Request<ListTierChangesRequest>,
    ) -> Result<Response<ListTierChangesResponse>, Status> {
        let request = request.get_ref();
        let year = year("year", request.year)?;
        let region = region("region", request.region)?;
        let changes = self.0.tier_changes(year, region, request.include_unchanged).await?;
        Ok(Response::new(ListTierChangesResponse { changes }))
    }

    async fn get_tier_distribution(
        &self,
        request: Request<GetTierDistributionRequest>,
    ) -> Result<Response<TierDistribution>, Status> {
        let request = request.get_ref();
        let years = match (request.start_year, request.end_year) {
            (0, 0) => None,
            (start, 0) => Some((year("start_year", start)?.get(), start)),
            (0, end) => Some((tip_model::year::FIRST_REPORT_YEAR, year("end_year", end)?.get())),
            (start, end) => {
                let (start, end) = (year("start_year", start)?.get(), year("end_year", end)?.get());
                if start > end {
                    return Err(ApiError::invalid("end_year", format!("{end} is before start_year {start}")).into());
                }
                Some((start, end))
            }
        };
        let rows = self.0.tier_distribution(years, request.by_region).await?;
        Ok(Response::new(TierDistribution { rows }))
    }

    async fn compare_reports(
        &self,
        request: Request<CompareReportsRequest>,
    ) -> Result<Response<ReportComparison>, Status> {
        let request = request.get_ref();
        let base = report_name("base", &request.base)?;
        let target = report_name("target", &request.target)?;
        Ok(Response::new(self.0.compare_reports(base, target).await?))
    }

    async fn list_recommendations(
        &self,
        request: Request<ListRecommendationsRequest>,
    ) -> Result<Response<ListRecommendationsResponse>, Status> {
        let request = request.into_inner();
        let iso3 = country("parent", &request.parent)?;
        let page = self.0.recurring_recommendations(request, iso3).await?;
        Ok(Response::new(ListRecommendationsResponse {
            recommendations: page.items,
            next_page_token: page.next_page_token,
        }))
    }
}
