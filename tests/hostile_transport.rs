//! Hostile clients at the transport: streams that never send their message, silent and surplus
//! connections, malformed framing, timeouts and cancellations that must each leave a log line,
//! tokens kept out of `ps`, and what reflection shows a read-only server.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use support::{ServerProcess, TestServer};
use tip_model::pb::{GetReportRequest, IngestDocumentRequest, WatchReportsRequest};
use tokio::io::AsyncReadExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A report of the bundled data.
const REPORT: &str = "countries/MLI/reports/2023";
const GET_REPORT: &str = "/tip.v1.ReportService/GetReport";

/// A raw HTTP/2 connection to `address` (`http://HOST:PORT` or `HOST:PORT`), for requests no
/// well-behaved client would send.
async fn raw_connection(address: &str) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(address.trim_start_matches("http://")).await.unwrap();
    let (send, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    send.ready().await.unwrap()
}

/// The headers of a gRPC call to `path`, with `content_type` and more `headers`.
fn call_head(path: &str, content_type: Option<&str>, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut request =
        http::Request::builder().method("POST").uri(format!("http://localhost{path}")).header("te", "trailers");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap()
}

/// `message` with its gRPC prefix: uncompressed, and its length.
fn framed(message: &impl Message) -> Vec<u8> {
    let encoded = message.encode_to_vec();
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(encoded.len()).expect("a test message under 4 GiB").to_be_bytes());
    framed.extend_from_slice(&encoded);
    framed
}

/// What a call ended with: its HTTP status, and its grpc-status and grpc-message if any.
#[derive(Debug)]
struct Ending {
    http: http::StatusCode,
    grpc: Option<Code>,
    message: String,
}

async fn ending(response: h2::client::ResponseFuture) -> Ending {
    let (head, mut body) = response.await.unwrap().into_parts();
    // A trailers-only response carries the status in its head; any other, in its trailers.
    let mut status = status_in(&head.headers);
    if status.is_none() {
        while let Some(data) = body.data().await {
            let data = data.unwrap();
            body.flow_control().release_capacity(data.len()).unwrap();
        }
        status = body.trailers().await.unwrap().and_then(|trailers| status_in(&trailers));
    }
    let (grpc, message) = status.map_or((None, String::new()), |(code, message)| (Some(code), message));
    Ending { http: head.status, grpc, message }
}

fn status_in(headers: &http::HeaderMap) -> Option<(Code, String)> {
    let status = tonic::Status::from_header_map(headers)?;
    Some((status.code(), status.message().to_owned()))
}

async fn health(channel: &tonic::transport::Channel) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(channel.clone());
    client.check(HealthCheckRequest { service: String::new() }).await.map(|response| response.get_ref().status)
}

