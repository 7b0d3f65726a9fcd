//! IngestDocument and IngestFile over gRPC with what users hold: a saved page of several
//! countries, a whole-report PDF sent in chunks, a corrupt PDF, a file past the size cap.

mod fixtures_html;
mod support;

use support::TestServer;
use tip_corpus::corpus2018::{Record, corpus};
use tip_corpus::pdf::{HeadingStyle, report_blocks, writer};
use tip_model::pb::{
    GetReportRequest, GetTierHistoryRequest, IngestDocumentRequest, IngestDocumentsRequest, IngestFileMetadata,
    IngestFileRequest, IngestOutcome,
};
use tonic::Code;
use tonic_types::StatusExt;

/// The size of the chunks a client sends a file in.
const CHUNK: usize = 64 << 10;

fn narrative(name: &str) -> fixtures_html::Narrative {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/narratives").join(name);
    fixtures_html::narrative(&std::fs::read_to_string(path).unwrap())
}

/// The first countries of the 2018 corpus.
fn records() -> Vec<Record> {
    corpus().into_iter().take(12).collect()
}

/// A whole 2018 report of the first countries, with its tier placement pages up front.
fn whole_report(records: &[Record]) -> Vec<u8> {
    let options =
        writer::Options { title: Some("2018 Trafficking in Persons Report".to_owned()), ..Default::default() };
    writer::write_pdf(&report_blocks(records, HeadingStyle::Colon), &options)
}

fn report_name(record: &Record) -> String {
    let iso3 = tip_model::CountryRegistry::global().resolve(&record.key).unwrap().iso3;
    format!("countries/{iso3}/reports/2018")
}

/// A file as an IngestFile stream: the metadata in the first message, then chunks of `CHUNK`.
fn chunked(bytes: &[u8], metadata: IngestFileMetadata) -> Vec<IngestFileRequest> {
    let mut metadata = Some(metadata);
    bytes.chunks(CHUNK).map(|chunk| IngestFileRequest { metadata: metadata.take(), chunk: chunk.to_vec() }).collect()
}

async fn not_found(server: &TestServer, name: &str) -> bool {
    let answer = server.reports().get_report(GetReportRequest { name: name.to_owned() }).await;
    answer.is_err_and(|status| status.code() == Code::NotFound)
}

/// A state.gov page of the 2001 report with two countries' narratives.
fn angola_and_nigeria_2001() -> String {
    fixtures_html::state_gov_2001_2008(
        &[&narrative("ANGOLA_2001_stategov_COMPLETE.txt"), &narrative("NIGERIA_2001_refworld.txt")],
        "IV. Country Narratives -- Tier 2",
        2001,
        3_930,
    )
}

#[tokio::test]
async fn a_page_of_several_countries_is_one_outcome_per_country() {
    let server = TestServer::start().await;
    let page = angola_and_nigeria_2001();
    let request = IngestDocumentRequest {
        content: page.into_bytes(),
        source_uri: "https://2009-2017.state.gov/j/tip/rls/tiprpt/2001/3930.htm".into(),
        ..Default::default()
    };
    let answer = server.ingest().ingest_document(request).await.unwrap().into_inner();
    let names: Vec<&str> = answer.narratives.iter().map(|n| n.report.as_str()).collect();
    assert_eq!(names, ["countries/AGO/reports/2001", "countries/NGA/reports/2001"]);
    assert!(answer.narratives.iter().all(|n| n.outcome == IngestOutcome::Created as i32 && n.errors.is_empty()));
    // Several narratives: the single-report fields stay empty.
    assert!(answer.report.is_none());
    for name in names {
        let report = server.reports().get_report(GetReportRequest { name: name.to_owned() }).await.unwrap();
        assert_eq!(report.get_ref().source.as_ref().unwrap().media_type, "text/html");
    }
}

#[tokio::test]
async fn a_bulk_stream_answers_each_narrative_of_a_page_of_several() {
    let server = TestServer::start().await;
    let page = angola_and_nigeria_2001();
    let document = IngestDocumentRequest { content: page.into_bytes(), ..Default::default() };
    let requests = tokio_stream::iter([IngestDocumentsRequest { document: Some(document) }]);
    let mut answers = server.ingest().ingest_documents(requests).await.unwrap().into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let names: Vec<&str> = answer.narratives.iter().map(|n| n.report.as_str()).collect();
    assert_eq!(names, ["countries/AGO/reports/2001", "countries/NGA/reports/2001"]);
    assert!(answer.report.is_empty() && answer.errors.is_empty());
}

#[tokio::test]
async fn validating_a_whole_report_stores_nothing() {
    let server = TestServer::start().await;
    let records = records();
    let metadata = IngestFileMetadata { validate_only: true, ..Default::default() };
    let stream = tokio_stream::iter(chunked(&whole_report(&records), metadata));
    let answer = server.ingest().ingest_file(stream).await.unwrap().into_inner();
    assert_eq!(answer.narratives.len(), records.len());
    assert!(answer.narratives.iter().all(|n| n.outcome == IngestOutcome::Unspecified as i32 && n.report.is_empty()));
    assert!(not_found(&server, &report_name(&records[0])).await);
}

