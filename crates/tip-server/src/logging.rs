//! A tower layer that gives every request a tracing span and logs its method, final gRPC status
//! and latency: from the response head when it carries the status, else when the trailers pass
//! (for streams, at their end). A call that ends without a status (its client cancelled it, its
//! deadline passed, its connection closed) is logged too, when it is dropped. Each call's end
//! also feeds the call metrics, and each call carries a request id: the client's `x-request-id`
//! when it sends one, else a generated one, a field of the span (so of every line logged for the
//! call) and returned in the response's `x-request-id`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

/// Adds request logging to a service.
#[derive(Clone)]
pub struct RequestLogLayer {
    served_methods: Arc<HashSet<String>>,
}

impl RequestLogLayer {
    /// Logs every call; counts calls to `served_methods` by path, any other under one label, so
    /// that clients sending made-up paths cannot grow the metrics without bound.
    pub fn new(served_methods: HashSet<String>) -> Self {
        Self { served_methods: Arc::new(served_methods) }
    }
}

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog { inner, served_methods: self.served_methods.clone() }
    }
}

/// The service made by [`RequestLogLayer`].
#[derive(Clone)]
pub struct RequestLog<S> {
    inner: S,
    served_methods: Arc<HashSet<String>>,
}

impl<S, B> Service<Request<B>> for RequestLog<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let request_id = request_id(request.headers());
        let span = tracing::info_span!("grpc", %method, request_id = %request_id.to_str().unwrap_or_default());
        crate::metrics::call_started();
        let counted_as = if self.served_methods.contains(&method) { method } else { UNKNOWN_METHOD.to_owned() };
        let mut end = CallEnd { started: Instant::now(), counted_as, span: span.clone(), logged: false };
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                let mut response = match future.await {
                    Ok(response) => response,
                    Err(error) => {
                        end.ended(Some(tonic::Code::Unknown));
                        tracing::warn!(%error, latency_us = end.latency_us(), "request failed");
                        return Err(error);
                    }
                };
                response.headers_mut().insert(REQUEST_ID, request_id);
                if end.log_status(response.headers()) {
                    return Ok(response);
                }
                if response.status() != http::StatusCode::OK {
                    end.ended(Some(tonic::Code::Unknown));
                    tracing::info!(http_status = response.status().as_u16(), latency_us = end.latency_us(), "request");
                    return Ok(response);
                }
                let (parts, body) = response.into_parts();
                let body = crate::trailers::on_trailers(body, move |trailers| {
                    end.log_status(trailers);
                });
                Ok(Response::from_parts(parts, body))
            }
            .instrument(span),
        )
    }
}

/// The path every call to a method not served is counted under.
const UNKNOWN_METHOD: &str = "/unknown/unknown";

pub(crate) const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// The client's `x-request-id` when it is short and printable, else 16 random hex digits.
pub(crate) fn request_id(headers: &http::HeaderMap) -> http::HeaderValue {
    let sent = headers.get(REQUEST_ID).filter(|id| {
        let id = id.as_bytes();
        !id.is_empty() && id.len() <= 128 && id.iter().all(|b| b.is_ascii_graphic())
    });
    sent.cloned().unwrap_or_else(|| {
        let mut random = [0_u8; 8];
        getrandom::fill(&mut random).expect("the operating system's random source answers");
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        http::HeaderValue::from_str(&hex).expect("hex digits are a valid header value")
    })
}

/// A call's end, logged and counted once: with its status when one passes, else when it is
/// dropped.
struct CallEnd {
    started: Instant,
    /// The path the call is counted under in the metrics.
    counted_as: String,
    span: tracing::Span,
    logged: bool,
}

impl CallEnd {
    fn latency_us(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Logs the call's status and latency if `headers` carry a grpc-status; says whether they did.
    fn log_status(&mut self, headers: &http::HeaderMap) -> bool {
        let Some(status) = crate::trailers::grpc_code(headers) else { return false };
        self.ended(Some(status));
        let latency_us = self.latency_us();
        let _entered = self.span.enter();
        if matches!(status, tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss) {
            tracing::warn!(?status, latency_us, "request");
        } else {
            tracing::info!(?status, latency_us, "request");
        }
        true
    }

    /// Counts the call as ended with `code` (None: without a status); it is logged by the caller.
    fn ended(&mut self, code: Option<tonic::Code>) {
        self.logged = true;
        crate::metrics::call_ended(&self.counted_as, code, self.started.elapsed());
    }
}

impl Drop for CallEnd {
    fn drop(&mut self) {
        if !self.logged {
            self.ended(None);
            let latency_us = self.latency_us();
            let _entered = self.span.enter();
            tracing::info!(
                status = "Cancelled",
                latency_us,
                "request ended without a status: its client cancelled it, its deadline passed or its connection closed"
            );
        }
    }
}
