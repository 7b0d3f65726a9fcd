//! The atlas page: `web/dist` (built from `web/` by npm, committed, embedded at compile time)
//! answered to `GET` and `HEAD` on the serving port, beside gRPC and gRPC-Web. The page is a
//! client of the public API over gRPC-Web, so it needs nothing else from the server.
//!
//! Files are built into the binary with a gzip copy for clients that take it and an ETag, both
//! made by build.rs, so a page load costs no disk and no CPU beyond the copy, and starting costs
//! nothing: it takes no share of the requests in flight, and meets the connection limits as every
//! request does. `--web-dir` reads a folder instead, for working on the page without rebuilding
//! the binary: those files are sent as they are, without an ETag.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use crate::http_endpoint::{Answer, Endpoint};

/// A file of web/dist as build.rs embeds it.
struct EmbeddedFile {
    /// From web/dist, such as `app.js`.
    path: &'static str,
    /// A quoted digest of the bytes.
    etag: &'static str,
    bytes: &'static [u8],
    /// Only when smaller than the file itself.
    gzipped: Option<&'static [u8]>,
}

// `EMBEDDED`: every file of web/dist, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Where the page's files come from.
#[derive(Clone, Debug)]
pub enum PageSource {
    /// The copy built into the binary.
    Embedded,
    /// A folder read at every request.
    Folder(PathBuf),
}

/// One file as it is served.
struct Asset {
    content_type: &'static str,
    etag: Option<HeaderValue>,
    bytes: Bytes,
    gzipped: Option<Bytes>,
}

impl Asset {
    fn embedded(file: &EmbeddedFile) -> Self {
        Self {
            content_type: content_type(file.path),
            etag: Some(HeaderValue::from_static(file.etag)),
            bytes: Bytes::from_static(file.bytes),
            gzipped: file.gzipped.map(Bytes::from_static),
        }
    }

    fn read(path: &str, bytes: Vec<u8>) -> Self {
        Self { content_type: content_type(path), etag: None, bytes: Bytes::from(bytes), gzipped: None }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a request path names: `/` is the page itself; a path is a file of the folder,
/// never above it nor a hidden file.
fn file_path(request_path: &str) -> Option<&str> {
    let path = request_path.strip_prefix('/')?;
    if path.is_empty() {
        return Some("index.html");
    }
    let plain = |segment: &str| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    };
    path.split('/').all(plain).then_some(path)
}

/// The files of the page, and where they are read from.
struct Assets {
    source: PageSource,
    embedded: HashMap<&'static str, Arc<Asset>>,
}

impl Assets {
    fn new(source: PageSource) -> Self {
        let embedded = match source {
            PageSource::Embedded => EMBEDDED.iter().map(|file| (file.path, Arc::new(Asset::embedded(file)))).collect(),
            PageSource::Folder(_) => HashMap::new(),
        };
        Self { source, embedded }
    }

    async fn get(&self, path: &str) -> Option<Arc<Asset>> {
        match &self.source {
            PageSource::Embedded => self.embedded.get(path).cloned(),
            PageSource::Folder(folder) => read_from(folder, path).await,
        }
    }
}

async fn read_from(folder: &Path, path: &str) -> Option<Arc<Asset>> {
    let (file, path) = (folder.join(path), path.to_owned());
    let read = move || Some(Arc::new(Asset::read(&path, std::fs::read(file).ok()?)));
    tokio::task::spawn_blocking(read).await.ok()?
}

/// `GET` and `HEAD`: the page's files (404 for any other path). gRPC is always `POST`.
pub struct WebPage {
    assets: Assets,
}

impl WebPage {
    pub fn new(source: PageSource) -> Self {
        Self { assets: Assets::new(source) }
    }
}

impl Endpoint for WebPage {
    fn answers(&self, method: &Method, _path: &str) -> bool {
        method == Method::GET || method == Method::HEAD
    }

