//! Reliability and security over the wire: write authorization, limits, graceful shutdown,
//! durability across kill -9, and a suite of hostile inputs that must each get a precise status.

mod support;

use std::time::Duration;

use support::{ServerProcess, TestServer};
use tip_model::pb::{
    CompareReportsRequest, GetCountryRequest, GetReportRequest, GetTierDistributionRequest, GetTierHistoryRequest,
    IngestDocumentRequest, IngestDocumentsRequest, ListCountriesRequest, ListRecommendationsRequest,
    ListReportRevisionsRequest, ListReportsRequest, ListTierChangesRequest, SearchReportsRequest, WatchReportsRequest,
};
use tip_server::api::ingest_service_client::IngestServiceClient;
use tip_server::api::report_service_client::ReportServiceClient;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A small, valid narrative of `country` for `year`.
fn narrative(country: &str, year: i32) -> Vec<u8> {
    format!(
        "{country} (Tier 2) Extracted in part from the U.S. State Dept {year} TIP Report\n\n\
         The Government of {country} does not fully meet the minimum standards for the elimination of trafficking \
         but is making significant efforts to do so; therefore {country} remained on Tier 2.\n\n\
         Prioritized Recommendations\n\nVigorously investigate and prosecute trafficking crimes.\n"
    )
    .into_bytes()
}

