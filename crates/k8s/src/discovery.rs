//! Zero-config Prometheus: finds linkerd-viz's Prometheus (the namespace labelled
//! `linkerd.io/extension=viz`, or `--viz-namespace`) and reaches it through the Kubernetes API
//! server's service proxy with the kube client's own connection and credentials, as
//! `linkerd viz stat` does. Decoding stays in the Prometheus client; this module only moves
//! bytes (the engine plugs [`ServiceProxy`] into the client as its transport).

use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::api::{Api, ListParams};
use lviz_api::BackendError;

use http_body_util::BodyExt;
use lviz_api::limits::{ERROR_BODY_BYTES, too_large};

use crate::BACKEND;
use crate::cluster::Cluster;
use crate::error::KubeError;

/// The label linkerd puts on the viz extension's namespace.
pub const VIZ_EXTENSION_SELECTOR: &str = "linkerd.io/extension=viz";
/// linkerd-viz's Prometheus Service and its port.
pub const PROMETHEUS_SERVICE: &str = "prometheus";
const PROMETHEUS_PORT: i32 = 9090;

/// Where discovery found Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VizPrometheus {
    pub namespace: String,
    /// `/api/v1/namespaces/<ns>/services/prometheus:<port>/proxy/`.
    pub proxy_path: String,
}

fn not_found(inv: &Cluster, why: String) -> KubeError {
    KubeError::Backend(BackendError {
        backend: BACKEND,
        url: inv.shown_url().to_string(),
        cause: format!("{why}: pass --prometheus-url URL, or install linkerd-viz (linkerd viz install)"),
    })
}

/// Finds linkerd-viz's Prometheus Service.
pub async fn find_viz_prometheus(inv: &Cluster, viz_namespace: Option<&str>) -> Result<VizPrometheus, KubeError> {
    let namespace = match viz_namespace {
        Some(ns) => ns.to_string(),
        None => {
            let api: Api<Namespace> = Api::all(inv.client().clone());
            let list = inv.within(api.list(&ListParams::default().labels(VIZ_EXTENSION_SELECTOR))).await?;
            let mut names: Vec<String> = list.items.into_iter().filter_map(|n| n.metadata.name).collect();
            names.sort();
            match names.as_slice() {
                [] => {
                    return Err(not_found(
                        inv,
                        format!("no Prometheus found (no namespace is labelled {VIZ_EXTENSION_SELECTOR})"),
                    ));
                }
                [one] => one.clone(),
                several => {
                    return Err(not_found(
                        inv,
                        format!(
                            "several namespaces are labelled {VIZ_EXTENSION_SELECTOR} ({}); pick one with --viz-namespace",
                            several.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let segment = lviz_api::names::path_segment(&namespace);
    let api: Api<Service> = Api::namespaced(inv.client().clone(), &segment);
    let service = match inv.within(api.get(PROMETHEUS_SERVICE)).await {
        Ok(s) => s,
        Err(e) => {
            return Err(match e {
                KubeError::NotFound(_) => not_found(
                    inv,
                    format!(
                        "no Prometheus found (no Service {PROMETHEUS_SERVICE} in namespace {namespace}; linkerd-viz may use an external Prometheus)"
                    ),
                ),
                other => other,
            });
        }
    };
    let ports: Vec<i32> = service.spec.iter().flat_map(|s| s.ports.iter().flatten()).map(|p| p.port).collect();
    let port = if ports.contains(&PROMETHEUS_PORT) || ports.is_empty() { PROMETHEUS_PORT } else { ports[0] };
    Ok(VizPrometheus {
        proxy_path: format!("/api/v1/namespaces/{segment}/services/{PROMETHEUS_SERVICE}:{port}/proxy/"),
        namespace,
    })
}

/// The Prometheus HTTP API through the API server's service proxy: raw requests with the kube
/// client's own connection and credentials.
pub struct ServiceProxy {
    client: kube::Client,
    proxy_path: String,
}

/// An answer through the proxy: status and body bytes.
pub struct ProxyAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl ServiceProxy {
    pub fn new(cluster: &Cluster, found: &VizPrometheus) -> Self {
        ServiceProxy { client: cluster.client().clone(), proxy_path: found.proxy_path.clone() }
    }

    /// The redacted URL this proxy reaches, for messages.
    pub fn shown_url(cluster: &Cluster, found: &VizPrometheus) -> String {
        format!("{}{}", cluster.shown_url().trim_end_matches('/'), found.proxy_path)
    }

    /// `path` is relative to Prometheus's root (`api/v1/query`); a form means POST, none GET.
    /// A successful answer is read up to `limit` bytes (past that it is refused), an error
    /// answer up to [`ERROR_BODY_BYTES`]. The error is the cause only; the caller bounds the
    /// time.
    pub async fn send(
        &self,
        path: &str,
        form: Option<Vec<(&'static str, String)>>,
        limit: u64,
    ) -> Result<ProxyAnswer, String> {
        let uri = format!("{}{path}", self.proxy_path);
        let request = match form {
            Some(form) => {
                let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
                http::Request::post(uri)
                    .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(kube::client::Body::from(body.into_bytes()))
            }
            None => http::Request::get(uri).body(kube::client::Body::from(Vec::new())),
        }
        .map_err(|e| format!("invalid request: {e}"))?;
        let response = self.client.send(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let limit = if response.status().is_success() { limit } else { ERROR_BODY_BYTES as u64 };
        let body = read_limited(response.into_body(), limit, response_is_error(status)).await?;
        Ok(ProxyAnswer { status, body })
    }
}

fn response_is_error(status: u16) -> bool {
    !(200..300).contains(&status)
}

/// Reads `body` up to `limit` bytes: past it, an error answer is cut (`cut`), any other is
/// refused naming the limit.
pub(crate) async fn read_limited(mut body: kube::client::Body, limit: u64, cut: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        let Ok(chunk) = frame.into_data() else { continue };
        let room = usize::try_from(limit.saturating_sub(out.len() as u64)).unwrap_or(usize::MAX);
        if chunk.len() > room {
            if cut {
                out.extend_from_slice(&chunk[..room]);
                return Ok(out);
            }
            return Err(too_large(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