#[tokio::test]
async fn a_media_type_hint_overrides_the_bytes() {
    let server = TestServer::start().await;
    let page = fixtures_html::gvnet(&narrative("LUXEMBOURG_2023_gvnet.txt"), "Luxembourg", "utf-8");
    let request = IngestDocumentRequest {
        content: page.into_bytes(),
        media_type: "application/pdf".into(),
        validate_only: true,
        ..Default::default()
    };
    let status = server.ingest().ingest_document(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let bad = IngestDocumentRequest { content: b"x".to_vec(), media_type: "image/png".into(), ..Default::default() };
    let status = server.ingest().ingest_document(bad).await.unwrap_err();
    assert_eq!(status.get_error_details().bad_request().unwrap().field_violations[0].field, "media_type");
}

#[tokio::test]
async fn a_whole_report_sent_in_chunks_stores_every_narrative_and_its_tier_pages() {
    let server = TestServer::start().await;
    let records = records();
    let pdf = whole_report(&records);
    assert!(pdf.len() > 2 * CHUNK, "several chunks: {} bytes", pdf.len());
    let metadata = IngestFileMetadata { source_uri: "file:///tip-2018.pdf".into(), ..Default::default() };
    let stream = tokio_stream::iter(chunked(&pdf, metadata));
    let answer = server.ingest().ingest_file(stream).await.unwrap().into_inner();
    assert_eq!(answer.media_type, "application/pdf");
    assert_eq!(answer.size_bytes, pdf.len() as i64);
    let names: Vec<&str> = answer.narratives.iter().map(|n| n.report.as_str()).collect();
    let expected: Vec<String> = records.iter().map(report_name).collect();
    assert_eq!(names, expected);
    assert!(answer.narratives.iter().all(|n| n.outcome == IngestOutcome::Created as i32 && n.first_page > 0));
    assert_eq!(answer.placements as usize, records.len());

    let first = tip_model::CountryRegistry::global().resolve(&records[0].key).unwrap().iso3;
    let history = server
        .countries()
        .get_tier_history(GetTierHistoryRequest { name: format!("countries/{first}") })
        .await
        .unwrap()
        .into_inner();
    let year = history.entries.iter().find(|e| e.year == 2018).expect("a 2018 entry");
    let sources: Vec<&str> = year.sources.iter().map(|s| s.source.as_str()).collect();
    assert!(sources.contains(&"report_2018"), "{sources:?}");
    assert!(sources.contains(&"narrative"), "{sources:?}");
}

#[tokio::test]
async fn a_corrupt_pdf_says_where_it_failed_and_stores_nothing() {
    let server = TestServer::start().await;
    let records = records();
    let pdf = whole_report(&records);
    let truncated = pdf[..pdf.len() / 3].to_vec();
    let stream = tokio_stream::iter(chunked(&truncated, IngestFileMetadata::default()));
    let status = server.ingest().ingest_file(stream).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status.get_error_details().bad_request().unwrap().field_violations.clone();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "content");
    let description = &violations[0].description;
    assert!(
        ["page", "byte", "element"].iter().any(|place| description.contains(place)),
        "where it failed: {description}"
    );
    for record in &records {
        assert!(not_found(&server, &report_name(record)).await);
    }

    let request = IngestDocumentRequest { content: truncated, ..Default::default() };
    let status = server.ingest().ingest_document(request).await.unwrap_err();
    let again = status.get_error_details().bad_request().unwrap().field_violations.clone();
    assert_eq!((again[0].field.as_str(), &again[0].description), ("content", description));
}

#[tokio::test]
async fn a_file_past_the_size_cap_is_refused_while_it_is_received() {
    let server = TestServer::start_with(|config| config.max_ingest_file = 3 * CHUNK).await;
    let records = records();
    let pdf = whole_report(&records);
    let mut big = pdf.clone();
    while big.len() <= 3 * CHUNK {
        big.extend_from_slice(&pdf);
    }
    let stream = tokio_stream::iter(chunked(&big, IngestFileMetadata::default()));
    let status = server.ingest().ingest_file(stream).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.get_error_details().quota_failure().is_some());
    assert!(not_found(&server, &report_name(&records[0])).await);
}

#[tokio::test]
async fn ingest_file_needs_the_token_when_one_is_set() {
    let server = TestServer::start_with(|config| config.auth_token = Some("s3cret".into())).await;
    let pdf = whole_report(&records()[..1]);
    let stream = tokio_stream::iter(chunked(&pdf, IngestFileMetadata::default()));
    let status = server.ingest().ingest_file(stream).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    let mut request = tonic::Request::new(tokio_stream::iter(chunked(&pdf, IngestFileMetadata::default())));
    request.metadata_mut().insert("authorization", "Bearer s3cret".parse().unwrap());
    let answer = server.ingest().ingest_file(request).await.unwrap().into_inner();
    assert_eq!(answer.narratives.len(), 1);
}
