"""The server's /metrics, parsed by the Prometheus project's own Python parsers: the classic
text format for a plain GET, OpenMetrics for a scraper that asks for it, and the counters move
by exactly the calls this test makes."""

import urllib.request

import grpc
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_open_metrics
from prometheus_client.parser import text_string_to_metric_families as parse_classic

OPEN_METRICS = "application/openmetrics-text; version=1.0.0"


def scrape(server, accept=None):
    request = urllib.request.Request(f"http://{server.address}/metrics")
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.headers["Content-Type"], reply.read().decode()


def samples(text):
    """Every sample of the classic exposition, by (name, sorted labels), and each family's type."""
    values, types = {}, {}
    for family in parse_classic(text):
        types[family.name] = family.type
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values, types


def handled(service, method, code):
    labels = {"grpc_service": f"tip.v1.{service}", "grpc_method": method, "grpc_code": code}
    return ("grpc_server_handled_total", tuple(sorted(labels.items())))


def test_counters_move_by_exactly_the_calls_made(pb, server, reports):
    content_type, text = scrape(server)
    assert content_type.startswith("text/plain; version=0.0.4")
    before, types = samples(text)
    assert types["grpc_server_handled"] == "counter"  # the parser names a counter without _total
    assert types["grpc_server_handling_seconds"] == "histogram"
    assert before[("tip_atlas_build_info", (("version", "0.1.0"),))] == 1

    for _ in range(3):
        reports.GetReport(pb.report.GetReportRequest(name="countries/MLI/reports/2023"), timeout=10)
    with pytest.raises(grpc.RpcError) as missing:
        reports.GetReport(pb.report.GetReportRequest(name="countries/ZWE/reports/2019"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    after, _ = samples(scrape(server)[1])
    moved = lambda key: after.get(key, 0) - before.get(key, 0)  # noqa: E731
    assert moved(handled("ReportService", "GetReport", "OK")) == 3
    assert moved(handled("ReportService", "GetReport", "NotFound")) == 1
    latency = ("grpc_server_handling_seconds_count",
               (("grpc_method", "GetReport"), ("grpc_service", "tip.v1.ReportService")))
    assert moved(latency) == 4
    hits, misses = ("tip_atlas_reply_cache_hits_total", ()), ("tip_atlas_reply_cache_misses_total", ())
    assert moved(hits) + moved(misses) == 4, "each GetReport looks in the reply cache once"
    assert moved(hits) >= 2, "repeated reads are served from the cache"
    assert after[("tip_atlas_requests_in_flight", ())] == 0
    assert after[("tip_atlas_reports", ())] >= 1
    assert after[("tip_atlas_store_size_bytes", ())] > 0


def test_open_metrics_for_scrapers_that_ask(server):
    content_type, text = scrape(server, accept=f"{OPEN_METRICS},text/plain;version=0.0.4;q=0.5")
    assert content_type.startswith("application/openmetrics-text")
    families = {family.name: family.type for family in parse_open_metrics(text)}
    assert families["grpc_server_handled"] == "counter"
    assert families["grpc_server_handling_seconds"] == "histogram"
    assert families["tip_atlas_build_info"] == "gauge"
