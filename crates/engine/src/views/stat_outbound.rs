//! stat-outbound (modern-linkerd.md §1, viz-semantics §7): per protocol (HTTP, gRPC) Linkerd's
//! nine queries over the `outbound_{http,grpc}_route_*` families (backend statuses and latency,
//! route statuses, retries and latency), folded into one row per route of a parent Service,
//! with its backends. Unnamed-target rows are left out; backends without requests too (the
//! table and the JSON agree).

use std::collections::{BTreeMap, BTreeSet};

use crate::histograms::{Forms, Latency, LatencyPlan, LatencyUse};
use crate::promql::group_by;
use crate::views::route_stats::{Selected, in_label_order, is_selected, latency, query_labels, truncate};
use crate::{Engine, QueryPlan, Results};
use lviz_api::{
    Answer, AnswerFuture, OutboundBackend, OutboundRoute, OutboundStats, Rejection, ResourceKind, RouteStatsSpec,
    StatOutbound, StatOutboundOk, Validated,
};
use lviz_prom::Sample;

/// The two route protocols, in Linkerd's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Http,
    Grpc,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Http => "http",
            Proto::Grpc => "grpc",
        }
    }

    /// The request-duration and backend-response-duration families.
    pub fn families(self) -> (&'static str, &'static str) {
        match self {
            Proto::Http => (
                "outbound_http_route_request_duration_seconds",
                "outbound_http_route_backend_response_duration_seconds",
            ),
            Proto::Grpc => (
                "outbound_grpc_route_request_duration_seconds",
                "outbound_grpc_route_backend_response_duration_seconds",
            ),
        }
    }

    /// HTTP: a 5xx or an error; gRPC: a status other than `OK`, or an error.
    fn is_failure(self, s: &Sample) -> bool {
        let failed = match self {
            Proto::Http => s.label("http_status").starts_with('5'),
            Proto::Grpc => s.label("grpc_status") != "OK",
        };
        failed || !s.label("error").is_empty()
    }
}

fn is_timeout(s: &Sample) -> bool {
    matches!(s.label("error"), "RESPONSE_HEADERS_TIMEOUT" | "REQUEST_TIMEOUT")
}

/// The lower halves of the proxy's bucket bounds (request 0.05 0.5 1 10; backend response
/// 0.025 0.05 0.1 0.25 0.5 1 10), for the `le` split.
const REQUEST_LOWER: &[&str] = &["0.05", "0.5"];
const BACKEND_LOWER: &[&str] = &["0.025", "0.05", "0.1", "0.25"];

/// The nine queries of one protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoPlan {
    pub proto: Proto,
    pub backend_counts: String,
    pub backend_latency: Latency,
    pub route_counts: String,
    pub retries: String,
    pub route_latency: Latency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPlan {
    pub kind: ResourceKind,
    pub protos: [ProtoPlan; 2],
}

/// Pure: Linkerd's queries for stat-outbound, each histogram in the form `forms` knows.
pub fn plan(spec: &RouteStatsSpec, forms: &Forms) -> OutboundPlan {
    let t = &spec.target;
    let names: Vec<String> = if t.name.is_empty() { Vec::new() } else { vec![t.name.clone()] };
    let labels = query_labels(t.kind, &names, &t.namespace);
    let l = labels.render();
    let window = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    let resource = group_by(t.kind).join(", ");
    let protos = [Proto::Http, Proto::Grpc].map(|proto| {
        let p = proto.name();
        let (request_family, backend_family) = proto.families();
        let backend = "parent_name, parent_port, backend_name, backend_port, route_name, route_kind";
        let route = "parent_name, parent_port, route_name, route_kind";
        let rate =
            |family: &str, by: String| format!("sum(increase(outbound_{p}_route_{family}{l}[{window}])) by ({by})");
        let latency = |form_of: &'static str, group: &str, lower: &[&str]| {
            let group = format!("{group}, {resource}");
            Latency::build(forms.form(form_of), form_of, std::slice::from_ref(&labels), &window, &group, lower)
        };
        ProtoPlan {
            proto,
            backend_counts: rate(
                "backend_response_statuses_total",
                format!("{backend}, {p}_status, error, {resource}"),
            ),
            backend_latency: latency(backend_family, backend, BACKEND_LOWER),
            route_counts: rate("request_statuses_total", format!("{route}, {p}_status, error, {resource}")),
            retries: rate("retry_requests_total", format!("{route}, {resource}")),
            route_latency: latency(request_family, route, REQUEST_LOWER),
        }
    });
    OutboundPlan { kind: t.kind, protos }
}

