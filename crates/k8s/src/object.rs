//! What viz needs of a Kubernetes object, and how each listed type is reduced to it: an
//! [`Object`] is its names, labels, owners, selector and (for pods) status strings, never the
//! whole spec. The live lister and the watch-backed cache both reduce with this module, so they
//! agree. Also the matching of object selectors against labels. Pure: no client, no I/O.

use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, ReplicationController, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use lviz_api::ResourceKind;
use serde::de::DeserializeOwned;

use crate::status::pod_status;

/// An object that can own pods, reduced to what viz needs.
#[derive(Debug, Clone, Default)]
pub struct Object {
    pub kind: Option<ResourceKind>,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub owner_uids: Vec<String>,
    /// The owner references by kind (as Kubernetes spells it, `ReplicaSet`) and name.
    pub owners: Vec<OwnerRef>,
    pub selector: Option<LabelSelector>,
    /// Set for pods (status string and phase).
    pub pod: Option<PodInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct PodInfo {
    pub phase: String,
    pub status: String,
    pub terminating: bool,
    pub service_account: String,
    /// `LINKERD2_PROXY_IDENTITY_LOCAL_NAME` of the `linkerd-proxy` container, expanded.
    pub identity: String,
    pub ip: String,
    /// `status.reason` (`Evicted`, …).
    pub reason: String,
    /// Whether the `linkerd-proxy` container (or native sidecar) is ready.
    pub proxy_ready: bool,
    /// The `linkerd.io/proxy-version` annotation.
    pub proxy_version: String,
    pub resource_version: String,
}

/// One owner reference of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
}

impl Object {
    fn from_meta(kind: ResourceKind, meta: &ObjectMeta) -> Self {
        Object {
            kind: Some(kind),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
            owner_uids: meta.owner_references.iter().flatten().map(|o| o.uid.clone()).collect(),
            owners: meta
                .owner_references
                .iter()
                .flatten()
                .map(|o| OwnerRef { kind: o.kind.clone(), name: o.name.clone() })
                .collect(),
            selector: None,
            pod: None,
        }
    }

    /// A pod `stat po` shows as a row: Pending or Running, and not terminating.
    pub fn is_listed_pod(&self) -> bool {
        self.pod.as_ref().is_some_and(|p| matches!(p.phase.as_str(), "Pending" | "Running") && !p.terminating)
    }

    /// Pods that count for a row: Pending or Running and not terminating, plus Failed.
    pub(crate) fn counts_as_pod(&self) -> bool {
        self.is_listed_pod() || self.pod.as_ref().is_some_and(|p| p.phase == "Failed")
    }

    pub(crate) fn owned_by(&self, owner: &Object) -> bool {
        // linkerd skips the owner check when the owner has no UID; keep that for fixtures.
        (owner.uid.is_empty() || self.owner_uids.contains(&owner.uid)) && matches(owner.selector.as_ref(), &self.labels)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub meshed: u64,
    pub running: u64,
    pub failed: u64,
}

fn map_selector(map: Option<BTreeMap<String, String>>) -> Option<LabelSelector> {
    Some(LabelSelector { match_labels: map, match_expressions: None })
}

fn pod_object(pod: &Pod) -> Object {
    let mut o = Object::from_meta(ResourceKind::Pod, &pod.metadata);
    let spec = pod.spec.as_ref();
    let service_account = spec.and_then(|s| s.service_account_name.clone()).unwrap_or_else(|| "default".into());
    let identity = spec
        .into_iter()
        .flat_map(|s| s.containers.iter())
        .filter(|c| c.name == PROXY_CONTAINER)
        .flat_map(|c| c.env.iter().flatten())
        .find(|e| e.name == "LINKERD2_PROXY_IDENTITY_LOCAL_NAME")
        .and_then(|e| e.value.clone())
        .map(|v| v.replace("$(_pod_sa)", &service_account).replace("$(_pod_ns)", &o.namespace))
        .unwrap_or_default();
    o.pod = Some(PodInfo {
        phase: pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
        status: pod_status(pod),
        terminating: pod.metadata.deletion_timestamp.is_some(),
        service_account,
        identity,
        ip: pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        reason: pod.status.as_ref().and_then(|s| s.reason.clone()).unwrap_or_default(),
        proxy_ready: proxy_ready(pod),
        proxy_version: pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PROXY_VERSION_ANNOTATION))
            .cloned()
            .unwrap_or_default(),
        resource_version: pod.metadata.resource_version.clone().unwrap_or_default(),
    });
    o
}

