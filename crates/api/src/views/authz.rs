//! `POST /api/v1/authz` (lviz extension): the metrics API's `Authz` call (Linkerd 2.16+'s
//! `linkerd viz authz`): per (route, server, authorization) of a resource's inbound traffic,
//! the requests, their latency and the requests policy allowed and denied. The answer has the
//! shape of the gRPC `AuthzResponse.Ok` (a stat table whose rows carry `srv_stats`).

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::resource::ResourceKind;
use crate::rows::{BasicStats, Resource};
use crate::views::stat_inbound::{RouteStatsRequest, RouteStatsSpec, WORKLOAD_KINDS, route_stats_request};

endpoint! {
    /// The Authz endpoint.
    Authz, "authz", "/api/v1/authz", RouteStatsRequest, AuthzOk, RouteStatsSpec, authz_request
}

/// Kinds `authz` takes: the workloads, and the policy kinds Linkerd's `QueryLabels` selects by
/// their own labels (`srv_name`, `authz_name`, `route_name`).
pub const AUTHZ_KINDS: &[ResourceKind] = &[
    ResourceKind::CronJob,
    ResourceKind::DaemonSet,
    ResourceKind::Deployment,
    ResourceKind::Job,
    ResourceKind::Namespace,
    ResourceKind::Pod,
    ResourceKind::ReplicaSet,
    ResourceKind::ReplicationController,
    ResourceKind::StatefulSet,
    ResourceKind::Server,
    ResourceKind::ServerAuthorization,
    ResourceKind::AuthorizationPolicy,
    ResourceKind::HttpRoute,
];

/// authz's validation: Linkerd's `ValidateTimeWindow` (at least 15 s) applies; a request
/// without a resource gets the metrics API's own words.
pub fn authz_request(req: &RouteStatsRequest) -> Result<RouteStatsSpec, String> {
    debug_assert!(WORKLOAD_KINDS.iter().all(|k| AUTHZ_KINDS.contains(k)));
    if req.resource_type.is_empty() {
        return Err("AuthzRequest missing resource".to_string());
    }
    route_stats_request("authz", req, AUTHZ_KINDS, true)
}

/// The response of `POST /api/v1/authz`.
pub type AuthzResponse = crate::Envelope<AuthzOk>;

// Its one field is required: an answer without it is malformed, not empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthzOk {
    pub stat_table: AuthzTable,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthzTable {
    pub pod_group: AuthzRows,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthzRows {
    /// One row per (route, server, authorization), sorted by server, route, authorization.
    pub rows: Vec<AuthzRow>,
}

/// One row: the requested resource, its request stats (counts and latencies rounded, as the
/// metrics API does) and the server stats of the key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthzRow {
    pub resource: Resource,
    pub time_window: String,
    pub stats: BasicStats,
    pub srv_stats: ServerStats,
}

/// The proto's `ServerStats`: allowed and denied counts, and the server, route and
/// authorization (kind in `type`) of a row. Also what `stat httproute` rows carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerStats {
    pub allowed_count: u64,
    pub denied_count: u64,
    pub srv: Resource,
    pub route: Resource,
    pub authz: Resource,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authz_windows_are_at_least_15s_and_policy_kinds_are_accepted() {
        let mut r = RouteStatsRequest { resource_type: "server".into(), ..Default::default() };
        assert!(authz_request(&r).is_ok());
        r.time_window = "10s".into();
        assert_eq!(authz_request(&r).unwrap_err(), "metrics time window needs to be at least 15s");
        r.resource_type = "service".into();
        r.time_window = String::new();
        assert!(authz_request(&r).unwrap_err().starts_with("unsupported resource type for authz: service"));
        assert_eq!(authz_request(&RouteStatsRequest::default()).unwrap_err(), "AuthzRequest missing resource");
    }
}
