//! One module per endpoint: its pure query building and assembly (exact-string tested), and
//! its [`Answer`](lviz_api::Answer) implementation for the [`Engine`](crate::Engine), the only
//! part that awaits the clients.

pub mod authz;
pub mod checks;
pub mod edges;
pub mod gateways;
pub mod pods;
pub mod route_stats;
pub mod routes;
pub mod self_check;
pub mod services;
pub mod stat;
pub mod stat_inbound;
pub mod stat_outbound;

use lviz_api::Rejection;

/// The rejection of a Kubernetes-only view in Prometheus-only mode.
pub(crate) fn needs_kubernetes(view: &str) -> Rejection {
    Rejection::Usage(format!("{view} needs Kubernetes, and lviz runs in Prometheus-only mode (--no-kube)"))
}
