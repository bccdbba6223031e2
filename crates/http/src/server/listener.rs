//! `lviz serve`'s connections, bounded for hostile clients: at most [`ServeLimits::max_connections`]
//! at once (past that a connection gets 503 with the error object and is closed), request
//! headers within [`ServeLimits::header_read_timeout`] of the connection opening or of the
//! previous answer (so an idle keep-alive connection closes after it too), and a shutdown that
//! closes idle and half-open connections at once and waits only for requests in flight, at most
//! the handler timeout.
//!
//! hyper answers a request it cannot parse (400, 414, 431) with an empty body; [`JsonErrors`]
//! rewrites those answers into the spec's error object on the way out. Everything else (body
//! size and read time, URI and header sizes) is checked in the router's middleware
//! (`guard.rs`) so it answers the same way.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

/// `--header-read-timeout`'s default.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// `--max-connections`' default.
pub const MAX_CONNECTIONS: usize = 1024;
/// Longest request line (URI) answered; past it, 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes a request may carry; past them, 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// hyper's own buffer for a request head: above [`MAX_HEADER_BYTES`] + [`MAX_URI_BYTES`], so
/// the router's checks answer first with the error object.
const HEAD_BUFFER: usize = 256 * 1024;
/// What a shutdown waits beyond the handler timeout for an answer to be written.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The connection limits of a server; reusable by any front-end (the gRPC server applies the
/// same numbers to its connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Headers (and, for keep-alive connections, the next request) must arrive within this.
    pub header_read_timeout: Duration,
    /// Open connections at once.
    pub max_connections: usize,
    /// A request body must arrive within this (408 otherwise).
    pub body_read_timeout: Duration,
    /// The handler timeout: what a shutdown waits at most for requests in flight.
    pub handler_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            body_read_timeout: HEADER_READ_TIMEOUT,
            handler_timeout: Duration::from_secs(60),
        }
    }
}

/// The error object of an answer hyper writes on its own.
fn error_body(status: u16) -> &'static str {
    match status {
        400 => r#"{"error":{"error":"malformed HTTP request"}}"#,
        414 => r#"{"error":{"error":"request line too long"}}"#,
        431 => r#"{"error":{"error":"request header fields too large"}}"#,
        _ => r#"{"error":{"error":"request refused"}}"#,
    }
}

/// A connection whose automatic error answers (empty-bodied 400/414/431 written by hyper when a
/// request cannot be parsed) are rewritten into the spec's error object. The router never
/// answers those statuses with an empty body, so such a write is always hyper's own.
struct JsonErrors<T> {
    inner: T,
    /// A rewritten answer still being written, and how much of it is out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> JsonErrors<T> {
    /// The rewritten bytes when `buf` is one of hyper's automatic error answers.
    fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
        let head = std::str::from_utf8(buf).ok()?;
        let status: u16 = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
        if !matches!(status, 400 | 414 | 431) || !head.ends_with("\r\n\r\n") {
            return None;
        }
        let lower = head.to_ascii_lowercase();
        if !lower.contains("\r\ncontent-length: 0\r\n") {
            return None;
        }
        let body = error_body(status);
        let mut out = String::new();
        for line in head.trim_end_matches("\r\n").split("\r\n") {
            if line.to_ascii_lowercase().starts_with("content-length:") {
                continue;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        Some(out.into_bytes())
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.pending.is_none()
            && let Some(rewritten) = Self::rewrite(buf)
        {
            self.pending = Some((rewritten, 0));
        }
        let this = &mut *self;
        if let Some((bytes, sent)) = &mut this.pending {
            while *sent < bytes.len() {
                match Pin::new(&mut this.inner).poll_write(cx, &bytes[*sent..]) {
                    Poll::Ready(Ok(n)) => *sent += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            this.pending = None;
            // hyper's buffer counts as written: it was replaced whole.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts the requests of one connection that are being answered.
#[derive(Clone, Default)]
struct InFlight(Arc<AtomicUsize>);

struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl InFlight {
    fn start(&self) -> Busy {
        self.0.fetch_add(1, Ordering::SeqCst);
        Busy(self.0.clone())
    }
    fn idle(&self) -> bool {
        self.0.load(Ordering::SeqCst) == 0
    }
}

/// Refuses a connection over the limit: 503 with the error object, then close.
async fn refuse(mut stream: TcpStream, limit: usize) {
    let body = format!(
        r#"{{"error":{{"error":"too many connections: at most {limit} at once (--max-connections {limit})"}}}}"#
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(answer.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// Serves one connection until it ends, or until `stop` fires: then at once if no request is in
/// flight, else after those finish (at most the handler timeout).
async fn connection(stream: TcpStream, app: Router, limits: ServeLimits, mut stop: watch::Receiver<bool>) {
    let in_flight = InFlight::default();
    let counter = in_flight.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let busy = counter.start();
        let app = app.clone();
        async move {
            let response = tower::ServiceExt::oneshot(app, req.map(axum::body::Body::new)).await;
            drop(busy);
            response
        }
    });
    let io = TokioIo::new(JsonErrors { inner: stream, pending: None });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(HEAD_BUFFER)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    if in_flight.idle() {
        return; // idle or half-open: closed now
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.handler_timeout + SHUTDOWN_GRACE, conn).await;
}

/// Accepts until `shutdown` completes, then stops every connection as [`connection`] says and
/// waits for them.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer): (TcpStream, SocketAddr) = match accepted {
                    Ok(a) => a,
                    // Out of file descriptors and the like: back off instead of spinning.
                    Err(_) => { tokio::time::sleep(Duration::from_millis(20)).await; continue; }
                };
                let _ = stream.set_nodelay(true);
                match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let (app, stop) = (app.clone(), stop_rx.clone());
                        connections.spawn(async move {
                            connection(stream, app, limits, stop).await;
                            drop(permit);
                        });
                    }
                    Err(_) => { connections.spawn(refuse(stream, limits.max_connections)); }
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.as_mut() => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_error_answers_become_error_objects() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let rewritten = String::from_utf8(JsonErrors::<()>::rewrite(hyper).expect("rewritten")).expect("utf-8");
        assert_eq!(
            rewritten,
            "HTTP/1.1 431 Request Header Fields Too Large\r\ndate: x\r\ncontent-type: application/json\r\ncontent-length: 53\r\nconnection: close\r\n\r\n{\"error\":{\"error\":\"request header fields too large\"}}"
        );
        assert!(JsonErrors::<()>::rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 40\r\n\r\n").is_none());
        assert!(JsonErrors::<()>::rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
