//! Shared pieces of the port-forward tests: a kube client from the fake's kubeconfig and the
//! "pod side" servers a forward reaches (TCP echo, a speak-and-hang-up server, an h2c server),
//! each on a loopback port and each reporting when a connection to it closes.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use lviz_testkit::kube::FakeKube;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub const WAIT: Duration = Duration::from_secs(10);

pub async fn client(kube: &FakeKube) -> Client {
    let kubeconfig = Kubeconfig::read_from(kube.kubeconfig_path()).expect("kubeconfig parses");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.expect("config");
    Client::try_from(config).expect("client")
}

/// A loopback port nothing listens on (bound, then released).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}

/// A server on 127.0.0.1 that stops accepting when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    closed: mpsc::UnboundedReceiver<()>,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// Echoes every byte back until the peer closes.
    pub async fn echo() -> Upstream {
        Self::start(|mut tcp| async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = tcp.read(&mut buf).await {
                if n == 0 || tcp.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        })
        .await
    }

    /// Writes `greeting`, then closes the connection.
    pub async fn say_and_hang_up(greeting: &'static [u8]) -> Upstream {
        Self::start(move |mut tcp| async move {
            let _ = tcp.write_all(greeting).await;
        })
        .await
    }

    /// Serves HTTP/2 without TLS (prior knowledge, as gRPC's plaintext does); each response
    /// names the version, method, path and body the server saw.
    pub async fn h2c() -> Upstream {
        Self::start(|tcp| async move {
            let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await?.to_bytes();
                let text = format!(
                    "{:?} {} {} {}",
                    parts.version,
                    parts.method,
                    parts.uri.path(),
                    String::from_utf8_lossy(&body)
                );
                Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(text))))
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        })
        .await
    }

    async fn start<F, Fut>(serve: F) -> Upstream
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (conn, closed_tx) = (serve(tcp), closed_tx.clone());
                tokio::spawn(async move {
                    conn.await;
                    let _ = closed_tx.send(());
                });
            }
        });
        Upstream { addr, accepted, closed, task }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Waits until one more connection has ended (the peer closed it); false after [`WAIT`].
    pub async fn connection_closed(&mut self) -> bool {
        matches!(tokio::time::timeout(WAIT, self.closed.recv()).await, Ok(Some(())))
    }
}

/// Polls `check` every 20 ms until it holds; false after [`WAIT`].
pub async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}
