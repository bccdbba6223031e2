//! Composing the engine from a configuration: which Prometheus (a URL, or linkerd-viz's found
//! through Kubernetes and reached through the API server's service proxy), whether Kubernetes
//! is used at all, and the coalescing layer in front of Prometheus. The CLI's embedded mode and
//! every server build their engine here, and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use lviz_api::Rejection;
use lviz_api::limits::DEFAULT_MAX_ANSWER_BYTES;
use lviz_k8s::discovery::{ServiceProxy, VizPrometheus, find_viz_prometheus};
use lviz_k8s::{Cluster, KubeSettings};
use lviz_prom::http_config::TOKEN_ENV;
use lviz_prom::{AccessFlags, PromClient, PromConfig, RawResponse, Transport};

use crate::coalesce::{CoalesceOptions, Coalescing};
use crate::{Engine, EngineSettings, QueryPlan};

/// Where the backends are and how to reach them.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// `--prometheus-url`; `None`: find linkerd-viz's Prometheus through Kubernetes.
    pub prometheus_url: Option<String>,
    /// Credentials, headers and TLS for `prometheus_url` (not yet read from their files).
    pub access: AccessFlags,
    pub kube: KubeSettings,
    /// `--no-kube`: Prometheus-only mode.
    pub no_kube: bool,
    /// `--viz-namespace`: where linkerd-viz's Prometheus lives (default: found by label).
    pub viz_namespace: Option<String>,
    /// How long one request may take, every backend call inside it together.
    pub timeout: Duration,
    /// `--max-answer-size` (0: the default).
    pub max_answer_bytes: u64,
    pub query_plan: QueryPlan,
}

/// The composed engine, and the coalescing layer its queries go through (servers read its
/// counters and probe Prometheus through it).
pub struct Composed {
    pub engine: Engine,
    pub metrics: Arc<Coalescing>,
}

/// Builds the engine. `note` receives the lines an operator should see on stderr (which
/// backends are used with `verbose`, and the Prometheus-only note), in order, as they happen.
pub async fn compose(
    config: &EngineConfig,
    options: CoalesceOptions,
    verbose: bool,
    note: &mut (dyn FnMut(String) + Send),
) -> Result<Composed, Rejection> {
    let kube = cluster(config, note).await?;
    if verbose {
        match &kube {
            Some(c) => note(format!("lviz: Kubernetes API at {}", c.shown_url())),
            None => note("lviz: Kubernetes: not used (Prometheus-only mode)".into()),
        }
    }
    let prom = prometheus(config, kube.as_ref(), verbose, note).await?;
    let metrics = Arc::new(Coalescing::new(Arc::new(prom), options));
    let settings = EngineSettings { query_plan: config.query_plan, ..EngineSettings::default() };
    let engine = match kube {
        Some(kube) => Engine::new(metrics.clone(), kube, settings),
        None => Engine::prometheus_only(metrics.clone(), settings),
    };
    Ok(Composed { engine, metrics })
}

/// Kubernetes unless `--no-kube` or nothing configures it.
async fn cluster(config: &EngineConfig, note: &mut (dyn FnMut(String) + Send)) -> Result<Option<Cluster>, Rejection> {
    let configured = lviz_k8s::kube_configured(config.kube.kubeconfig.is_some());
    if config.no_kube {
        return Ok(None);
    }
    if !configured && config.prometheus_url.is_some() {
        note(
            "note: no Kubernetes configuration found: Prometheus-only mode, Kubernetes facts (pod counts, status) are unknown (--no-kube hides this note)"
                .into(),
        );
        return Ok(None);
    }
    if !configured {
        return Err(Rejection::Usage(
            "no Prometheus to query: pass --prometheus-url URL (or set LVIZ_PROMETHEUS_URL), or give a kubeconfig so lviz can find linkerd-viz's Prometheus".into(),
        ));
    }
    let timeout = if config.timeout.is_zero() { lviz_k8s::KubeLimits::default().timeout } else { config.timeout };
    let limits = lviz_k8s::KubeLimits { timeout, max_answer_bytes: config.max_answer_bytes };
    Ok(Some(lviz_k8s::connect_with(&config.kube, &limits).await?))
}

