//! The tonic services: each handler converts its request into the catalog's typed arguments
//! (which validates it), calls one catalog function, and converts the answer back.

use std::pin::Pin;

use tip_model::pb::{
    CompareReportsRequest, Country, GetCountryRequest, GetPlacementCoverageRequest, GetReportRequest,
    GetTierDistributionRequest, GetTierHistoryRequest, IngestDocumentRequest, IngestDocumentResponse,
    IngestDocumentsRequest, IngestDocumentsResponse, IngestFileRequest, IngestFileResponse, IngestOutcome,
    ListCountriesRequest, ListCountriesResponse, ListPlacementsRequest, ListPlacementsResponse,
    ListRecommendationsRequest, ListRecommendationsResponse, ListReportRevisionsRequest, ListReportRevisionsResponse,
    ListReportsRequest, ListReportsResponse, ListTierChangesRequest, ListTierChangesResponse, NarrativeOutcome,
    PlacementCoverage, Report, ReportComparison, SearchReportsRequest, SearchReportsResponse, TierDistribution,
    TierHistory, WatchReportsRequest, WatchReportsResponse,
};
use tip_model::pb::{
    EnforcementSeries, GetEnforcementSeriesRequest, GetGlobalEnforcementRequest, GlobalEnforcement,
    ListEnforcementConflictsRequest, ListEnforcementConflictsResponse, ListEnforcementFiguresRequest,
    ListEnforcementFiguresResponse,
};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::api::country_service_server::CountryService;
use crate::api::ingest_service_server::IngestService;
use crate::api::insight_service_server::InsightService;
use crate::api::report_service_server::ReportService;
use crate::catalog::Catalog;
use crate::catalog::requests::{Document, country, parent_country, report_name};
use crate::error::ApiError;

/// `tip.v1.ReportService` over the catalog.
pub struct Reports(pub Catalog);

/// `tip.v1.CountryService` over the catalog.
pub struct Countries(pub Catalog);

/// `tip.v1.IngestService` over the catalog.
pub struct Ingest {
    pub catalog: Catalog,
    /// Largest file IngestFile reads, in bytes.
    pub max_file_bytes: usize,
}

/// `tip.v1.InsightService` over the catalog.
pub struct Insights(pub Catalog);

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A count of results as the responses' `total_size` carries it: saturated, never wrapped.
fn total_size(total: u64) -> i32 {
    i32::try_from(total).unwrap_or(i32::MAX)
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
        let page = self.0.list_reports(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListReportsResponse {
            reports: page.items,
            next_page_token: page.next_page_token,
            total_size: total_size(page.total_size),
        }))
    }

    async fn search_reports(
        &self,
        request: Request<SearchReportsRequest>,
    ) -> Result<Response<SearchReportsResponse>, Status> {
        let page = self.0.search_reports(request.into_inner().try_into()?).await?;
        Ok(Response::new(SearchReportsResponse {
            results: page.items,
            next_page_token: page.next_page_token,
            total_size: total_size(page.total_size),
        }))
    }

    async fn list_report_revisions(
        &self,
        request: Request<ListReportRevisionsRequest>,
    ) -> Result<Response<ListReportRevisionsResponse>, Status> {
        let page = self.0.list_revisions(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListReportRevisionsResponse { revisions: page.items, next_page_token: page.next_page_token }))
    }

    type WatchReportsStream = ResponseStream<WatchReportsResponse>;

    async fn watch_reports(
        &self,
        request: Request<WatchReportsRequest>,
    ) -> Result<Response<Self::WatchReportsStream>, Status> {
        let watcher = self.0.watch(parent_country(&request.get_ref().parent)?)?;
        // Each event's report is read when the transport asks for the next message: a client that
        // stops reading is sent nothing more, and holds nothing more.
        let events = futures_util::stream::unfold(Some(watcher), |watcher| async move {
            let mut watcher = watcher?;
            let event = match watcher.next().await {
                Some(Ok((event_type, report))) => {
                    let event = WatchReportsResponse { event_type: event_type as i32, report: Some(report) };
                    return Some((Ok(event), Some(watcher)));
                }
                Some(Err(error)) => Status::from(error),
                None => shutting_down(),
            };
            // An error ends the stream.
            Some((Err(event), None))
        });
        Ok(Response::new(Box::pin(events)))
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
        let page = self.0.list_countries(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListCountriesResponse {
            countries: page.items,
            next_page_token: page.next_page_token,
            total_size: total_size(page.total_size),
        }))
    }

    async fn get_tier_history(&self, request: Request<GetTierHistoryRequest>) -> Result<Response<TierHistory>, Status> {
        let iso3 = country("name", &request.get_ref().name)?;
        Ok(Response::new(self.0.tier_history(iso3).await?))
    }

    async fn list_placements(
        &self,
        request: Request<ListPlacementsRequest>,
    ) -> Result<Response<ListPlacementsResponse>, Status> {
        let page = self.0.list_placements(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListPlacementsResponse {
            placements: page.items,
            next_page_token: page.next_page_token,
            total_size: total_size(page.total_size),
        }))
    }
}

