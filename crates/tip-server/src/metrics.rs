//! Prometheus metrics, served as text at `GET /metrics` on the serving port (an
//! [`Endpoint`]). Call counts and latencies follow the
//! go-grpc-prometheus names, so existing gRPC dashboards work unchanged. A scraper that asks for
//! OpenMetrics (Prometheus does) gets it; any other client the classic text format.
//!
//! The metrics are process-wide: the hooks that feed them (the reply caches, the shedding, the
//! ingest outcome) sit deep in the layers and need no handle passed down to them.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::http_endpoint::{Answer, Endpoint};
use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_service: String,
    grpc_method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    grpc_service: String,
    grpc_method: String,
    grpc_code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// The server's metrics and the registry that encodes them.
struct Metrics {
    registry: Registry,
    handled: Family<CallLabels, Counter>,
    handling_seconds: Family<MethodLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    shed: Counter,
    replies_abandoned: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    ingested: Family<OutcomeLabels, Counter>,
    store_bytes: Gauge,
    reports: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let handled = Family::<CallLabels, Counter>::default();
        registry.register("grpc_server_handled", "Calls completed, by method and gRPC status code", handled.clone());
        let handling_seconds: Family<MethodLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "grpc_server_handling_seconds",
            "Time from a call's headers to its status, by method",
            handling_seconds.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("tip_atlas_requests_in_flight", "gRPC calls started and not yet ended", in_flight.clone());
        let shed = Counter::default();
        registry.register(
            "tip_atlas_requests_shed",
            "Calls refused with UNAVAILABLE at the in-flight limit or the read-ahead memory budget",
            shed.clone(),
        );
        let replies_abandoned = Counter::default();
        registry.register(
            "tip_atlas_replies_abandoned",
            "Replies abandoned at the write timeout, their clients' connections closed",
            replies_abandoned.clone(),
        );
        let cache_hits = Counter::default();
        registry.register("tip_atlas_reply_cache_hits", "Replies served from the reply cache", cache_hits.clone());
        let cache_misses = Counter::default();
        registry.register("tip_atlas_reply_cache_misses", "Replies the reply cache did not hold", cache_misses.clone());
        let ingested = Family::<OutcomeLabels, Counter>::default();
        registry.register("tip_atlas_documents_ingested", "Documents ingested, by outcome", ingested.clone());
        let store_bytes = Gauge::default();
        registry.register(
            "tip_atlas_store_size_bytes",
            "Size of the SQLite database file and its write-ahead log",
            store_bytes.clone(),
        );
        let reports = Gauge::default();
        registry.register("tip_atlas_reports", "Reports stored", reports.clone());
        let build_info = Family::<VersionLabels, Gauge>::default();
        build_info.get_or_create(&VersionLabels { version: env!("CARGO_PKG_VERSION").to_owned() }).set(1);
        registry.register("tip_atlas_build_info", "The running build; always 1", build_info);
        Self {
            registry,
            handled,
            handling_seconds,
            in_flight,
            shed,
            replies_abandoned,
            cache_hits,
            cache_misses,
            ingested,
            store_bytes,
            reports,
        }
    }
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The service and method of a gRPC path `/package.Service/Method`.
fn method_labels(path: &str) -> MethodLabels {
    let (service, method) = path.trim_start_matches('/').split_once('/').unwrap_or((path, ""));
    MethodLabels { grpc_service: service.to_owned(), grpc_method: method.to_owned() }
}

/// A call started: counted in flight until [`call_ended`].
pub(crate) fn call_started() {
    metrics().in_flight.inc();
}

/// A call to `path` ended, with `code` if a status passed (else it counts as CANCELLED), after
/// `latency`.
pub(crate) fn call_ended(path: &str, code: Option<tonic::Code>, latency: Duration) {
    let metrics = metrics();
    metrics.in_flight.dec();
    let labels = method_labels(path);
    metrics.handling_seconds.get_or_create(&labels).observe(latency.as_secs_f64());
    let grpc_code = go_code_name(code.unwrap_or(tonic::Code::Cancelled));
    let MethodLabels { grpc_service, grpc_method } = labels;
    metrics.handled.get_or_create(&CallLabels { grpc_service, grpc_method, grpc_code }).inc();
}

/// A code as grpc-go spells it (`OK`, `Canceled`, `NotFound`), the `grpc_code` label values
/// go-grpc-prometheus dashboards expect.
fn go_code_name(code: tonic::Code) -> String {
    match code {
        tonic::Code::Ok => "OK".to_owned(),
        tonic::Code::Cancelled => "Canceled".to_owned(),
        other => format!("{other:?}"),
    }
}

