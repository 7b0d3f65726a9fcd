//! IngestService over the wire: single documents, the bulk stream, idempotence, replacement,
//! revisions, WatchReports, and refusals that write nothing.

mod support;

use support::{TestServer, shared_narrative};
use tip_model::pb::{
    GetReportRequest, IngestDocumentRequest, IngestDocumentsRequest, IngestOutcome, ListReportRevisionsRequest,
    ReportEventType, Tier, WatchReportsRequest,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

fn document(content: Vec<u8>) -> IngestDocumentRequest {
    IngestDocumentRequest { content, ..Default::default() }
}

#[tokio::test]
async fn ingests_a_document_once_and_keeps_every_revision() {
    let server = TestServer::start().await;
    let mali_2017 = shared_narrative("MALI_2017_refworld.txt");
    let hinted = IngestDocumentRequest { year: 2017, ..document(mali_2017.clone()) };
    let first = server.ingest().ingest_document(hinted.clone()).await.unwrap().into_inner();
    assert_eq!(first.outcome(), IngestOutcome::Created);
    let report = first.report.unwrap();
    assert_eq!(report.name, "countries/MLI/reports/2017");
    assert_eq!(report.tier(), Tier::Tier3);
    assert!(!report.warnings.is_empty(), "the cut-off text is reported");

    let again = server.ingest().ingest_document(hinted).await.unwrap().into_inner();
    assert_eq!(again.outcome(), IngestOutcome::Unchanged, "idempotent by content hash");

    // A cut-off copy of the 2023 narrative does not replace the complete seed, but is kept.
    let excerpt = server.ingest().ingest_document(document(shared_narrative("MALI_2023_gvnet.txt"))).await.unwrap();
    assert_eq!(excerpt.get_ref().outcome(), IngestOutcome::KeptCurrent);
    let current =
        server.reports().get_report(GetReportRequest { name: "countries/MLI/reports/2023".into() }).await.unwrap();
    assert_eq!(current.get_ref().recommendations.len(), 9);

    // A corrected document replaces the report; the old bytes stay retrievable.
    let seed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/mali-2023.txt")).unwrap();
    let corrected = String::from_utf8(seed.clone()).unwrap().replace("Bamako.", "Bamako and Mopti.");
    let replaced = server.ingest().ingest_document(document(corrected.into_bytes())).await.unwrap();
    assert_eq!(replaced.get_ref().outcome(), IngestOutcome::Replaced);
    let revisions = server
        .reports()
        .list_report_revisions(ListReportRevisionsRequest {
            name: "countries/MLI/reports/2023".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revisions.len(), 3);
    assert!(revisions[0].current && !revisions[1].current && !revisions[2].current);
    assert!(revisions.iter().any(|r| r.content == seed), "the original bytes are kept as they were");
    server.stop().await;
}

#[tokio::test]
async fn a_document_with_errors_is_refused_whole_with_line_and_column() {
    let server = TestServer::start().await;
    let status = server
        .ingest()
        .ingest_document(document(b"ATLANTIS (Tier 7)\n\nThe Government of Atlantis does things.".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status.get_error_details().bad_request().cloned().unwrap().field_violations;
    assert!(violations.len() >= 2, "every problem, not the first only: {violations:?}");
    assert!(violations.iter().all(|v| v.field == "content"));
    assert!(violations.iter().any(|v| v.description.starts_with("line 1, column 1:")), "{violations:?}");
    assert!(violations.iter().any(|v| v.description.starts_with("line 1, column 11:")), "{violations:?}");

    let bad_hint = IngestDocumentRequest { country: "Atlantis".into(), ..document(b"No heading here.".to_vec()) };
    let status = server.ingest().ingest_document(bad_hint).await.unwrap_err();
    let violations = status.get_error_details().bad_request().cloned().unwrap().field_violations;
    assert!(violations.iter().any(|v| v.field == "country"), "{violations:?}");

    let empty = server.ingest().ingest_document(document(Vec::new())).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    let connection = rusqlite::Connection::open(server.db_path()).unwrap();
    let reports: i64 = connection.query_row("SELECT count(*) FROM reports", [], |r| r.get(0)).unwrap();
    assert_eq!(reports, 1, "nothing but the seed was written");
    server.stop().await;
}

#[tokio::test]
async fn the_bulk_stream_answers_each_document_and_a_bad_one_fails_alone() {
    let server = TestServer::start().await;
    let mut watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap().into_inner();
    let documents = vec![
        document(shared_narrative("LUXEMBOURG_2009_gvnet.txt")),
        document(b"\0\0\0 binary".to_vec()),
        IngestDocumentRequest { year: 2001, ..document(shared_narrative("ANGOLA_2001_stategov_COMPLETE.txt")) },
    ];
    let requests = tokio_stream::iter(documents.into_iter().map(|d| IngestDocumentsRequest { document: Some(d) }));
    let responses: Vec<_> = server
        .ingest()
        .ingest_documents(requests)
        .await
        .unwrap()
        .into_inner()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(responses.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(responses[0].report, "countries/LUX/reports/2009");
    assert!(responses[1].report.is_empty() && !responses[1].errors.is_empty());
    assert_eq!(responses[2].report, "countries/AGO/reports/2001");

    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(first.event_type(), ReportEventType::Created);
    assert_eq!(first.report.unwrap().name, "countries/LUX/reports/2009");
    assert_eq!(watch.next().await.unwrap().unwrap().report.unwrap().name, "countries/AGO/reports/2001");
    drop(watch);
    server.stop().await;
}

#[tokio::test]
async fn the_bundled_tier_history_is_loaded_on_first_start() {
    let server = TestServer::start().await;
    let connection = rusqlite::Connection::open(server.db_path()).unwrap();
    let placements: i64 = connection.query_row("SELECT count(*) FROM placements", [], |r| r.get(0)).unwrap();
    assert_eq!(placements, 4142);
    server.stop().await;
}
