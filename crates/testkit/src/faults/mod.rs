//! A fault server: an HTTP/1.1 server on 127.0.0.1 that plays Prometheus, the Kubernetes API or
//! the lviz/Linkerd metrics API badly (refused, silent, stalled, dripping, cut short, reset,
//! error statuses in every body kind, malformed or hostile or huge bodies, redirect loops,
//! endless paging, bad certificates), so tests can check that lviz fails promptly, in one line,
//! without leaking a secret or a control byte (issue 17, item 6).
//!
//! This module owns the server's lifecycle (start on the caller's runtime or on its own
//! thread, stop on drop), its kubeconfig and credentials, and the request record. The fault
//! vocabulary is in `plan`, the wire behaviour in `conn` and `respond`, generated bodies in
//! `body`, certificates in `tls`, each backend's wording in `prometheus`, `kubernetes`,
//! `metrics_api` and `canned`, and the enumerable list of faults per backend in `catalog`.
//!
//! Every task is bounded: each connection by its plan's connection limit, all of them by the
//! server's drop. Nothing here reaches beyond 127.0.0.0/8 (`Fault::Forward` and upstreams are
//! the caller's loopback servers).

mod body;
mod canned;
mod catalog;
mod conn;
mod kubernetes;
mod metrics_api;
mod plan;
mod prometheus;
mod respond;
mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

pub use body::{Body, INDEX};
pub use canned::{
    ErrorBody, error_reply, error_reply_with, good_body, hostile_text, huge_answer, huge_error, long_line,
    reason_phrase, unsafe_char,
};
pub use catalog::{Expect, FaultCase, HUGE_BYTES};
pub use conn::{KEPT_REQUESTS, SeenRequest};
pub use plan::{DEFAULT_CONNECTION_LIMIT, Delivery, Fault, Labels, Paging, Plan, Reply};
pub use tls::{TlsCert, provider};

use conn::Shared;

/// The backend a fault server plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Prometheus,
    /// The Kubernetes API server.
    Kube,
    /// The lviz/Linkerd metrics API (`lviz serve`, remote mode).
    MetricsApi,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Prometheus, Backend::Kube, Backend::MetricsApi];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Prometheus => "prometheus",
            Backend::Kube => "kubernetes",
            Backend::MetricsApi => "metrics-api",
        }
    }
}

/// The secret of every fault server's credentials: the kubeconfig token and the password of
/// [`FaultServer::url_with_credentials`]. It must never appear in what lviz prints.
pub const SECRET: &str = "lviz-fault-s3cret-7f3a";
/// The user name of [`FaultServer::url_with_credentials`].
pub const USER: &str = "lviz";

/// Every form [`SECRET`] takes on the wire: as is, and base64 in a basic-auth header.
pub fn secret_forms() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![SECRET.to_string(), b64.encode(format!("{USER}:{SECRET}")), b64.encode(SECRET)]
}

/// A running fault server. Stops on drop: the listener closes and every connection task ends.
pub struct FaultServer {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    ca_file: Option<PathBuf>,
    kubeconfig: PathBuf,
    http_config: PathBuf,
    _dir: tempfile::TempDir,
    stop: Stop,
}

enum Stop {
    /// Nothing listens ([`Fault::Refused`]); the socket holds the port so no one else takes it.
    Reserved(#[allow(dead_code)] tokio::net::TcpSocket),
    /// Serving on the caller's runtime.
    Task(tokio::task::JoinHandle<()>),
    /// Serving on its own runtime thread.
    Thread(Option<oneshot::Sender<()>>, Option<std::thread::JoinHandle<()>>),
}

/// What a server needs before it listens.
struct Setup {
    shared: Arc<Shared>,
    acceptor: Option<TlsAcceptor>,
    trust_pem: Option<String>,
}

impl Setup {
    fn new(plan: Plan) -> Result<Setup> {
        let (acceptor, trust_pem) = match plan.tls {
            Some(variant) => {
                let material = tls::material(variant).with_context(|| format!("making the {variant:?} certificate"))?;
                (Some(tls::acceptor(&material)?), material.trust_pem)
            }
            None => (None, None),
        };
        // Building a reqwest client costs milliseconds of CPU (TLS roots); only relays need one.
        let http = if plan.relays() {
            let client = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(5))
                .build()
                .context("building the relay HTTP client")?;
            Some(client)
        } else {
            None
        };
        let shared = Arc::new(Shared { plan, record: Mutex::default(), http });
        Ok(Setup { shared, acceptor, trust_pem })
    }
}

