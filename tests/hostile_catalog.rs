//! Hostile uses of the catalog: reports built to make matching quadratic, watchers that stop
//! reading, writes whose caller stopped waiting, replies larger than clients read, and writes by
//! another process that watchers must still see.

mod support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use support::{ServerProcess, TestServer};
use tip_model::pb::{
    CompareReportsRequest, GetReportRequest, IngestDocumentRequest, ListRecommendationsRequest,
    ListReportRevisionsRequest, ReportEventType, WatchReportsRequest, WatchReportsResponse,
};
use tip_server::api::ingest_service_client::IngestServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A narrative of `country` for the 2019 report, its recommendations `recommendations`, and
/// `filler` more paragraphs of about 1 KB each.
fn narrative(country: &str, recommendations: &[String], filler: usize) -> Vec<u8> {
    narrative_of(country, 2019, recommendations, filler)
}

/// [`narrative`], for the report of `year`.
fn narrative_of(country: &str, year: i32, recommendations: &[String], filler: usize) -> Vec<u8> {
    let mut text = format!(
        "{country} (Tier 2) Extracted in part from the U.S. State Dept {year} TIP Report\n\n\
         The Government of {country} does not fully meet the minimum standards for the elimination of \
         trafficking but is making significant efforts to do so; therefore {country} remained on Tier 2.\n\n"
    );
    for n in 0..filler {
        let sentence = format!("Authorities reported {n} investigations of forced labor in mining and agriculture. ");
        text.push_str(&sentence.repeat(1000 / sentence.len()));
        text.push_str("\n\n");
    }
    text.push_str("Prioritized Recommendations\n\n");
    for recommendation in recommendations {
        text.push_str(&format!("• {recommendation}\n"));
    }
    text.into_bytes()
}

fn document(content: Vec<u8>) -> IngestDocumentRequest {
    IngestDocumentRequest { content, ..Default::default() }
}