/// A reply was abandoned at the write timeout.
pub(crate) fn reply_abandoned() {
    metrics().replies_abandoned.inc();
}

/// A call was shed: refused for want of capacity.
pub(crate) fn call_shed() {
    metrics().shed.inc();
}

/// A reply-cache look-up found its reply (`hit`) or not.
pub(crate) fn reply_cache_lookup(hit: bool) {
    let metrics = metrics();
    if hit {
        metrics.cache_hits.inc()
    } else {
        metrics.cache_misses.inc()
    };
}

/// A document was ingested with `outcome` (the `IngestOutcome` name, e.g. `INGEST_OUTCOME_CREATED`).
pub(crate) fn document_ingested(outcome: &str) {
    let outcome = outcome.strip_prefix("INGEST_OUTCOME_").unwrap_or(outcome).to_ascii_lowercase();
    metrics().ingested.get_or_create(&OutcomeLabels { outcome }).inc();
}

/// `GET /metrics`: the exposition.
pub struct MetricsEndpoint {
    store: Arc<Store>,
    db: PathBuf,
}

impl MetricsEndpoint {
    /// The store gauges are read from `store` and the size of `db` at scrape time.
    pub fn new(store: Arc<Store>, db: PathBuf) -> Self {
        Self { store, db }
    }
}

impl Endpoint for MetricsEndpoint {
    fn answers(&self, method: &http::Method, path: &str) -> bool {
        method == http::Method::GET && path == "/metrics"
    }

    fn answer(self: Arc<Self>, request: http::request::Parts) -> Answer {
        // Prometheus asks for OpenMetrics; curl and older scrapers get the classic text format.
        let open_metrics = request
            .headers
            .get(http::header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("application/openmetrics-text"));
        Box::pin(async move {
            let text = tokio::task::spawn_blocking(move || self.scrape()).await.unwrap_or_default();
            let (text, content_type) = if open_metrics {
                (text, "application/openmetrics-text; version=1.0.0; charset=utf-8")
            } else {
                (classic_text(&text), "text/plain; version=0.0.4; charset=utf-8")
            };
            let mut response = Response::new(tonic::body::Body::new(text));
            response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
            response
        })
    }
}

/// The OpenMetrics exposition in the classic Prometheus text format (0.0.4): there a counter's
/// family is named as its `_total` samples, and no `# EOF` ends the text.
fn classic_text(open_metrics: &str) -> String {
    let counters: HashSet<&str> =
        open_metrics.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut text = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines().filter(|line| *line != "# EOF") {
        let renamed = ["# HELP ", "# TYPE "].into_iter().find_map(|prefix| {
            let (name, rest) = line.strip_prefix(prefix)?.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {rest}"))
        });
        text.push_str(renamed.as_deref().unwrap_or(line));
        text.push('\n');
    }
    text
}

impl MetricsEndpoint {
    /// Reads the store gauges and encodes every metric.
    fn scrape(&self) -> String {
        let metrics = metrics();
        // The database and its write-ahead log, which holds recent writes until a checkpoint.
        let mut wal = self.db.clone().into_os_string();
        wal.push("-wal");
        let bytes: u64 = [self.db.as_os_str(), &wal]
            .iter()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|file| file.len())
            .sum();
        metrics.store_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        match self.store.report_count() {
            Ok(count) => {
                metrics.reports.set(i64::try_from(count).unwrap_or(i64::MAX));
            }
            Err(error) => tracing::warn!(%error, "metrics: counting the reports failed"),
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &metrics.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_format_names_counter_families_as_their_samples_and_has_no_eof() {
        let open_metrics =
            "# HELP calls Calls.\n# TYPE calls counter\ncalls_total 3\n# HELP up Up.\n# TYPE up gauge\nup 1\n# EOF\n";
        assert_eq!(
            classic_text(open_metrics),
            "# HELP calls_total Calls.\n# TYPE calls_total counter\ncalls_total 3\n# HELP up Up.\n# TYPE up gauge\nup 1\n"
        );
    }

    #[test]
    fn codes_and_methods_are_labelled_as_go_grpc_prometheus_does() {
        assert_eq!(go_code_name(tonic::Code::Ok), "OK");
        assert_eq!(go_code_name(tonic::Code::Cancelled), "Canceled");
        assert_eq!(go_code_name(tonic::Code::NotFound), "NotFound");
        let labels = method_labels("/tip.v1.ReportService/GetReport");
        assert_eq!((labels.grpc_service.as_str(), labels.grpc_method.as_str()), ("tip.v1.ReportService", "GetReport"));
    }
}
