//! Operating the `tip-atlas` binary: the Prometheus exposition at `/metrics` moves by exactly the
//! calls made, every call carries a request id (the client's or a generated one) in its reply
//! and in its JSON log lines, and `serve` reads its flags from `TIP_ATLAS_*` variables.

mod support;

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Command, Stdio};

use support::shared_narrative;
use tip_model::pb::{GetReportRequest, IngestDocumentRequest, IngestOutcome};
use tip_server::api::ingest_service_client::IngestServiceClient;
use tip_server::api::report_service_client::ReportServiceClient;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The binary serving a fresh database, configured through the environment only, its JSON log
/// written to a file.
struct Server {
    address: String,
    child: std::process::Child,
    log: std::path::PathBuf,
    _folder: tempfile::TempDir,
}

impl Server {
    /// Started with `settings`, more `TIP_ATLAS_*` variables.
    fn start(settings: &[(&str, &str)]) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let log = folder.path().join("stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
            .arg("serve")
            .env("TIP_ATLAS_LISTEN", "127.0.0.1:0")
            .env("TIP_ATLAS_DB", folder.path().join("atlas.sqlite"))
            .env("TIP_ATLAS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(settings.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("tip-atlas starts");
        let mut first_line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
        let address = first_line.trim().strip_prefix("listening on ").expect("the address is printed").to_owned();
        Self { address, child, log, _folder: folder }
    }

    async fn channel(&self) -> Channel {
        let channel = Channel::from_shared(format!("http://{}", self.address)).unwrap().connect().await.unwrap();
        let mut health =
            HealthClient::new(channel.clone()).watch(HealthCheckRequest::default()).await.unwrap().into_inner();
        while let Some(reply) = health.next().await {
            if reply.unwrap().status == ServingStatus::Serving as i32 {
                return channel;
            }
        }
        panic!("the health watch ended before SERVING");
    }

    /// The reply to an HTTP/1.1 request of `method` on `path` with `headers`: its head and body.
    fn http1(&self, method: &str, path: &str, headers: &str) -> (String, String) {
        let (head, body) = support::http1(&self.address, method, path, headers, b"");
        (head, String::from_utf8(body).unwrap())
    }

    /// `GET /metrics` asking for OpenMetrics, as Prometheus scrapes: every sample by its name and
    /// labels.
    fn scrape(&self) -> HashMap<String, f64> {
        let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
        let (head, body) = self.http1("GET", "/metrics", &format!("Accept: {accept}\r\n"));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/openmetrics-text"), "{head}");
        assert!(body.trim_end().ends_with("# EOF"), "one whole exposition: {body}");
        body.lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| {
                let (sample, value) = line.rsplit_once(' ').unwrap();
                (sample.to_owned(), value.parse().unwrap())
            })
            .collect()
    }

    /// The JSON log lines written so far, after the server stopped.
    fn stop_and_read_log(mut self) -> Vec<serde_json::Value> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}")))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How much the sample `name` moved from `before` to `after` (absent counts as 0).
fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>, name: &str) -> f64 {
    after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0)
}