async fn health(channel: &Channel) -> i32 {
    let mut client = HealthClient::new(channel.clone());
    client.check(HealthCheckRequest { service: String::new() }).await.unwrap().get_ref().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_identical_recommendations_compare_at_once_and_health_answers_meanwhile() {
    let server = TestServer::start().await;
    let same =
        vec!["Vigorously investigate and prosecute trafficking crimes and convict traffickers.".to_owned(); 12_000];
    let stored = server.ingest().ingest_document(document(narrative("Chad", &same, 0))).await.unwrap().into_inner();
    let name = stored.report.unwrap().name;
    let recommendations = server.reports().get_report(GetReportRequest { name: name.clone() }).await;
    let count = recommendations.unwrap().into_inner().recommendations.len();
    assert!(count > 0);

    // Before: 10 s and 3.6 GB for 12,000, on an async thread; health timed out meanwhile.
    let mut compare = tonic::Request::new(CompareReportsRequest { base: name.clone(), target: name.clone() });
    compare.set_timeout(Duration::from_secs(20));
    let mut insights = server.insights();
    let comparing = tokio::spawn(async move { insights.compare_reports(compare).await });
    assert_eq!(health(&server.channel).await, ServingStatus::Serving as i32);
    let comparison = comparing.await.unwrap().unwrap().into_inner();
    assert_eq!((comparison.kept.len(), comparison.added.len(), comparison.dropped.len()), (count, 0, 0));

    let listing = ListRecommendationsRequest { parent: "countries/TCD".into(), ..Default::default() };
    let recurring = server.insights().list_recommendations(listing).await.unwrap().into_inner();
    assert!(!recurring.recommendations.is_empty());
    assert_eq!(health(&server.channel).await, ServingStatus::Serving as i32);
    server.stop().await;
}

/// Log lines of every server this test binary runs, from any thread (recommendation matching
/// logs from the blocking pool): the process's global subscriber, set once.
fn global_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = log.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || LogWriter(writer.clone())).finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        log
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `n` in `width` letters (base 26): words the parser keeps as they are, unlike digits.
fn letters(n: usize, width: u32) -> String {
    (0..width).rev().map(|place| char::from(b'a' + u8::try_from(n / 26_usize.pow(place) % 26).unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_listing_of_recommendations_stops_its_matching() {
    let log = global_log();
    let server = TestServer::start_with(|config| config.request_timeout = Duration::from_secs(1)).await;
    // Ten reports of 200 recommendations that share 20 words, and have 40 of their own: 2,000
    // wordings, the most one call weighs, each weighed against every other and none alike
    // (seconds of work).
    const SHARED: &str = "prosecute traffickers protect victims investigate convict punish identify refer shelters \
                          fund train officials judges police labor inspect border screen migrants";
    for year in 2010..2020 {
        let first = usize::try_from(year).unwrap() * 200;
        let recommendations: Vec<String> = (0..200)
            .map(|n| {
                let own: Vec<String> = (0..40).map(|k| letters(k, 2) + &letters(first + n, 4)).collect();
                format!("{SHARED} {}.", own.join(" "))
            })
            .collect();
        server.ingest().ingest_document(document(narrative_of("Chad", year, &recommendations, 0))).await.unwrap();
    }
    let listing = ListRecommendationsRequest { parent: "countries/TCD".into(), ..Default::default() };
    let refused = server.insights().list_recommendations(listing).await.unwrap_err();
    assert_eq!(refused.code(), Code::DeadlineExceeded, "{refused:?}");
    // Before: the matching ran on to its end, seconds after the reply; nothing said so.
    let stopped = || String::from_utf8_lossy(&log.lock().unwrap()).contains("recommendation matching stopped");
    for _ in 0..3000 {
        if stopped() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(stopped(), "no log line says the matching stopped");
    assert_eq!(health(&server.channel).await, ServingStatus::Serving as i32);
    server.stop().await;
}

/// The server's resident memory, in KiB.
#[cfg(target_os = "linux")]
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A raw HTTP/2 connection whose streams' receive windows are zero: the server may send them
/// headers, never data.
async fn stalled_connection(address: &str) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (send, connection) = h2::client::Builder::new().initial_window_size(0).handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    send.ready().await.unwrap()
}

/// Opens a WatchReports stream of every country on `connection`.
async fn raw_watch(connection: &mut h2::client::SendRequest<Bytes>) -> h2::client::ResponseFuture {
    raw_call(connection, "WatchReports", &WatchReportsRequest::default()).await
}

/// Calls ReportService's `method` with `message` on `connection`.
async fn raw_call(
    connection: &mut h2::client::SendRequest<Bytes>,
    method: &str,
    message: &impl Message,
) -> h2::client::ResponseFuture {
    let head = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost/tip.v1.ReportService/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut stream) = connection.send_request(head, false).unwrap();
    let message = message.encode_to_vec();
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(&message);
    stream.send_data(framed.into(), true).unwrap();
    *connection = connection.clone().ready().await.unwrap();
    response
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_that_stop_reading_hold_no_reports() {
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&folder.path().join("tip.sqlite"));
    let channel = server.channel().await;
    while health(&channel).await != ServingStatus::Serving as i32 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ingest = IngestServiceClient::new(channel.clone()).max_decoding_message_size(64 << 20);
    let mut connection = stalled_connection(&server.address).await;
    let mut stalled = Vec::new();
    for _ in 0..50 {
        stalled.push(raw_watch(&mut connection).await);
    }
    // One document first, so that what the parser and SQLite keep for themselves is counted
    // before the measure.
    ingest.ingest_document(document(narrative("Chad", &[], 1000))).await.unwrap();
    let before = resident_kib(server.pid());
    for n in 1..=20 {
        let filler = 1000 + n;
        ingest.ingest_document(document(narrative("Chad", &[], filler))).await.unwrap();
    }
    let grown = resident_kib(server.pid()).saturating_sub(before);
    // Before: +705 MiB, every watcher holding 16 reports of 1 MB.
    assert!(grown < 100 << 10, "the server grew by {} MiB", grown >> 10);
    drop(stalled);
    assert_eq!(health(&channel).await, ServingStatus::Serving as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_their_clients_do_not_read_are_bounded_and_then_abandoned() {
    let log = global_log();
    let server = TestServer::start_with(|config| {
        config.max_unsent_reply_bytes = 8 << 20;
        // Long enough for the refused call below to come first on a loaded machine.
        config.write_timeout = Duration::from_secs(5);
    })
    .await;
    // About 3.5 MB of text: a report just under what a reply may take.
    let content = narrative("Niger", &["Train judges on the anti-trafficking law.".to_owned()], 3500);
    let mut ingest = server.ingest().max_encoding_message_size(16 << 20);
    let name = ingest.ingest_document(document(content)).await.unwrap().into_inner().report.unwrap().name;
    let get = || GetReportRequest { name: name.clone() };
    let size = server.reports().get_report(get()).await.unwrap().into_inner().encoded_len();
    assert!(size > 3 << 20, "{size} bytes");

    // A client that reads nothing: the server sends what the client's window takes (64 KiB),
    // and keeps the rest.
    let tcp = tokio::net::TcpStream::connect(server.address.trim_start_matches("http://")).await.unwrap();
    let (mut connection, driver) = h2::client::handshake(tcp).await.unwrap();
    let driver = tokio::spawn(driver);
    let mut unread = Vec::new();
    for _ in 0..2 {
        let response = raw_call(&mut connection, "GetReport", &get()).await;
        unread.push(response.await.unwrap().into_body());
    }
    // Two such replies fill the 8 MiB budget: the next large one is refused, although its
    // client reads. Before: every reply was kept, however many (100 of 4 MB: +326 MiB).
    let refused = server.reports().get_report(get()).await.map(|reply| reply.into_inner().name).unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("not read"), "{refused:?}");

    // At the write timeout a reply is abandoned, which the log says, and its client's connection
    // closed, which ends the other reply on it too: their memory is freed and the budget is back.
    // Before: kept until the connection closed, which the server never did.
    let abandoned = || String::from_utf8_lossy(&log.lock().unwrap()).matches("reply abandoned").count();
    for _ in 0..3000 {
        if abandoned() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(abandoned() >= 1, "the log says no reply was abandoned");
    let host = server.address.trim_start_matches("http://");
    let (_, metrics) = support::http1(host, "GET", "/metrics", "", b"");
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.lines().any(|line| line.starts_with("tip_atlas_replies_abandoned_total ") && !line.ends_with(" 0")),
        "{metrics}"
    );
    let mut answered = Err(tonic::Status::unknown("not asked"));
    for _ in 0..100 {
        answered = server.reports().get_report(get()).await.map(|reply| reply.into_inner().name);
        if answered.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered.unwrap(), name, "the budget came back");
    assert_eq!(health(&server.channel).await, ServingStatus::Serving as i32);

    // The stuck client's connection is closed, which frees what hyper held for each of its
    // streams: it cannot read the rest of the reply.
    let ended = tokio::time::timeout(Duration::from_secs(10), driver).await;
    assert!(ended.is_ok(), "the connection of the client that left its replies unread is closed");
    let mut body = unread.remove(0);
    let mut received = 0;
    loop {
        match body.data().await {
            Some(Ok(data)) => received += data.len(),
            Some(Err(_)) => break,
            None => panic!("the whole reply came: {received} bytes"),
        }
    }
    assert!(received < size, "{received} bytes");
    server.stop().await;
}

/// Holds SQLite's write lock on `db` from another connection, as another process would, until
/// dropped.
fn hold_write_lock(db: &std::path::Path) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(db).unwrap();
    connection.execute_batch("BEGIN IMMEDIATE").unwrap();
    connection
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_whose_caller_stopped_waiting_is_never_committed_nor_announced() {
    let server = TestServer::start().await;
    let mut watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap().into_inner();
    let lock = hold_write_lock(&server.db_path());
    let mut late = tonic::Request::new(document(narrative("Chad", &[], 0)));
    late.set_timeout(Duration::from_secs(1));
    let refused = server.ingest().ingest_document(late).await.unwrap_err();
    assert!(matches!(refused.code(), Code::DeadlineExceeded | Code::Cancelled), "{refused:?}");
    // The server's write still waits for the lock (its busy timeout is 5 s): released now, the
    // write gets it, and must not commit. Before: committed, and announced, seconds later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(lock);
    // Writes are serialized: once this one is answered, the other has ended.
    let niger = server.ingest().ingest_document(document(narrative("Niger", &[], 0))).await.unwrap().into_inner();
    let niger = niger.report.unwrap().name;

    let chad = "countries/TCD/reports/2019".to_owned();
    let missing = server.reports().get_report(GetReportRequest { name: chad.clone() }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let revisions = ListReportRevisionsRequest { name: chad, ..Default::default() };
    assert_eq!(server.reports().list_report_revisions(revisions).await.unwrap_err().code(), Code::NotFound);
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.report.unwrap().name, niger, "the watcher saw the abandoned write");
    server.stop().await;
}

#[tokio::test]
async fn replies_stay_within_what_standard_clients_read() {
    let server = TestServer::start().await;
    let mut watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap().into_inner();
    // About 5 MB of text: its report is larger than the 4 MiB a client reads by default.
    let content = narrative("Chad", &["Train judges on the anti-trafficking law.".to_owned()], 5000);
    let mut ingest = server.ingest().max_encoding_message_size(16 << 20);
    let stored = ingest.ingest_document(document(content)).await.expect("the reply fits").into_inner();
    let report = stored.report.unwrap();
    assert_eq!(report.name, "countries/TCD/reports/2019");
    assert!(report.paragraphs.is_empty(), "the echoed report is trimmed to the BASIC view");

    let event: WatchReportsResponse = watch.message().await.expect("the event fits").unwrap();
    assert_eq!(event.event_type(), ReportEventType::Created);
    assert_eq!(event.report.unwrap().name, report.name);

    let refused = server.reports().get_report(GetReportRequest { name: report.name.clone() }).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("BASIC view"), "{refused:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_watcher_sees_reports_another_process_writes() {
    let server = TestServer::start().await;
    let mut watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap().into_inner();
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("chad.txt");
    std::fs::write(&file, narrative("Chad", &["Train judges on the anti-trafficking law.".to_owned()], 0)).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["ingest", "--db", server.db_path().to_str().unwrap(), file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Before: never; the watcher waited forever.
    let event = tokio::time::timeout(Duration::from_secs(10), watch.message()).await.expect("an event").unwrap();
    let event = event.unwrap();
    assert_eq!(event.event_type(), ReportEventType::Created);
    assert_eq!(event.report.unwrap().name, "countries/TCD/reports/2019");
    server.stop().await;
}
