//! The one interface behind which Kubernetes objects are read: live (a list or get per call,
//! `live.rs`) or from watch-backed caches (`cache.rs`). [`crate::Cluster`] holds one and its
//! callers cannot tell which.

use futures::future::BoxFuture;
use lviz_api::ResourceKind;

use crate::error::KubeError;
use crate::object::Object;

/// Where objects come from.
pub trait Source: Send + Sync {
    /// Objects of one kind in `ns` ("" = all namespaces) matching the `-l` text `labels`, or
    /// the one object named `name` (NotFound when missing; `labels` is then ignored, as by a
    /// get). Pods of every phase.
    fn objects<'a>(
        &'a self,
        kind: ResourceKind,
        ns: &'a str,
        name: &'a str,
        labels: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Object>, KubeError>>;

    /// The route names of the ServiceProfile `name` in `ns`, if there is one (a cluster without
    /// the CRD has none).
    fn profile_routes<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>, KubeError>>;

    /// For caches: the ones that have not seen a complete list yet (empty once synced). `None`
    /// for a live source, which has nothing to sync.
    fn unsynced(&self) -> Option<Vec<String>>;
}
