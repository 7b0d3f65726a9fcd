//! The tonic services: each handler validates its request, then calls one catalog function.

use tip_ingest::Hints;
use tip_model::ReportName;
use tip_model::names::parse_country_name;
use tip_model::pb::{
    Country, GetCountryRequest, GetReportRequest, IngestDocumentRequest, IngestDocumentResponse, ListCountriesRequest,
    ListCountriesResponse, ListReportsRequest, ListReportsResponse, Report, ReportView,
};
use tonic::{Request, Response, Status};

use crate::api::country_service_server::CountryService;
use crate::api::ingest_service_server::IngestService;
use crate::api::report_service_server::ReportService;
use crate::catalog::Catalog;
use crate::error::ApiError;

/// `tip.v1.ReportService` over the catalog.
pub struct Reports(pub Catalog);

/// `tip.v1.CountryService` over the catalog.
pub struct Countries(pub Catalog);

/// `tip.v1.IngestService` over the catalog.
pub struct Ingest(pub Catalog);

fn report_name(field: &str, name: &str) -> Result<ReportName, ApiError> {
    ReportName::parse(name).map_err(|e| ApiError::invalid(field, e))
}

/// `countries/{ISO3}` as a filter on one country; empty or `countries/-` for all.
fn parent_country(parent: &str) -> Result<Option<tip_model::Iso3>, ApiError> {
    match parent {
        "" | "countries/-" => Ok(None),
        name => parse_country_name(name).map(Some).map_err(|e| ApiError::invalid("parent", e)),
    }
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
        let view =
            ReportView::try_from(request.view).map_err(|_| ApiError::invalid("view", "unknown ReportView value"))?;
        let page = self.0.list_reports(country, request.page_size, &request.page_token, view).await?;
        Ok(Response::new(ListReportsResponse {
            reports: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size as i32,
        }))
    }
}

#[tonic::async_trait]
impl CountryService for Countries {
    async fn get_country(&self, request: Request<GetCountryRequest>) -> Result<Response<Country>, Status> {
        let iso3 = parse_country_name(&request.get_ref().name).map_err(|e| ApiError::invalid("name", e))?;
        Ok(Response::new(self.0.get_country(iso3)?))
    }

    async fn list_countries(
        &self,
        request: Request<ListCountriesRequest>,
    ) -> Result<Response<ListCountriesResponse>, Status> {
        let request = request.get_ref();
        let page = self.0.list_countries(request.page_size, &request.page_token)?;
        Ok(Response::new(ListCountriesResponse {
            countries: page.items,
            next_page_token: page.next_page_token,
            total_size: page.total_size as i32,
        }))
    }
}

#[tonic::async_trait]
impl IngestService for Ingest {
    async fn ingest_document(
        &self,
        request: Request<IngestDocumentRequest>,
    ) -> Result<Response<IngestDocumentResponse>, Status> {
        let request = request.into_inner();
        if request.content.is_empty() {
            return Err(ApiError::invalid("content", "the document is empty").into());
        }
        let hints = Hints {
            country: Some(request.country).filter(|c| !c.trim().is_empty()),
            year: (request.year != 0).then_some(i64::from(request.year)),
            source_uri: Some(request.source_uri).filter(|u| !u.is_empty()),
        };
        let (report, outcome) = self.0.ingest_document(request.content, hints, request.validate_only).await?;
        Ok(Response::new(IngestDocumentResponse { report: Some(report), outcome: outcome as i32 }))
    }
}
