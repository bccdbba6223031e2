//! Kubernetes access through kube: kubeconfig/context conventions, and the facts viz needs
//! (objects, their pods, pod counts and status, Services, ServiceProfiles, mirrored Services),
//! read live (the CLI) or through watch-backed caches (`lviz serve`) behind one [`Source`]
//! interface. Also finding linkerd-viz's Prometheus and reaching it through the API server.
//!
//! Owns: every call to the Kubernetes API. Refuses: PromQL, responses, rendering.
//!
//! Inside, modules point one way: `object` (reduction) ← `live`, `cache` (sources) ←
//! `cluster` ← `lookups`, `discovery` ← `portforward`, `config`; `ownership` and `status` are
//! pure.

mod bounds;
mod cache;
mod cluster;
mod config;
pub mod discovery;
mod error;
mod live;
mod lookups;
mod object;
mod ownership;
pub mod portforward;
mod source;
pub mod status;

pub use bounds::KubeLimits;
pub use cluster::Cluster;
pub use config::{
    KubeSettings, connect, connect_with, contexts, default_namespace, describe_kubeconfig_error, kube_configured,
};
pub use error::{KubeError, describe};
pub use lookups::{ServiceProfile, profile_name};
pub use object::{Object, OwnerRef, PodCounts, PodInfo, map_matches, matches};
pub use ownership::{
    CLUSTER_NAME_LABEL, MIRRORED_GATEWAY_LABEL, MIRRORED_SERVICE_LABEL, count_mirrored, owner_kind_and_name,
    pod_counts, pods_for, services_for,
};
pub use source::Source;

/// The backend name in messages.
pub const BACKEND: &str = "Kubernetes API";
