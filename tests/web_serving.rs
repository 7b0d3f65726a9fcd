//! The page and gRPC-Web on the serving port, over HTTP/1.1 as a browser speaks them: the page's
//! files, a gRPC-Web call answered with its message and its status in the trailer frame, CORS
//! closed unless an origin is allowed, `--no-web` and `--web-dir`. The exchanges block: the
//! runtime has a second thread to serve them on.

mod support;

use prost::Message;
use support::{TestServer, http1};
use tip_model::pb::{Country, GetCountryRequest};

/// The server's host:port.
fn host(server: &TestServer) -> &str {
    server.address.strip_prefix("http://").unwrap()
}

/// A gRPC-Web call over HTTP/1.1: the reply's head, its messages and its trailer frame's text.
fn grpc_web_call(server: &TestServer, method: &str, request: &impl Message) -> (String, Vec<Vec<u8>>, String) {
    let message = request.encode_to_vec();
    let mut frame = vec![0_u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    let headers = "Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n";
    let (head, mut body) = http1(host(server), "POST", method, headers, &frame);
    let (mut messages, mut trailer) = (Vec::new(), String::new());
    while body.len() >= 5 {
        let length = usize::try_from(u32::from_be_bytes(body[1..5].try_into().unwrap())).unwrap();
        let payload = body[5..5 + length].to_vec();
        if body[0] & 0x80 != 0 {
            trailer = String::from_utf8(payload).unwrap();
        } else {
            messages.push(payload);
        }
        body.drain(..5 + length);
    }
    (head, messages, trailer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_grpc_web_calls_share_the_serving_port_over_http_1_1() {
    let server = TestServer::start().await;

    let (head, body) = http1(host(&server), "GET", "/", "X-Request-Id: page-load-1\r\n", b"");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-request-id: page-load-1"), "the page's request is traced like a call: {head}");
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    assert!(String::from_utf8(body).unwrap().contains("<html"));
    let (missing, _) = http1(host(&server), "GET", "/no-such-file.js", "", b"");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let (above, _) = http1(host(&server), "GET", "/../Cargo.toml", "", b"");
    assert!(above.starts_with("HTTP/1.1 404") || above.starts_with("HTTP/1.1 400"), "{above}");

    let mali = GetCountryRequest { name: "countries/MLI".to_owned() };
    let (head, messages, trailer) = grpc_web_call(&server, "/tip.v1.CountryService/GetCountry", &mali);
    assert!(head.to_ascii_lowercase().contains("content-type: application/grpc-web+proto"), "{head}");
    assert_eq!(messages.len(), 1, "{head}");
    let country = Country::decode(messages[0].as_slice()).unwrap();
    assert_eq!(country.display_name, "Mali");
    assert!(trailer.contains("grpc-status:0"), "{trailer}");

    // A refused call: the status comes in the head (a trailers-only reply), as gRPC-Web clients read it.
    let nowhere = GetCountryRequest { name: "countries/ZZZ".to_owned() };
    let (head, messages, trailer) = grpc_web_call(&server, "/tip.v1.CountryService/GetCountry", &nowhere);
    let status = format!("{head}\n{trailer}").to_ascii_lowercase();
    assert!(messages.is_empty());
    assert!(status.contains("grpc-status: 5") || status.contains("grpc-status:5"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_calls_are_refused_unless_their_origin_is_allowed() {
    let preflight = |server: &TestServer, origin: &str| {
        let headers = format!(
            "Origin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,x-grpc-web\r\n"
        );
        http1(host(server), "OPTIONS", "/tip.v1.CountryService/GetCountry", &headers, b"").0.to_ascii_lowercase()
    };
    let closed = TestServer::start().await;
    assert!(!preflight(&closed, "https://example.org").contains("access-control-allow-origin"));

    let allowed = "https://example.org";
    let open =
        TestServer::start_with(|config| config.cors_origins = vec![http::HeaderValue::from_static(allowed)]).await;
    let answer = preflight(&open, allowed);
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(answer.contains("access-control-allow-origin: https://example.org"), "{answer}");
    assert!(answer.contains("x-grpc-web"), "{answer}");
    assert!(!preflight(&open, "https://elsewhere.example").contains("access-control-allow-origin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_web_serves_no_page_and_a_web_dir_serves_its_own() {
    let without = TestServer::start_with(|config| config.page = None).await;
    let (head, _) = http1(host(&without), "GET", "/", "", b"");
    assert!(!head.starts_with("HTTP/1.1 200"), "{head}");
    let mali = GetCountryRequest { name: "countries/MLI".to_owned() };
    assert!(grpc_web_call(&without, "/tip.v1.CountryService/GetCountry", &mali).2.contains("grpc-status:0"));

    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("index.html"), "<html>working copy</html>").unwrap();
    let page = tip_server::web::PageSource::Folder(folder.path().to_owned());
    let working = TestServer::start_with(|config| config.page = Some(page)).await;
    let (head, body) = http1(host(&working), "GET", "/", "Accept-Encoding: gzip\r\n", b"");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"<html>working copy</html>", "too small to be worth gzip");
}

#[test]
fn serve_refuses_an_origin_that_is_not_one_and_a_page_both_off_and_from_a_folder() {
    let serve = |args: &[&str]| {
        let output =
            std::process::Command::new(env!("CARGO_BIN_EXE_tip-atlas")).arg("serve").args(args).output().unwrap();
        (output.status.code(), String::from_utf8(output.stderr).unwrap())
    };
    let (code, stderr) = serve(&["--cors-origin", "example.org"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("an origin is scheme://host[:port], such as https://example.org"), "{stderr}");
    let (code, stderr) = serve(&["--cors-origin", "https://example.org/path"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr) = serve(&["--no-web", "--web-dir", "web/dist"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
