//! Limits every request meets before its handler runs, as the gRPC over HTTP/2 protocol frames
//! it:
//! - framing: a content-type that is not `application/grpc…` is answered with HTTP 415; a
//!   malformed `grpc-timeout`, or a second message to a method that takes one, with
//!   INVALID_ARGUMENT;
//! - time: the request message of a method that takes one must arrive within the body-read
//!   deadline, and the response head within the request timeout, else DEADLINE_EXCEEDED;
//! - concurrency: a server-wide cap on requests in flight, a permit held until the response head,
//!   and by the blocking store work the request started until that work ends.
//!   A method that takes one message takes its permit once that message has arrived, so streams
//!   that never send one hold none (a method that takes a stream answers its head at once, before
//!   any message); health checks take none at all. Over the cap: UNAVAILABLE with a RetryInfo
//!   detail, at once, instead of a queue without bound;
//! - memory: the bytes read ahead before a request holds a permit share a budget of four
//!   messages of the largest size; over it, UNAVAILABLE with a RetryInfo detail;
//! - size: a message over the limit is RESOURCE_EXHAUSTED;
//! - writing: replies kept for clients that do not read them share a byte budget and a write
//!   timeout (see [`crate::reply_writing`]).

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, Request, Response};
use http_body::Body as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tonic::Code;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

use crate::connections::OpenConnections;
use crate::reply_writing::ReplyWriting;

/// How long a shed client is asked to wait before it retries.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Health checks are never shed: a load balancer must see a busy server as busy, not dead.
const HEALTH_PATH_PREFIX: &str = "/grpc.health.v1.Health/";

/// A gRPC message's prefix: a compression flag and a 4-byte big-endian length.
const MESSAGE_PREFIX_LEN: usize = 5;

/// The limits a [`RequestLimitsLayer`] enforces.
#[derive(Clone, Debug)]
pub struct RequestLimits {
    /// Requests in flight across all connections.
    pub max_in_flight: usize,
    /// The longest from a request's headers to its response head.
    pub request_timeout: Duration,
    /// The longest from a request's headers to the end of its message, for methods that take one.
    pub body_read_timeout: Duration,
    /// The largest message any service accepts; each service checks its own, smaller limit.
    pub max_message: usize,
    /// Paths (`/package.Service/Method`) of the methods that take a stream of messages; every
    /// other method takes exactly one.
    pub client_streaming: HashSet<String>,
    /// Bytes of replies kept for clients that have not read them yet, across all replies.
    pub max_unsent_reply_bytes: usize,
    /// A reply whose client takes nothing of it for this long is abandoned, and its connection closed.
    pub write_timeout: Duration,
    /// The open connections, to close that of a client which left a reply unread.
    pub connections: OpenConnections,
}

/// Enforces [`RequestLimits`].
#[derive(Clone)]
pub struct RequestLimitsLayer {
    shared: Arc<Shared>,
}

struct Shared {
    limits: RequestLimits,
    permits: Arc<Semaphore>,
    /// Bytes of request messages read ahead, before their request holds a permit: bounded, so
    /// that many slow senders cannot fill the memory.
    read_ahead: Semaphore,
    replies: ReplyWriting,
}

/// The read-ahead budget, in messages of the largest size.
const READ_AHEAD_MESSAGES: usize = 4;

impl RequestLimitsLayer {
    /// Enforces `limits`.
    pub fn new(limits: RequestLimits) -> Self {
        let permits = Arc::new(Semaphore::new(limits.max_in_flight));
        let read_ahead = Semaphore::new(READ_AHEAD_MESSAGES * limits.max_message);
        let replies =
            ReplyWriting::new(limits.max_unsent_reply_bytes, limits.write_timeout, limits.connections.clone());
        Self { shared: Arc::new(Shared { limits, permits, read_ahead, replies }) }
    }
}

impl<S> Layer<S> for RequestLimitsLayer {
    type Service = RequestLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLimited { inner, shared: self.shared.clone() }
    }
}

/// The service made by [`RequestLimitsLayer`].
#[derive(Clone)]
pub struct RequestLimited<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Service<Request<Body>> for RequestLimited<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The service made ready by `poll_ready` serves this call; its clone, the next one.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(limited(self.shared.clone(), ready, request))
    }
}

