//! A response body that hands its gRPC trailers to a function on their way out: where the final
//! status of a call lives, unless the head already carried it (trailers-only responses). And
//! [`grpc_code`], to read that status cheaply.

use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;

/// The gRPC status code in `headers` (a response head or its trailers), if they carry one. Reads
/// only `grpc-status`: unlike `tonic::Status::from_header_map`, it neither clones the map nor
/// decodes the message and details.
pub fn grpc_code(headers: &HeaderMap) -> Option<tonic::Code> {
    headers.get("grpc-status").map(|value| tonic::Code::from_bytes(value.as_bytes()))
}

/// Wraps `body` so that `on_trailers` sees, and may change, its trailers.
pub fn on_trailers(
    body: tonic::body::Body,
    on_trailers: impl FnMut(&mut HeaderMap) + Send + Unpin + 'static,
) -> tonic::body::Body {
    tonic::body::Body::new(OnTrailers { inner: body, on_trailers })
}

struct OnTrailers<F> {
    inner: tonic::body::Body,
    on_trailers: F,
}

impl<F: FnMut(&mut HeaderMap) + Unpin> http_body::Body for OnTrailers<F> {
    type Data = <tonic::body::Body as http_body::Body>::Data;
    type Error = <tonic::body::Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        Pin::new(&mut this.inner).poll_frame(cx).map(|frame| {
            frame.map(|frame| {
                frame.map(|mut frame| {
                    if let Some(trailers) = frame.trailers_mut() {
                        (this.on_trailers)(trailers);
                    }
                    frame
                })
            })
        })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
