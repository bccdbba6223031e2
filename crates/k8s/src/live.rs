//! The live [`Source`]: a paginated list, or a single get, per call. The CLI asks once per
//! command, so it reads the API server directly. Each list page is reduced to [`Object`]s as it
//! arrives, so a 3,000-pod list never holds 3,000 full pod specs at once.

use futures::future::BoxFuture;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, ReplicationController, Service};
use kube::api::{Api, DynamicObject, ListParams};
use lviz_api::{BackendError, ResourceKind, hygiene, names};
use serde::de::DeserializeOwned;

use crate::BACKEND;
use crate::bounds::KubeLimits;
use crate::error::{KubeError, describe};
use crate::object::{
    Object, Reduce, http_route_object, namespace_object, policy_http_route_resource, route_names,
    service_profile_resource,
};
use crate::source::Source;

const PAGE_SIZE: u32 = 500;
/// A list that has not ended after this many pages (250,000 objects) is refused: an API server
/// (or something in front of it) that keeps sending `continue` tokens would otherwise fill
/// memory until the deadline.
const MAX_PAGES: usize = 500;
/// Attempts of a call the API server answers 429 or 503 (Kubernetes's "retry later"), each
/// after a short pause, and only while the request's deadline leaves time.
const ATTEMPTS: u32 = 3;
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// Reads the API server on every call.
pub struct LiveSource {
    client: kube::Client,
    shown_url: String,
    limits: KubeLimits,
}

/// A kube error as lviz reports it: a missing object is NotFound with the API server's words;
/// anything else names the backend and its (redacted) URL.
pub fn api_error(shown_url: &str, e: kube::Error) -> KubeError {
    match e {
        // A missing object is named in the API server's words (`deployments.apps "web" not
        // found`); any other 404 (an unknown resource path, a proxy's page) is the API's failure.
        kube::Error::Api(status)
            if (status.code == 404 || status.reason == "NotFound") && status.message.contains("\" not found") =>
        {
            KubeError::NotFound(hygiene::backend_text(&status.message))
        }
        kube::Error::Api(status) => KubeError::Backend(BackendError {
            backend: BACKEND,
            url: shown_url.to_string(),
            cause: format!(
                "{} ({}): {}",
                hygiene::backend_text(&status.reason),
                status.code,
                hygiene::backend_text(&status.message)
            ),
        }),
        other => KubeError::Backend(BackendError {
            backend: BACKEND,
            url: shown_url.to_string(),
            cause: hygiene::backend_text(&describe(&other)),
        }),
    }
}

/// Whether the API server asked to be asked again later.
fn retryable(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 429 || status.code == 503)
}

impl LiveSource {
    pub fn new(client: kube::Client, shown_url: String, limits: KubeLimits) -> Self {
        LiveSource { client, shown_url, limits }
    }

    fn error(&self, e: kube::Error) -> KubeError {
        api_error(&self.shown_url, e)
    }

    fn backend(&self, cause: String) -> KubeError {
        KubeError::Backend(BackendError { backend: BACKEND, url: self.shown_url.clone(), cause })
    }

    /// One call, given up at the request's deadline; 429 and 503 are asked again (at most
    /// [`ATTEMPTS`] times, never past the deadline).
    async fn call<T, F, Fut>(&self, mut call: F) -> Result<T, KubeError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        let attempts = async {
            let mut attempt = 1;
            loop {
                match call().await {
                    Err(e) if retryable(&e) && attempt < ATTEMPTS => {
                        attempt += 1;
                        tokio::time::sleep(RETRY_PAUSE * attempt).await;
                    }
                    other => return other,
                }
            }
        };
        match self.limits.within(attempts).await {
            Ok(answer) => answer.map_err(|e| self.error(e)),
            Err(late) => Err(self.backend(late)),
        }
    }

    /// The namespace's objects; the namespace is percent-encoded into the path all the same
    /// (requests validate it first, `lviz_api::names`).
    fn api<K>(&self, namespace: &str) -> Api<K>
    where
        K: kube::Resource<Scope = NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        if namespace.is_empty() {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), &names::path_segment(namespace))
        }
    }

    /// A paginated list, or a single get when `name` is set (a missing object is NotFound).
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
            let name = names::path_segment(name);
            return self.call(|| api.get(&name)).await.map(|o| vec![reduce(&o)]);
        }
        let mut items = Vec::new();
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if !labels.is_empty() {
            params = params.labels(labels);
        }
        let mut tokens = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            // A 404 on a list is no missing object: the API server lacks the resource.
            let page = self.call(|| api.list(&params)).await.map_err(|e| match e {
                KubeError::NotFound(m) => self.backend(m),
                other => other,
            })?;
            let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
            items.extend(page.items.iter().map(&reduce));
            match next {
                Some(token) if !tokens.insert(token.clone()) => {
                    return Err(self
                        .backend("the API server repeated a list's continue token (the list would never end)".into()));
                }
                Some(token) => params = params.continue_token(&token),
                None => return Ok(items),
            }
        }
        Err(self
            .backend(format!("a list did not end after {MAX_PAGES} pages of {PAGE_SIZE} (runaway continue tokens)")))
    }

    async fn namespaced<K>(&self, ns: &str, name: &str, labels: &str) -> Result<Vec<Object>, KubeError>
    where
        K: Reduce,
        K::DynamicType: Default,
    {
        self.fetch(self.api::<K>(ns), name, labels, K::reduce).await
    }

    async fn list(&self, kind: ResourceKind, ns: &str, name: &str, labels: &str) -> Result<Vec<Object>, KubeError> {
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
            K::HttpRoute => {
                let resource = policy_http_route_resource();
                let api: Api<DynamicObject> = if ns.is_empty() {
                    Api::all_with(self.client.clone(), &resource)
                } else {
                    Api::namespaced_with(self.client.clone(), ns, &resource)
                };
                match self.fetch(api, name, labels, http_route_object).await {
                    // A list answered 404: the policy CRD is not installed, so there are none.
                    Err(KubeError::NotFound(_)) if name.is_empty() => Ok(Vec::new()),
                    other => other,
                }
            }
            other => Err(KubeError::Backend(BackendError {
                backend: BACKEND,
                url: self.shown_url.clone(),
                cause: format!("unimplemented resource type: {other}"),
            })),
        }
    }
}

impl Source for LiveSource {
    fn objects<'a>(
        &'a self,
        kind: ResourceKind,
        ns: &'a str,
        name: &'a str,
        labels: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Object>, KubeError>> {
        Box::pin(self.list(kind, ns, name, labels))
    }

    fn profile_routes<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>, KubeError>> {
        Box::pin(async move {
            let ns = names::path_segment(ns);
            let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), &ns, &service_profile_resource());
            let name = names::path_segment(name);
            let profile = self.call(|| api.get_opt(&name)).await?;
            Ok(profile.map(|p| route_names(&p)))
        })
    }

    fn unsynced(&self) -> Option<Vec<String>> {
        None
    }
}