async fn limited<S>(shared: Arc<Shared>, inner: S, request: Request<Body>) -> Result<Response<Body>, S::Error>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    if !is_grpc(request.headers()) {
        return Ok(unsupported_media_type());
    }
    if let Err(status) = check_grpc_timeout(request.headers()) {
        return Ok(status.into_http());
    }
    let limit = shared.limits.request_timeout;
    match tokio::time::timeout(limit, admitted(&shared, inner, request)).await {
        Ok(response) => response,
        Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
            "the request ran past the server's limit of {} s per request",
            limit.as_secs_f64()
        ))
        .into_http()),
    }
}

/// Reads the request message of a method that takes one, then calls `inner` under a permit
/// (health needs none).
async fn admitted<S>(shared: &Shared, mut inner: S, request: Request<Body>) -> Result<Response<Body>, S::Error>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    let limits = &shared.limits;
    let client = client_address(&request);
    let (parts, mut body) = request.into_parts();
    let path = parts.uri.path();
    let mut read_ahead = None;
    if !limits.client_streaming.contains(path) {
        let read = OneMessage::read(body, &shared.read_ahead, limits.max_message, path);
        body = match tokio::time::timeout(limits.body_read_timeout, read).await {
            Ok(Ok((read, budget))) => {
                read_ahead = budget;
                read
            }
            Ok(Err(status)) => return Ok(status.into_http()),
            Err(_) => {
                let status = tonic::Status::deadline_exceeded(format!(
                    "the request message did not arrive within {} s",
                    limits.body_read_timeout.as_secs_f64()
                ));
                return Ok(status.into_http());
            }
        };
    }
    let permit = if path.starts_with(HEALTH_PATH_PREFIX) {
        None
    } else {
        match shared.permits.clone().try_acquire_owned() {
            Ok(permit) => Some(Arc::new(permit)),
            Err(_) => return Ok(shed("the server is at its limit of requests in flight; retry shortly")),
        }
    };
    // From here on, the message counts as a request in flight.
    drop(read_ahead);
    // The permit is held until the response head is ready; a stream's body is not counted, so
    // long-lived watchers do not starve unary calls. Blocking work the handler starts holds a
    // clone of it (see [`request_permit`]) until that work ends, even past the request's end.
    let call = inner.call(Request::from_parts(parts, body));
    let response = match permit {
        Some(permit) => REQUEST_PERMIT.scope(permit, call).await,
        None => call.await,
    };
    // The permit is not held while the reply is written: a client that stops reading would
    // hold it as long as it likes, and a few such clients would shed everyone else. The reply's
    // writing has bounds of its own.
    response.map(|response| oversized_as_resource_exhausted(response).map(|body| shared.replies.bound(body, client)))
}

/// The address of the client a request came from, plain or over TLS.
fn client_address(request: &Request<Body>) -> Option<SocketAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| extensions.get::<TlsConnectInfo<TcpConnectInfo>>().and_then(|tls| tls.get_ref().remote_addr()))
}

tokio::task_local! {
    /// The in-flight permit of the request whose handler runs in this task.
    static REQUEST_PERMIT: Arc<OwnedSemaphorePermit>;
}

/// The in-flight permit of the request being handled, for blocking work to hold until it ends:
/// a query still running after its request timed out keeps counting against the limit. None
/// outside a request's handler (streams' bodies, start-up, health).
pub fn request_permit() -> Option<Arc<OwnedSemaphorePermit>> {
    REQUEST_PERMIT.try_with(Arc::clone).ok()
}

fn shed(message: &str) -> Response<Body> {
    unavailable(message).into_http()
}

/// A request refused for want of capacity (in-flight permits or read-ahead memory): counted as shed.
fn unavailable(message: &str) -> tonic::Status {
    crate::metrics::call_shed();
    tonic::Status::with_error_details(Code::Unavailable, message, ErrorDetails::with_retry_info(Some(RETRY_AFTER)))
}

/// The protocol: "If Content-Type does not begin with "application/grpc", gRPC servers SHOULD
/// respond with HTTP status of 415 (Unsupported Media Type)", so that no other HTTP client takes
/// a gRPC error, sent with HTTP 200, for a success.
fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(http::header::CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}