fn with_token(
    mut request: tonic::Request<IngestDocumentRequest>,
    token: &str,
) -> tonic::Request<IngestDocumentRequest> {
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn writes_need_the_token_and_reads_stay_open() {
    let server = TestServer::start_with(|config| config.auth_token = Some("s3cret".into())).await;
    let document =
        || tonic::Request::new(IngestDocumentRequest { content: narrative("Chad", 2019), ..Default::default() });
    let missing = server.ingest().ingest_document(document()).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    let wrong = server.ingest().ingest_document(with_token(document(), "guess")).await.unwrap_err();
    assert_eq!(wrong.code(), Code::PermissionDenied);
    let accepted = server.ingest().ingest_document(with_token(document(), "s3cret")).await.unwrap();
    assert_eq!(accepted.get_ref().report.as_ref().unwrap().name, "countries/TCD/reports/2019");
    let read = server.reports().get_report(GetReportRequest { name: "countries/TCD/reports/2019".into() }).await;
    assert!(read.is_ok(), "reads need no token");
    server.stop().await;
}

#[tokio::test]
async fn a_read_only_server_has_no_ingest_service() {
    let server = TestServer::start_with(|config| config.read_only = true).await;
    let request = IngestDocumentRequest { content: narrative("Chad", 2019), ..Default::default() };
    assert_eq!(server.ingest().ingest_document(request).await.unwrap_err().code(), Code::Unimplemented);
    // Health reports only the services served, once every one is SERVING (the server as a whole,
    // "", turns SERVING a moment before them); IngestService is unknown to it: NOT_FOUND.
    let mut health = HealthClient::new(server.channel.clone());
    let check = |service: &str| HealthCheckRequest { service: service.into() };
    for attempt in 0.. {
        match health.check(check("tip.v1.ReportService")).await {
            Ok(response) if response.get_ref().status == ServingStatus::Serving as i32 => break,
            other => assert!(attempt < 500, "ReportService is not SERVING: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ingest = health.check(check("tip.v1.IngestService")).await.unwrap_err();
    assert_eq!(ingest.code(), Code::NotFound, "{ingest:?}");
    server.stop().await;
}

#[tokio::test]
async fn oversized_messages_are_resource_exhausted_and_deadlines_are_honoured() {
    let server = TestServer::start().await;
    let huge = IngestDocumentRequest { content: vec![b'a'; 20 * 1024 * 1024], ..Default::default() };
    let status = server.ingest().max_encoding_message_size(64 << 20).ingest_document(huge).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let query = SearchReportsRequest { query: "x".repeat(5 << 20), ..Default::default() };
    let status = server.reports().max_encoding_message_size(64 << 20).search_reports(query).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    let mut request = tonic::Request::new(GetTierDistributionRequest::default());
    request.set_timeout(Duration::from_nanos(1));
    let status = server.insights().get_tier_distribution(request).await.unwrap_err();
    // tonic reports an expired deadline as CANCELLED ("Timeout expired"), on both sides.
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled), "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_ends_open_streams_with_a_status() {
    let server = TestServer::start_with(|config| config.shutdown_grace = Duration::from_secs(5)).await;
    let mut watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap().into_inner();
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(server.stop());
    let ended = tokio::time::timeout(Duration::from_secs(5), watch.next()).await.expect("the stream ends");
    assert_eq!(ended.unwrap().unwrap_err().code(), Code::Unavailable);
    stopping.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    let server = ServerProcess::start(&db);
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let mut responses = IngestServiceClient::new(server.channel().await)
        .ingest_documents(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .unwrap()
        .into_inner();
    let countries = tip_model::CountryRegistry::global().all();
    let mut acknowledged = Vec::new();
    for country in countries.iter().take(30) {
        let content = narrative(&country.display_name, 2019);
        sender
            .send(IngestDocumentsRequest { document: Some(IngestDocumentRequest { content, ..Default::default() }) })
            .await
            .unwrap();
        let response = responses.next().await.unwrap().unwrap();
        assert!(response.errors.is_empty(), "{}: {:?}", country.display_name, response.errors);
        acknowledged.push(response.report);
    }
    // SIGKILL in the middle of the stream: no chance to flush or close anything.
    drop(server);
    drop(sender);

    let restarted = ServerProcess::start(&db);
    let mut reports = ReportServiceClient::new(restarted.channel().await);
    for name in &acknowledged {
        let report = reports.get_report(GetReportRequest { name: name.clone() }).await;
        assert!(report.is_ok(), "{name} was acknowledged but is gone: {report:?}");
    }
    assert_eq!(acknowledged.len(), 30);
    drop(restarted);
    let connection = rusqlite::Connection::open(&db).unwrap();
    let check: String = connection.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(check, "ok");
}

/// What a hostile request may get: a precise refusal, or an answer.
fn precise(result: Result<(), tonic::Status>, case: &str) {
    if let Err(status) = result {
        assert!(
            !matches!(status.code(), Code::Internal | Code::Unknown | Code::Unavailable),
            "{case}: {:?} {}",
            status.code(),
            status.message()
        );
    }
}

#[tokio::test]
async fn hostile_inputs_get_precise_statuses_and_change_nothing() {
    let server = TestServer::start().await;
    let before = server
        .reports()
        .get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() })
        .await
        .unwrap()
        .into_inner();
    let count = |server: &TestServer| {
        let connection = rusqlite::Connection::open(server.db_path()).unwrap();
        let n: i64 = connection.query_row("SELECT count(*) FROM reports", [], |row| row.get(0)).unwrap();
        n
    };
    let reports_before = count(&server);

    let random: Vec<u8> = (0..65_536u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11).to_le_bytes()[0]).collect();
    let mut utf16_broken = vec![0xFF, 0xFE];
    utf16_broken.extend([0x00, 0xD8, 0x41, 0x00, 0x00, 0xDC]);
    let documents: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("one space", b" ".to_vec()),
        ("random bytes", random.clone()),
        ("NUL bytes", b"MALI (Tier 2)\0\0\0".to_vec()),
        ("invalid UTF-8 without heading", vec![0xC3, 0x28, 0xA0, 0xA1, b'x']),
        ("invalid UTF-16", utf16_broken),
        ("UTF-16 without BOM", "MALI (Tier 2)".encode_utf16().flat_map(u16::to_le_bytes).collect()),
        ("one endless line", vec![b'a'; 3 * 1024 * 1024]),
        ("year 1850", b"MALI (Tier 2) Extracted from the U.S. State Dept 1850 TIP Report\n\nText.".to_vec()),
        ("year 2999", b"MALI (Tier 2) Extracted from the U.S. State Dept 2999 TIP Report\n\nText.".to_vec()),
        ("Tier 7", b"MALI (Tier 7) Extracted from the U.S. State Dept 2019 TIP Report\n\nText.".to_vec()),
        ("unknown country", b"ATLANTIS (Tier 2) Extracted from the U.S. State Dept 2019 TIP Report\n\nText.".to_vec()),
        ("only a heading", b"MALI (Tier 2)".to_vec()),
        ("only banners", b"[ Human Trafficking, Country-by-Country ]\n[ x ]\n".to_vec()),
        ("control characters", (0u8..32).cycle().take(4096).collect()),
        ("deep parentheses", "(".repeat(100_000).into_bytes()),
        ("many headings", "PROSECUTION\n".repeat(50_000).into_bytes()),
        (
            "many semicolons",
            format!("MALI (Tier 2)\n\nRecommendations for Mali: {}", "a;".repeat(200_000)).into_bytes(),
        ),
    ];
    for (case, content) in documents {
        let result =
            server.ingest().ingest_document(IngestDocumentRequest { content, ..Default::default() }).await.map(|_| ());
        let status = result.expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}: {}", status.message());
    }
    let hints = [
        ("country hint Atlantis", "Atlantis", 0),
        ("year hint 1850", "", 1850),
        ("year hint -5", "", -5),
        ("year hint 9999", "", 9999),
    ];
    for (case, country, year) in hints {
        let request = IngestDocumentRequest {
            content: b"No heading here.".to_vec(),
            country: country.into(),
            year,
            ..Default::default()
        };
        let status = server.ingest().ingest_document(request).await.expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}");
    }

    let long_name = "countries/".to_owned() + &"X".repeat(100 * 1024);
    for (case, name) in [
        ("100 KB name", long_name.as_str()),
        ("empty name", ""),
        ("lowercase", "countries/mli/reports/2023"),
        ("path traversal", "countries/../reports/2023"),
        ("SQL in name", "countries/MLI'; DROP TABLE reports; --/reports/2023"),
        ("negative year", "countries/MLI/reports/-2023"),
        ("huge year", "countries/MLI/reports/99999999999999999999"),
        ("unicode", "countries/MLÍ/reports/2023"),
    ] {
        precise(server.reports().get_report(GetReportRequest { name: name.into() }).await.map(|_| ()), case);
        precise(server.countries().get_country(GetCountryRequest { name: name.into() }).await.map(|_| ()), case);
        precise(
            server.countries().get_tier_history(GetTierHistoryRequest { name: name.into() }).await.map(|_| ()),
            case,
        );
        precise(
            server
                .reports()
                .list_report_revisions(ListReportRevisionsRequest { name: name.into(), ..Default::default() })
                .await
                .map(|_| ()),
            case,
        );
        let compare = CompareReportsRequest { base: name.into(), target: "countries/MLI/reports/2023".into() };
        precise(server.insights().compare_reports(compare).await.map(|_| ()), case);
        let recommendations = ListRecommendationsRequest { parent: name.into(), ..Default::default() };
        precise(server.insights().list_recommendations(recommendations).await.map(|_| ()), case);
    }

    for query in [
        "'; DROP TABLE reports; --",
        "\"unterminated",
        "NEAR(",
        "a OR",
        "*",
        "^",
        "narrative:slavery",
        "nocolumn:slavery",
        "\u{0}",
        "((((((((((slavery",
        "slavery AND NOT",
        "{narrative recommendations}: x",
        &"a ".repeat(600),
    ] {
        let request = SearchReportsRequest { query: query.into(), ..Default::default() };
        precise(server.reports().search_reports(request).await.map(|_| ()), &format!("search {query:?}"));
    }

    for filter in [
        "year = 2023; DROP TABLE reports",
        "country = \"MLI' OR '1'='1\"",
        "year = ",
        "yeer = 2023",
        "year == 2023",
        "tier = TIER_7",
        "region = MARS",
        &"(".repeat(500),
        &"year = 1 AND ".repeat(100),
        "year = 99999999999999999999999",
        "\u{0}",
    ] {
        let request = ListReportsRequest { filter: filter.into(), ..Default::default() };
        let status = server.reports().list_reports(request).await.expect_err(filter);
        assert_eq!(status.code(), Code::InvalidArgument, "filter {filter:?}");
        precise(
            server
                .countries()
                .list_countries(ListCountriesRequest { filter: filter.into(), ..Default::default() })
                .await
                .map(|_| ()),
            filter,
        );
    }
    for order_by in ["year; DROP TABLE reports", "nothing", "year sideways", "year, year"] {
        let request = ListReportsRequest { order_by: order_by.into(), ..Default::default() };
        assert_eq!(
            server.reports().list_reports(request).await.unwrap_err().code(),
            Code::InvalidArgument,
            "{order_by}"
        );
    }
    for page_size in [-1, i32::MIN] {
        let request = ListReportsRequest { page_size, ..Default::default() };
        assert_eq!(server.reports().list_reports(request).await.unwrap_err().code(), Code::InvalidArgument);
    }
    let huge_page = ListReportsRequest { page_size: i32::MAX, ..Default::default() };
    assert!(server.reports().list_reports(huge_page).await.is_ok(), "a huge page size is lowered, not refused");
    for token in ["forged", &"0".repeat(48), &"ff".repeat(24), &"é".repeat(24), &"a".repeat(100_000)] {
        let request = ListReportsRequest { page_token: token.into(), ..Default::default() };
        assert_eq!(server.reports().list_reports(request).await.unwrap_err().code(), Code::InvalidArgument);
    }
    for year in [0, -1, 1850, 2999, i32::MAX] {
        let request = ListTierChangesRequest { year, ..Default::default() };
        assert_eq!(
            server.insights().list_tier_changes(request).await.unwrap_err().code(),
            Code::InvalidArgument,
            "{year}"
        );
    }
    let region = ListTierChangesRequest { year: 2023, region: 99, ..Default::default() };
    assert_eq!(server.insights().list_tier_changes(region).await.unwrap_err().code(), Code::InvalidArgument);
    let backwards = GetTierDistributionRequest { start_year: 2020, end_year: 2010, ..Default::default() };
    assert_eq!(server.insights().get_tier_distribution(backwards).await.unwrap_err().code(), Code::InvalidArgument);

    // Afterwards: healthy, and the data as it was.
    let after = server
        .reports()
        .get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after, before);
    assert_eq!(count(&server), reports_before);
    server.stop().await;
}

#[tokio::test]
async fn serves_tls_with_a_certificate_the_test_makes() {
    let folder = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (folder.path().join("cert.pem"), folder.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let server = TestServer::start_tls(tip_server::TlsFiles { cert, key }, certified.cert.pem()).await;
    let report =
        server.reports().get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() }).await.unwrap();
    assert_eq!(report.get_ref().year, 2023);

    let plaintext =
        tonic::transport::Channel::from_shared(server.address.replace("https", "http")).unwrap().connect().await;
    if let Ok(channel) = plaintext {
        let refused = ReportServiceClient::new(channel)
            .get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() })
            .await;
        assert!(refused.is_err(), "plaintext is not served on a TLS port");
    }
    server.stop().await;
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_are_shed_with_retry_info() {
    use tonic_types::StatusExt;
    // Health checks are never shed: the server still turns SERVING.
    let server = TestServer::start_with(|config| config.max_concurrent_requests = 0).await;
    let status =
        server.reports().get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() }).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    let retry = status.get_error_details().retry_info().cloned().expect("RetryInfo detail");
    assert!(retry.retry_delay.is_some_and(|delay| delay > Duration::ZERO));
    server.stop().await;
}
