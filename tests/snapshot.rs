//! `tip-atlas snapshot`: a consistent copy of a database a server keeps ingesting into, which a
//! read-only replica serves with the writer's answers, and swaps in when it replaces the
//! replica's file; and its refusals.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use support::{ServerProcess, TestServer, shared_narrative};
use tip_model::pb::{GetReportRequest, IngestDocumentRequest, IngestOutcome, ListReportsRequest, Report, ReportView};
use tip_server::api::report_service_client::ReportServiceClient;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn snapshot(db: &Path, out: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .arg("snapshot")
        .arg("--db")
        .arg(db)
        .arg("--out")
        .arg(out)
        .output()
        .expect("tip-atlas runs")
}

/// The shared narratives, each with the report year of its file name (most state none).
fn narratives() -> Vec<IngestDocumentRequest> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/narratives");
    let mut names: Vec<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names.iter().filter(|name| name.ends_with(".txt")).map(|name| narrative(name)).collect()
}

/// A shared narrative with the report year of its file name.
fn narrative(file: &str) -> IngestDocumentRequest {
    let year = file.split('_').nth(1).and_then(|year| year.parse().ok()).unwrap_or_default();
    IngestDocumentRequest { content: shared_narrative(file), year, ..Default::default() }
}

/// Every report the server lists, whole, by name.
async fn all_reports(mut client: ReportServiceClient<Channel>) -> BTreeMap<String, Report> {
    let mut reports = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_reports(ListReportsRequest {
                page_size: 100,
                page_token,
                view: ReportView::Full as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        reports.extend(page.reports.into_iter().map(|r| (r.name.clone(), r)));
        if page.next_page_token.is_empty() {
            return reports;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_taken_during_ingestion_is_sound_and_a_replica_serves_it_as_the_writer_does() {
    let writer = TestServer::start().await;
    let stop = Arc::new(AtomicBool::new(false));
    let ingested = Arc::new(AtomicUsize::new(0));
    // Reports a document replaced at some point: the writer may have a newer one than the copy.
    let replaced = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let ingestion = tokio::spawn({
        let (mut client, stop, ingested, replaced) =
            (writer.ingest(), stop.clone(), ingested.clone(), replaced.clone());
        async move {
            let documents = narratives();
            for request in documents.iter().cycle() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(response) = client.ingest_document(request.clone()).await {
                    for narrative in &response.get_ref().narratives {
                        if narrative.outcome() == IngestOutcome::Replaced {
                            replaced.lock().unwrap().insert(narrative.report.clone());
                        }
                    }
                    ingested.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    });
    while ingested.load(Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
    }

    let before: BTreeSet<String> = all_reports(writer.reports()).await.into_keys().collect();
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("replica.sqlite");
    let output = tokio::task::spawn_blocking({
        let (db, copy) = (writer.db_path(), copy.clone());
        move || snapshot(&db, &copy)
    })
    .await
    .unwrap();
    let after: BTreeSet<String> = all_reports(writer.reports()).await.into_keys().collect();
    stop.store(true, Ordering::SeqCst);
    ingestion.await.unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(" reports, ") && stdout.contains(" placements, ") && stdout.contains(" bytes"), "{stdout}");
    let check = rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let integrity: String = check.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    drop(check);

    let replica = ServerProcess::start_with_args(&copy, &["--read-only"]);
    let channel = replica.channel().await;
    let served = all_reports(ReportServiceClient::new(channel.clone())).await;
    let names: BTreeSet<String> = served.keys().cloned().collect();
    assert!(before.is_subset(&names), "the copy holds every report stored before it began");
    assert!(names.is_subset(&after), "and none that did not exist when it ended");
    assert!(stdout.contains(&format!(": {} reports, ", names.len())), "{stdout}");

    let writers = all_reports(writer.reports()).await;
    let replaced = replaced.lock().unwrap().clone();
    let (mut replica_client, mut writer_client) = (ReportServiceClient::new(channel), writer.reports());
    for (name, report) in served.iter().filter(|(name, _)| !replaced.contains(*name)) {
        assert_eq!(Some(report), writers.get(name), "ListReports of {name}");
        let request = GetReportRequest { name: name.clone() };
        let from_replica = replica_client.get_report(request.clone()).await.unwrap().into_inner();
        let from_writer = writer_client.get_report(request).await.unwrap().into_inner();
        assert_eq!(from_replica, from_writer, "GetReport of {name}");
    }
    writer.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_serves_a_new_snapshot_renamed_onto_its_file_without_failing_a_request() {
    let writer = TestServer::start().await;
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("replica.sqlite");
    let take_snapshot = || {
        let (db, copy) = (writer.db_path(), copy.clone());
        async move { tokio::task::spawn_blocking(move || snapshot(&db, &copy)).await.unwrap() }
    };
    assert!(take_snapshot().await.status.success());
    let replica = ServerProcess::start_with_args(&copy, &["--read-only"]);
    let channel = replica.channel().await;
    let mut reports = ReportServiceClient::new(channel.clone());
    let new = GetReportRequest { name: "countries/MLI/reports/2017".into() };
    assert_eq!(reports.get_report(new.clone()).await.unwrap_err().code(), tonic::Code::NotFound);

    // Reads go on all through the swap; every one must succeed. Neither they nor the ListReports
    // below ask a cache, which would look for a new file: the replica's own check must find it.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn({
        let (mut reports, stop) = (reports.clone(), stop.clone());
        async move {
            let (mut sent, mut failed) = (0, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                let request = ListReportsRequest { parent: "countries/MLI".into(), ..Default::default() };
                if let Err(status) = reports.list_reports(request).await {
                    failed.push(status);
                }
                sent += 1;
            }
            (sent, failed)
        }
    });
    let mali_2017 = IngestDocumentRequest { year: 2017, ..narrative("MALI_2017_refworld.txt") };
    writer.ingest().ingest_document(mali_2017).await.unwrap();
    assert!(take_snapshot().await.status.success());

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mali = ListReportsRequest { parent: "countries/MLI".into(), ..Default::default() };
    while !reports.list_reports(mali.clone()).await.unwrap().get_ref().reports.iter().any(|r| r.name == new.name) {
        assert!(tokio::time::Instant::now() < deadline, "the replica did not serve the new snapshot within 5 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let served = reports.get_report(new.clone()).await.unwrap().into_inner();
    stop.store(true, Ordering::SeqCst);
    let (sent, failed) = reader.await.unwrap();
    assert!(failed.is_empty(), "{} of {sent} reads failed through the swap: {failed:?}", failed.len());
    let from_writer = writer.reports().get_report(new).await.unwrap().into_inner();
    assert_eq!(served, from_writer);
    let health = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(health.get_ref().status, ServingStatus::Serving as i32);
    writer.stop().await;
}

#[test]
fn a_snapshot_into_a_missing_folder_or_of_a_missing_database_exits_2_and_says_why() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("tip.sqlite");
    tip_server::Store::open(&db).unwrap();

    let output = snapshot(&db, &folder.path().join("missing/copy.sqlite"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"), "{output:?}");

    let output = snapshot(&folder.path().join("absent.sqlite"), &folder.path().join("copy.sqlite"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such database file"), "{output:?}");
    assert!(!folder.path().join("copy.sqlite").exists(), "nothing written");
}