const PROXY_CONTAINER: &str = "linkerd-proxy";
const PROXY_VERSION_ANNOTATION: &str = "linkerd.io/proxy-version";

/// The proxy's readiness: a container, or a native sidecar (an init container that keeps
/// running), named `linkerd-proxy`.
fn proxy_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    let containers = status.and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
    let init = status.and_then(|s| s.init_container_statuses.as_deref()).unwrap_or_default();
    containers.iter().chain(init).any(|c| c.name == PROXY_CONTAINER && c.ready)
}

/// A Kubernetes type viz lists, and how it is reduced to an [`Object`]. Both inventories (the
/// per-request lister and the watch-backed cache) reduce with this, so they agree.
pub trait Reduce: kube::Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug {
    const KIND: ResourceKind;
    fn reduce(&self) -> Object;
}

fn with_selector(kind: ResourceKind, meta: &ObjectMeta, selector: Option<LabelSelector>) -> Object {
    let mut o = Object::from_meta(kind, meta);
    o.selector = selector;
    o
}

macro_rules! reduce {
    ($($t:ty => $kind:ident, |$d:ident| $selector:expr;)*) => {$(
        impl Reduce for $t {
            const KIND: ResourceKind = ResourceKind::$kind;
            fn reduce(&self) -> Object {
                let $d = self;
                with_selector(Self::KIND, &$d.metadata, $selector)
            }
        }
    )*};
}

reduce! {
    Deployment => Deployment, |d| Some(d.spec.selector.clone());
    ReplicaSet => ReplicaSet, |d| Some(d.spec.selector.clone());
    StatefulSet => StatefulSet, |d| Some(d.spec.selector.clone());
    DaemonSet => DaemonSet, |d| Some(d.spec.selector.clone());
    Job => Job, |d| d.spec.as_ref().and_then(|s| s.selector.clone());
    CronJob => CronJob, |_d| None;
    ReplicationController => ReplicationController, |d| map_selector(d.spec.as_ref().and_then(|s| s.selector.clone()));
    Service => Service, |d| map_selector(d.spec.as_ref().and_then(|s| s.selector.clone()));
}

impl Reduce for Pod {
    const KIND: ResourceKind = ResourceKind::Pod;
    fn reduce(&self) -> Object {
        pod_object(self)
    }
}

/// Namespaces are cluster-scoped, so they are not a [`Reduce`] type.
pub fn namespace_object(n: &Namespace) -> Object {
    Object::from_meta(ResourceKind::Namespace, &n.metadata)
}

/// Whether an object's selector selects these labels. An empty selector selects everything,
/// as in linkerd's `labels.Set(...).AsSelector()`.
pub fn matches(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = selector else { return true };
    let by_labels = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// A plain `map[string]string` selector (Services, ReplicationControllers). linkerd treats an
/// empty one as selecting everything for RCs; Services without a selector select nothing.
pub fn map_matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub fn service_profile_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("linkerd.io", "v1alpha2", "ServiceProfile");
    ApiResource::from_gvk_with_plural(&gvk, "serviceprofiles")
}

/// Linkerd's policy HTTPRoute (`policy.linkerd.io`), the `httproute` kind of `stat` and
/// `authz` (inbound routes of a Server; Gateway API HTTPRoutes are outbound and not a kind).
pub fn policy_http_route_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("policy.linkerd.io", "v1beta3", "HTTPRoute");
    ApiResource::from_gvk_with_plural(&gvk, "httproutes")
}

/// A policy HTTPRoute as an object: names and labels (it owns no pods).
pub fn http_route_object(route: &DynamicObject) -> Object {
    Object::from_meta(ResourceKind::HttpRoute, &route.metadata)
}

/// `spec.routes[].name`, skipping malformed entries rather than failing the whole table.
pub fn route_names(profile: &DynamicObject) -> Vec<String> {
    let routes = profile.data.get("spec").and_then(|s| s.get("routes")).and_then(|r| r.as_array());
    routes.into_iter().flatten().filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_string)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_tolerate_junk() {
        let mut obj = DynamicObject::new("books.default.svc.cluster.local", &service_profile_resource());
        obj.data =
            serde_json::json!({"spec": {"routes": [{"name": "/a"}, {"condition": {}}, {"name": 3}, {"name": "/b"}]}});
        assert_eq!(route_names(&obj), vec!["/a".to_string(), "/b".to_string()]);
        obj.data = serde_json::json!({});
        assert!(route_names(&obj).is_empty());
    }
}