#[tonic::async_trait]
impl IngestService for Ingest {
    async fn ingest_document(
        &self,
        request: Request<IngestDocumentRequest>,
    ) -> Result<Response<IngestDocumentResponse>, Status> {
        let ingested = self.catalog.ingest_document(request.into_inner().try_into()?).await?;
        let mut narratives = ingested.narratives;
        // A document of one narrative also answers in the fields of a single report.
        let (report, outcome) = match narratives.as_slice() {
            [one] => (Some(one.report.clone()), one.outcome),
            _ => (None, IngestOutcome::Unspecified),
        };
        Ok(Response::new(IngestDocumentResponse {
            report,
            outcome: outcome as i32,
            narratives: narratives.drain(..).map(Into::into).collect(),
            placements: count(ingested.placements),
            notes: ingested.notes,
        }))
    }

    type IngestDocumentsStream = ResponseStream<IngestDocumentsResponse>;

    async fn ingest_documents(
        &self,
        request: Request<Streaming<IngestDocumentsRequest>>,
    ) -> Result<Response<Self::IngestDocumentsStream>, Status> {
        let mut documents = request.into_inner();
        let catalog = self.catalog.clone();
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

    async fn ingest_file(
        &self,
        request: Request<Streaming<IngestFileRequest>>,
    ) -> Result<Response<IngestFileResponse>, Status> {
        let mut chunks = request.into_inner();
        let mut metadata = None;
        let mut content = Vec::new();
        while let Some(message) = chunks.message().await? {
            metadata.get_or_insert(message.metadata.unwrap_or_default());
            if content.len() + message.chunk.len() > self.max_file_bytes {
                // Read no further: the rest of the stream is dropped with the call.
                return Err(ApiError::TooMany {
                    subject: "file bytes".into(),
                    description: format!(
                        "the file passes the server's cap of {} MiB (--max-ingest-file-mib); nothing was stored",
                        self.max_file_bytes >> 20
                    ),
                }
                .into());
            }
            content.extend_from_slice(&message.chunk);
        }
        let size_bytes = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let document = Document::from_file(metadata.unwrap_or_default(), content)?;
        let ingested = self.catalog.ingest_document(document).await?;
        Ok(Response::new(IngestFileResponse {
            media_type: ingested.media_type.to_owned(),
            size_bytes,
            narratives: ingested.narratives.into_iter().map(Into::into).collect(),
            placements: count(ingested.placements),
            notes: ingested.notes,
        }))
    }
}

/// A count as the ingest responses carry it: saturated, never wrapped.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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
    let document = match Document::try_from(document) {
        Ok(document) => document,
        Err(error) => {
            let problem =
                tip_model::pb::Diagnostic { message: error.to_string(), code: "empty".into(), ..Default::default() };
            return Ok(refused(vec![problem]));
        }
    };
    match catalog.ingest_document(document).await {
        Ok(ingested) => {
            let mut narratives: Vec<NarrativeOutcome> = ingested.narratives.into_iter().map(Into::into).collect();
            if narratives.len() != 1 {
                return Ok(IngestDocumentsResponse { index, narratives, ..Default::default() });
            }
            let one = narratives[0].clone();
            Ok(IngestDocumentsResponse {
                index,
                report: one.report,
                outcome: one.outcome,
                warnings: one.warnings,
                errors: one.errors,
                narratives: std::mem::take(&mut narratives),
            })
        }
        Err(ApiError::InvalidDocument { errors }) => Ok(refused(errors)),
        Err(ApiError::InvalidArgument { field, description }) => {
            let problem = tip_model::pb::Diagnostic {
                message: format!("{field}: {description}"),
                code: "unreadable".into(),
                ..Default::default()
            };
            Ok(refused(vec![problem]))
        }
        Err(other) => Err(other.into()),
    }
}

