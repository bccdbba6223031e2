//! Watch-backed Kubernetes caches for `lviz serve`: one reflector per kind viz reads (namespaces,
//! pods, the eight workload and service kinds, policy HTTPRoutes and ServiceProfiles), started
//! once, so requests read memory instead of listing. Lookups keep the API server's answers: a
//! missing named object is NotFound with the API's own wording, and `-l` selectors are applied
//! here, locally.
//!
//! Each reflector is kube's `watcher` (list, then watch from the list's resourceVersion; relist
//! on `410 Gone`) with kube's default backoff, so a failing watch retries instead of wedging the
//! server. Its events are applied the way kube's `reflector` applies them (a relist is buffered
//! and swapped in whole on `InitDone`), but into a store of reduced [`Object`]s rather than the
//! typed objects: a cached pod is its labels, owners and status strings, not its whole spec.
//!
//! Nothing here builds a response; a [`crate::Cluster`] reads through this [`Source`] or the
//! live one, and its callers cannot tell.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, ReplicationController, Service};
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use futures::future::BoxFuture;
use lviz_api::selector::Selector;
use lviz_api::{BackendError, ResourceKind};

use crate::BACKEND;
use crate::error::{KubeError, describe};
use crate::object::{
    Object, Reduce, http_route_object, namespace_object, policy_http_route_resource, route_names,
    service_profile_resource,
};
use crate::source::Source;

/// How long a request waits for a cache that has not synced yet (the server just started, or
/// the API server refuses the list) before it fails with 502.
const SYNC_WAIT: Duration = Duration::from_secs(10);

/// (namespace, name); namespace is empty for cluster-scoped objects. Ordered like the API
/// server's own lists, so cached answers come in the order live lists do.
type Key = (String, String);

/// One kind's cache: what its reflector has seen, whether it has seen a complete list yet, and
/// the last error its watch reported.
struct Shelf<T> {
    /// `deployments.apps`, `pods`: the resource as the API server names it in NotFound messages.
    resource: &'static str,
    items: RwLock<BTreeMap<Key, T>>,
    synced: tokio::sync::watch::Sender<bool>,
    last_error: Mutex<Option<String>>,
}

impl<T> Shelf<T> {
    fn new(resource: &'static str) -> Arc<Self> {
        Arc::new(Shelf {
            resource,
            items: RwLock::new(BTreeMap::new()),
            synced: tokio::sync::watch::Sender::new(false),
            last_error: Mutex::new(None),
        })
    }