/// `--prometheus-url` as given, else linkerd-viz's Prometheus through the service proxy.
async fn prometheus(
    config: &EngineConfig,
    kube: Option<&Cluster>,
    verbose: bool,
    note: &mut (dyn FnMut(String) + Send),
) -> Result<PromClient, Rejection> {
    match (&config.prometheus_url, kube) {
        (Some(url), _) => {
            let access = lviz_prom::http_config::load(&config.access).map_err(|e| Rejection::Usage(e.0))?;
            let config = PromConfig {
                url: url.clone(),
                timeout: config.timeout,
                access,
                max_answer_bytes: config.max_answer_bytes,
            };
            let prom = PromClient::new(&config)?;
            if verbose {
                note(format!("lviz: Prometheus at {} (--prometheus-url)", prom.shown_url()));
            }
            Ok(prom)
        }
        (None, Some(cluster)) => {
            if let Some(flag) = explicit_access_flag(&config.access) {
                return Err(Rejection::Usage(format!(
                    "{flag} applies to --prometheus-url; linkerd-viz's Prometheus is reached with the kubeconfig's credentials"
                )));
            }
            let found = find_viz_prometheus(cluster, config.viz_namespace.as_deref()).await?;
            let shown = ServiceProxy::shown_url(cluster, &found);
            if verbose {
                note(format!(
                    "lviz: Prometheus at {shown} (linkerd-viz in namespace {}, through the Kubernetes API service proxy)",
                    found.namespace
                ));
            }
            let transport = ProxyTransport::new(cluster, &found, config);
            Ok(PromClient::with_transport(Arc::new(transport), shown))
        }
        (None, None) => Err(Rejection::Usage("--no-kube needs --prometheus-url (or LVIZ_PROMETHEUS_URL)".into())),
    }
}

/// The first access flag given explicitly (LVIZ_PROMETHEUS_TOKEN alone does not count: it may
/// be set for other uses and is simply not needed by the service proxy).
fn explicit_access_flag(access: &AccessFlags) -> Option<&'static str> {
    if access.http_config.is_some() {
        Some("--prometheus-http-config")
    } else if access.bearer_token_file.is_some() {
        Some("--prometheus-bearer-token-file")
    } else if access.bearer_token_env.as_ref().is_some_and(|(var, _)| var != TOKEN_ENV) {
        Some("--prometheus-bearer-token-env")
    } else if !access.headers.is_empty() {
        Some("--prometheus-header")
    } else if access.user.is_some() {
        Some("--prometheus-user")
    } else {
        None
    }
}

/// The Prometheus client's transport through the Kubernetes API server's service proxy: the
/// request's deadline and the answer limit apply as on the direct transport.
struct ProxyTransport {
    proxy: ServiceProxy,
    timeout: Duration,
    limit: u64,
}

impl ProxyTransport {
    fn new(cluster: &Cluster, found: &VizPrometheus, config: &EngineConfig) -> Self {
        let limit = if config.max_answer_bytes == 0 { DEFAULT_MAX_ANSWER_BYTES } else { config.max_answer_bytes };
        ProxyTransport { proxy: ServiceProxy::new(cluster, found), timeout: config.timeout, limit }
    }
}

impl Transport for ProxyTransport {
    fn call<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>> {
        Box::pin(async move {
            let deadline = lviz_prom::deadline_after(self.timeout);
            match tokio::time::timeout_at(deadline, self.proxy.send(path, form, self.limit)).await {
                Ok(Ok(answer)) => {
                    Ok(RawResponse { status: answer.status, body: String::from_utf8_lossy(&answer.body).into_owned() })
                }
                Ok(Err(cause)) => Err(cause),
                Err(_) => Err(lviz_prom::late(self.timeout)),
            }
        })
    }
}
