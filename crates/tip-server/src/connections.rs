//! Accepting connections within bounds: a cap on open connections (one over it is closed at once,
//! which frees its descriptor), back-off and a log line when accepting fails (out of file
//! descriptors: retrying at once would spin a core), and connections closed once their client has
//! sent nothing for the idle timeout. Live clients always have something to send: the server
//! pings every connection (HTTP/2 PING) at half that timeout. A connection is also closed on
//! request ([`OpenConnections::close`]): the write timeout of a reply its client left unread.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::task::AtomicWaker;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The first wait after a failed accept; each further failure doubles it, up to the maximum.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Refused connections are logged at most this often, so that a flood does not flood the log.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The open connections by their client's address, each of which can be closed from elsewhere.
#[derive(Clone, Debug, Default)]
pub struct OpenConnections(Arc<Mutex<HashMap<SocketAddr, Arc<Closing>>>>);

impl OpenConnections {
    /// Closes the connection of the client at `peer`, if it is open: its reads fail, which ends it
    /// and every stream on it, and frees what they hold.
    pub fn close(&self, peer: SocketAddr) {
        if let Some(closing) = self.open().get(&peer).cloned() {
            closing.closed.store(true, Ordering::Release);
            closing.reader.wake();
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Arc<Closing>>> {
        self.0.lock().expect("the lock is never held across a panic")
    }
}

/// A connection's flag to close, and the task reading it, to wake when the flag is set.
#[derive(Debug, Default)]
struct Closing {
    closed: AtomicBool,
    reader: AtomicWaker,
}

/// The connections accepted on a listener, within the limits.
pub struct Incoming {
    listener: TcpListener,
    open: OpenConnections,
    slots: Arc<Semaphore>,
    max_connections: usize,
    idle_timeout: Duration,
    backoff: Option<Pin<Box<Sleep>>>,
    next_backoff: Duration,
    refused: u64,
    refusal_logged: Option<Instant>,
}

impl Incoming {
    /// Accepts on `listener` up to `max_connections` at a time, each closed after `idle_timeout`
    /// without a byte from its client, and each listed in `open` while it is open.
    pub fn new(listener: TcpListener, max_connections: usize, idle_timeout: Duration, open: OpenConnections) -> Self {
        Self {
            listener,
            open,
            slots: Arc::new(Semaphore::new(max_connections)),
            max_connections,
            idle_timeout,
            backoff: None,
            next_backoff: FIRST_BACKOFF,
            refused: 0,
            refusal_logged: None,
        }
    }

    fn refuse(&mut self, peer: std::net::SocketAddr) {
        self.refused += 1;
        let now = Instant::now();
        if self.refusal_logged.is_none_or(|logged| now - logged >= REFUSAL_LOG_INTERVAL) {
            self.refusal_logged = Some(now);
            tracing::warn!(
                %peer,
                limit = self.max_connections,
                refused_so_far = self.refused,
                "closing a new connection: the server is at its limit of open connections"
            );
        }
    }
}

impl tokio_stream::Stream for Incoming {
    type Item = io::Result<Connection>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(backoff) = &mut this.backoff {
            ready!(backoff.as_mut().poll(cx));
            this.backoff = None;
        }
        loop {
            match ready!(this.listener.poll_accept(cx)) {
                Ok((stream, peer)) => {
                    this.next_backoff = FIRST_BACKOFF;
                    let Ok(slot) = this.slots.clone().try_acquire_owned() else {
                        drop(stream);
                        this.refuse(peer);
                        continue;
                    };
                    // Without TCP_NODELAY, small replies wait for Nagle's delayed ACK (~40 ms).
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "cannot set TCP_NODELAY");
                    }
                    let closing = Arc::new(Closing::default());
                    this.open.open().insert(peer, closing.clone());
                    let listed = Listed { open: this.open.clone(), peer, closing };
                    return Poll::Ready(Some(Ok(Connection::new(stream, slot, this.idle_timeout, listed))));
                }
                // The peer gave up before the accept: nothing to wait for.
                Err(error) if is_connection_error(&error) => tracing::debug!(%error, "accept"),
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?this.next_backoff, "cannot accept a connection");
                    let mut backoff = Box::pin(tokio::time::sleep(this.next_backoff));
                    this.next_backoff = (this.next_backoff * 2).min(MAX_BACKOFF);
                    if backoff.as_mut().poll(cx).is_pending() {
                        this.backoff = Some(backoff);
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// An accepted connection: holds its slot under the cap, and fails its reads once the client has
/// sent nothing for the idle timeout, or once it is asked to close, which closes it.
pub struct Connection {
    stream: TcpStream,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    listed: Listed,
    _slot: OwnedSemaphorePermit,
}

/// A connection's entry in [`OpenConnections`], removed when the connection ends.
struct Listed {
    open: OpenConnections,
    peer: SocketAddr,
    closing: Arc<Closing>,
}

impl Drop for Listed {
    fn drop(&mut self) {
        let mut open = self.open.open();
        // A new connection from the same address may have taken the entry already.
        if open.get(&self.peer).is_some_and(|listed| Arc::ptr_eq(listed, &self.closing)) {
            open.remove(&self.peer);
        }
    }
}

impl Connection {
    fn new(stream: TcpStream, slot: OwnedSemaphorePermit, idle_timeout: Duration, listed: Listed) -> Self {
        Self { stream, idle_timeout, idle: Box::pin(tokio::time::sleep(idle_timeout)), listed, _slot: slot }
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.listed.closing.reader.register(cx.waker());
        if this.listed.closing.closed.load(Ordering::Acquire) {
            tracing::debug!(peer = %this.listed.peer, "closing a connection on request");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the server closed the connection",
            )));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.idle.as_mut().reset(Instant::now() + this.idle_timeout);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                ready!(this.idle.as_mut().poll(cx));
                tracing::debug!(peer = ?this.stream.peer_addr().ok(), idle = ?this.idle_timeout, "closing an idle connection");
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent nothing for the idle timeout",
                )))
            }
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