    // A poisoned lock only means a reflector panicked mid-insert into a plain map; the map is
    // still usable, and refusing service would be worse.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Key, T>> {
        self.items.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Key, T>> {
        self.items.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn error_text(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(PoisonError::into_inner) = error;
    }

    /// A complete list arrived: it replaces the cache whole.
    fn replace(&self, items: BTreeMap<Key, T>) {
        *self.write() = items;
        self.set_error(None);
        self.synced.send_replace(true);
    }

    fn is_synced(&self) -> bool {
        *self.synced.borrow()
    }

    /// `pods`, or `pods (<last watch error>)`.
    fn describe_unsynced(&self) -> String {
        match self.error_text() {
            Some(e) => format!("{} ({e})", self.resource),
            None => self.resource.to_string(),
        }
    }

    /// Waits (at most [`SYNC_WAIT`]) for the first complete list.
    async fn wait_synced(&self, url: &str) -> Result<(), KubeError> {
        if self.is_synced() {
            return Ok(());
        }
        let mut synced = self.synced.subscribe();
        // At most SYNC_WAIT, and never past the request's deadline.
        let until = lviz_api::deadline::earliest(std::time::Instant::now() + SYNC_WAIT);
        match tokio::time::timeout_at(until.into(), synced.wait_for(|s| *s)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(KubeError::Backend(BackendError {
                backend: BACKEND,
                url: url.to_string(),
                cause: format!("the cache of {} has not synced yet", self.describe_unsynced()),
            })),
        }
    }

    fn not_found(&self, name: &str) -> KubeError {
        // The API server's wording: `deployments.apps "nope" not found`.
        KubeError::NotFound(format!("{} \"{name}\" not found", self.resource))
    }
}

/// What the reflectors of one server keep. Dropping it stops them.
pub struct KubeCache {
    shown_url: String,
    objects: HashMap<ResourceKind, Arc<Shelf<Object>>>,
    /// ServiceProfile route names by (namespace, profile name).
    profiles: Arc<Shelf<Vec<String>>>,
    reflectors: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for KubeCache {
    fn drop(&mut self) {
        for task in &self.reflectors {
            task.abort();
        }
    }
}

fn key_of<K: kube::Resource>(obj: &K) -> Key {
    let meta = obj.meta();
    (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
}

/// Applies one kind's watch events to its shelf, forever. `absent_ok`: a 404 on the list means
/// the kind is not installed (the ServiceProfile CRD), which is an empty cache, not a failure.
async fn reflect<K, T>(api: Api<K>, shelf: Arc<Shelf<T>>, reduce: fn(&K) -> T, absent_ok: bool)
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    T: Send + Sync + 'static,
{
    let mut events = watcher::watcher(api, watcher::Config::default()).default_backoff().boxed();
    // A relist in progress: swapped in whole on InitDone, so readers never see half a list.
    let mut relist: Option<BTreeMap<Key, T>> = None;
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => relist = Some(BTreeMap::new()),
            Ok(Event::InitApply(obj)) => {
                relist.get_or_insert_with(BTreeMap::new).insert(key_of(&obj), reduce(&obj));
            }
            Ok(Event::InitDone) => shelf.replace(relist.take().unwrap_or_default()),
            Ok(Event::Apply(obj)) => {
                shelf.write().insert(key_of(&obj), reduce(&obj));
            }
            Ok(Event::Delete(obj)) => {
                shelf.write().remove(&key_of(&obj));
            }
            Err(watcher::Error::InitialListFailed(kube::Error::Api(status))) if absent_ok && status.code == 404 => {
                relist = None;
                shelf.replace(BTreeMap::new());
            }
            Err(e) => {
                // Kept for `/ready` and for the 502 of a request that waited in vain; the
                // watcher retries after its backoff. A synced cache keeps serving meanwhile.
                shelf.set_error(Some(describe(&e)));
            }
        }
    }
}

impl KubeCache {
    /// Starts every reflector on the current tokio runtime (the caller checks there is one).
    pub(crate) fn start(client: &kube::Client, shown_url: &str) -> KubeCache {
        let mut cache = KubeCache {
            shown_url: shown_url.to_string(),
            objects: HashMap::new(),
            profiles: Shelf::new("serviceprofiles.linkerd.io"),
            reflectors: Vec::new(),
        };
        let namespaces = Shelf::new("namespaces");
        let task = reflect(Api::<Namespace>::all(client.clone()), namespaces.clone(), namespace_object, false);
        cache.reflectors.push(tokio::spawn(task));
        cache.objects.insert(ResourceKind::Namespace, namespaces);
        cache.watch::<Pod>(client, "pods");
        cache.watch::<Deployment>(client, "deployments.apps");
        cache.watch::<ReplicaSet>(client, "replicasets.apps");
        cache.watch::<StatefulSet>(client, "statefulsets.apps");
        cache.watch::<DaemonSet>(client, "daemonsets.apps");
        cache.watch::<Job>(client, "jobs.batch");
        cache.watch::<CronJob>(client, "cronjobs.batch");
        cache.watch::<ReplicationController>(client, "replicationcontrollers");
        cache.watch::<Service>(client, "services");
        let routes = Shelf::new("httproutes.policy.linkerd.io");
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &policy_http_route_resource());
        cache.reflectors.push(tokio::spawn(reflect(api, routes.clone(), http_route_object, true)));
        cache.objects.insert(ResourceKind::HttpRoute, routes);
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &service_profile_resource());
        let task = reflect(api, cache.profiles.clone(), route_names, true);
        cache.reflectors.push(tokio::spawn(task));
        cache
    }

    fn url(&self) -> String {
        self.shown_url.clone()
    }

    fn watch<K>(&mut self, client: &kube::Client, resource: &'static str)
    where
        K: Reduce + Send + 'static,
        K::DynamicType: Default,
    {
        let shelf = Shelf::new(resource);
        let task = reflect(Api::<K>::all(client.clone()), shelf.clone(), K::reduce, false);
        self.reflectors.push(tokio::spawn(task));
        self.objects.insert(K::KIND, shelf);
    }

    /// The caches that have not seen a complete list yet, each with its last watch error; empty
    /// once every cache has synced.
    fn missing(&self) -> Vec<String> {
        let mut shelves: Vec<&Arc<Shelf<Object>>> = self.objects.values().collect();
        shelves.sort_by_key(|s| s.resource);
        let mut missing: Vec<String> =
            shelves.into_iter().filter(|s| !s.is_synced()).map(|s| s.describe_unsynced()).collect();
        if !self.profiles.is_synced() {
            missing.push(self.profiles.describe_unsynced());
        }
        missing
    }

    fn shelf(&self, kind: ResourceKind) -> Result<&Shelf<Object>, KubeError> {
        self.objects.get(&kind).map(Arc::as_ref).ok_or_else(|| {
            KubeError::Backend(BackendError {
                backend: BACKEND,
                url: self.url(),
                cause: format!("unimplemented resource type: {kind}"),
            })
        })
    }

    /// Objects of one kind in `ns` ("" = all namespaces) matching the `-l` text, or the one
    /// object named `name` (NotFound when missing; the selector is then ignored, as by a get).
    async fn lookup(&self, kind: ResourceKind, ns: &str, name: &str, labels: &str) -> Result<Vec<Object>, KubeError> {
        let shelf = self.shelf(kind)?;
        shelf.wait_synced(&self.shown_url).await?;
        // Namespaces are cluster-scoped: the namespace of the request does not narrow them.
        let ns = if kind == ResourceKind::Namespace { "" } else { ns };
        if !name.is_empty() {
            let found = shelf.read().get(&(ns.to_string(), name.to_string())).cloned();
            return found.map(|o| vec![o]).ok_or_else(|| shelf.not_found(name));
        }
        let selector = Selector::parse(labels)
            .map_err(|cause| KubeError::Backend(BackendError { backend: BACKEND, url: self.url(), cause }))?;
        let items = shelf.read();
        Ok(in_namespace(&items, ns).filter(|o| selector.matches(&o.labels)).cloned().collect())
    }

    /// The route names of the ServiceProfile `name` in `ns`, if there is one.
    async fn profile(&self, ns: &str, name: &str) -> Result<Option<Vec<String>>, KubeError> {
        self.profiles.wait_synced(&self.shown_url).await?;
        Ok(self.profiles.read().get(&(ns.to_string(), name.to_string())).cloned())
    }
}