#[tokio::test]
async fn streams_that_never_send_their_message_hold_no_share_of_the_server() {
    let server = TestServer::start_with(|config| {
        config.max_concurrent_requests = 4;
        config.body_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut raw = raw_connection(&server.address).await;
    let mut silent = Vec::new();
    for _ in 0..16 {
        let (response, stream) = raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[]), false).unwrap();
        silent.push((response, stream));
        raw = raw.ready().await.unwrap();
    }
    // Before: every request, health included, was UNAVAILABLE while the silent streams waited.
    assert_eq!(health(&server.channel).await.unwrap(), ServingStatus::Serving as i32);
    let report = server.reports().get_report(GetReportRequest { name: REPORT.into() }).await;
    assert!(report.is_ok(), "{report:?}");
    for (response, _stream) in silent {
        let ended = ending(response).await;
        assert_eq!(ended.grpc, Some(Code::DeadlineExceeded), "{ended:?}");
        assert!(ended.message.contains("did not arrive"), "{ended:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn one_connection_has_at_most_its_cap_of_streams_open() {
    let server = TestServer::start_with(|config| {
        config.max_streams_per_connection = 4;
        config.body_read_timeout = Duration::from_secs(1);
    })
    .await;
    let mut raw = raw_connection(&server.address).await;
    // One whole call first: by its reply, the client has the server's settings, and its cap.
    let (response, mut stream) = raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[]), false).unwrap();
    stream.send_data(framed(&GetReportRequest { name: REPORT.into() }).into(), true).unwrap();
    assert_eq!(ending(response).await.grpc, Some(Code::Ok));
    let mut silent = Vec::new();
    for _ in 0..4 {
        let (response, stream) = raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[]), false).unwrap();
        silent.push((response, stream));
        raw = raw.ready().await.unwrap();
    }
    // A fifth stream waits, in the client, for one of the four to end: here, at their deadline.
    let (response, mut stream) = raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[]), false).unwrap();
    stream.send_data(framed(&GetReportRequest { name: REPORT.into() }).into(), true).unwrap();
    let fifth = ending(response).await;
    assert_eq!(fifth.grpc, Some(Code::Ok), "{fifth:?}");
    let mut ended_first = 0;
    for (mut response, _stream) in silent {
        let ready =
            std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut response).poll(cx).is_ready()));
        ended_first += usize::from(ready.await);
    }
    assert!(ended_first >= 1, "the fifth stream opened before any of the four ended");
    server.stop().await;
}

/// The descriptors the server process holds open.
#[cfg(target_os = "linux")]
fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// Whether the server closes `socket`: whatever it sends first (its HTTP/2 settings), a read then
/// returns end-of-file or an error. Gives up after 30 s.
async fn closed_by_the_server(socket: &mut tokio::net::TcpStream) -> bool {
    let until_closed = async {
        let mut buffer = [0u8; 256];
        while let Ok(read @ 1..) = socket.read(&mut buffer).await {
            let _ = read;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), until_closed).await.is_ok()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn silent_connections_are_closed_after_the_idle_timeout() {
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with_args(&folder.path().join("tip.sqlite"), &["--idle-timeout-secs", "1"]);
    let channel = server.channel().await;
    while health(&channel).await.unwrap() != ServingStatus::Serving as i32 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = open_descriptors(server.pid());
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(tokio::net::TcpStream::connect(&server.address).await.unwrap());
    }
    assert_eq!(health(&channel).await.unwrap(), ServingStatus::Serving as i32);
    for socket in &mut silent {
        assert!(closed_by_the_server(socket).await, "a silent connection stayed open");
    }
    // The channel answers the server's pings: a live client is never idle.
    assert_eq!(health(&channel).await.unwrap(), ServingStatus::Serving as i32);
    let after = open_descriptors(server.pid());
    assert!(after <= before + 2, "{before} descriptors before the silent connections, {after} after they were closed");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn running_out_of_file_descriptors_is_logged_and_waited_out() {
    use std::io::{BufRead, Read};
    let folder = tempfile::tempdir().unwrap();
    // 64 open files, a connection cap above them: accepting fails with EMFILE until idle
    // connections close. Before, the accept loop retried at once, at 100% CPU, and said nothing.
    let mut child = std::process::Command::new("sh")
        .args(["-c", r#"ulimit -n 64 && exec "$0" "$@""#, env!("CARGO_BIN_EXE_tip-atlas")])
        .args(["serve", "--listen", "127.0.0.1:0", "--max-connections", "1000", "--idle-timeout-secs", "2", "--db"])
        .arg(folder.path().join("tip.sqlite"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut first_line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let address = first_line.trim().strip_prefix("listening on ").unwrap().to_owned();

    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    for socket in &mut silent {
        assert!(closed_by_the_server(socket).await, "a silent connection stayed open");
    }
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    health(&channel).await.expect("the server recovers once the idle connections are closed");
    let _ = child.kill();
    let _ = child.wait();
    let log = log.join().unwrap();
    assert!(log.contains("cannot accept a connection"), "{log}");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with_args(&folder.path().join("tip.sqlite"), &["--max-connections", "4"]);
    let channel = server.channel().await;
    health(&channel).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&server.address).await.unwrap());
    }
    // The idle timeout is a minute: only the cap can close the fifth so soon.
    let mut surplus = tokio::net::TcpStream::connect(&server.address).await.unwrap();
    assert!(closed_by_the_server(&mut surplus).await, "a connection over the cap stayed open");
    health(&channel).await.expect("connections within the cap are served");
    drop(held);
}

/// Log lines written by the servers this test starts in its own thread.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn lines_with(&self, words: &[&str]) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines().filter(|line| words.iter().all(|word| line.contains(word))).count()
    }

    /// Waits for a line with all of `words`, up to 30 s (a loaded machine runs the server late).
    async fn wait_for(&self, words: &[&str]) {
        for _ in 0..3000 {
            if self.lines_with(words) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no log line with {words:?} in:\n{}", String::from_utf8_lossy(&self.0.lock().unwrap()));
    }
}

#[tokio::test]
async fn a_server_timeout_is_deadline_exceeded_and_every_call_end_is_logged() {
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
    // The test's runtime runs every task of the server on this thread.
    let _logging = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start_with(|config| config.request_timeout = Duration::from_secs(1)).await;

    let mut raw = raw_connection(&server.address).await;
    let (response, _stream) = raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[]), false).unwrap();
    let ended = ending(response).await;
    assert_eq!(ended.grpc, Some(Code::DeadlineExceeded), "before: CANCELLED; {ended:?}");
    log.wait_for(&["GetReport", "DeadlineExceeded"]).await;

    // A stream the client drops, and a call whose client deadline passes: both end without a
    // status, and both are logged.
    let watch = server.reports().watch_reports(WatchReportsRequest::default()).await.unwrap();
    drop(watch);
    log.wait_for(&["WatchReports", "ended without a status"]).await;
    let (response, _stream) =
        raw.send_request(call_head(GET_REPORT, Some("application/grpc"), &[("grpc-timeout", "50m")]), false).unwrap();
    let ended = ending(response).await;
    assert_eq!(ended.grpc, Some(Code::Cancelled), "tonic's answer to a passed client deadline: {ended:?}");
    log.wait_for(&["GetReport", "ended without a status"]).await;
    server.stop().await;
}