impl LatencyPlan for OutboundPlan {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in &self.protos {
            out.extend([&p.backend_counts, &p.route_counts, &p.retries].into_iter().cloned());
            out.extend(p.backend_latency.texts(plan).iter().cloned());
            out.extend(p.route_latency.texts(plan).iter().cloned());
        }
        out
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        self.protos
            .iter()
            .flat_map(|p| [p.backend_latency.used_with(&p.backend_counts), p.route_latency.used_with(&p.route_counts)])
            .collect()
    }
}

/// (namespace, name, service, port, route, type): Linkerd's route key, plus the namespace.
type RouteKey = (String, String, String, String, String, String);

fn route_key(kind: ResourceKind, s: &Sample) -> RouteKey {
    let (namespace, name) = match kind {
        ResourceKind::Namespace => (String::new(), s.label("namespace").to_string()),
        k => (s.label("namespace").to_string(), s.label(k.prom_label()).to_string()),
    };
    // A default route (`route_kind="default"`, named `http` or `grpc`) is `[default]`, untyped.
    let default_kind = s.label("route_kind") == "default";
    let route = if s.label("route_name") == "default" || default_kind { "[default]" } else { s.label("route_name") };
    let route_type = if default_kind { "" } else { s.label("route_kind") };
    let parent = (s.label("parent_name").to_string(), s.label("parent_port").to_string());
    (namespace, name, parent.0, parent.1, route.to_string(), route_type.to_string())
}

#[derive(Default)]
struct RouteAcc {
    stats: OutboundStats,
    retries: u64,
    backends: BTreeMap<(String, String), OutboundStats>,
}

fn count(stats: &mut OutboundStats, proto: Proto, s: &Sample) {
    let v = truncate(s.value);
    if proto.is_failure(s) {
        stats.failure_count = stats.failure_count.saturating_add(v);
    } else {
        stats.success_count = stats.success_count.saturating_add(v);
    }
    if is_timeout(s) {
        stats.timeout_count = stats.timeout_count.saturating_add(v);
    }
}

/// Seconds × 1000, as Linkerd multiplies (NaN stays NaN and becomes `None`).
fn set_latency(stats: &mut OutboundStats, i: usize, s: &Sample) {
    let v = latency(s.value * 1000.0);
    match i {
        0 => stats.latency_ms_p50 = v,
        1 => stats.latency_ms_p95 = v,
        _ => stats.latency_ms_p99 = v,
    }
}

fn backend_of(s: &Sample) -> (String, String) {
    (s.label("backend_name").to_string(), s.label("backend_port").to_string())
}

/// A quantile that had no sample stays 0, as in Linkerd.
fn zero_latencies() -> OutboundStats {
    OutboundStats {
        latency_ms_p50: Some(0.0),
        latency_ms_p95: Some(0.0),
        latency_ms_p99: Some(0.0),
        ..Default::default()
    }
}

fn acc<'a>(routes: &'a mut BTreeMap<RouteKey, RouteAcc>, kind: ResourceKind, s: &Sample) -> &'a mut RouteAcc {
    routes.entry(route_key(kind, s)).or_insert_with(|| RouteAcc { stats: zero_latencies(), ..Default::default() })
}