/// The sample name of calls to `service`/`method` ended with `code`.
fn handled_sample(service: &str, method: &str, code: &str) -> String {
    format!(r#"grpc_server_handled_total{{grpc_service="tip.v1.{service}",grpc_method="{method}",grpc_code="{code}"}}"#)
}

fn get(name: &str) -> tonic::Request<GetReportRequest> {
    tonic::Request::new(GetReportRequest { name: name.to_owned() })
}

#[tokio::test]
async fn metrics_move_by_exactly_the_calls_made_and_request_ids_reach_replies_and_logs() {
    let server = Server::start(&[]);
    let channel = server.channel().await;
    let mut reports = ReportServiceClient::new(channel.clone());
    let mut ingest = IngestServiceClient::new(channel);
    let before = server.scrape();
    assert_eq!(before.get(r#"tip_atlas_build_info{version="0.1.0"}"#), Some(&1.0));

    let mali_2017 =
        IngestDocumentRequest { content: shared_narrative("MALI_2017_refworld.txt"), year: 2017, ..Default::default() };
    let created = ingest.ingest_document(mali_2017.clone()).await.unwrap().into_inner();
    assert_eq!(created.outcome(), IngestOutcome::Created);
    let again = ingest.ingest_document(mali_2017).await.unwrap().into_inner();
    assert_eq!(again.outcome(), IngestOutcome::Unchanged);

    let mut tagged = get("countries/MLI/reports/2017");
    tagged.metadata_mut().insert("x-request-id", "observability-test-1".parse().unwrap());
    let first = reports.get_report(tagged).await.unwrap();
    assert_eq!(first.metadata().get("x-request-id").unwrap(), "observability-test-1");
    let second = reports.get_report(get("countries/MLI/reports/2017")).await.unwrap();
    let generated = second.metadata().get("x-request-id").expect("a generated request id").to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 16);
    let missing = reports.get_report(get("countries/ZWE/reports/2019")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    let after = server.scrape();
    let expected = [
        (handled_sample("IngestService", "IngestDocument", "OK"), 2.0),
        (handled_sample("ReportService", "GetReport", "OK"), 2.0),
        (handled_sample("ReportService", "GetReport", "NotFound"), 1.0),
        (
            r#"grpc_server_handling_seconds_count{grpc_service="tip.v1.ReportService",grpc_method="GetReport"}"#
                .to_owned(),
            3.0,
        ),
        (r#"tip_atlas_documents_ingested_total{outcome="created"}"#.to_owned(), 1.0),
        (r#"tip_atlas_documents_ingested_total{outcome="unchanged"}"#.to_owned(), 1.0),
        ("tip_atlas_reports".to_owned(), 1.0),
        ("tip_atlas_requests_shed_total".to_owned(), 0.0),
        // The first read of the new report and the missing one miss; the repeated read hits.
        ("tip_atlas_reply_cache_misses_total".to_owned(), 2.0),
        ("tip_atlas_reply_cache_hits_total".to_owned(), 1.0),
    ];
    for (sample, by) in &expected {
        assert_eq!(moved(&before, &after, sample), *by, "{sample}");
    }
    assert_eq!(after["tip_atlas_requests_in_flight"], 0.0);
    assert!(after["tip_atlas_store_size_bytes"] > 0.0);
    let log = server.stop_and_read_log();
    let request_lines = |id: &str| {
        log.iter()
            .filter(|line| line["span"]["request_id"] == id)
            .map(|line| {
                (
                    line["span"]["method"].clone(),
                    line["fields"]["status"].clone(),
                    line["fields"]["latency_us"].is_u64(),
                )
            })
            .collect::<Vec<_>>()
    };
    let get_report = serde_json::json!("/tip.v1.ReportService/GetReport");
    assert_eq!(request_lines("observability-test-1"), [(get_report.clone(), serde_json::json!("Ok"), true)]);
    assert_eq!(request_lines(&generated), [(get_report, serde_json::json!("Ok"), true)]);
}

#[tokio::test]
async fn calls_shed_at_the_in_flight_limit_are_counted() {
    // No request may be in flight: every call but health checks is shed.
    let server = Server::start(&[("TIP_ATLAS_MAX_CONCURRENT_REQUESTS", "0")]);
    let mut reports = ReportServiceClient::new(server.channel().await);
    let before = server.scrape();
    for _ in 0..2 {
        let shed = reports.get_report(get("countries/MLI/reports/2023")).await.unwrap_err();
        assert_eq!(shed.code(), tonic::Code::Unavailable);
    }
    let after = server.scrape();
    assert_eq!(moved(&before, &after, "tip_atlas_requests_shed_total"), 2.0);
    assert_eq!(moved(&before, &after, &handled_sample("ReportService", "GetReport", "Unavailable")), 2.0);
}

#[tokio::test]
async fn calls_to_methods_not_served_share_one_label() {
    let server = Server::start(&[]);
    let _ready = server.channel().await;
    let before = server.scrape();
    // gRPC-Web, as a browser calls over HTTP/1.1: counted as the gRPC calls they become.
    for path in ["/made.up.Service/One", "/made.up.Service/Two"] {
        let (head, _) = server.http1("POST", path, "Content-Type: application/grpc-web\r\nContent-Length: 0\r\n");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    let after = server.scrape();
    assert!(!after.keys().any(|sample| sample.contains("made.up")), "{after:?}");
    let unknown = after
        .keys()
        .filter(|sample| {
            sample.starts_with(r#"grpc_server_handled_total{grpc_service="unknown",grpc_method="unknown""#)
        })
        .map(|sample| moved(&before, &after, sample))
        .sum::<f64>();
    assert_eq!(unknown, 2.0);
}

#[test]
fn serve_help_lists_the_environment_variables() {
    let help = Command::new(env!("CARGO_BIN_EXE_tip-atlas")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for variable in [
        "TIP_ATLAS_LISTEN",
        "TIP_ATLAS_DB",
        "TIP_ATLAS_LOG_FORMAT",
        "TIP_ATLAS_MAX_CONCURRENT_REQUESTS",
        "TIP_ATLAS_CACHE_ENTRIES",
    ] {
        assert!(help.contains(&format!("[env: {variable}")), "{variable} in:\n{help}");
    }
}