impl Source for KubeCache {
    fn objects<'a>(
        &'a self,
        kind: ResourceKind,
        ns: &'a str,
        name: &'a str,
        labels: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Object>, KubeError>> {
        Box::pin(self.lookup(kind, ns, name, labels))
    }

    fn profile_routes<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>, KubeError>> {
        Box::pin(self.profile(ns, name))
    }

    fn unsynced(&self) -> Option<Vec<String>> {
        Some(self.missing())
    }
}

/// The values of one namespace ("" = every namespace) of a (namespace, name)-ordered map.
fn in_namespace<'a, T>(items: &'a BTreeMap<Key, T>, ns: &'a str) -> Box<dyn Iterator<Item = &'a T> + 'a> {
    if ns.is_empty() {
        Box::new(items.values())
    } else {
        Box::new(items.range((ns.to_string(), String::new())..).take_while(move |((n, _), _)| n == ns).map(|(_, v)| v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(ns: &str, name: &str, labels: &[(&str, &str)]) -> Object {
        Object {
            namespace: ns.into(),
            name: name.into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn namespace_ranges_are_exact() {
        let items: BTreeMap<Key, Object> =
            [obj("a", "x", &[]), obj("ab", "y", &[]), obj("b", "z", &[]), obj("a", "w", &[])]
                .into_iter()
                .map(|o| ((o.namespace.clone(), o.name.clone()), o))
                .collect();
        let names = |ns: &str| in_namespace(&items, ns).map(|o| o.name.clone()).collect::<Vec<_>>();
        assert_eq!(names("a"), vec!["w", "x"]);
        assert_eq!(names("ab"), vec!["y"]);
        assert_eq!(names(""), vec!["w", "x", "y", "z"]);
        assert!(names("c").is_empty());
    }

    #[tokio::test]
    async fn lookups_answer_like_the_api_server() {
        let shelf = Shelf::new("deployments.apps");
        let items: BTreeMap<Key, Object> =
            [obj("emojivoto", "web", &[("app", "web")]), obj("emojivoto", "voting", &[("app", "voting")])]
                .into_iter()
                .map(|o| ((o.namespace.clone(), o.name.clone()), o))
                .collect();
        shelf.replace(items);
        let cache = KubeCache {
            shown_url: "http://k/".into(),
            objects: [(ResourceKind::Deployment, shelf)].into_iter().collect(),
            profiles: Shelf::new("serviceprofiles.linkerd.io"),
            reflectors: Vec::new(),
        };
        let missing = cache.lookup(ResourceKind::Deployment, "emojivoto", "nope", "").await;
        assert!(
            matches!(&missing, Err(KubeError::NotFound(m)) if m == "deployments.apps \"nope\" not found"),
            "{missing:?}"
        );
        let web = cache.lookup(ResourceKind::Deployment, "emojivoto", "web", "app=other").await;
        assert_eq!(web.map(|v| v.len()).ok(), Some(1), "a named get ignores the selector");
        let selected = cache.lookup(ResourceKind::Deployment, "emojivoto", "", "app in (voting)").await;
        assert_eq!(
            selected.ok().map(|v| v.into_iter().map(|o| o.name).collect::<Vec<_>>()),
            Some(vec!["voting".into()])
        );
        assert!(cache.lookup(ResourceKind::Deployment, "other", "", "").await.is_ok_and(|v| v.is_empty()));
        let bad = cache.lookup(ResourceKind::Deployment, "", "", "app=(").await;
        assert!(matches!(bad, Err(KubeError::Backend(_))));
        assert_eq!(cache.missing(), vec!["serviceprofiles.linkerd.io".to_string()]);
    }
}
