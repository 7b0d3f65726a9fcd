//! The store under hostile use (issue 16): queries that would run for minutes, requests that end
//! while their query runs, a full disk, a second writer, large revisions, a database deleted
//! under the server, and a read-only file.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{ServerProcess, TestServer};
use tip_ingest::{Hints, parse_document};
use tip_model::pb;
use tip_server::Store;
use tip_server::api::ingest_service_client::IngestServiceClient;
use tip_server::api::report_service_client::ReportServiceClient;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

/// A store of the first `count` documents of the scale corpus, written at `path`.
fn corpus_store(path: &Path, count: usize) {
    let store = Store::open(path).unwrap();
    let parsed: Vec<_> = (0..count)
        .map(|i| {
            let document = tip_corpus::document(i);
            let parsed = parse_document(&document.bytes, &Hints::from_path(Path::new(&document.file_name)));
            (parsed.storable_name().unwrap(), parsed.report, document.bytes)
        })
        .collect();
    let batch: Vec<_> = parsed.iter().map(|(name, report, bytes)| (*name, report, bytes.as_slice())).collect();
    for outcome in store.put_reports(&batch).unwrap() {
        outcome.unwrap();
    }
}

fn search(query: &str) -> pb::SearchReportsRequest {
    pb::SearchReportsRequest { query: query.to_owned(), ..Default::default() }
}

/// About the costliest search the bounds allow: three prefix terms and the commonest words,
/// each matching every report, all ranked; most of a second of CPU on a debug build of the test
/// store.
const HEAVY_SEARCH: &str = "pro* con* tra* OR the OR and OR of OR to OR in OR for OR government OR victims OR \
                            trafficking OR labor OR law OR report";

/// How many heavy searches run at once: seconds of work for both cores.
const AT_ONCE: i32 = 24;

/// The heavy search, each of its `AT_ONCE` copies with a page size of its own, so that no copy
/// is answered from the reply cache.
fn heavy_search(copy: i32) -> pb::SearchReportsRequest {
    pb::SearchReportsRequest { page_size: copy + 1, ..search(HEAVY_SEARCH) }
}

/// Document `index` of the scale corpus as an IngestDocument request, with the country and year
/// hints its file name gives.
fn corpus_request(index: usize) -> pb::IngestDocumentRequest {
    ingest_request(index, tip_corpus::document(index).bytes)
}

/// `content` with the country and year hints of document `index` of the scale corpus.
fn ingest_request(index: usize, content: Vec<u8>) -> pb::IngestDocumentRequest {
    let (country, year, _) = tip_corpus::coordinates(index);
    pb::IngestDocumentRequest { content, country: country.iso3.to_string(), year, ..Default::default() }
}

/// The CPU time, user and system, a process has used so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses: utime and stime are the 12th and
    // 13th of them.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

async fn health_of(channel: tonic::transport::Channel, service: &str) -> i32 {
    let mut health = HealthClient::new(channel);
    health.check(HealthCheckRequest { service: service.to_owned() }).await.unwrap().into_inner().status
}

async fn wait_until_serving(channel: tonic::transport::Channel) {
    for _ in 0..3000 {
        if health_of(channel.clone(), "").await == ServingStatus::Serving as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server did not become SERVING");
}

const INGEST_SERVICE: &str = "tip.v1.IngestService";

/// Finding 1: a query over the cost bounds is refused before it runs, naming the bound; a query
/// whose request ends (here its client's deadline) stops at once instead of running on.
#[tokio::test]
async fn a_costly_search_is_refused_and_one_whose_request_ended_stops_at_once() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    corpus_store(&db, 600);
    let server = ServerProcess::start(&db);
    let channel = server.channel().await;
    wait_until_serving(channel.clone()).await;
    let mut reports = ReportServiceClient::new(channel);

    let refused = reports.search_reports(search(&"a* ".repeat(40))).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let violations = refused.get_error_details().bad_request().unwrap().field_violations.clone();
    assert_eq!(violations[0].field, "query");
    assert!(violations[0].description.contains("shorter than 3 characters"), "{violations:?}");
    let near = reports.search_reports(search("NEAR(forced labor, 1000000)")).await.unwrap_err();
    assert!(near.message().contains("NEAR distance 1000000 is larger than 50"), "{near:?}");

    // Seconds of work, each request with a deadline of 200 ms.
    let timed_out: Vec<_> = (0..AT_ONCE)
        .map(|copy| {
            let mut reports = reports.clone();
            let mut heavy = tonic::Request::new(heavy_search(copy));
            heavy.set_timeout(Duration::from_millis(200));
            tokio::spawn(async move { reports.search_reports(heavy).await })
        })
        .collect();
    for request in timed_out {
        let ended = request.await.unwrap().unwrap_err();
        assert!(matches!(ended.code(), Code::DeadlineExceeded | Code::Cancelled), "{ended:?}");
    }
    // Past the replies, the queries must not go on: over a second, the server stays all but idle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = cpu_ticks(server.pid());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_ticks(server.pid()) - before;
    eprintln!("the server used {used} ticks of CPU in the second after the replies");
    assert!(used < 20, "the server used {used} ticks of CPU in the second after the replies");

    let allowed = reports.search_reports(search(HEAVY_SEARCH)).await.unwrap().into_inner();
    assert!(allowed.total_size >= 600, "without a deadline, the same query answers");
}

