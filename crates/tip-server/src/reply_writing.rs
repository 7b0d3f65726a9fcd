//! Replies written within bounds when clients stop reading them. Once a client's HTTP/2
//! flow-control window is full, hyper stops polling the reply's body and keeps what it took;
//! nothing inside the body runs again until the client reads. So a reply's body hands hyper its
//! messages in copied pieces of at most [`PIECE`] bytes (a piece in hyper's hands must not keep a
//! whole message alive), and keeps the rest where a timer can reach it:
//! - the bytes kept, across all replies, share a budget: a message that does not fit is not sent,
//!   and the call ends with RESOURCE_EXHAUSTED and a RetryInfo detail;
//! - a reply whose client takes nothing for the write timeout is abandoned: the timer frees what
//!   it keeps, logs it, and closes the client's connection (as a web server's send timeout does),
//!   whether or not hyper ever polls the body again: the piece hyper holds for each stream of a
//!   stuck client goes too. Should hyper poll the body first, the stream is reset with CANCEL.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body::Frame;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tonic::Code;
use tonic::body::Body;
use tonic_types::{ErrorDetails, StatusExt};

use crate::connections::OpenConnections;

/// The most hyper is handed at once: HTTP/2's default frame size. Smaller messages pass as they
/// are, and are not counted: hyper holds one at a time per stream.
const PIECE: usize = 16 << 10;

/// How long a client refused for want of budget is asked to wait: about as long as a reply
/// takes to reach a reading client.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The bounds every reply's body is written within.
#[derive(Clone)]
pub struct ReplyWriting {
    /// Bytes of messages kept for their clients, across all replies.
    budget: Arc<Semaphore>,
    max_unsent_bytes: usize,
    write_timeout: Duration,
    /// Where the connection of an abandoned reply's client is closed.
    connections: OpenConnections,
}

impl ReplyWriting {
    /// Replies that keep at most `max_unsent_bytes` between them, each abandoned once its client
    /// has taken nothing for `write_timeout`, and that client's connection (of `connections`)
    /// closed.
    pub fn new(max_unsent_bytes: usize, write_timeout: Duration, connections: OpenConnections) -> Self {
        Self { budget: Arc::new(Semaphore::new(max_unsent_bytes)), max_unsent_bytes, write_timeout, connections }
    }

    /// `body`, written within the bounds, to the client at `client` (None: a connection not
    /// listed, which an abandoned reply leaves open).
    pub fn bound(&self, body: Body, client: Option<SocketAddr>) -> Body {
        let unsent =
            Unsent { inner: Some(body), kept: Bytes::new(), share: None, taken: Instant::now(), abandoned: false };
        Body::new(BoundedReply {
            unsent: Arc::new(Mutex::new(unsent)),
            writing: self.clone(),
            timer: None,
            client,
            span: tracing::Span::current(),
        })
    }
}

struct BoundedReply {
    unsent: Arc<Mutex<Unsent>>,
    writing: ReplyWriting,
    /// The write-timeout timer, from the first message kept on.
    timer: Option<AbortHandle>,
    client: Option<SocketAddr>,
    /// The request's span, for the log line of an abandoned reply.
    span: tracing::Span,
}

/// What a reply has not yet handed to hyper: shared with its timer, which may drop it.
struct Unsent {
    /// The rest of the body; None once ended early (refused, abandoned).
    inner: Option<Body>,
    /// The rest of the message being handed out in pieces.
    kept: Bytes,
    /// The share of the budget `kept` holds.
    share: Option<OwnedSemaphorePermit>,
    /// When hyper last polled the body: when the client last made room for more.
    taken: Instant,
    abandoned: bool,
}

impl Unsent {
    fn next_piece(&mut self) -> Bytes {
        let piece = Bytes::copy_from_slice(&self.kept[..self.kept.len().min(PIECE)]);
        self.kept.advance(piece.len());
        if self.kept.is_empty() {
            // The message is all in hyper's hands: its allocation is freed, and its share.
            self.kept = Bytes::new();
            self.share = None;
        }
        piece
    }
}

impl http_body::Body for BoundedReply {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let this = &mut *self;
        let mut unsent = this.unsent.lock().expect("the lock is never held across a panic");
        unsent.taken = Instant::now();
        if unsent.abandoned {
            // An error from the body makes hyper reset the stream, with the HTTP/2 reason it
            // carries.
            let reset = Box::new(h2::Error::from(h2::Reason::CANCEL));
            return Poll::Ready(Some(Err(tonic::Status::from_error(reset))));
        }
        if !unsent.kept.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(unsent.next_piece()))));
        }
        let Some(inner) = unsent.inner.as_mut() else { return Poll::Ready(None) };
        let frame = match ready!(Pin::new(inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            other => return Poll::Ready(other),
        };
        let data = match frame.into_data() {
            Ok(data) if data.len() > PIECE => data,
            Ok(small) => return Poll::Ready(Some(Ok(Frame::data(small)))),
            Err(other) => return Poll::Ready(Some(Ok(other))),
        };
        let bytes = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let Ok(share) = this.writing.budget.clone().try_acquire_many_owned(bytes) else {
            unsent.inner = None;
            crate::metrics::call_shed();
            let status = tonic::Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "the server holds {} MiB of replies its clients have not read yet, its most; retry shortly",
                    this.writing.max_unsent_bytes >> 20
                ),
                ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
            );
            let mut trailers = http::HeaderMap::new();
            // Fails only on a message that is not a header value: this one always is.
            let _ = status.add_header(&mut trailers);
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        };
        unsent.kept = data;
        unsent.share = Some(share);
        let piece = unsent.next_piece();
        drop(unsent);
        if this.timer.is_none() {
            let unsent = Arc::downgrade(&this.unsent);
            this.timer = Some(abandon_when_unread(unsent, &this.writing, this.client, this.span.clone()));
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        let unsent = self.unsent.lock().expect("the lock is never held across a panic");
        !unsent.abandoned && unsent.kept.is_empty() && unsent.inner.as_ref().is_none_or(http_body::Body::is_end_stream)
    }
}

