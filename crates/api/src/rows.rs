//! Pieces several views' rows share: the resource a row is about, and request and TCP stats.

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