#[tokio::test]
async fn framing_that_breaks_the_protocol_gets_the_protocol_answer() {
    let server = TestServer::start().await;
    let mut raw = raw_connection(&server.address).await;
    let message = framed(&GetReportRequest { name: REPORT.into() });
    let mut call = |head: http::Request<()>, body: Vec<u8>| {
        let (response, mut stream) = raw.send_request(head, false).unwrap();
        stream.send_data(body.into(), true).unwrap();
        ending(response)
    };

    for content_type in [Some("text/plain"), None] {
        let ended = call(call_head(GET_REPORT, content_type, &[]), message.clone()).await;
        assert_eq!(ended.http, http::StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {ended:?}");
    }
    let twice = [message.clone(), message.clone()].concat();
    let ended = call(call_head(GET_REPORT, Some("application/grpc"), &[]), twice).await;
    assert_eq!(ended.grpc, Some(Code::InvalidArgument), "two messages to a unary method: {ended:?}");
    for timeout in ["1X", "123456789S", "-1S", "S"] {
        let head = call_head(GET_REPORT, Some("application/grpc"), &[("grpc-timeout", timeout)]);
        let ended = call(head, message.clone()).await;
        assert_eq!(ended.grpc, Some(Code::InvalidArgument), "grpc-timeout {timeout}: {ended:?}");
        assert!(ended.message.contains("grpc-timeout"), "{ended:?}");
    }
    let head = call_head(GET_REPORT, Some("application/grpc+proto"), &[("grpc-timeout", "5S")]);
    let ended = call(head, message.clone()).await;
    assert_eq!(ended.grpc, Some(Code::Ok), "a well-formed call: {ended:?}");
    server.stop().await;
}

/// A small, valid narrative.
fn narrative() -> Vec<u8> {
    b"Chad (Tier 2) Extracted in part from the U.S. State Dept 2019 TIP Report\n\n\
      The Government of Chad does not fully meet the minimum standards for the elimination of trafficking \
      but is making significant efforts to do so; therefore Chad remained on Tier 2.\n\n\
      Prioritized Recommendations\n\nVigorously investigate and prosecute trafficking crimes.\n"
        .to_vec()
}

fn ingest_with(authorization: Option<&str>) -> tonic::Request<IngestDocumentRequest> {
    let mut request = tonic::Request::new(IngestDocumentRequest { content: narrative(), ..Default::default() });
    if let Some(value) = authorization {
        request.metadata_mut().insert("authorization", value.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let server = TestServer::start_with(|config| config.auth_token = Some("s3cret".into())).await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let accepted = server.ingest().ingest_document(ingest_with(Some(&format!("{scheme} s3cret")))).await;
        assert!(accepted.is_ok(), "{scheme}: {accepted:?}");
    }
    let refused = server.ingest().ingest_document(ingest_with(Some("Basic s3cret"))).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    server.stop().await;
}

#[tokio::test]
async fn the_token_can_come_from_a_file_and_stay_out_of_ps() {
    let folder = tempfile::tempdir().unwrap();
    let token_file = folder.path().join("token");
    std::fs::write(&token_file, "from-a-file\n").unwrap();
    let server = ServerProcess::start_with_args(
        &folder.path().join("tip.sqlite"),
        &["--auth-token-file", token_file.to_str().unwrap()],
    );
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid())).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains("from-a-file"));
    let mut ingest = tip_server::api::ingest_service_client::IngestServiceClient::new(server.channel().await);
    assert_eq!(ingest.ingest_document(ingest_with(None)).await.unwrap_err().code(), Code::Unauthenticated);
    ingest.ingest_document(ingest_with(Some("Bearer from-a-file"))).await.expect("the file's token opens writes");

    // An empty file is an error, not writes left open by mistake.
    std::fs::write(&token_file, "\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["serve", "--listen", "127.0.0.1:0", "--auth-token-file", token_file.to_str().unwrap(), "--db"])
        .arg(folder.path().join("other.sqlite"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds no token"));
}

#[test]
fn serve_refuses_open_writes_on_a_non_loopback_address_and_names_the_ways_that_keep_the_token_out_of_ps() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas"))
        .args(["serve", "--listen", "0.0.0.0:0", "--db", "/nonexistent/never-created.sqlite"])
        .env_remove("TIP_ATLAS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("TIP_ATLAS_TOKEN") && message.contains("--auth-token-file"), "{message}");
    assert!(message.contains("--auth-token") && message.contains("--read-only"), "{message}");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--auth-token-file") && help.contains("`ps`"), "{help}");
}

#[tokio::test]
async fn reflection_on_a_read_only_server_lists_no_ingest_service() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = TestServer::start_with(|config| config.read_only = true).await;
    let mut reflection = ServerReflectionClient::new(server.channel.clone());
    let ask = |request: MessageRequest| ServerReflectionRequest { host: String::new(), message_request: Some(request) };
    let requests = vec![
        ask(MessageRequest::ListServices(String::new())),
        ask(MessageRequest::FileContainingSymbol("tip.v1.IngestService".into())),
    ];
    let mut replies = reflection.server_reflection_info(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = replies.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a list of services")
    };
    let names: Vec<_> = list.service.into_iter().map(|service| service.name).collect();
    assert!(names.contains(&"tip.v1.ReportService".to_owned()), "{names:?}");
    assert!(!names.contains(&"tip.v1.IngestService".to_owned()), "{names:?}");
    let described = replies.message().await.unwrap_err();
    assert_eq!(described.code(), Code::NotFound, "{described:?}");
    server.stop().await;
}