/// Pure: the routes with requests, in lviz's order, each with its backends that have requests.
pub fn assemble(plan: &OutboundPlan, results: &Results, selected: &Selected) -> Vec<OutboundRoute> {
    let empty = Vec::new();
    let get = |q: &String| results.get(q).unwrap_or(&empty);
    let mut routes: BTreeMap<RouteKey, RouteAcc> = BTreeMap::new();
    let kind = plan.kind;
    // Linkerd's order: per protocol, backend counts and latencies, then the route's.
    for p in &plan.protos {
        for s in get(&p.backend_counts) {
            count(acc(&mut routes, kind, s).backends.entry(backend_of(s)).or_insert_with(zero_latencies), p.proto, s);
        }
        for (i, q) in p.backend_latency.quantiles.iter().enumerate() {
            for s in in_label_order(get(q)) {
                set_latency(
                    acc(&mut routes, kind, s).backends.entry(backend_of(s)).or_insert_with(zero_latencies),
                    i,
                    s,
                );
            }
        }
        for s in get(&p.route_counts) {
            count(&mut acc(&mut routes, kind, s).stats, p.proto, s);
        }
        for s in get(&p.retries) {
            let r = acc(&mut routes, kind, s);
            r.retries = r.retries.saturating_add(truncate(s.value));
        }
        for (i, q) in p.route_latency.quantiles.iter().enumerate() {
            for s in in_label_order(get(q)) {
                set_latency(&mut acc(&mut routes, kind, s).stats, i, s);
            }
        }
    }
    let mut out: Vec<OutboundRoute> = routes
        .into_iter()
        .filter(|(k, r)| r.stats.requests() > 0 && !k.1.is_empty() && is_selected(selected, &k.0, &k.1))
        .map(|((namespace, name, service, port, route, route_type), r)| {
            let mut backends: Vec<OutboundBackend> = r
                .backends
                .into_iter()
                .filter(|(_, b)| b.requests() > 0)
                .map(|((name, port), stats)| OutboundBackend { name, port, stats })
                .collect();
            backends.sort_by_key(|b| format!("{}:{}", b.name, b.port));
            OutboundRoute {
                namespace,
                name,
                service,
                port,
                route,
                route_type,
                stats: r.stats,
                retry_count: r.retries,
                backends,
            }
        })
        .collect();
    out.sort_by_cached_key(|r| {
        (
            r.namespace.clone(),
            r.name.clone(),
            format!("{}:{}", r.service, r.port),
            r.route.clone(),
            r.route_type.clone(),
        )
    });
    out
}

