//! `POST /api/v1/stat-inbound` (lviz extension; Linkerd 2.16+'s `linkerd viz stat-inbound`,
//! which queries Prometheus itself): the request shared with stat-outbound and authz, its
//! validation, and the inbound answer: one row per (resource, server, port, route, type).

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::resource::{ResourceKind, Target};
use crate::validate::{canonical_kind, check_at};
use crate::window::Window;

endpoint! {
    /// The stat-inbound endpoint.
    StatInbound, "stat-inbound", "/api/v1/stat-inbound", RouteStatsRequest, StatInboundOk, RouteStatsSpec,
    stat_inbound_request
}

/// The request of stat-inbound, stat-outbound and authz. An empty `namespace` means every
/// namespace (`-A`); `label_selector` keeps the objects it matches (`-l`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteStatsRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_window: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    /// Evaluation time, Unix seconds (fractions allowed). Absent means now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
}

/// A validated [`RouteStatsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStatsSpec {
    pub target: Target,
    pub window: Window,
    pub label_selector: String,
    pub at: Option<f64>,
}

/// The workload kinds Linkerd's stat-inbound and stat-outbound document: the Prometheus
/// label of each is on every proxy series, so rows are named by it.
pub const WORKLOAD_KINDS: &[ResourceKind] = &[
    ResourceKind::CronJob,
    ResourceKind::DaemonSet,
    ResourceKind::Deployment,
    ResourceKind::Job,
    ResourceKind::Namespace,
    ResourceKind::Pod,
    ResourceKind::ReplicaSet,
    ResourceKind::ReplicationController,
    ResourceKind::StatefulSet,
];

/// `unsupported resource type for <command>: <type> (supported: …)`.
pub(crate) fn unsupported(command: &str, kind: &str, supported: &[ResourceKind]) -> String {
    let names: Vec<&str> = supported.iter().map(|k| k.canonical()).collect();
    format!("unsupported resource type for {command}: {kind} (supported: {})", names.join(", "))
}

/// The checks every route-stats view makes: a supported kind, a window PromQL can hold, names
/// Kubernetes accepts, a valid evaluation time. `min_15s` is authz's (Linkerd's `ValidateTimeWindow`); stat-inbound
/// and stat-outbound take any positive window.
pub(crate) fn route_stats_request(
    command: &str,
    req: &RouteStatsRequest,
    supported: &[ResourceKind],
    min_15s: bool,
) -> Result<RouteStatsSpec, String> {
    if req.resource_type.is_empty() {
        return Err(format!("{command} request missing resource_type"));
    }
    let kind = canonical_kind(&req.resource_type)?;
    if !supported.contains(&kind) {
        return Err(unsupported(command, &req.resource_type, supported));
    }
    let window = if min_15s { Window::parse_stat(&req.time_window)? } else { Window::parse(&req.time_window)? };
    if window.nanos <= 0 {
        // Rates are counts over the window's seconds; Prometheus rejects empty ranges.
        return Err(format!("time window {} must be longer than 0s", window.raw));
    }
    window.promql()?;
    crate::names::check_name("resource_name", Some(kind), &req.resource_name)?;
    crate::names::check_namespace("namespace", &req.namespace)?;
    check_at(req.at)?;
    crate::selector::validate(&req.label_selector)?;
    Ok(RouteStatsSpec {
        target: Target::new(kind, &req.resource_name, &req.namespace),
        window,
        label_selector: req.label_selector.clone(),
        at: req.at,
    })
}

/// stat-inbound's validation.
pub fn stat_inbound_request(req: &RouteStatsRequest) -> Result<RouteStatsSpec, String> {
    route_stats_request("stat-inbound", req, WORKLOAD_KINDS, false)
}

/// The response of `POST /api/v1/stat-inbound`.
pub type StatInboundResponse = crate::Envelope<StatInboundOk>;

// Its one field is required: an answer without it is malformed, not empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatInboundOk {
    /// Rows with requests in the window, sorted by namespace, name, `server:port`, type, route.
    pub rows: Vec<InboundRow>,
}

/// One row of stat-inbound, as Linkerd keys it: the server is `[default]` for the default
/// policy, the route `[default]` for the default route, whose type is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InboundRow {
    pub namespace: String,
    pub name: String,
    pub server: String,
    /// `target_port`.
    pub port: String,
    pub route: String,
    pub route_type: String,
    /// Counts over the window, each sample truncated as Linkerd does.
    pub success_count: u64,
    pub failure_count: u64,
    /// Milliseconds as Prometheus answers them; `null` for NaN (no observation in the window),
    /// 0 when no quantile sample exists for the row.
    pub latency_ms_p50: Option<f64>,
    pub latency_ms_p95: Option<f64>,
    pub latency_ms_p99: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str) -> RouteStatsRequest {
        RouteStatsRequest { resource_type: kind.into(), namespace: "emojivoto".into(), ..Default::default() }
    }

    #[test]
    fn validation() {
        assert_eq!(stat_inbound_request(&req("")).unwrap_err(), "stat-inbound request missing resource_type");
        assert_eq!(
            stat_inbound_request(&req("service")).unwrap_err(),
            "unsupported resource type for stat-inbound: service (supported: cronjob, daemonset, deployment, job, \
             namespace, pod, replicaset, replicationcontroller, statefulset)"
        );
        assert_eq!(stat_inbound_request(&req("deploy")).unwrap_err(), "unimplemented resource type: deploy");
        let spec = stat_inbound_request(&req("deployment")).unwrap();
        assert_eq!((spec.window.raw.as_str(), spec.target.namespace.as_str()), ("1m", "emojivoto"));
        // No 15 s minimum, as upstream; but a window PromQL can hold.
        let mut r = req("pod");
        r.time_window = "10s".into();
        assert!(stat_inbound_request(&r).is_ok());
        r.time_window = "0s".into();
        assert_eq!(stat_inbound_request(&r).unwrap_err(), "time window 0s must be longer than 0s");
        r.time_window = "-1m".into();
        assert!(stat_inbound_request(&r).is_err());
        r.time_window = "1x".into();
        assert_eq!(stat_inbound_request(&r).unwrap_err(), r#"time: unknown unit "x" in duration "1x""#);
        let mut r = req("namespace");
        r.resource_name = "emojivoto".into();
        assert_eq!(stat_inbound_request(&r).unwrap().target.namespace, "", "namespaces have no namespace");
        let mut r = req("pod");
        r.label_selector = "app=(".into();
        assert!(stat_inbound_request(&r).is_err());
        // Names Kubernetes would refuse never reach a query or a path.
        let mut r = req("deployment");
        r.resource_name = "web#x".into();
        assert!(stat_inbound_request(&r).unwrap_err().starts_with(r#"resource_name: Invalid value: "web#x""#));
        let mut r = req("deployment");
        r.namespace = "emojiv.to".into();
        assert!(stat_inbound_request(&r).unwrap_err().starts_with(r#"namespace: Invalid value: "emojiv.to""#));
    }
}
