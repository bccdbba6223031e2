//! Zero-config Prometheus: finds linkerd-viz's Prometheus (the namespace labelled
//! `linkerd.io/extension=viz`, or `--viz-namespace`) and reaches it through the Kubernetes API
//! server's service proxy with the kube client's own connection and credentials, as
//! `linkerd viz stat` does. Decoding stays in the Prometheus client; this module only moves
//! bytes (the engine plugs [`ServiceProxy`] into the client as its transport).

use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::api::{Api, ListParams};
use lviz_api::BackendError;

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
            let list =
                api.list(&ListParams::default().labels(VIZ_EXTENSION_SELECTOR)).await.map_err(|e| inv.error(e))?;
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
    let api: Api<Service> = Api::namespaced(inv.client().clone(), &namespace);
    let service = match api.get(PROMETHEUS_SERVICE).await {
        Ok(s) => s,
        Err(e) => {
            return Err(match inv.error(e) {
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
        proxy_path: format!("/api/v1/namespaces/{namespace}/services/{PROMETHEUS_SERVICE}:{port}/proxy/"),
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
    /// The error is the cause only.
    pub async fn send(&self, path: &str, form: Option<Vec<(&'static str, String)>>) -> Result<ProxyAnswer, String> {
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
        let body = response.into_body().collect_bytes().await.map_err(|e| e.to_string())?;
        Ok(ProxyAnswer { status, body: body.to_vec() })
    }
}