impl Answer<StatOutbound> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<StatOutbound>) -> AnswerFuture<'a, StatOutboundOk> {
        Box::pin(self.stat_outbound(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/stat-outbound`.
    pub async fn stat_outbound(&self, spec: &RouteStatsSpec) -> Result<StatOutboundOk, Rejection> {
        let (answer, selected) =
            futures::join!(self.run_with_forms(|forms| plan(spec, forms), spec.at), self.selected_objects(spec));
        let selected = selected?;
        let (plan, results) = answer?;
        Ok(StatOutboundOk { rows: assemble(&plan, &results, &selected) })
    }
}

/// Every histogram family stat-outbound reads, for the hints.
pub fn families() -> Vec<&'static str> {
    [Proto::Http, Proto::Grpc].into_iter().flat_map(|p| <[&str; 2]>::from(p.families())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{RouteStatsRequest, stat_outbound_request};

    fn spec(name: &str) -> RouteStatsSpec {
        let req = RouteStatsRequest {
            resource_type: "deployment".into(),
            resource_name: name.into(),
            namespace: "emojivoto".into(),
            ..Default::default()
        };
        stat_outbound_request(&req).expect("valid")
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    #[test]
    fn linkerds_queries() {
        let p = plan(&spec("web"), &Forms::default());
        assert_eq!(
            p.protos[0].route_counts,
            r#"sum(increase(outbound_http_route_request_statuses_total{deployment="web", namespace="emojivoto"}[1m])) by (parent_name, parent_port, route_name, route_kind, http_status, error, namespace, deployment)"#
        );
        assert_eq!(
            p.protos[1].backend_counts,
            r#"sum(increase(outbound_grpc_route_backend_response_statuses_total{deployment="web", namespace="emojivoto"}[1m])) by (parent_name, parent_port, backend_name, backend_port, route_name, route_kind, grpc_status, error, namespace, deployment)"#
        );
        assert_eq!(
            p.protos[0].retries,
            r#"sum(increase(outbound_http_route_retry_requests_total{deployment="web", namespace="emojivoto"}[1m])) by (parent_name, parent_port, route_name, route_kind, namespace, deployment)"#
        );
        assert_eq!(
            p.protos[1].route_latency.quantiles[1],
            r#"histogram_quantile(0.95, sum(irate(outbound_grpc_route_request_duration_seconds_bucket{deployment="web", namespace="emojivoto"}[1m])) by (le, parent_name, parent_port, route_name, route_kind, namespace, deployment))"#
        );
        assert_eq!(p.texts(QueryPlan::Linkerd).len(), 18, "Linkerd's 18 queries");
        assert_eq!(p.texts(QueryPlan::Lviz).len(), 14, "6 counts and 4 histograms in two parts");
    }

    #[test]
    fn routes_backends_timeouts_and_retries() {
        let p = plan(&spec(""), &Forms::default());
        let base = |extra: &[(&'static str, &'static str)]| {
            let mut l = vec![
                ("namespace", "emojivoto"),
                ("deployment", "vote-bot"),
                ("parent_name", "web-svc"),
                ("parent_port", "8080"),
                ("route_kind", "HTTPRoute"),
                ("route_name", "r"),
            ];
            l.extend_from_slice(extra);
            l
        };
        let mut results = Results::new();
        let h = &p.protos[0];
        results.insert(
            h.route_counts.clone(),
            vec![
                sample(&base(&[("http_status", "200")]), 16.9),
                sample(&base(&[("http_status", "503")]), 2.0),
                sample(&base(&[("error", "REQUEST_TIMEOUT")]), 1.0),
                sample(&base(&[("error", "FAIL_FAST")]), 1.0),
            ],
        );
        results.insert(h.retries.clone(), vec![sample(&base(&[]), 4.0)]);
        results.insert(h.route_latency.quantiles[0].clone(), vec![sample(&base(&[]), 0.114)]);
        results.insert(
            h.backend_counts.clone(),
            vec![
                sample(&base(&[("backend_name", "a"), ("backend_port", "80"), ("http_status", "200")]), 16.0),
                sample(&base(&[("backend_name", "idle"), ("backend_port", "80"), ("http_status", "200")]), 0.0),
            ],
        );
        results.insert(
            h.backend_latency.quantiles[2].clone(),
            vec![sample(&base(&[("backend_name", "a"), ("backend_port", "80")]), f64::NAN)],
        );
        let rows = assemble(&p, &results, &None);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.route.as_str(), r.route_type.as_str(), r.retry_count), ("r", "HTTPRoute", 4));
        assert_eq!((r.stats.success_count, r.stats.failure_count, r.stats.timeout_count), (16, 4, 1));
        assert_eq!(r.stats.latency_ms_p50, Some(114.0));
        assert_eq!(r.stats.latency_ms_p95, Some(0.0), "no quantile sample: 0");
        assert_eq!(r.backends.len(), 1, "the backend without requests is left out");
        assert_eq!((r.backends[0].stats.success_count, r.backends[0].stats.latency_ms_p99), (16, None));
    }

    #[test]
    fn default_routes_are_untyped() {
        let s = sample(&[("deployment", "web"), ("route_kind", "default"), ("route_name", "grpc")], 1.0);
        let k = route_key(ResourceKind::Deployment, &s);
        assert_eq!((k.4.as_str(), k.5.as_str()), ("[default]", ""));
    }
}
