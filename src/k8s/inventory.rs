//! Listing objects and counting their pods as linkerd's metrics API does (`GetObjects`,
//! `GetPodsFor`, `getPodStats`). Lists are namespace-scoped when a namespace is given and
//! paginated; pods are listed once per request, never once per row. An [`Inventory`] reads
//! either live (a list per call: the CLI) or from watch-backed caches (`cache.rs`: the server);
//! callers cannot tell the two apart.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, ReplicationController, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use super::cache::KubeCache;
use super::{BACKEND, selector, status::pod_status};
use crate::api::ResourceKind;
use crate::prom::BackendError;

const PAGE_SIZE: u32 = 500;

/// A failure from the Kubernetes API: a missing object is its own case, so callers can tell
/// "not there" from "cannot ask".
#[derive(Debug, Clone, thiserror::Error)]
pub enum KubeError {
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// An object that can own pods, reduced to what viz needs.
#[derive(Debug, Clone, Default)]
pub struct Object {
    pub kind: Option<ResourceKind>,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub owner_uids: Vec<String>,
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
            selector: None,
            pod: None,
        }
    }

    /// A pod `stat po` shows as a row: Pending or Running, and not terminating.
    pub fn is_listed_pod(&self) -> bool {
        self.pod.as_ref().is_some_and(|p| matches!(p.phase.as_str(), "Pending" | "Running") && !p.terminating)
    }

    /// Pods that count for a row: Pending or Running and not terminating, plus Failed.
    fn counts_as_pod(&self) -> bool {
        self.is_listed_pod() || self.pod.as_ref().is_some_and(|p| p.phase == "Failed")
    }

    fn owned_by(&self, owner: &Object) -> bool {
        // linkerd skips the owner check when the owner has no UID; keep that for fixtures.
        (owner.uid.is_empty() || self.owner_uids.contains(&owner.uid))
            && selector::matches(owner.selector.as_ref(), &self.labels)
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
        .filter(|c| c.name == "linkerd-proxy")
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
    });
    o
}