impl Drop for BoundedReply {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer {
            timer.abort();
        }
    }
}

/// Spawns the timer of a reply: it abandons the reply once it has kept a message for
/// `write_timeout` without hyper taking a piece of it. A spawned task, because hyper does not
/// poll a body whose client has no room left.
fn abandon_when_unread(
    unsent: Weak<Mutex<Unsent>>,
    writing: &ReplyWriting,
    client: Option<SocketAddr>,
    span: tracing::Span,
) -> AbortHandle {
    let (write_timeout, connections) = (writing.write_timeout, writing.connections.clone());
    let timer = async move {
        let mut deadline = Instant::now() + write_timeout;
        loop {
            tokio::time::sleep_until(deadline).await;
            let Some(unsent) = unsent.upgrade() else { return };
            let mut unsent = unsent.lock().expect("the lock is never held across a panic");
            let quiet_since = unsent.taken;
            if unsent.kept.is_empty() || quiet_since + write_timeout > Instant::now() {
                // Waiting for the server (a stream between messages), or taken from lately.
                deadline = quiet_since.max(Instant::now()) + write_timeout;
                continue;
            }
            let kept = unsent.kept.len();
            *unsent = Unsent { inner: None, kept: Bytes::new(), share: None, taken: quiet_since, abandoned: true };
            drop(unsent);
            tracing::warn!(
                parent: &span,
                unsent_bytes = kept,
                write_timeout_secs = write_timeout.as_secs_f64(),
                "reply abandoned: its client read none of it for the write timeout; its connection is closed"
            );
            crate::metrics::reply_abandoned();
            if let Some(client) = client {
                connections.close(client);
            }
            return;
        }
    };
    tokio::spawn(timer).abort_handle()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    async fn next_frame(body: &mut Body) -> Option<Result<Frame<Bytes>, tonic::Status>> {
        std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
    }

    /// `len` bytes that differ from piece to piece: a piece out of place shows.
    fn numbered(len: usize) -> Bytes {
        (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
    }

    fn reply(message: &Bytes) -> Body {
        Body::new(http_body_util::Full::new(message.clone()))
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_is_abandoned_once_its_client_took_nothing_for_the_write_timeout() {
        let writing = ReplyWriting::new(1 << 20, Duration::from_secs(10), OpenConnections::default());
        let message = numbered(5 * PIECE);
        let mut body = writing.bound(reply(&message), None);
        let mut received = Vec::new();
        for _ in 0..3 {
            // A slow client, but one that takes a piece within every write timeout.
            let piece = next_frame(&mut body).await.unwrap().unwrap().into_data().unwrap();
            assert_eq!(piece.len(), PIECE);
            received.extend_from_slice(&piece);
            assert_eq!(writing.budget.available_permits(), (1 << 20) - message.len(), "the message is kept");
            tokio::time::advance(Duration::from_secs(8)).await;
        }
        // Then nothing: the timer frees the rest although nobody polls the body.
        tokio::time::advance(Duration::from_secs(3)).await;
        tokio::task::yield_now().await;
        assert_eq!(writing.budget.available_permits(), 1 << 20, "the share came back");
        let reset = next_frame(&mut body).await.unwrap().unwrap_err();
        let reason = std::error::Error::source(&reset).and_then(|source| source.downcast_ref::<h2::Error>());
        assert_eq!(reason.and_then(h2::Error::reason), Some(h2::Reason::CANCEL), "{reset:?}");
        assert_eq!(received, message[..3 * PIECE]);
    }

    #[tokio::test]
    async fn a_reply_comes_whole_in_pieces_and_one_past_the_budget_is_refused() {
        let writing = ReplyWriting::new(4 * PIECE, Duration::from_secs(10), OpenConnections::default());
        let message = numbered(3 * PIECE + 5);
        let mut read = writing.bound(reply(&message), None);
        let mut received = Vec::new();
        while let Some(frame) = next_frame(&mut read).await {
            received.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        assert_eq!(received, message);
        assert!(read.is_end_stream());
        assert_eq!(writing.budget.available_permits(), 4 * PIECE, "the share came back");

        let mut kept = writing.bound(reply(&message), None);
        next_frame(&mut kept).await.unwrap().unwrap();
        let mut refused = writing.bound(reply(&message), None);
        let trailers = next_frame(&mut refused).await.unwrap().unwrap().into_trailers().unwrap();
        assert_eq!(crate::trailers::grpc_code(&trailers), Some(Code::ResourceExhausted));
        assert!(next_frame(&mut refused).await.is_none());
        // Small messages are neither kept nor counted.
        let small = Bytes::from_static(b"a small reply");
        let mut passed = writing.bound(reply(&small), None);
        assert_eq!(next_frame(&mut passed).await.unwrap().unwrap().into_data().unwrap(), small);
    }
}
