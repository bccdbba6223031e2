//! `POST /api/v1/stat-outbound` (lviz extension; Linkerd 2.16+'s `linkerd viz stat-outbound`):
//! per route of the Services a resource calls (Gateway API HTTPRoute/GRPCRoute or the default
//! route), with its backends, timeouts and retries. The request is stat-inbound's.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::views::stat_inbound::{RouteStatsRequest, RouteStatsSpec, WORKLOAD_KINDS, route_stats_request};

endpoint! {
    /// The stat-outbound endpoint.
    StatOutbound, "stat-outbound", "/api/v1/stat-outbound", RouteStatsRequest, StatOutboundOk, RouteStatsSpec,
    stat_outbound_request
}

/// stat-outbound's validation.
pub fn stat_outbound_request(req: &RouteStatsRequest) -> Result<RouteStatsSpec, String> {
    route_stats_request("stat-outbound", req, WORKLOAD_KINDS, false)
}

/// The response of `POST /api/v1/stat-outbound`.
pub type StatOutboundResponse = crate::Envelope<StatOutboundOk>;

// Its one field is required: an answer without it is malformed, not empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatOutboundOk {
    /// Routes with requests in the window, sorted by namespace, name, `service:port`, route,
    /// type; each with its backends (those with requests), sorted by `backend:port`.
    pub rows: Vec<OutboundRoute>,
}

/// One route of one parent Service, as the calling resource's proxies saw it. `route` is
/// `[default]` for a default route (whose type is empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboundRoute {
    pub namespace: String,
    pub name: String,
    /// The parent Service (`parent_name`) and port.
    pub service: String,
    pub port: String,
    pub route: String,
    pub route_type: String,
    #[serde(flatten)]
    pub stats: OutboundStats,
    /// Retried requests (`*_route_retry_requests_total`).
    pub retry_count: u64,
    pub backends: Vec<OutboundBackend>,
}

/// One backend of a route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboundBackend {
    pub name: String,
    pub port: String,
    #[serde(flatten)]
    pub stats: OutboundStats,
}

/// Counts (each sample truncated, as Linkerd does) and latencies of a route or a backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboundStats {
    pub success_count: u64,
    pub failure_count: u64,
    /// Requests that failed with `REQUEST_TIMEOUT` or `RESPONSE_HEADERS_TIMEOUT`.
    pub timeout_count: u64,
    /// Milliseconds; `null` for NaN (no observation in the window), 0 when no quantile sample
    /// exists for the row.
    pub latency_ms_p50: Option<f64>,
    pub latency_ms_p95: Option<f64>,
    pub latency_ms_p99: Option<f64>,
}

impl OutboundStats {
    pub fn requests(&self) -> u64 {
        self.success_count.saturating_add(self.failure_count)
    }
}
