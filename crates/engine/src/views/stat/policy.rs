//! `stat httproute` (viz-semantics §2.9): the queries of Linkerd's policy HTTPRoute kind and
//! the server stats of its rows (the route's server and authorization, allowed and denied
//! counts). A child of `stat.rs`, which plans and assembles every other kind.

use std::collections::HashMap;

use lviz_api::{Resource, ResourceKind, ServerStats, StatSpec};
use lviz_prom::Sample;

use super::KindPlan;
use crate::Results;
use crate::histograms::{HistogramForm, Latency, RESPONSE_LATENCY};
use crate::promql::{LATENCY_MS_LOWER, Matcher, Selector, StatQueries};
use crate::samples::{Key, key_of, round_sample};

/// `httproute` (viz-semantics §2.9): inbound requests grouped by server, route and namespace,
/// keyed by (namespace, route name), and the authz counters, which have no `direction`.
pub(super) fn plan_http_route(spec: &StatSpec, window: &str, form: HistogramForm) -> KindPlan {
    let t = &spec.target;
    let mut labels = Selector::new();
    if !t.namespace.is_empty() {
        labels.push(Matcher::eq("namespace", &t.namespace));
    }
    if !t.name.is_empty() {
        labels.push(Matcher::eq("route_name", &t.name));
    }
    let inbound = labels.clone().with(Matcher::eq("direction", "inbound"));
    // Linkerd's list, `route_name` twice: the key reads the last two (namespace, route name).
    let group_by: Vec<String> =
        ["srv_name", "srv_kind", "route_name", "route_kind", "namespace", "route_name"].map(String::from).to_vec();
    let g = group_by.join(", ");
    let latency = Latency::build(form, RESPONSE_LATENCY, std::slice::from_ref(&inbound), window, &g, LATENCY_MS_LOWER);
    let queries = StatQueries::build(&inbound, &inbound, &inbound, &group_by, window);
    let l = labels.render();
    let authz = ["allow", "deny"].map(|a| format!("sum(increase(inbound_http_authz_{a}_total{l}[{window}])) by ({g})"));
    KindPlan { kind: ResourceKind::HttpRoute, queries, latency, group_by, authz: Some(authz) }
}

/// A policy kind's server stats per key (linkerd's `processPrometheusMetrics`): the server,
/// route and authorization of the key's first sample (in label order, so the same on every
/// run), and its allowed and denied counts. Linkerd keeps the last counter sample of a key;
/// lviz adds them up, which is the same when a route has one server and one authorization.
pub(super) fn server_stats(
    plan: &KindPlan,
    results: &Results,
    allowed: &[Sample],
    denied: &[Sample],
) -> HashMap<Key, ServerStats> {
    let g = &plan.group_by;
    let empty = Vec::new();
    let requests = results.get(&plan.queries.requests).unwrap_or(&empty);
    let mut out: HashMap<Key, ServerStats> = HashMap::new();
    let res = |s: &Sample, kind: &str, name: &str| Resource {
        namespace: String::new(),
        kind: s.label(kind).to_string(),
        name: s.label(name).to_string(),
    };
    let mut by_labels: Vec<&Sample> = requests.iter().chain(allowed).chain(denied).collect();
    by_labels.sort_by(|a, b| a.labels.cmp(&b.labels));
    for s in by_labels {
        out.entry(key_of(s, g)).or_insert_with(|| ServerStats {
            srv: res(s, "srv_kind", "srv_name"),
            route: res(s, "route_kind", "route_name"),
            authz: res(s, "authz_kind", "authz_name"),
            ..ServerStats::default()
        });
    }
    for s in allowed {
        if let Some(stats) = out.get_mut(&key_of(s, g)) {
            stats.allowed_count = stats.allowed_count.saturating_add(round_sample(s.value));
        }
    }
    for s in denied {
        if let Some(stats) = out.get_mut(&key_of(s, g)) {
            stats.denied_count = stats.denied_count.saturating_add(round_sample(s.value));
        }
    }
    out
}