    fn answer(self: Arc<Self>, request: http::request::Parts) -> Answer {
        Box::pin(async move {
            let started = Instant::now();
            let asset = match file_path(request.uri.path()) {
                Some(path) => self.assets.get(path).await,
                None => None,
            };
            let mut response = respond(&request, asset.as_deref());
            let request_id = crate::logging::request_id(&request.headers);
            tracing::info!(
                method = %request.method,
                path = request.uri.path(),
                request_id = request_id.to_str().unwrap_or_default(),
                http_status = response.status().as_u16(),
                latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "page"
            );
            response.headers_mut().insert(crate::logging::REQUEST_ID, request_id);
            response
        })
    }
}

fn respond(request: &http::request::Parts, asset: Option<&Asset>) -> Response<tonic::body::Body> {
    let Some(asset) = asset else {
        return plain(StatusCode::NOT_FOUND, "not found: the page is at /\n");
    };
    let mut response = Response::new(tonic::body::Body::empty());
    let headers = response.headers_mut();
    if let Some(etag) = &asset.etag {
        headers.insert(header::ETAG, etag.clone());
    }
    // Revalidated at every load (a 304 costs a few bytes): a new binary serves a new page at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    security_headers(headers);
    let unchanged = request.headers.get(header::IF_NONE_MATCH).is_some_and(|tag| asset.etag.as_ref() == Some(tag));
    if unchanged {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let takes_gzip = request
        .headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|name| name.trim().eq_ignore_ascii_case("gzip")));
    let bytes = match &asset.gzipped {
        Some(gzipped) if takes_gzip => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gzipped.clone()
        }
        _ => asset.bytes.clone(),
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if request.method != Method::HEAD {
        *response.body_mut() = tonic::body::Body::new(http_body_util::Full::new(bytes));
    }
    response
}

/// The page runs its own script and styles only and talks to its own origin; no other site may
/// frame it.
fn security_headers(headers: &mut http::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

fn plain(status: StatusCode, text: &'static str) -> Response<tonic::body::Body> {
    let mut response = Response::new(tonic::body::Body::new(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    #[test]
    fn a_request_path_names_a_file_of_the_folder_and_nothing_above_it() {
        assert_eq!(file_path("/"), Some("index.html"));
        assert_eq!(file_path("/app.js"), Some("app.js"));
        assert_eq!(file_path("/assets/map-110m.json"), Some("assets/map-110m.json"));
        for refused in
            ["/../Cargo.toml", "/a/../../etc/passwd", "/.git/config", "//etc/passwd", "/a b", "/%2e%2e/x", "x"]
        {
            assert_eq!(file_path(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_page_is_embedded_with_its_index() {
        let assets = Assets::new(PageSource::Embedded);
        let index = assets.embedded.get("index.html").expect("web/dist/index.html is built in");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        // build.rs made the ETag and the gzip copy.
        let script = assets.embedded.get("app.js").expect("web/dist/app.js is built in");
        assert!(script.etag.as_ref().is_some_and(|etag| etag.len() == 26), "{:?}", script.etag);
        assert!(script.gzipped.as_ref().is_some_and(|gzipped| gzipped.len() < script.bytes.len() / 2));
    }

    #[tokio::test]
    async fn a_page_file_is_gzipped_for_clients_that_take_it_and_revalidated_by_its_etag() {
        let bytes = "let atlas = 1;\n".repeat(200).into_bytes();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gzip, &bytes).unwrap();
        let asset = Asset {
            content_type: content_type("app.js"),
            etag: Some(HeaderValue::from_static("\"5eed\"")),
            gzipped: Some(Bytes::from(gzip.finish().unwrap())),
            bytes: Bytes::from(bytes),
        };
        let request = |headers: &[(header::HeaderName, &str)]| {
            let mut request = Request::get("/app.js");
            for (name, value) in headers {
                request = request.header(name, *value);
            }
            request.body(()).unwrap().into_parts().0
        };
        let plain = respond(&request(&[]), Some(&asset));
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::CONTENT_LENGTH], asset.bytes.len().to_string().as_str());

        let gzipped = respond(&request(&[(header::ACCEPT_ENCODING, "br, GZIP;q=0.8")]), Some(&asset));
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(asset.gzipped.as_ref().unwrap().len() < asset.bytes.len() / 10);

        let etag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        let revalidated = respond(&request(&[(header::IF_NONE_MATCH, &etag)]), Some(&asset));
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(respond(&request(&[]), None).status(), StatusCode::NOT_FOUND);
    }
}
