//! A [`Cluster`]: one kube client and the [`Source`] its objects are read from, live (the CLI)
//! or through watch-backed caches (`lviz serve`). Everything above asks a `Cluster`; nothing
//! above knows which source answers.

use std::sync::Arc;

use lviz_api::ResourceKind;

use crate::bounds::KubeLimits;
use crate::cache::KubeCache;
use crate::error::KubeError;
use crate::live::{LiveSource, api_error};
use crate::object::Object;
use crate::source::Source;

/// The cluster's objects, read through one kube client.
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
    shown_url: String,
    source: Arc<dyn Source>,
    limits: KubeLimits,
}

impl Cluster {
    /// Reads live: a list or get per call.
    pub fn new(client: kube::Client, shown_url: String) -> Self {
        let limits = KubeLimits::default();
        let source = Arc::new(LiveSource::new(client.clone(), shown_url.clone(), limits));
        Cluster { client, shown_url, source, limits }
    }

    /// The same cluster with its calls bounded by `limits` (the client must have been built
    /// with them, see `config.rs`).
    pub fn with_limits(self, limits: KubeLimits) -> Self {
        let source = Arc::new(LiveSource::new(self.client.clone(), self.shown_url.clone(), limits));
        Cluster { source, limits, ..self }
    }

    /// The bounds of this cluster's calls.
    pub fn limits(&self) -> &KubeLimits {
        &self.limits
    }

    /// `call`, given up at the request's deadline; the error names the API server.
    pub async fn within<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, KubeError> {
        match self.limits.within(call).await {
            Ok(answer) => answer.map_err(|e| self.error(e)),
            Err(late) => Err(self.late(late)),
        }
    }

    fn late(&self, cause: String) -> KubeError {
        KubeError::Backend(lviz_api::BackendError { backend: crate::BACKEND, url: self.shown_url.clone(), cause })
    }

    /// The same cluster read through watch-backed caches: starts one reflector per kind viz
    /// reads (see `cache.rs`) on the current tokio runtime; stays live when there is no
    /// runtime to run them on. The reflectors stop when the last clone is dropped.
    pub fn cached(self) -> Self {
        if tokio::runtime::Handle::try_current().is_err() {
            return self;
        }
        let cache = KubeCache::start(&self.client, &self.shown_url);
        Cluster { source: Arc::new(cache), ..self }
    }

    /// For a cached cluster, the caches that have not synced yet (empty once all have); `None`
    /// when reading live.
    pub fn unsynced(&self) -> Option<Vec<String>> {
        self.source.unsynced()
    }

    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The redacted API server URL, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown_url
    }

    pub(crate) fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// A kube error as lviz reports it (NotFound, or the backend and its URL).
    pub fn error(&self, e: kube::Error) -> KubeError {
        api_error(&self.shown_url, e)
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
        let objects = self.source.objects(kind, ns, name, labels).await?;
        // A named pod that is not Pending/Running is not a row either.
        Ok(if kind == ResourceKind::Pod {
            objects.into_iter().filter(Object::is_listed_pod).collect()
        } else {
            objects
        })
    }

    /// Every pod of a namespace ("" = all), including Failed ones, as objects.
    pub async fn pods(&self, ns: &str) -> Result<Vec<Object>, KubeError> {
        self.source.objects(ResourceKind::Pod, ns, "", "").await
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
