//! The wire contract of the Linkerd Viz metrics API (`metrics-api.openapi.yml`).
//!
//! These types are shared by the CLI, the embedded engine, the remote client and `lviz serve`,
//! so a request is validated once, here, and every mode rejects bad input with the same words.
//! Nothing in this module does I/O.

pub mod resource;
pub mod validate;
pub mod window;

pub use resource::{ResourceKind, Target};

use serde::{Deserialize, Serialize};

/// A Kubernetes resource as the API names it (`type` is the canonical kind, e.g. `deployment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Resource {
    pub namespace: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

/// The spec's `error` object. Extra fields are ignored by clients of the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseError {
    pub error: String,
}

// ---------------------------------------------------------------------------------------------
// stat
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/stat`. Empty strings and absent fields mean the same thing, as upstream.
///
/// `label_selector`, `at` and `skip_stats` are lviz extensions (optional, backwards compatible).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatSummaryRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_window: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from_resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from_resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from_namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_stats: Option<bool>,
    /// lviz extension: Kubernetes label selector applied to the listed objects (`-l`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    /// lviz extension: evaluation time, Unix seconds (fractions allowed). Absent means now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
    /// lviz extension: list objects only, send no Prometheus query (upstream `skip_stats`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_stats: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatSummaryResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<StatSummaryOk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatSummaryOk {
    pub stat_tables: Vec<StatTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatTable {
    pub pod_group: PodGroup,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PodGroup {
    pub rows: Vec<StatRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatRow {
    pub resource: Resource,
    pub time_window: String,
    pub status: String,
    pub meshed_pod_count: u64,
    pub running_pod_count: u64,
    pub failed_pod_count: u64,
    /// lviz extension: Kubernetes was not consulted (Prometheus-only mode), so the pod counts
    /// and status are unknown, not zero. Absent (false) otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pods_unknown: bool,
    /// Absent when the row has no request data (not the same as all zeros).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<BasicStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_stats: Option<TcpStats>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicStats {
    pub success_count: u64,
    pub failure_count: u64,
    pub latency_ms_p50: u64,
    pub latency_ms_p95: u64,
    pub latency_ms_p99: u64,
    pub actual_success_count: u64,
    pub actual_failure_count: u64,
}

impl BasicStats {
    /// linkerd's `statHasRequestData`: latencies alone do not count as data.
    pub fn has_request_data(&self) -> bool {
        self.success_count != 0
            || self.failure_count != 0
            || self.actual_success_count != 0
            || self.actual_failure_count != 0
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpStats {
    pub open_connections: u64,
    pub read_bytes_total: u64,
    pub write_bytes_total: u64,
}

// ---------------------------------------------------------------------------------------------
// top-routes
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/top-routes`. The `to_*` fields are upstream's outbound filter, which the spec
/// lacks; `label_selector` and `at` are lviz extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopRoutesRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_window: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopRoutesResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<TopRoutesOk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopRoutesOk {
    pub routes: Vec<RouteTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteTable {
    pub rows: Vec<RouteRow>,
    /// lviz extension (upstream `RouteTable.resource`): `<canonical type>/<name>` of the target
    /// object this table belongs to, e.g. `deployment/web`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteRow {
    pub route: String,
    pub time_window: String,
    pub authority: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<BasicStats>,
}

// ---------------------------------------------------------------------------------------------
// edges
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EdgesRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// lviz extension: evaluation time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EdgesResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<EdgesOk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EdgesOk {
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Edge {
    pub src: Resource,
    pub dst: Resource,
    pub client_id: String,
    pub server_id: String,
    pub no_identity_msg: String,
    /// lviz extension: the source's identity is unknown (Prometheus-only mode: it comes from
    /// the source pod in Kubernetes); `client_id` is then empty. Absent (false) otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_id_unknown: bool,
}

// ---------------------------------------------------------------------------------------------
// gateways
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaysRequest {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_window: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway_namespace: String,
    /// Upstream `remote_cluster_name`: only this target cluster.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub remote_cluster_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaysResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<GatewaysOk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaysOk {
    pub gateways_table: GatewaysTable,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaysTable {
    pub rows: Vec<GatewayRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayRow {
    pub namespace: String,
    pub name: String,
    pub cluster_name: String,
    pub paired_services: u64,
    /// lviz extension: mirrored Services were not counted (Prometheus-only mode);
    /// `paired_services` is then 0. Absent (false) otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paired_services_unknown: bool,
    pub alive: bool,
    pub latency_ms_p50: u64,
    pub latency_ms_p95: u64,
    pub latency_ms_p99: u64,
}
