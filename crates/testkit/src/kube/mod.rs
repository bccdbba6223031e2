//! An in-process fake Kubernetes API server (plain HTTP on a loopback port) serving fixture
//! objects as real Kubernetes JSON, so the real `kube` client works against it unchanged.
//!
//! Owns the server's lifecycle, its kubeconfig, request recording, fault injection, the
//! service-proxy table and the pod port-forward table. It is read-only: objects are fixed at
//! start.

mod portforward;
mod selector;
mod server;
mod store;
mod tunnel;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

pub use selector::{FieldSelector, LabelSelector};
pub use server::RecordedRequest;
pub use store::{RESOURCES, Resource};

use server::{Fault, Mutable, Shared};
use store::Store;

/// A running fake API server. Stops on Drop.
pub struct FakeKube {
    addr: SocketAddr,
    shared: Arc<Shared>,
    kubeconfig: PathBuf,
    _kubeconfig_dir: tempfile::TempDir,
    stop: Stop,
}

enum Stop {
    /// Serving on the caller's runtime.
    Task(tokio::task::JoinHandle<()>),
    /// Serving on its own runtime thread.
    Thread(Option<oneshot::Sender<()>>, Option<std::thread::JoinHandle<()>>),
}

async fn bind(objects: Vec<Value>) -> Result<(tokio::net::TcpListener, Arc<Shared>)> {
    bind_store(Store::new(objects)?).await
}

async fn bind_store(store: Store) -> Result<(tokio::net::TcpListener, Arc<Shared>)> {
    let http = reqwest::Client::builder().build().context("building the service-proxy HTTP client")?;
    let shared = Arc::new(Shared {
        store,
        mutable: Mutex::new(Mutable::default()),
        http,
        shutdown: watch::Sender::new(false),
        active_forwards: Default::default(),
    });
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the fake API server to a loopback port")?;
    Ok((listener, shared))
}

async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    // Errors here mean the listener died; the tests will see connection failures.
    let _ = axum::serve(listener, server::router(shared)).await;
}

impl FakeKube {
    /// Starts serving `objects` on the caller's tokio runtime.
    pub async fn start(objects: Vec<Value>) -> Result<FakeKube> {
        let (listener, shared) = bind(objects).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(serve(listener, shared.clone()));
        Self::finish(addr, shared, Stop::Task(task))
    }

    /// Serves the objects exactly as given (no `uid` filled in), for Linkerd's own fixtures.
    pub async fn start_verbatim(objects: Vec<Value>) -> Result<FakeKube> {
        let (listener, shared) = bind_store(Store::verbatim(objects)?).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(serve(listener, shared.clone()));
        Self::finish(addr, shared, Stop::Task(task))
    }

    /// Starts serving `objects` on a dedicated runtime thread; usable from sync tests and from
    /// inside other runtimes.
    pub fn start_background(objects: Vec<Value>) -> Result<FakeKube> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-kube".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::Error::from(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match bind(objects).await {
                        Ok((listener, shared)) => {
                            let addr = listener.local_addr().map_err(anyhow::Error::from);
                            let ok = addr.is_ok();
                            let _ = ready_tx.send(addr.map(|a| (a, shared.clone())));
                            if ok {
                                tokio::spawn(serve(listener, shared));
                                let _ = stop_rx.await;
                            }
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                // Dropping the runtime cancels every connection task, including open watches.
            })
            .context("spawning the fake API server thread")?;
        let (addr, shared) = ready_rx.recv().context("fake API server thread died during start")??;
        Self::finish(addr, shared, Stop::Thread(Some(stop_tx), Some(thread)))
    }

    fn finish(addr: SocketAddr, shared: Arc<Shared>, stop: Stop) -> Result<FakeKube> {
        let dir = tempfile::Builder::new()
            .prefix("lviz-fake-kube-")
            .tempdir()
            .context("creating the kubeconfig directory")?;
        let kubeconfig = dir.path().join("kubeconfig");
        let kube = FakeKube { addr, shared, kubeconfig, _kubeconfig_dir: dir, stop };
        kube.write_kubeconfig(&kube.kubeconfig, None)?;
        Ok(kube)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Kubeconfig text: cluster `fake`, user `fake` (token), context `fake` (current, with the
    /// given namespace) and context `other` (namespace `ops`), both on this server.
    pub fn kubeconfig_yaml(&self, namespace: Option<&str>) -> String {
        let ns_line = namespace.map(|ns| format!("\n    namespace: {ns}")).unwrap_or_default();
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {url}
users:
- name: fake
  user:
    token: lviz-fake-token
contexts:
- name: fake
  context:
    cluster: fake
    user: fake{ns_line}
- name: other
  context:
    cluster: fake
    user: fake
    namespace: ops
current-context: fake
preferences: {{}}
",
            url = self.url()
        )
    }

    /// Writes [`kubeconfig_yaml`](Self::kubeconfig_yaml) to `path`.
    pub fn write_kubeconfig(&self, path: &Path, namespace: Option<&str>) -> Result<()> {
        std::fs::write(path, self.kubeconfig_yaml(namespace))
            .with_context(|| format!("writing kubeconfig {}", path.display()))
    }

    /// A kubeconfig written at start (no namespace in the `fake` context).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Request count per path.
    pub fn request_counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in &self.shared.lock().requests {
            *out.entry(r.path.clone()).or_default() += 1;
        }
        out
    }

    /// Forgets recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// The next request whose path starts with `path_prefix` fails with `status` (a Kubernetes
    /// `Status` body with the matching reason, e.g. 403 → `Forbidden`).
    pub fn fail_next(&self, path_prefix: &str, status: u16) {
        self.shared.lock().faults.push(Fault { prefix: path_prefix.to_string(), status, remaining: Some(1) });
    }

    /// Every request whose path starts with `path_prefix` fails with `status` until
    /// [`clear_faults`](Self::clear_faults).
    pub fn fail_always(&self, path_prefix: &str, status: u16) {
        self.shared.lock().faults.push(Fault { prefix: path_prefix.to_string(), status, remaining: None });
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Routes `/api/v1/namespaces/{ns}/services/{svc}:{port}/proxy/{rest}` to
    /// `{upstream_url}/{rest}` (method, query, body, content-type/accept forwarded).
    pub fn set_service_proxy(&self, ns: &str, svc: &str, port: u16, upstream_url: &str) {
        self.shared
            .lock()
            .proxies
            .insert((ns.to_string(), svc.to_string(), port.to_string()), upstream_url.to_string());
    }

    /// Says where port `pod_port` of pod `namespace/pod` really listens: a port-forward to it
    /// (`/api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={pod_port}`) pipes the
    /// WebSocket channel to a new TCP connection to `target` (`127.0.0.1:PORT`). A port with no
    /// target behaves as one nothing listens on: the forward reports `connection refused` on
    /// its error channel, as a real node does.
    pub fn set_port_forward(&self, namespace: &str, pod: &str, pod_port: u16, target: &str) {
        self.shared.lock().port_forwards.insert((namespace.to_string(), pod.to_string(), pod_port), target.to_string());
    }

    /// Port-forward sessions (WebSocket connections) still open, for tests that check a client
    /// closed its forward.
    pub fn active_port_forwards(&self) -> usize {
        self.shared.active_forwards.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        // Port-forward sessions run in tasks of their own (an upgraded connection outlives its
        // request), so they are told to end rather than relying on the server task's abort.
        self.shared.shutdown.send_replace(true);
        match &mut self.stop {
            Stop::Task(task) => task.abort(),
            Stop::Thread(tx, thread) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}
