//! Reaching linkerd-viz's metrics API the way the linkerd CLI does (modern-linkerd.md §2): the
//! namespace labelled `linkerd.io/extension=viz` (or `--viz-namespace`, which must carry that
//! label), its first Running pod whose ReplicaSet's owner is named `metrics-api`, and a pod
//! port-forward to 8085 through the API server (kube's WebSocket port-forward). This module
//! only finds the pod and opens byte streams; the gRPC client speaks over them.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams};
use lviz_api::BackendError;

use crate::BACKEND;
use crate::cluster::Cluster;
use crate::discovery::VIZ_EXTENSION_SELECTOR;
use crate::error::KubeError;

/// The Deployment whose pods serve `linkerd2.viz.Api`, and their gRPC port.
pub const METRICS_API_DEPLOYMENT: &str = "metrics-api";
pub const METRICS_API_PORT: u16 = 8085;

/// The pod a port-forward goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsApiPod {
    pub namespace: String,
    pub pod: String,
}

fn failure(cluster: &Cluster, cause: String) -> KubeError {
    KubeError::Backend(BackendError { backend: BACKEND, url: cluster.shown_url().to_string(), cause })
}

/// Kubernetes' rule for object names (an RFC 1123 subdomain). kube puts names into request
/// paths unescaped, so a name that breaks it must never reach one.
pub fn valid_object_name(name: &str) -> bool {
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

/// The viz namespace: `--viz-namespace` (checked for the label, as the linkerd CLI does), else
/// the one namespace carrying it.
async fn viz_namespace(cluster: &Cluster, given: Option<&str>) -> Result<String, KubeError> {
    let api: Api<Namespace> = Api::all(cluster.client().clone());
    if let Some(ns) = given {
        if !valid_object_name(ns) || ns.contains('.') {
            return Err(failure(cluster, format!("invalid --viz-namespace {ns:?}: not a Kubernetes namespace name")));
        }
        let found = api.get(ns).await.map_err(|e| cluster.error(e))?;
        let labelled =
            found.metadata.labels.unwrap_or_default().get("linkerd.io/extension").map(String::as_str) == Some("viz");
        return if labelled {
            Ok(ns.to_string())
        } else {
            Err(failure(cluster, format!("namespace {ns}: This is not a linkerd-viz namespace")))
        };
    }
    let list = api.list(&ListParams::default().labels(VIZ_EXTENSION_SELECTOR)).await.map_err(|e| cluster.error(e))?;
    let mut names: Vec<String> = list.items.into_iter().filter_map(|n| n.metadata.name).collect();
    names.sort();
    match names.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(failure(
            cluster,
            format!(
                "no namespace is labelled {VIZ_EXTENSION_SELECTOR}: install linkerd-viz, or pass --api-addr HOST:PORT"
            ),
        )),
        several => Err(failure(
            cluster,
            format!(
                "several namespaces are labelled {VIZ_EXTENSION_SELECTOR} ({}); pick one with --viz-namespace",
                several.join(", ")
            ),
        )),
    }
}

/// The first Running pod (in the API server's order) whose ReplicaSet is owned by the
/// Deployment `metrics-api`, as the linkerd CLI picks it.
pub async fn find_metrics_api(cluster: &Cluster, given_namespace: Option<&str>) -> Result<MetricsApiPod, KubeError> {
    let namespace = viz_namespace(cluster, given_namespace).await?;
    let pods: Api<Pod> = Api::namespaced(cluster.client().clone(), &namespace);
    let sets: Api<ReplicaSet> = Api::namespaced(cluster.client().clone(), &namespace);
    let all = ListParams::default();
    let (pods, sets) = futures::try_join!(pods.list(&all), sets.list(&all)).map_err(|e| cluster.error(e))?;
    let owned_by_deployment = |rs_name: &str| {
        sets.items.iter().any(|rs| {
            rs.metadata.name.as_deref() == Some(rs_name)
                && rs.metadata.owner_references.iter().flatten().any(|o| o.name == METRICS_API_DEPLOYMENT)
        })
    };
    let running = pods.items.iter().filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"));
    let found = running.into_iter().find(|p| {
        p.metadata.owner_references.iter().flatten().any(|o| o.kind == "ReplicaSet" && owned_by_deployment(&o.name))
    });
    let Some(pod) = found.and_then(|p| p.metadata.name.clone()) else {
        return Err(failure(
            cluster,
            format!("no running pods found for {METRICS_API_DEPLOYMENT} in namespace {namespace}"),
        ));
    };
    if !valid_object_name(&pod) {
        return Err(failure(cluster, format!("pod name {pod:?} is not a valid Kubernetes name")));
    }
    Ok(MetricsApiPod { namespace, pod })
}

/// A byte stream to `port` of the pod, through the API server (one WebSocket session per call).
pub async fn port_forward(
    cluster: &Cluster,
    target: &MetricsApiPod,
    port: u16,
) -> Result<tokio::io::DuplexStream, KubeError> {
    if !valid_object_name(&target.pod) || !valid_object_name(&target.namespace) {
        return Err(failure(cluster, format!("invalid port-forward target {}/{}", target.namespace, target.pod)));
    }
    let pods: Api<Pod> = Api::namespaced(cluster.client().clone(), &target.namespace);
    let mut forward = pods.portforward(&target.pod, &[port]).await.map_err(|e| {
        failure(
            cluster,
            format!("port-forward to pod {}/{} port {port}: {}", target.namespace, target.pod, crate::describe(&e)),
        )
    })?;
    // The forwarder's task keeps running on its own and ends when the stream is closed.
    forward.take_stream(port).ok_or_else(|| failure(cluster, format!("port-forward gave no stream for port {port}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        for ok in ["metrics-api-6d5b9c7f8d-q8w2k", "a", "a.b-c", "0x"] {
            assert!(valid_object_name(ok), "{ok}");
        }
        for bad in ["", "A", "a/b", "../x", "a..b", "-a", "a-", "a b", "a%2F", "a?x=1", &"a".repeat(254)] {
            assert!(!valid_object_name(bad), "{bad}");
        }
    }
}