/// A Kubernetes type viz lists, and how it is reduced to an [`Object`]. Both inventories (the
/// per-request lister and the watch-backed cache) reduce with this, so they agree.
pub(super) trait Reduce:
    kube::Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug
{
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
pub(super) fn namespace_object(n: &Namespace) -> Object {
    Object::from_meta(ResourceKind::Namespace, &n.metadata)
}

/// Where an [`Inventory`] reads objects from.
#[derive(Clone)]
enum Source {
    /// A (paginated) list or get per call: the CLI, which asks once.
    Live,
    /// Watch-backed caches kept by reflectors: `lviz serve`, which asks all the time.
    Cached(Arc<KubeCache>),
}

/// The cluster's objects, read through one kube client.
#[derive(Clone)]
pub struct Inventory {
    client: kube::Client,
    shown_url: String,
    source: Source,
}

impl Inventory {
    /// The per-request lister.
    pub fn new(client: kube::Client, shown_url: String) -> Self {
        Inventory { client, shown_url, source: Source::Live }
    }

    /// The same cluster read through watch-backed caches: starts one reflector per kind viz
    /// reads (see `cache.rs`), on the current tokio runtime; stays the per-request lister when
    /// there is no runtime to run them on. The reflectors stop when the last clone is dropped.
    pub fn cached(self) -> Self {
        if tokio::runtime::Handle::try_current().is_err() {
            return self;
        }
        let cache = KubeCache::start(&self.client, &self.shown_url);
        Inventory { source: Source::Cached(Arc::new(cache)), ..self }
    }

    /// The watch-backed caches, when this inventory reads from them.
    pub fn cache(&self) -> Option<&KubeCache> {
        match &self.source {
            Source::Cached(cache) => Some(cache),
            Source::Live => None,
        }
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    pub(super) fn error(&self, e: kube::Error) -> KubeError {
        match e {
            kube::Error::Api(status) if status.code == 404 || status.reason == "NotFound" => {
                KubeError::NotFound(status.message.clone())
            }
            kube::Error::Api(status) => KubeError::Backend(BackendError {
                backend: BACKEND,
                url: self.shown_url.clone(),
                cause: format!("{} ({}): {}", status.reason, status.code, status.message),
            }),
            other => KubeError::Backend(BackendError {
                backend: BACKEND,
                url: self.shown_url.clone(),
                cause: describe(&other),
            }),
        }
    }

    fn api<K>(&self, namespace: &str) -> Api<K>
    where
        K: kube::Resource<Scope = NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        if namespace.is_empty() {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), namespace)
        }
    }

    /// A paginated list, or a single get when `name` is set (a missing object is NotFound).
    /// Each page is reduced to [`Object`]s as it arrives, so a 3,000-pod list never holds
    /// 3,000 full pod specs at once.
    async fn fetch<K>(
        &self,
        api: Api<K>,
        name: &str,
        labels: &str,
        reduce: impl Fn(&K) -> Object,
    ) -> Result<Vec<Object>, KubeError>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        if !name.is_empty() {
            return api.get(name).await.map(|o| vec![reduce(&o)]).map_err(|e| self.error(e));
        }
        let mut items = Vec::new();
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if !labels.is_empty() {
            params = params.labels(labels);
        }
        loop {
            let page = api.list(&params).await.map_err(|e| self.error(e))?;
            let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
            items.extend(page.items.iter().map(&reduce));
            match next {
                Some(token) => params = params.continue_token(&token),
                None => return Ok(items),
            }
        }
    }

    async fn namespaced<K>(&self, ns: &str, name: &str, labels: &str) -> Result<Vec<Object>, KubeError>
    where
        K: Reduce,
        K::DynamicType: Default,
    {
        self.fetch(self.api::<K>(ns), name, labels, K::reduce).await
    }

    /// linkerd's `GetObjects`: objects of one kind (pods only when Pending/Running). A `name`
    /// selects one object (NotFound when missing; `labels` is then ignored, as by a get).
    pub async fn objects(
        &self,
        kind: ResourceKind,
        ns: &str,
        name: &str,
        labels: &str,
    ) -> Result<Vec<Object>, KubeError> {
        let objects = match &self.source {
            Source::Cached(cache) => cache.objects(kind, ns, name, labels).await?,
            Source::Live => self.list_objects(kind, ns, name, labels).await?,
        };
        // A named pod that is not Pending/Running is not a row either.
        Ok(if kind == ResourceKind::Pod {
            objects.into_iter().filter(Object::is_listed_pod).collect()
        } else {
            objects
        })
    }

    async fn list_objects(
        &self,
        kind: ResourceKind,
        ns: &str,
        name: &str,
        labels: &str,
    ) -> Result<Vec<Object>, KubeError> {
        use ResourceKind as K;
        match kind {
            K::Namespace => {
                let api: Api<Namespace> = Api::all(self.client.clone());
                self.fetch(api, name, labels, namespace_object).await
            }
            K::Pod => self.namespaced::<Pod>(ns, name, labels).await,
            K::Deployment => self.namespaced::<Deployment>(ns, name, labels).await,
            K::ReplicaSet => self.namespaced::<ReplicaSet>(ns, name, labels).await,
            K::StatefulSet => self.namespaced::<StatefulSet>(ns, name, labels).await,
            K::DaemonSet => self.namespaced::<DaemonSet>(ns, name, labels).await,
            K::Job => self.namespaced::<Job>(ns, name, labels).await,
            K::CronJob => self.namespaced::<CronJob>(ns, name, labels).await,
            K::ReplicationController => self.namespaced::<ReplicationController>(ns, name, labels).await,
            K::Service => self.namespaced::<Service>(ns, name, labels).await,
            other => Err(self.unimplemented(other)),
        }
    }

    pub(super) fn unimplemented(&self, kind: ResourceKind) -> KubeError {
        KubeError::Backend(BackendError {
            backend: BACKEND,
            url: self.shown_url.clone(),
            cause: format!("unimplemented resource type: {kind}"),
        })
    }

    /// Every pod of a namespace ("" = all), including Failed ones, as objects.
    pub async fn pods(&self, ns: &str) -> Result<Vec<Object>, KubeError> {
        match &self.source {
            Source::Cached(cache) => cache.pods(ns).await,
            Source::Live => self.namespaced::<Pod>(ns, "", "").await,
        }
    }

    /// The intermediate owners some kinds need to reach their pods: ReplicaSets for
    /// Deployments, Jobs for CronJobs. Empty for other kinds.
    pub async fn intermediates(&self, kind: ResourceKind, ns: &str) -> Result<Vec<Object>, KubeError> {
        match kind {
            ResourceKind::Deployment => self.objects(ResourceKind::ReplicaSet, ns, "", "").await,
            ResourceKind::CronJob => self.objects(ResourceKind::Job, ns, "", "").await,
            _ => Ok(Vec::new()),
        }
    }
}

/// linkerd's `GetPodsFor` ownership walk, without the phase filter. `pods` must cover the
/// object's namespace.
pub fn pods_for<'a>(obj: &Object, pods: &'a [Object], intermediates: &[Object]) -> Vec<&'a Object> {
    let kind = obj.kind.unwrap_or(ResourceKind::Pod);
    match kind {
        ResourceKind::Namespace => pods.iter().filter(|p| p.namespace == obj.name).collect(),
        ResourceKind::Pod => pods.iter().filter(|p| p.namespace == obj.namespace && p.name == obj.name).collect(),
        ResourceKind::Deployment | ResourceKind::CronJob => {
            let owners: Vec<&Object> =
                intermediates.iter().filter(|i| i.namespace == obj.namespace && i.owned_by(obj)).collect();
            pods.iter().filter(|p| p.namespace == obj.namespace && owners.iter().any(|o| p.owned_by(o))).collect()
        }
        _ => pods.iter().filter(|p| p.namespace == obj.namespace && p.owned_by(obj)).collect(),
    }
}

/// linkerd's `GetPodsFor` + `getPodStats`. `pods` must cover the object's namespace.
pub fn pod_counts(obj: &Object, pods: &[Object], intermediates: &[Object], controller_ns: &str) -> PodCounts {
    let mut counts = PodCounts::default();
    for pod in pods_for(obj, pods, intermediates).into_iter().filter(|p| p.counts_as_pod()) {
        if pod.pod.as_ref().is_some_and(|p| p.phase == "Failed") {
            counts.failed += 1;
        } else {
            counts.running += 1;
            if pod.labels.get("linkerd.io/control-plane-ns").map(String::as_str) == Some(controller_ns) {
                counts.meshed += 1;
            }
        }
    }
    counts
}

/// An error and its causes on one line, each cause once.
pub(super) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text = format!("{text}: {s}");
        }
        cause = c.source();
    }
    text
}