#[tonic::async_trait]
impl InsightService for Insights {
    async fn list_tier_changes(
        &self,
        request: Request<ListTierChangesRequest>,
    ) -> Result<Response<ListTierChangesResponse>, Status> {
        let changes = self.0.tier_changes(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListTierChangesResponse { changes }))
    }

    async fn get_tier_distribution(
        &self,
        request: Request<GetTierDistributionRequest>,
    ) -> Result<Response<TierDistribution>, Status> {
        let rows = self.0.tier_distribution(request.into_inner().try_into()?).await?;
        Ok(Response::new(TierDistribution { rows }))
    }

    async fn get_placement_coverage(
        &self,
        request: Request<GetPlacementCoverageRequest>,
    ) -> Result<Response<PlacementCoverage>, Status> {
        Ok(Response::new(self.0.placement_coverage(request.into_inner().try_into()?).await?))
    }

    async fn compare_reports(
        &self,
        request: Request<CompareReportsRequest>,
    ) -> Result<Response<ReportComparison>, Status> {
        Ok(Response::new(self.0.compare_reports(request.into_inner().try_into()?).await?))
    }

    async fn list_recommendations(
        &self,
        request: Request<ListRecommendationsRequest>,
    ) -> Result<Response<ListRecommendationsResponse>, Status> {
        let page = self.0.recurring_recommendations(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListRecommendationsResponse {
            recommendations: page.items,
            next_page_token: page.next_page_token,
        }))
    }

    async fn get_enforcement_series(
        &self,
        request: Request<GetEnforcementSeriesRequest>,
    ) -> Result<Response<EnforcementSeries>, Status> {
        Ok(Response::new(self.0.enforcement_series(request.into_inner().try_into()?).await?))
    }

    async fn list_enforcement_figures(
        &self,
        request: Request<ListEnforcementFiguresRequest>,
    ) -> Result<Response<ListEnforcementFiguresResponse>, Status> {
        let page = self.0.enforcement_figures(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListEnforcementFiguresResponse {
            figures: page.items,
            next_page_token: page.next_page_token,
            total_size: total_size(page.total_size),
        }))
    }

    async fn list_enforcement_conflicts(
        &self,
        request: Request<ListEnforcementConflictsRequest>,
    ) -> Result<Response<ListEnforcementConflictsResponse>, Status> {
        let conflicts = self.0.enforcement_conflicts(request.into_inner().try_into()?).await?;
        Ok(Response::new(ListEnforcementConflictsResponse { conflicts }))
    }

    async fn get_global_enforcement(
        &self,
        request: Request<GetGlobalEnforcementRequest>,
    ) -> Result<Response<GlobalEnforcement>, Status> {
        Ok(Response::new(self.0.global_enforcement(request.into_inner().try_into()?).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_too_large_for_the_wire_saturates() {
        assert_eq!(total_size(7), 7);
        assert_eq!(total_size(u64::from(u32::MAX) + 1), i32::MAX);
    }
}
