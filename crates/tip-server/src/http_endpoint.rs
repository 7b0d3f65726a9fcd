//! Plain HTTP answered on the serving port before the gRPC-Web translation and the gRPC router:
//! the Prometheus metrics (`GET /metrics`) and the page. A scraper or a browser needs no second
//! port to be opened, secured and load-balanced.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use tonic::body::Body;
use tower::{Layer, Service};

/// A future that answers a request.
pub type Answer = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// Requests answered over plain HTTP rather than passed on to gRPC.
pub trait Endpoint: Send + Sync + 'static {
    /// Whether this endpoint answers a request of `method` on `path`.
    fn answers(&self, method: &Method, path: &str) -> bool;
    /// The answer to a request it answers (its body is not read).
    fn answer(self: Arc<Self>, request: http::request::Parts) -> Answer;
}

/// Puts an [`Endpoint`] in front of a service.
pub struct EndpointLayer<E> {
    endpoint: Arc<E>,
}

impl<E> EndpointLayer<E> {
    pub fn new(endpoint: E) -> Self {
        Self { endpoint: Arc::new(endpoint) }
    }
}

impl<E> Clone for EndpointLayer<E> {
    fn clone(&self) -> Self {
        Self { endpoint: self.endpoint.clone() }
    }
}

impl<S, E> Layer<S> for EndpointLayer<E> {
    type Service = EndpointService<S, E>;

    fn layer(&self, inner: S) -> Self::Service {
        EndpointService { inner, endpoint: self.endpoint.clone() }
    }
}

/// The service made by [`EndpointLayer`].
pub struct EndpointService<S, E> {
    inner: S,
    endpoint: Arc<E>,
}

impl<S: Clone, E> Clone for EndpointService<S, E> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), endpoint: self.endpoint.clone() }
    }
}

impl<S, B, E> Service<Request<B>> for EndpointService<S, E>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
    E: Endpoint,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !self.endpoint.answers(request.method(), request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let answer = self.endpoint.clone().answer(request.into_parts().0);
        Box::pin(async move { Ok(answer.await) })
    }
}
