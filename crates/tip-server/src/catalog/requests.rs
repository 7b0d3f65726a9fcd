//! The request boundary: each `tip.v1` request checked and turned into the typed arguments the
//! catalog takes, every violation an INVALID_ARGUMENT naming its field. A handler converts,
//! calls the catalog, and converts the answer back; the catalog never sees a request message.

use tip_ingest::{Hints, MediaType};
use tip_model::names::parse_country_name;
use tip_model::pb::{self, Region, ReportView};
use tip_model::{Iso3, ReportName, ReportYear};

use crate::error::ApiError;
use crate::page_token::page_size;
use crate::query_fields::SqlFilter;
use crate::query_fields::{COUNTRY_FIELDS, ENFORCEMENT_FIELDS, PLACEMENT_FIELDS, REPORT_FIELDS, compiled_query};

/// The default and the largest page size of the list calls.
const LIST_PAGE_SIZES: (u64, u64) = (50, 1000);

/// The default and the largest page size of placements: a year's world map in one page.
const PLACEMENT_PAGE_SIZES: (u64, u64) = (250, 1000);

/// The default and the largest page size of search, whose results carry snippets.
const SEARCH_PAGE_SIZES: (u64, u64) = (20, 100);

/// The longest search query, in bytes.
const MAX_QUERY_BYTES: usize = 1000;

/// The page a request asks for.
pub struct PageRequest {
    /// The request's other fields: a page token is valid for the query that issued it only.
    pub(super) query: String,
    /// How many items at most.
    pub(super) limit: u64,
    /// Where the page starts: a `next_page_token` of the same query, or empty for the first.
    pub(super) token: String,
}

impl PageRequest {
    fn new(query: String, size: i32, token: String, (default, max): (u64, u64)) -> Result<Self, ApiError> {
        Ok(Self { limit: page_size(size, default, max)?, query, token })
    }
}

/// A report name in the request field `field`.
pub fn report_name(field: &str, name: &str) -> Result<ReportName, ApiError> {
    ReportName::parse(name).map_err(|e| ApiError::invalid(field, e))
}

/// A country name (`countries/{ISO3}`) in the request field `field`.
pub fn country(field: &str, name: &str) -> Result<Iso3, ApiError> {
    parse_country_name(name).map_err(|e| ApiError::invalid(field, e))
}

