//! Zero-config Prometheus: finds linkerd-viz's Prometheus (the namespace labelled
//! `linkerd.io/extension=viz`, or `--viz-namespace`) and reaches it through the Kubernetes API
//! server's service proxy with the kube client's own connection and credentials, as
//! `linkerd viz stat` does. Decoding stays in `prom`; this module only moves bytes.

use std::time::Duration;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::api::{Api, ListParams};

use super::{BACKEND, Inventory, KubeError};
use crate::prom::{BackendError, RawResponse, Transport};

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

/// Whether there is any Kubernetes configuration to use: `--kubeconfig`, `$KUBECONFIG`,
/// `~/.kube/config`, or a pod's service account. Without one, lviz can only be Prometheus-only.
pub fn kube_configured(kubeconfig_flag: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let home_config = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".kube/config"));
    kubeconfig_flag || set("KUBECONFIG") || home_config.is_some_and(|p| p.exists()) || set("KUBERNETES_SERVICE_HOST")
}

fn not_found(inv: &Inventory, why: String) -> KubeError {
    KubeError::Backend(BackendError {
        backend: BACKEND,
        url: inv.shown_url().to_string(),
        cause: format!("{why}: pass --prometheus-url URL, or install linkerd-viz (linkerd viz install)"),
    })
}

/// Finds linkerd-viz's Prometheus Service.
pub async fn find_viz_prometheus(inv: &Inventory, viz_namespace: Option<&str>) -> Result<VizPrometheus, KubeError> {
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

/// The Prometheus HTTP API through the API server's service proxy.
pub struct ServiceProxy {
    client: kube::Client,
    proxy_path: String,
    timeout: Duration,
}

impl ServiceProxy {
    pub fn new(inv: &Inventory, found: &VizPrometheus, timeout: Duration) -> Self {
        ServiceProxy { client: inv.client().clone(), proxy_path: found.proxy_path.clone(), timeout }
    }

    /// The redacted URL this transport reaches, for messages.
    pub fn shown_url(inv: &Inventory, found: &VizPrometheus) -> String {
        format!("{}{}", inv.shown_url().trim_end_matches('/'), found.proxy_path)
    }

    async fn send(&self, path: &str, form: Option<Vec<(&'static str, String)>>) -> Result<RawResponse, String> {
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
        let bytes = response.into_body().collect_bytes().await.map_err(|e| e.to_string())?;
        Ok(RawResponse { status, body: String::from_utf8_lossy(&bytes).into_owned() })
    }
}

impl Transport for ServiceProxy {
    fn call<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>> {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.send(path, form)).await {
                Ok(answer) => answer,
                Err(_) => {
                    Err(format!("no answer within {} (--request-timeout)", humantime::format_duration(self.timeout)))
                }
            }
        })
    }
}
