//! A tower layer that gives every request a tracing span and logs its method, final gRPC status
//! and latency: from the response head when it carries the status, else when the trailers pass
//! (for streams, at their end).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

/// Adds request logging to a service.
#[derive(Clone, Copy, Default)]
pub struct RequestLogLayer;

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog { inner }
    }
}

/// The service made by [`RequestLogLayer`].
#[derive(Clone)]
pub struct RequestLog<S> {
    inner: S,
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
        let span = tracing::info_span!("grpc", %method);
        let started = Instant::now();
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                let response = match future.await {
                    Ok(response) => response,
                    Err(error) => {
                        tracing::warn!(%error, latency_us = started.elapsed().as_micros() as u64, "request failed");
                        return Err(error);
                    }
                };
                if log_status(response.headers(), started) {
                    return Ok(response);
                }
                let (parts, body) = response.into_parts();
                let span = tracing::Span::current();
                let body = crate::trailers::on_trailers(body, move |trailers| {
                    span.in_scope(|| log_status(trailers, started));
                });
                Ok(Response::from_parts(parts, body))
            }
            .instrument(span),
        )
    }
}

/// Logs the call's status and latency if `headers` carry a grpc-status; says whether they did.
fn log_status(headers: &http::HeaderMap, started: Instant) -> bool {
    let Some(status) = crate::trailers::grpc_code(headers) else { return false };
    let latency_us = started.elapsed().as_micros() as u64;
    if matches!(status, tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss) {
        tracing::warn!(?status, latency_us, "request");
    } else {
        tracing::info!(?status, latency_us, "request");
    }
    true
}
