"""A Python client of tip.v1, built from the protos alone, against the real tip-atlas server."""

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from conftest import REPO


def test_get_report_mali_2023(pb, reports):
    report = reports.GetReport(pb.report.GetReportRequest(name="countries/MLI/reports/2023"), timeout=10)
    assert report.name == "countries/MLI/reports/2023"
    assert report.year == 2023
    assert report.tier == pb.common.TIER_2
    assert len(report.recommendations) == 9
    assert report.recommendations[0].text.startswith("Vigorously investigate and prosecute")


def test_get_country_mali(pb, countries):
    country = countries.GetCountry(pb.country.GetCountryRequest(name="countries/MLI"), timeout=10)
    assert country.name == "countries/MLI"
    assert country.display_name == "Mali"
    assert country.region == pb.common.REGION_AF


def test_list_countries_walks_every_page(pb, countries):
    names, token = [], ""
    for _ in range(100):  # bounded: 50 per page, a few hundred countries
        page = countries.ListCountries(
            pb.country.ListCountriesRequest(page_size=50, page_token=token), timeout=10)
        assert 0 < len(page.countries) <= 50
        names += [c.display_name for c in page.countries]
        token = page.next_page_token
        if not token:
            break
    else:
        pytest.fail("next_page_token never came back empty")
    assert len(set(names)) >= 185
    assert len(names) == len(set(names)), "a country came on two pages"


def test_get_report_of_a_year_without_report_is_not_found(pb, reports):
    with pytest.raises(grpc.RpcError) as caught:
        reports.GetReport(pb.report.GetReportRequest(name="countries/MLI/reports/2002"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_get_report_with_a_bad_name_explains_the_field(pb, reports):
    with pytest.raises(grpc.RpcError) as caught:
        reports.GetReport(pb.report.GetReportRequest(name="not a name"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    status = rpc_status.from_call(caught.value)
    assert status is not None, "no google.rpc.Status in the grpc-status-details-bin trailer"
    bad_requests = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            bad_requests.append(bad_request)
    assert bad_requests, f"no google.rpc.BadRequest among {[d.type_url for d in status.details]}"
    fields = [v.field for b in bad_requests for v in b.field_violations]
    assert "name" in fields


def test_search_finds_hereditary_slavery_with_highlights(pb, reports):
    reply = reports.SearchReports(pb.report.SearchReportsRequest(query='"hereditary slavery"'), timeout=10)
    hit = reply.results[0]
    assert hit.report == "countries/MLI/reports/2023"
    snippet = hit.snippets[0]
    first = snippet.highlights[0]
    # Offsets count Unicode code points, which Python strings index directly.
    assert snippet.text[first.start:first.end].lower() == "hereditary slavery"


def test_tier_history_shows_the_watch_list_then_the_upgrade(pb, countries):
    history = countries.GetTierHistory(pb.country.GetTierHistoryRequest(name="countries/MLI"), timeout=10)
    by_year = {entry.year: entry for entry in history.entries}
    assert by_year[2022].tier == pb.common.TIER_2_WATCH_LIST
    assert by_year[2023].tier == pb.common.TIER_2
    assert by_year[2023].movement == pb.country.TIER_MOVEMENT_UPGRADED


def test_ingest_then_compare_reads_tier_3_to_tier_2(pb, ingest, insights):
    content = (REPO.parent / "shared/data/narratives/MALI_2017_refworld.txt").read_bytes()
    reply = ingest.IngestDocument(pb.ingest.IngestDocumentRequest(content=content, year=2017), timeout=10)
    assert reply.report.name == "countries/MLI/reports/2017"
    comparison = insights.CompareReports(pb.insight.CompareReportsRequest(
        base="countries/MLI/reports/2017", target="countries/MLI/reports/2023"), timeout=10)
    assert (comparison.base_tier, comparison.target_tier) == (pb.common.TIER_3, pb.common.TIER_2)


def test_a_bad_filter_says_where_it_broke_in_rich_details(pb, reports):
    with pytest.raises(grpc.RpcError) as caught:
        reports.ListReports(pb.report.ListReportsRequest(filter="year >= "), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    violation = bad_request.field_violations[0]
    assert violation.field == "filter"
    assert "column" in violation.description