/// Finding 9: a query still running when the shutdown grace is over is stopped; the process
/// does not wait for it.
#[tokio::test]
async fn queries_running_past_the_shutdown_grace_are_stopped() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    corpus_store(&db, 600);
    let server = ServerProcess::start_with_args(&db, &["--shutdown-grace-secs", "1"]);
    let channel = server.channel().await;
    wait_until_serving(channel.clone()).await;
    // Seconds of work for both cores, were they left to finish.
    let running: Vec<_> = (0..AT_ONCE)
        .map(|copy| {
            let mut reports = ReportServiceClient::new(channel.clone());
            tokio::spawn(async move { reports.search_reports(heavy_search(copy)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    let took = stopping.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(3), "stopped {took:?} after SIGTERM, with a grace of 1 s");
    for request in running {
        let _ = request.await.unwrap();
    }
}

/// Finding 10: a full store answers RESOURCE_EXHAUSTED, not INTERNAL, and health shows that
/// IngestService cannot write until a write succeeds again. The full disk is the server's own
/// `max_db_bytes` cap (SQLite's max_page_count), which fails as a full disk does (SQLITE_FULL).
#[tokio::test]
async fn a_full_store_answers_resource_exhausted_and_health_shows_it() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    TestServer::start_with(|config| config.db = db.clone()).await.stop().await;
    let loaded = std::fs::metadata(&db).unwrap().len();
    let path = db.clone();
    let server = TestServer::start_with(move |config| {
        config.db = path;
        config.max_db_bytes = Some(loaded + (256 << 10));
    })
    .await;
    let mut ingest = server.ingest();
    let mut full = None;
    for index in 0..200 {
        match ingest.ingest_document(corpus_request(index)).await {
            Ok(_) => {}
            Err(status) => {
                full = Some(status);
                break;
            }
        }
    }
    let full = full.expect("the store fills up");
    assert_eq!(full.code(), Code::ResourceExhausted, "{full:?}");
    assert!(full.message().contains("full"), "{full:?}");
    assert_eq!(health_of(server.channel.clone(), INGEST_SERVICE).await, ServingStatus::NotServing as i32);
    assert_eq!(health_of(server.channel.clone(), "").await, ServingStatus::Serving as i32, "reads go on");
    // The same bytes again write nothing and succeed: the store takes writes again.
    ingest.ingest_document(corpus_request(0)).await.unwrap();
    assert_eq!(health_of(server.channel.clone(), INGEST_SERVICE).await, ServingStatus::Serving as i32);
    server.stop().await;
}

/// Finding 11: `tip-atlas ingest --db` beside a server's IngestDocuments stream on the same
/// file: each waits for the other's write lock, and no document fails.
#[tokio::test]
async fn a_second_writer_beside_an_ingest_stream_fails_no_document() {
    const EACH: usize = 300;
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    let documents = folder.path().join("documents");
    std::fs::create_dir(&documents).unwrap();
    for index in EACH..2 * EACH {
        let document = tip_corpus::document(index);
        std::fs::write(documents.join(&document.file_name), &document.bytes).unwrap();
    }
    let server = ServerProcess::start(&db);
    let channel = server.channel().await;
    wait_until_serving(channel.clone()).await;
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&documents)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let requests =
        tokio_stream::iter((0..EACH).map(|index| pb::IngestDocumentsRequest { document: Some(corpus_request(index)) }));
    let mut replies = IngestServiceClient::new(channel).ingest_documents(requests).await.unwrap().into_inner();
    let mut answered = 0;
    while let Some(reply) = replies.message().await.unwrap() {
        assert!(!reply.report.is_empty(), "document {} refused: {reply:?}", reply.index);
        answered += 1;
    }
    assert_eq!(answered, EACH);
    let cli = tokio::task::spawn_blocking(move || cli.wait_with_output().unwrap()).await.unwrap();
    assert!(cli.status.success(), "{cli:?}");
}

/// Finding 13: a page of revisions stops before the raw bytes pass its budget (2 MiB), and goes
/// on from there with its next_page_token: never every revision read for one page.
#[tokio::test]
async fn a_page_of_revisions_stops_at_its_byte_budget() {
    let server = TestServer::start().await;
    let mut ingest = server.ingest();
    let base = tip_corpus::document(0).bytes;
    let mut name = String::new();
    for variant in 0..3 {
        // About 900 KB each: three pass the 2 MiB budget, two do not.
        let mut content = base.clone();
        content.extend_from_slice(format!("\n\nRevision {variant}.").as_bytes());
        let sentence = "The government continued to investigate trafficking cases in every region. ";
        content.extend_from_slice(format!("\n\n{}\n", sentence.repeat(900_000 / sentence.len())).as_bytes());
        let reply = ingest.ingest_document(ingest_request(0, content)).await.unwrap().into_inner();
        name = reply.report.unwrap().name;
    }
    let mut reports = server.reports();
    let request = |page_token: String| pb::ListReportRevisionsRequest { name: name.clone(), page_size: 10, page_token };
    let first = reports.list_report_revisions(request(String::new())).await.unwrap().into_inner();
    assert_eq!(first.revisions.len(), 2, "the third would pass the byte budget");
    assert!(!first.next_page_token.is_empty());
    let second = reports.list_report_revisions(request(first.next_page_token)).await.unwrap().into_inner();
    assert_eq!(second.revisions.len(), 1);
    assert!(second.next_page_token.is_empty());
    server.stop().await;
}

/// Finding 14: the database's folder deleted under the server: writes are refused with
/// UNAVAILABLE instead of acknowledged and lost, and health reports IngestService NOT_SERVING.
#[tokio::test]
async fn writes_to_a_deleted_database_are_refused() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("data/tip.sqlite");
    let path = db.clone();
    let server = TestServer::start_with(move |config| config.db = path).await;
    std::fs::remove_dir_all(folder.path().join("data")).unwrap();
    let refused = server.ingest().ingest_document(corpus_request(1)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("deleted or replaced"), "{refused:?}");
    assert_eq!(health_of(server.channel.clone(), INGEST_SERVICE).await, ServingStatus::NotServing as i32);
    assert!(!db.exists(), "nothing written in its place");
    server.stop().await;
}

/// Finding 15: `serve --read-only` serves a database file it may not write, and never writes
/// it: its bytes and modification time are the same after serving.
#[tokio::test]
async fn a_read_only_server_never_writes_its_database() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let db = data.join("tip.sqlite");
    corpus_store(&db, 20);
    let permissions =
        |path: &Path, mode| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    permissions(&db, 0o444);
    permissions(&data, 0o555);
    let (bytes, modified) = (std::fs::read(&db).unwrap(), std::fs::metadata(&db).unwrap().modified().unwrap());

    let server = ServerProcess::start_with_args(&db, &["--read-only"]);
    let channel = server.channel().await;
    wait_until_serving(channel.clone()).await;
    let listed = ReportServiceClient::new(channel.clone())
        .list_reports(pb::ListReportsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 20);
    let found = ReportServiceClient::new(channel).search_reports(search("government")).await.unwrap().into_inner();
    assert!(found.total_size > 0);
    assert!(server.terminate().success());

    assert_eq!(std::fs::read(&db).unwrap(), bytes, "the same bytes");
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), modified, "never written");
    permissions(&data, 0o755);
}