fn unsupported_media_type() -> Response<Body> {
    let mut response =
        Response::new(Body::new("this is a gRPC server: the content-type must be application/grpc\n".to_owned()));
    *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// `grpc-timeout`, if present, is 1 to 8 digits and a unit (H, M, S, m, u, n). tonic ignores a
/// malformed one, which would run the call without the deadline its client meant to set.
fn check_grpc_timeout(headers: &HeaderMap) -> Result<(), tonic::Status> {
    let Some(value) = headers.get("grpc-timeout") else { return Ok(()) };
    let bytes = value.as_bytes();
    let well_formed = bytes.split_last().is_some_and(|(unit, digits)| {
        b"HMSmun".contains(unit) && (1..=8).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
    });
    if well_formed {
        return Ok(());
    }
    Err(tonic::Status::invalid_argument(format!(
        "malformed grpc-timeout {:?}: expected 1 to 8 digits and a unit (H, M, S, m, u or n)",
        String::from_utf8_lossy(bytes)
    )))
}

/// The whole body of a request to a method that takes one message, read ahead and replayed.
struct OneMessage {
    read: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl OneMessage {
    /// Reads `body` to its end, its bytes taken from the `budget`; a message over `max_message`,
    /// or a second message, is refused. Returns the body to replay and its share of the budget.
    async fn read<'a>(
        mut body: Body,
        budget: &'a Semaphore,
        max_message: usize,
        path: &str,
    ) -> Result<(Body, Option<SemaphorePermit<'a>>), tonic::Status> {
        let mut read = BytesMut::new();
        let mut trailers = None;
        let mut share: Option<SemaphorePermit<'a>> = None;
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            match frame?.into_data() {
                Ok(data) => {
                    let bytes = u32::try_from(data.len()).unwrap_or(u32::MAX);
                    let more = budget.try_acquire_many(bytes).map_err(|_| {
                        unavailable("the server is reading as many request messages as it holds at once; retry shortly")
                    })?;
                    match &mut share {
                        Some(share) => share.merge(more),
                        None => share = Some(more),
                    }
                    read.extend_from_slice(&data);
                }
                Err(frame) => trailers = frame.into_trailers().ok(),
            }
            let Some(first_len) = first_message_len(&read) else { continue };
            if first_len > max_message {
                return Err(tonic::Status::resource_exhausted(format!(
                    "the request message is {first_len} bytes; the largest accepted is {max_message} bytes"
                )));
            }
            if read.len() > MESSAGE_PREFIX_LEN + first_len {
                return Err(tonic::Status::invalid_argument(format!(
                    "{path} takes exactly one request message; this request carried more"
                )));
            }
        }
        let read = Some(read.freeze()).filter(|read| !read.is_empty());
        Ok((Body::new(Self { read, trailers }), share))
    }
}

/// The length the first message's prefix declares, once the prefix is in.
fn first_message_len(read: &[u8]) -> Option<usize> {
    let mut prefix = read.get(..MESSAGE_PREFIX_LEN)?;
    prefix.advance(1);
    Some(prefix.get_u32() as usize)
}

impl http_body::Body for OneMessage {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, tonic::Status>>> {
        let frame = match self.read.take() {
            Some(read) => http_body::Frame::data(read),
            None => match self.trailers.take() {
                Some(trailers) => http_body::Frame::trailers(trailers),
                None => return Poll::Ready(None),
            },
        };
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_none() && self.trailers.is_none()
    }
}

/// tonic answers a message over the size limit with OUT_OF_RANGE; gRPC's own servers, and
/// clients' retry logic, expect RESOURCE_EXHAUSTED for it. The status is in the response head
/// (trailers-only responses, whose body has no trailers) or else in the trailers.
fn oversized_as_resource_exhausted(mut response: Response<Body>) -> Response<Body> {
    if crate::trailers::grpc_code(response.headers()).is_some() {
        relabel_oversized(response.headers_mut());
        return response;
    }
    response.map(|body| crate::trailers::on_trailers(body, relabel_oversized))
}