/// `countries/{ISO3}` as a filter on one country; empty or `countries/-` for all.
pub fn parent_country(parent: &str) -> Result<Option<Iso3>, ApiError> {
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

/// ListReports: the reports of one country or of all, filtered, ordered, in a view.
pub struct ReportListing {
    pub(super) country: Option<Iso3>,
    pub(super) filter: SqlFilter,
    pub(super) order: String,
    pub(super) full_view: bool,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListReportsRequest> for ReportListing {
    type Error = ApiError;

    fn try_from(request: pb::ListReportsRequest) -> Result<Self, ApiError> {
        let country = parent_country(&request.parent)?;
        let (filter, order) = compiled_query(&request.filter, &request.order_by, REPORT_FIELDS, "iso3 ASC, year ASC")?;
        let full_view = request.view() == ReportView::Full;
        let query = format!("reports|{}|{}|{}", request.parent, request.filter, request.order_by);
        let page = PageRequest::new(query, request.page_size, request.page_token, LIST_PAGE_SIZES)?;
        Ok(Self { country, filter, order, full_view, page })
    }
}

/// SearchReports: a full-text query among the reports a filter keeps.
pub struct SearchQuery {
    /// The FTS5 query.
    pub(super) text: String,
    /// The filter as the client wrote it (with the text, it keys the reply cache).
    pub(super) filter_text: String,
    pub(super) filter: SqlFilter,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::SearchReportsRequest> for SearchQuery {
    type Error = ApiError;

    fn try_from(request: pb::SearchReportsRequest) -> Result<Self, ApiError> {
        if request.query.trim().is_empty() {
            return Err(ApiError::invalid("query", "the query is empty"));
        }
        if request.query.len() > MAX_QUERY_BYTES {
            return Err(ApiError::invalid("query", format!("the query is longer than {MAX_QUERY_BYTES} bytes")));
        }
        super::search_cost::check(&request.query).map_err(|limit| ApiError::invalid("query", limit))?;
        let (filter, _) = compiled_query(&request.filter, "", REPORT_FIELDS, "iso3 ASC")?;
        let query = format!("search|{}|{}", request.query, request.filter);
        let page = PageRequest::new(query, request.page_size, request.page_token, SEARCH_PAGE_SIZES)?;
        Ok(Self { text: request.query, filter_text: request.filter, filter, page })
    }
}

/// ListReportRevisions: every document ingested for one report.
pub struct RevisionListing {
    pub(super) name: ReportName,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListReportRevisionsRequest> for RevisionListing {
    type Error = ApiError;

    fn try_from(request: pb::ListReportRevisionsRequest) -> Result<Self, ApiError> {
        let name = report_name("name", &request.name)?;
        let query = format!("revisions|{}", request.name);
        let page = PageRequest::new(query, request.page_size, request.page_token, LIST_PAGE_SIZES)?;
        Ok(Self { name, page })
    }
}

/// ListCountries: the registry's countries, filtered and ordered.
pub struct CountryListing {
    pub(super) filter: SqlFilter,
    pub(super) order: String,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListCountriesRequest> for CountryListing {
    type Error = ApiError;

    fn try_from(request: pb::ListCountriesRequest) -> Result<Self, ApiError> {
        let (filter, order) = compiled_query(&request.filter, &request.order_by, COUNTRY_FIELDS, "iso3 ASC")?;
        let query = format!("countries|{}|{}", request.filter, request.order_by);
        let page = PageRequest::new(query, request.page_size, request.page_token, LIST_PAGE_SIZES)?;
        Ok(Self { filter, order, page })
    }
}

/// ListPlacements: placements by year, country, region, tier and movement.
pub struct PlacementListing {
    pub(super) filter: SqlFilter,
    pub(super) order: String,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListPlacementsRequest> for PlacementListing {
    type Error = ApiError;

    fn try_from(request: pb::ListPlacementsRequest) -> Result<Self, ApiError> {
        let (filter, order) =
            compiled_query(&request.filter, &request.order_by, PLACEMENT_FIELDS, "year ASC, iso3 ASC")?;
        let query = format!("placements|{}|{}", request.filter, request.order_by);
        let page = PageRequest::new(query, request.page_size, request.page_token, PLACEMENT_PAGE_SIZES)?;
        Ok(Self { filter, order, page })
    }
}

/// IngestDocument, and IngestFile once its chunks are read: a file to parse and, unless only
/// validated, to store.
pub struct Document {
    pub(super) content: Vec<u8>,
    pub(super) hints: Hints,
    /// What the file is, when the request says; else its bytes tell.
    pub(super) media_type: Option<MediaType>,
    pub(super) validate_only: bool,
}

impl TryFrom<pb::IngestDocumentRequest> for Document {
    type Error = ApiError;

    fn try_from(request: pb::IngestDocumentRequest) -> Result<Self, ApiError> {
        let pb::IngestDocumentRequest { content, source_uri, country, year, validate_only, media_type } = request;
        let metadata = pb::IngestFileMetadata { source_uri, media_type, country, year, validate_only };
        Document::from_file(metadata, content)
    }
}

impl Document {
    /// A file sent to IngestFile: the metadata of its first message and all its chunks.
    ///
    /// # Errors
    /// An empty file, or a media type that is not read.
    pub fn from_file(metadata: pb::IngestFileMetadata, content: Vec<u8>) -> Result<Self, ApiError> {
        if content.is_empty() {
            return Err(ApiError::invalid("content", "the document is empty"));
        }
        let media_type = Some(metadata.media_type.trim())
            .filter(|name| !name.is_empty())
            .map(str::parse::<MediaType>)
            .transpose()
            .map_err(|e| ApiError::invalid("media_type", e))?;
        let hints = Hints {
            country: Some(metadata.country).filter(|c| !c.trim().is_empty()),
            year: (metadata.year != 0).then_some(i64::from(metadata.year)),
            source_uri: Some(metadata.source_uri).filter(|u| !u.is_empty()),
        };
        Ok(Self { content, hints, media_type, validate_only: metadata.validate_only })
    }
}

/// ListTierChanges: one year's moves, in one region or all.
pub struct TierChangeQuery {
    pub(super) year: ReportYear,
    /// `Unspecified` for every region.
    pub(super) region: Region,
    pub(super) include_unchanged: bool,
}

impl TryFrom<pb::ListTierChangesRequest> for TierChangeQuery {
    type Error = ApiError;

    fn try_from(request: pb::ListTierChangesRequest) -> Result<Self, ApiError> {
        Ok(Self {
            year: year("year", request.year)?,
            region: region("region", request.region)?,
            include_unchanged: request.include_unchanged,
        })
    }
}

/// GetTierDistribution: the tiers counted over a range of years.
pub struct DistributionQuery {
    /// The first and last year counted; `None` for every year known.
    pub(super) years: Option<(i32, i32)>,
    pub(super) by_region: bool,
}

impl TryFrom<pb::GetTierDistributionRequest> for DistributionQuery {
    type Error = ApiError;

    fn try_from(request: pb::GetTierDistributionRequest) -> Result<Self, ApiError> {
        Ok(Self { years: year_range(request.start_year, request.end_year)?, by_region: request.by_region })
    }
}

/// GetPlacementCoverage: the coverage of a range of years.
pub struct CoverageQuery {
    /// The first and last year; `None` for every year known.
    pub(super) years: Option<(i32, i32)>,
}

impl TryFrom<pb::GetPlacementCoverageRequest> for CoverageQuery {
    type Error = ApiError;

    fn try_from(request: pb::GetPlacementCoverageRequest) -> Result<Self, ApiError> {
        Ok(Self { years: year_range(request.start_year, request.end_year)? })
    }
}

/// A range of report years from `start_year` and `end_year` fields, 0 meaning open: `None` for
/// every year known.
fn year_range(start: i32, end: i32) -> Result<Option<(i32, i32)>, ApiError> {
    Ok(match (start, end) {
        (0, 0) => None,
        (start, 0) => Some((year("start_year", start)?.get(), start)),
        (0, end) => Some((tip_model::year::FIRST_REPORT_YEAR, year("end_year", end)?.get())),
        (start, end) => {
            let (start, end) = (year("start_year", start)?.get(), year("end_year", end)?.get());
            if start > end {
                return Err(ApiError::invalid("end_year", format!("{end} is before start_year {start}")));
            }
            Some((start, end))
        }
    })
}

/// CompareReports: two reports, usually of one country in two years.
pub struct Comparison {
    pub(super) base: ReportName,
    pub(super) target: ReportName,
}

impl TryFrom<pb::CompareReportsRequest> for Comparison {
    type Error = ApiError;

    fn try_from(request: pb::CompareReportsRequest) -> Result<Self, ApiError> {
        Ok(Self { base: report_name("base", &request.base)?, target: report_name("target", &request.target)? })
    }
}

/// ListRecommendations: a country's recommendations grouped across years.
pub struct RecommendationListing {
    pub(super) country: Iso3,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListRecommendationsRequest> for RecommendationListing {
    type Error = ApiError;

    fn try_from(request: pb::ListRecommendationsRequest) -> Result<Self, ApiError> {
        let country = country("parent", &request.parent)?;
        let query = format!("recommendations|{}", request.parent);
        let page = PageRequest::new(query, request.page_size, request.page_token, LIST_PAGE_SIZES)?;
        Ok(Self { country, page })
    }
}

/// GetEnforcementSeries: one country's figures, for one measure or all four.
pub struct EnforcementSeriesQuery {
    pub(super) country: Iso3,
    /// `None` for every measure.
    pub(super) measure: Option<pb::EnforcementMeasure>,
}

impl TryFrom<pb::GetEnforcementSeriesRequest> for EnforcementSeriesQuery {
    type Error = ApiError;

    fn try_from(request: pb::GetEnforcementSeriesRequest) -> Result<Self, ApiError> {
        let country = country("name", &request.name)?;
        let measure = match pb::EnforcementMeasure::try_from(request.measure) {
            Ok(pb::EnforcementMeasure::Unspecified) => None,
            Ok(measure) => Some(measure),
            Err(_) => {
                let value = request.measure;
                return Err(ApiError::invalid("measure", format!("{value} is not an EnforcementMeasure value")));
            }
        };
        Ok(Self { country, measure })
    }
}

/// ListEnforcementFigures: a year's figures, filtered and ordered over their rows.
pub struct EnforcementListing {
    pub(super) year: ReportYear,
    pub(super) filter: SqlFilter,
    pub(super) order: String,
    pub(super) page: PageRequest,
}

impl TryFrom<pb::ListEnforcementFiguresRequest> for EnforcementListing {
    type Error = ApiError;

    fn try_from(request: pb::ListEnforcementFiguresRequest) -> Result<Self, ApiError> {
        let year = year("year", request.year)?;
        let (filter, order) = compiled_query(
            &request.filter,
            &request.order_by,
            ENFORCEMENT_FIELDS,
            "iso3 ASC, measure ASC, period ASC",
        )?;
        let query = format!("enforcement|{}|{}|{}", request.year, request.filter, request.order_by);
        let page = PageRequest::new(query, request.page_size, request.page_token, LIST_PAGE_SIZES)?;
        Ok(Self { year, filter, order, page })
    }
}

/// ListEnforcementConflicts: restated figures that differ, of one country or all, one year or all.
pub struct ConflictQuery {
    pub(super) country: Option<Iso3>,
    /// The year of the figures restated; `None` for every year.
    pub(super) year: Option<ReportYear>,
}

impl TryFrom<pb::ListEnforcementConflictsRequest> for ConflictQuery {
    type Error = ApiError;

    fn try_from(request: pb::ListEnforcementConflictsRequest) -> Result<Self, ApiError> {
        let country = parent_country(&request.parent)?;
        let year = if request.year == 0 { None } else { Some(year("year", request.year)?) };
        Ok(Self { country, year })
    }
}

/// GetGlobalEnforcement: the report year whose totals are asked for.
pub struct GlobalEnforcementQuery {
    pub(super) year: ReportYear,
}

impl TryFrom<pb::GetGlobalEnforcementRequest> for GlobalEnforcementQuery {
    type Error = ApiError;

    fn try_from(request: pb::GetGlobalEnforcementRequest) -> Result<Self, ApiError> {
        Ok(Self { year: year("year", request.year)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::InvalidArgument { field, .. } => field,
            other => panic!("not a field violation: {other}"),
        }
    }

    #[test]
    fn each_violation_names_its_field() {
        let search = |query: &str| pb::SearchReportsRequest { query: query.into(), ..Default::default() };
        assert_eq!(field_of(SearchQuery::try_from(search(" ")).err().unwrap()), "query");
        assert_eq!(field_of(SearchQuery::try_from(search(&"a".repeat(1001))).err().unwrap()), "query");
        let filtered = pb::SearchReportsRequest { filter: "tier =".into(), ..search("forced labor") };
        assert_eq!(field_of(SearchQuery::try_from(filtered).err().unwrap()), "filter");
        let list = pb::ListReportsRequest { parent: "Mali".into(), ..Default::default() };
        assert_eq!(field_of(ReportListing::try_from(list).err().unwrap()), "parent");
        let list = pb::ListReportsRequest { order_by: "nonsense".into(), ..Default::default() };
        assert_eq!(field_of(ReportListing::try_from(list).err().unwrap()), "order_by");
        let countries = pb::ListCountriesRequest { page_size: -1, ..Default::default() };
        assert_eq!(field_of(CountryListing::try_from(countries).err().unwrap()), "page_size");
        let empty = pb::IngestDocumentRequest::default();
        assert_eq!(field_of(Document::try_from(empty).err().unwrap()), "content");
        let backwards = pb::GetTierDistributionRequest { start_year: 2020, end_year: 2010, ..Default::default() };
        assert_eq!(field_of(DistributionQuery::try_from(backwards).err().unwrap()), "end_year");
        let compare = pb::CompareReportsRequest { base: "countries/MLI/reports/2023".into(), target: "x".into() };
        assert_eq!(field_of(Comparison::try_from(compare).err().unwrap()), "target");
        let changes = pb::ListTierChangesRequest { year: 2023, region: 99, ..Default::default() };
        assert_eq!(field_of(TierChangeQuery::try_from(changes).err().unwrap()), "region");
        let series = pb::GetEnforcementSeriesRequest { name: "countries/HRV".into(), measure: 5 };
        assert_eq!(field_of(EnforcementSeriesQuery::try_from(series).err().unwrap()), "measure");
        let figures = pb::ListEnforcementFiguresRequest { year: 2018, order_by: "tier".into(), ..Default::default() };
        assert_eq!(field_of(EnforcementListing::try_from(figures).err().unwrap()), "order_by");
        let figures = pb::ListEnforcementFiguresRequest::default();
        assert_eq!(field_of(EnforcementListing::try_from(figures).err().unwrap()), "year");
        let conflicts = pb::ListEnforcementConflictsRequest { parent: "countries/-".into(), year: 1800 };
        assert_eq!(field_of(ConflictQuery::try_from(conflicts).err().unwrap()), "year");
        let global = pb::GetGlobalEnforcementRequest { year: 3000 };
        assert_eq!(field_of(GlobalEnforcementQuery::try_from(global).err().unwrap()), "year");
    }

    #[test]
    fn page_sizes_are_bounded_per_call() {
        let search = pb::SearchReportsRequest { query: "x".into(), page_size: 5000, ..Default::default() };
        assert_eq!(SearchQuery::try_from(search).map(|q| q.page.limit).ok(), Some(100));
        let list = pb::ListReportsRequest::default();
        assert_eq!(ReportListing::try_from(list).map(|q| q.page.limit).ok(), Some(50));
    }
}
