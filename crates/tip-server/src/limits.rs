//! Limits: a server-wide cap on requests in flight (a request over the cap is answered at once
//! with UNAVAILABLE and a RetryInfo detail, instead of queueing without bound), and oversized
//! messages answered as RESOURCE_EXHAUSTED.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tokio::sync::Semaphore;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

/// How long a shed client is asked to wait before it retries.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Caps the requests in flight across all connections.
#[derive(Clone)]
pub struct ConcurrencyLimitLayer {
    permits: Arc<Semaphore>,
}

impl ConcurrencyLimitLayer {
    /// At most `limit` requests in flight.
    pub fn new(limit: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(limit)) }
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConcurrencyLimit { inner, permits: self.permits.clone() }
    }
}

/// The service made by [`ConcurrencyLimitLayer`].
#[derive(Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S, B> Service<Request<B>> for ConcurrencyLimit<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            let status = tonic::Status::with_error_details(
                Code::Unavailable,
                "the server is at its limit of requests in flight; retry shortly",
                ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
            );
            return Box::pin(async move { Ok(status.into_http()) });
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            // The permit is held until the response head is ready; a stream's body is not
            // counted, so long-lived watchers do not starve unary calls.
            let response = future.await.map(oversized_as_resource_exhausted);
            drop(permit);
            response
        })
    }
}

/// tonic answers a message over the size limit with OUT_OF_RANGE; gRPC's own servers, and
/// clients' retry logic, expect RESOURCE_EXHAUSTED for it. The status is in the response head
/// (trailers-only responses, whose body has no trailers) or else in the trailers.
fn oversized_as_resource_exhausted(mut response: Response<tonic::body::Body>) -> Response<tonic::body::Body> {
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

    #[tokio::test]
    async fn requests_over_the_limit_are_shed_with_retry_info() {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = std::sync::Arc::new(tokio::sync::Mutex::new(Some(released)));
        let inner = tower::service_fn(move |_request: Request<()>| {
            let released = released.clone();
            async move {
                if let Some(wait) = released.lock().await.take() {
                    let _ = wait.await;
                }
                Ok::<_, std::convert::Infallible>(Response::new(tonic::body::Body::empty()))
            }
        });
        let mut service = ConcurrencyLimitLayer::new(1).layer(inner);
        let first = tokio::spawn(service.call(Request::new(())));
        tokio::task::yield_now().await;
        let shed = service.call(Request::new(())).await.unwrap();
        assert_eq!(shed.headers()["grpc-status"], "14");
        let status = tonic::Status::from_header_map(shed.headers()).unwrap();
        assert!(status.get_error_details().retry_info().is_some());
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        let after = service.call(Request::new(())).await.unwrap();
        assert!(after.headers().get("grpc-status").is_none(), "the permit came back");
    }
}