fn relabel_oversized(headers: &mut http::HeaderMap) {
    if crate::trailers::grpc_code(headers) != Some(Code::OutOfRange) {
        return;
    }
    // Rare: only now is the message worth decoding.
    let oversized = tonic::Status::from_header_map(headers).is_some_and(|status| {
        status.code() == Code::OutOfRange && status.message().starts_with("Error, decoded message length too large")
    });
    if oversized {
        headers.insert("grpc-status", http::HeaderValue::from_static("8"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_in_flight: usize) -> RequestLimits {
        RequestLimits {
            max_in_flight,
            request_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(10),
            max_message: 1 << 20,
            client_streaming: HashSet::new(),
            max_unsent_reply_bytes: 64 << 20,
            write_timeout: Duration::from_secs(30),
            connections: OpenConnections::default(),
        }
    }

    /// A unary gRPC request to `path` carrying `messages`, each a few bytes.
    fn request(path: &str, messages: usize) -> Request<Body> {
        let mut body = Vec::new();
        for _ in 0..messages {
            body.extend_from_slice(&[0, 0, 0, 0, 2, 8, 1]);
        }
        request_with(path, Body::new(http_body_util::Full::new(Bytes::from(body))))
    }

    fn request_with(path: &str, body: Body) -> Request<Body> {
        let mut request = Request::new(body);
        *request.uri_mut() = path.parse().unwrap();
        request.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/grpc"));
        request
    }

    fn grpc_status(response: &Response<Body>) -> Option<Code> {
        crate::trailers::grpc_code(response.headers())
    }

    #[tokio::test]
    async fn requests_over_the_limit_are_shed_with_retry_info_and_health_never_is() {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = Arc::new(tokio::sync::Mutex::new(Some(released)));
        let inner = tower::service_fn(move |_request: Request<Body>| {
            let released = released.clone();
            async move {
                let wait = released.lock().await.take();
                if let Some(wait) = wait {
                    let _ = wait.await;
                }
                Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
            }
        });
        let mut service = RequestLimitsLayer::new(limits(1)).layer(inner);
        let first = tokio::spawn(service.call(request("/tip.v1.ReportService/GetReport", 1)));
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        let shed = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&shed), Some(Code::Unavailable));
        let status = tonic::Status::from_header_map(shed.headers()).unwrap();
        assert!(status.get_error_details().retry_info().is_some());
        let health = service.call(request("/grpc.health.v1.Health/Check", 1)).await.unwrap();
        assert_eq!(grpc_status(&health), None, "health takes no permit");
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        let after = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&after), None, "the permit came back");
    }

    #[tokio::test]
    async fn blocking_work_holding_the_request_permit_counts_until_it_ends() {
        let (keep, kept) = std::sync::mpsc::channel();
        let inner = tower::service_fn(move |_request: Request<Body>| {
            let keep = keep.clone();
            async move {
                // As `catalog::blocking` does: the work outlives the reply.
                keep.send(request_permit()).unwrap();
                Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
            }
        });
        let mut service = RequestLimitsLayer::new(limits(1)).layer(inner);
        let answered = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&answered), None);
        let still_working = kept.recv().unwrap();
        assert!(still_working.is_some(), "the handler sees its request's permit");
        let shed = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&shed), Some(Code::Unavailable), "the work still counts");
        drop(still_working);
        let after = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&after), None, "the permit came back when the work ended");
        assert!(kept.recv().unwrap().is_some());
    }

    #[tokio::test]
    async fn bytes_read_ahead_share_a_budget() {
        let inner = tower::service_fn(|_request: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        });
        let mut service = RequestLimitsLayer::new(RequestLimits { max_message: 16, ..limits(64) }).layer(inner);
        // Four senders each send 16 bytes of a message and stop: the budget of 4 × 16 is spent.
        let mut senders = Vec::new();
        let mut slow = Vec::new();
        for _ in 0..READ_AHEAD_MESSAGES {
            let (mut sender, body) = http_body_util::channel::Channel::<Bytes, tonic::Status>::new(1);
            sender.send_data(Bytes::from([&[0, 0, 0, 0, 16][..], &[1; 11]].concat())).await.unwrap();
            slow.push(tokio::spawn(service.call(request_with("/tip.v1.ReportService/GetReport", Body::new(body)))));
            senders.push(sender);
        }
        for _ in 0..READ_AHEAD_MESSAGES * 2 {
            tokio::task::yield_now().await;
        }
        let refused = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&refused), Some(Code::Unavailable));
        drop(senders);
        for request in slow {
            request.await.unwrap().unwrap();
        }
        let served = service.call(request("/tip.v1.ReportService/GetReport", 1)).await.unwrap();
        assert_eq!(grpc_status(&served), None, "the budget came back");
    }

    #[tokio::test]
    async fn framing_is_checked_before_the_handler_runs() {
        let inner = tower::service_fn(|_request: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        });
        let mut service = RequestLimitsLayer::new(limits(8)).layer(inner);
        let two = service.call(request("/tip.v1.ReportService/GetReport", 2)).await.unwrap();
        assert_eq!(grpc_status(&two), Some(Code::InvalidArgument));
        let mut plain = request("/tip.v1.ReportService/GetReport", 1);
        plain.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
        assert_eq!(service.call(plain).await.unwrap().status(), http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for (timeout, accepted) in
            [("1S", true), ("99999999n", true), ("123456789S", false), ("5X", false), ("S", false)]
        {
            let mut timed = request("/tip.v1.ReportService/GetReport", 1);
            timed.headers_mut().insert("grpc-timeout", http::HeaderValue::from_static(timeout));
            let response = service.call(timed).await.unwrap();
            assert_eq!(grpc_status(&response).is_none(), accepted, "{timeout}");
        }
    }
}
