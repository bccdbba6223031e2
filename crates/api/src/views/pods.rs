//! `POST /api/v1/pods` (ListPods; lviz's JSON face of `linkerd2.viz.Api/ListPods`): the pods
//! of a namespace, or of every namespace, with their owner, status and proxy facts, and whether
//! Prometheus has their proxy (`added`). What the viz dashboard lists and what `linkerd viz
//! check --proxy` reads. The request, the answer and their validation.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::names;
use crate::resource::ResourceKind;
use crate::validate::{canonical_kind, check_at, unimplemented};

endpoint! {
    /// The ListPods endpoint.
    ListPods, "pods", "/api/v1/pods", ListPodsRequest, ListPodsOk, PodsSpec, pods_request
}

/// Namespaces whose pods are never listed (the metrics-api's `-ignore-namespaces` default).
pub const IGNORED_NAMESPACES: &[&str] = &["kube-system"];

/// Which pods. Upstream's request carries the same filter as a `ResourceSelection` (its
/// `namespace`, `type`, `name`); the label selector upstream ignores is not carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPodsRequest {
    /// Only pods of this namespace; empty: every namespace but [`IGNORED_NAMESPACES`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Only pods whose owner, as linkerd names it, is of this type (canonical: `deployment`,
    /// `statefulset`, `cronjob`, …; `pod` for pods without an owner).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_type: String,
    /// Only pods whose owner has this name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    /// lviz extension: evaluation time of the Prometheus query and of the durations, Unix
    /// seconds. Absent means now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
}

/// The response of `POST /api/v1/pods`.
pub type ListPodsResponse = crate::Envelope<ListPodsOk>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPodsOk {
    /// Sorted by `name` (upstream: the informer's order).
    pub pods: Vec<PodRow>,
}

/// One pod, as upstream's `Pod` message has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PodRow {
    /// `<namespace>/<name>`.
    pub name: String,
    pub pod_ip: String,
    /// The owner's type when it is one upstream's message can carry (`deployment`,
    /// `replicaset`, `replicationcontroller`, `statefulset`, `daemonset`, `job`); empty else.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner_type: String,
    /// `<namespace>/<owner name>`, when `owner_type` is set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner_name: String,
    /// The phase, `Terminating` while being deleted, `Evicted` for an evicted pod.
    pub status: String,
    /// Prometheus has this pod's proxy (`process_start_time_seconds`).
    pub added: bool,
    /// Milliseconds from Prometheus's last report of the pod to the evaluation time; only when
    /// `added`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_last_report_ms: Option<u64>,
    /// `linkerd.io/control-plane-ns`.
    pub controller_namespace: String,
    /// Part of Linkerd's control plane (`linkerd.io/control-plane-component` is set).
    pub control_plane: bool,
    /// Milliseconds from the proxy's start (whole seconds, as upstream) to the evaluation
    /// time; only when `added`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_ms: Option<u64>,
    /// The `linkerd-proxy` container is ready.
    pub proxy_ready: bool,
    /// `linkerd.io/proxy-version`.
    pub proxy_version: String,
    pub resource_version: String,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct PodsSpec {
    pub namespace: String,
    pub owner_kind: Option<ResourceKind>,
    pub owner_name: String,
    pub at: Option<f64>,
}

/// The kinds a pod's owner can be, as linkerd names it (`GetOwnerKindAndName`).
const OWNER_KINDS: &[ResourceKind] = &[
    ResourceKind::Pod,
    ResourceKind::Deployment,
    ResourceKind::ReplicaSet,
    ResourceKind::ReplicationController,
    ResourceKind::StatefulSet,
    ResourceKind::DaemonSet,
    ResourceKind::Job,
    ResourceKind::CronJob,
];

pub fn pods_request(req: &ListPodsRequest) -> Result<PodsSpec, String> {
    names::check_namespace("namespace", &req.namespace)?;
    let owner_kind = match req.resource_type.as_str() {
        "" => None,
        kind => {
            let kind = canonical_kind(kind)?;
            if !OWNER_KINDS.contains(&kind) {
                return Err(unimplemented(kind.canonical()));
            }
            Some(kind)
        }
    };
    names::check_name("resource_name", owner_kind, &req.resource_name)?;
    check_at(req.at)?;
    Ok(PodsSpec { namespace: req.namespace.clone(), owner_kind, owner_name: req.resource_name.clone(), at: req.at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = pods_request(&ListPodsRequest { namespace: "emojivoto".into(), ..Default::default() }).expect("valid");
        assert_eq!(ok.owner_kind, None);
        let bad_ns = ListPodsRequest { namespace: "../secrets".into(), ..Default::default() };
        assert!(pods_request(&bad_ns).unwrap_err().starts_with("namespace: Invalid value: \"../secrets\": "));
        let bad_name =
            ListPodsRequest { resource_type: "deployment".into(), resource_name: "web#x".into(), ..Default::default() };
        assert!(pods_request(&bad_name).unwrap_err().starts_with("resource_name: Invalid value: \"web#x\": "));
        let svc = ListPodsRequest { resource_type: "service".into(), ..Default::default() };
        assert_eq!(pods_request(&svc).unwrap_err(), "unimplemented resource type: service");
        let deploy = ListPodsRequest { resource_type: "deployment".into(), ..Default::default() };
        assert_eq!(pods_request(&deploy).expect("valid").owner_kind, Some(ResourceKind::Deployment));
        assert_eq!(serde_json::to_string(&ListPodsRequest::default()).expect("json"), "{}");
    }
}
