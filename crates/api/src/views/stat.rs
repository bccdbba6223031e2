//! `POST /api/v1/stat` (StatSummary): the request, the answer, and Linkerd's validation of it.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::resource::{ResourceKind, Target};
use crate::rows::{BasicStats, Resource, TcpStats};
use crate::validate::{Direction, canonical_kind, check_at, peer, unimplemented};
use crate::window::Window;
use crate::{names, selector};

endpoint! {
    /// The StatSummary endpoint.
    Stat, "stat", "/api/v1/stat", StatSummaryRequest, StatSummaryOk, StatSpec, stat_request
}

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
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub tcp_stats: Option<bool>,
    /// lviz extension: Kubernetes label selector applied to the listed objects (`-l`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    /// lviz extension: evaluation time, Unix seconds (fractions allowed). Absent means now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
    /// lviz extension: list objects only, send no Prometheus query (upstream `skip_stats`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skip_stats: bool,
}

/// The response of `POST /api/v1/stat`.
pub type StatSummaryResponse = crate::Envelope<StatSummaryOk>;

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
    /// Policy rows (`httproute`): the server, route and authorization of the row, and the
    /// requests policy allowed and denied. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srv_stats: Option<crate::views::authz::ServerStats>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatSpec {
    pub target: Target,
    pub window: Window,
    pub direction: Direction,
    pub label_selector: String,
    pub at: Option<f64>,
    pub tcp_stats: bool,
    pub skip_stats: bool,
}

const POLICY_FROM: &str = "'from' queries are not supported with policy resources, as they have inbound metrics only";
const POLICY_TO: &str = "'to' queries are not supported with policy resources, as they have inbound metrics only";

/// linkerd's StatSummary validation (`stat_summary.go:70-109`) plus the window rules.
pub fn stat_request(req: &StatSummaryRequest) -> Result<StatSpec, String> {
    if req.resource_type.is_empty() {
        return Err("StatSummary request missing Selector Resource".to_string());
    }
    let kind = canonical_kind(&req.resource_type)?;
    // Of Linkerd's policy kinds, lviz answers `httproute` (the one a current proxy's route
    // labels name); the others stay unimplemented.
    if !(kind.is_stat_kind() || kind == ResourceKind::All || kind == ResourceKind::HttpRoute) {
        return Err(unimplemented(&req.resource_type));
    }
    let to = peer(&req.to_resource_type, &req.to_resource_name, &req.to_namespace)?;
    let from = peer(&req.from_resource_type, &req.from_resource_name, &req.from_namespace)?;
    let direction = match (to, from) {
        (Some(_), Some(_)) => return Err("--to and --from flags are mutually exclusive".to_string()),
        (Some(to), None) => Direction::To(to),
        (None, Some(from)) => Direction::From(from),
        (None, None) => Direction::Inbound,
    };
    if kind.is_policy() {
        match direction {
            Direction::From(_) => return Err(POLICY_FROM.to_string()),
            Direction::To(_) => return Err(POLICY_TO.to_string()),
            Direction::Inbound => {}
        }
    }
    for p in [&direction] {
        if let Direction::To(p) | Direction::From(p) = p {
            match p.kind {
                Some(ResourceKind::All) => {
                    return Err("resource type 'all' is not supported as a filter".to_string());
                }
                Some(k) if !k.is_stat_kind() => return Err(unimplemented(k.canonical())),
                _ => {}
            }
        }
    }
    if let Direction::From(p) = &direction
        && p.kind == Some(ResourceKind::Service)
    {
        return Err(
            "service is not supported as a target on 'from' queries, or as a target with 'to' queries".to_string()
        );
    }
    let window = Window::parse_stat(&req.time_window)?;
    window.promql()?;
    check_at(req.at)?;
    names::check_name("resource_name", Some(kind), &req.resource_name)?;
    names::check_namespace("namespace", &req.namespace)?;
    if let Direction::To(p) | Direction::From(p) = &direction {
        let side = if matches!(direction, Direction::To(_)) { "to" } else { "from" };
        names::check_name(&format!("{side}_resource_name"), p.kind, &p.name)?;
        names::check_namespace(&format!("{side}_namespace"), &p.namespace)?;
    }
    selector::validate(&req.label_selector)?;
    Ok(StatSpec {
        target: Target::new(kind, &req.resource_name, &req.namespace),
        window,
        direction,
        label_selector: req.label_selector.clone(),
        at: req.at,
        tcp_stats: req.tcp_stats.unwrap_or(false),
        skip_stats: req.skip_stats,
    })
}