/// Accepts until cancelled; dropping this future (abort, runtime shutdown) drops the set and
/// with it every connection task.
async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let (tls, shared) = (tls.clone(), shared.clone());
                    let limit = shared.plan.connection_limit;
                    connections.spawn(async move {
                        let _ = tokio::time::timeout(limit, conn::serve(tcp, tls, shared)).await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// A loopback port bound but never listened on: connecting to it is refused, and no other
/// server can take it while the socket lives.
fn reserved_port() -> Result<(SocketAddr, Stop)> {
    let socket = tokio::net::TcpSocket::new_v4().context("creating a socket")?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).context("reserving a loopback port")?;
    Ok((socket.local_addr()?, Stop::Reserved(socket)))
}

impl FaultServer {
    /// Starts serving `plan` on the caller's tokio runtime.
    pub async fn start(plan: impl Into<Plan>) -> Result<FaultServer> {
        let setup = Setup::new(plan.into())?;
        if setup.shared.plan.refuses() {
            let (addr, stop) = reserved_port()?;
            return FaultServer::finish(addr, setup, stop);
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.context("binding a fault server to a loopback port")?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, setup.acceptor.clone(), setup.shared.clone()));
        FaultServer::finish(addr, setup, Stop::Task(task))
    }

    /// Starts serving `plan` on a dedicated runtime thread: for synchronous tests (those that
    /// run the lviz binary) and from inside other runtimes.
    pub fn start_background(plan: impl Into<Plan>) -> Result<FaultServer> {
        let setup = Setup::new(plan.into())?;
        if setup.shared.plan.refuses() {
            let (addr, stop) = reserved_port()?;
            return FaultServer::finish(addr, setup, stop);
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a fault server")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (tls, shared) = (setup.acceptor.clone(), setup.shared.clone());
        let thread = std::thread::Builder::new()
            .name("fault-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else { return };
                    tokio::select! {
                        _ = accept_loop(listener, tls, shared) => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping the runtime cancels whatever is left.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .context("spawning the fault server thread")?;
        FaultServer::finish(addr, setup, Stop::Thread(Some(stop_tx), Some(thread)))
    }

    fn finish(addr: SocketAddr, setup: Setup, stop: Stop) -> Result<FaultServer> {
        let dir = tempfile::Builder::new().prefix("lviz-fault-").tempdir().context("creating a temp dir")?;
        let ca_file = match &setup.trust_pem {
            Some(pem) => {
                let path = dir.path().join("ca.pem");
                std::fs::write(&path, pem).context("writing the CA file")?;
                Some(path)
            }
            None => None,
        };
        let server = FaultServer {
            addr,
            tls: setup.acceptor.is_some(),
            shared: setup.shared,
            ca_file,
            kubeconfig: dir.path().join("kubeconfig"),
            http_config: dir.path().join("http-config.yml"),
            _dir: dir,
            stop,
        };
        std::fs::write(&server.kubeconfig, server.kubeconfig_yaml()).context("writing the kubeconfig")?;
        std::fs::write(&server.http_config, server.prometheus_http_config_yaml()).context("writing the HTTP config")?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`, or `https://…` when the plan has a TLS variant.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// [`url`](Self::url) with `USER:SECRET@` in it, for tests that redaction hides the password.
    pub fn url_with_credentials(&self) -> String {
        format!("{}://{USER}:{SECRET}@{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The PEM file a client of this server is configured to trust (see [`TlsCert`]); `None`
    /// for plain HTTP and for [`TlsCert::SelfSigned`].
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Kubeconfig text: context `fault` (current) on this server, bearer token [`SECRET`], and
    /// `certificate-authority` = [`ca_file`](Self::ca_file) when there is one.
    pub fn kubeconfig_yaml(&self) -> String {
        let ca = self.ca_file().map(|p| format!("\n    certificate-authority: {}", p.display())).unwrap_or_default();
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: fault
  cluster:
    server: {url}{ca}
users:
- name: fault
  user:
    token: {SECRET}
contexts:
- name: fault
  context:
    cluster: fault
    user: fault
current-context: fault
preferences: {{}}
",
            url = self.url()
        )
    }

    /// The kubeconfig of [`kubeconfig_yaml`](Self::kubeconfig_yaml), written at start.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// A Prometheus HTTP client config (promtool's `--http.config.file` format): `basic_auth`
    /// as [`USER`]/[`SECRET`], and `tls_config.ca_file` = [`ca_file`](Self::ca_file) when there
    /// is one.
    pub fn prometheus_http_config_yaml(&self) -> String {
        let tls = self.ca_file().map(|p| format!("tls_config:\n  ca_file: {}\n", p.display())).unwrap_or_default();
        format!("basic_auth:\n  username: {USER}\n  password: {SECRET}\n{tls}")
    }

    /// The config of [`prometheus_http_config_yaml`](Self::prometheus_http_config_yaml),
    /// written at start.
    pub fn prometheus_http_config_path(&self) -> &Path {
        &self.http_config
    }

    /// The requests read so far, in order: the first [`KEPT_REQUESTS`], bodies cut at 64 KiB.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.record().kept.clone()
    }

    /// How many requests were read so far (all of them, kept or not).
    pub fn request_count(&self) -> usize {
        self.shared.record().total
    }

    pub fn plan(&self) -> &Plan {
        &self.shared.plan
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        match &mut self.stop {
            Stop::Reserved(_) => {}
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
