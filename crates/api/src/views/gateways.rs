//! `POST /api/v1/gateways` (Gateways): the request, the answer, and its validation.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::names;
use crate::validate::check_at;
use crate::window::Window;

endpoint! {
    /// The Gateways endpoint.
    Gateways, "gateways", "/api/v1/gateways", GatewaysRequest, GatewaysOk, GatewaysSpec, gateways_request
}

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
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
}

/// The response of `POST /api/v1/gateways`.
pub type GatewaysResponse = crate::Envelope<GatewaysOk>;

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

#[derive(Debug, Clone, PartialEq)]
pub struct GatewaysSpec {
    pub window: Window,
    pub gateway_namespace: String,
    pub cluster_name: String,
    pub at: Option<f64>,
}

pub fn gateways_request(req: &GatewaysRequest) -> Result<GatewaysSpec, String> {
    let window = Window::parse(&req.time_window)?;
    window.promql()?;
    check_at(req.at)?;
    names::check_namespace("gateway_namespace", &req.gateway_namespace)?;
    Ok(GatewaysSpec {
        window,
        gateway_namespace: req.gateway_namespace.clone(),
        cluster_name: req.remote_cluster_name.clone(),
        at: req.at,
    })
}
