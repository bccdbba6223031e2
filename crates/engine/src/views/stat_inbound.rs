//! stat-inbound (modern-linkerd.md §1, viz-semantics §7): Linkerd's two query templates over
//! `response_total` and `response_latency_ms` with the server and route labels, and the rows
//! keyed as Linkerd keys them. Rows of an unnamed target (traffic of pods that do not carry
//! the kind's label, e.g. a StatefulSet's under `deploy`) are left out.

use std::collections::{BTreeMap, BTreeSet};

use crate::histograms::{HistogramForm, Latency, LatencyPlan, LatencyUse};
use crate::promql::{LATENCY_MS_LOWER, Matcher, group_by};
use crate::views::route_stats::{Selected, in_label_order, is_selected, latency, query_labels, truncate};
use crate::{Engine, QueryPlan, Results};
use lviz_api::{
    Answer, AnswerFuture, InboundRow, Rejection, ResourceKind, RouteStatsSpec, StatInbound, StatInboundOk, Validated,
};

pub use crate::histograms::RESPONSE_LATENCY as LATENCY_FAMILY;

/// The queries of one stat-inbound request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPlan {
    pub kind: ResourceKind,
    pub counts: String,
    pub latency: Latency,
}

/// Pure: Linkerd's `queryRate` and `queryQuantiles` for stat-inbound.
pub fn plan(spec: &RouteStatsSpec, form: HistogramForm) -> InboundPlan {
    let t = &spec.target;
    let names: Vec<String> = if t.name.is_empty() { Vec::new() } else { vec![t.name.clone()] };
    let labels = query_labels(t.kind, &names, &t.namespace).with(Matcher::eq("direction", "inbound"));
    // Validation proved the window renders.
    let window = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    let resource = group_by(t.kind).join(", ");
    let counts = format!(
        "sum(increase(response_total{}[{window}])) by (srv_name, srv_kind, route_name, route_kind, classification, \
         target_port, {resource})",
        labels.render()
    );
    let group = format!("srv_name, srv_kind, route_name, route_kind, target_port, {resource}");
    let latency = Latency::build(form, LATENCY_FAMILY, &[labels], &window, &group, LATENCY_MS_LOWER);
    InboundPlan { kind: t.kind, counts, latency }
}

impl LatencyPlan for InboundPlan {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        std::iter::once(&self.counts).chain(self.latency.texts(plan)).cloned().collect()
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        vec![self.latency.used_with(&self.counts)]
    }
}

/// (namespace, name, server, port, route, type): Linkerd's row key, plus the namespace.
type Key = (String, String, String, String, String, String);

fn key_of(kind: ResourceKind, s: &lviz_prom::Sample) -> Key {
    let (namespace, name) = match kind {
        ResourceKind::Namespace => (String::new(), s.label("namespace").to_string()),
        k => (s.label("namespace").to_string(), s.label(k.prom_label()).to_string()),
    };
    let server = if s.label("srv_kind") == "default" { "[default]" } else { s.label("srv_name") };
    let route = if s.label("route_name") == "default" { "[default]" } else { s.label("route_name") };
    let route_type = if s.label("route_kind") == "default" { "" } else { s.label("route_kind") };
    (namespace, name, server.to_string(), s.label("target_port").to_string(), route.to_string(), route_type.to_string())
}

/// Pure: the rows, in lviz's order (namespace, name, `server:port`, type, route).
pub fn assemble(plan: &InboundPlan, results: &Results, selected: &Selected) -> Vec<InboundRow> {
    let empty = Vec::new();
    let get = |q: &String| results.get(q).unwrap_or(&empty);
    let mut rows: BTreeMap<Key, InboundRow> = BTreeMap::new();
    for s in get(&plan.counts) {
        let key = key_of(plan.kind, s);
        let row = rows.entry(key.clone()).or_insert_with(|| InboundRow {
            namespace: key.0.clone(),
            name: key.1.clone(),
            server: key.2.clone(),
            port: key.3.clone(),
            route: key.4.clone(),
            route_type: key.5.clone(),
            latency_ms_p50: Some(0.0),
            latency_ms_p95: Some(0.0),
            latency_ms_p99: Some(0.0),
            ..Default::default()
        });
        if s.label("classification") == "success" {
            row.success_count = row.success_count.saturating_add(truncate(s.value));
        } else {
            row.failure_count = row.failure_count.saturating_add(truncate(s.value));
        }
    }
    for (i, q) in plan.latency.quantiles.iter().enumerate() {
        for s in in_label_order(get(q)) {
            if let Some(row) = rows.get_mut(&key_of(plan.kind, s)) {
                let v = latency(s.value);
                match i {
                    0 => row.latency_ms_p50 = v,
                    1 => row.latency_ms_p95 = v,
                    _ => row.latency_ms_p99 = v,
                }
            }
        }
    }
    let mut out: Vec<InboundRow> = rows
        .into_values()
        .filter(|r| r.success_count.saturating_add(r.failure_count) > 0)
        .filter(|r| !r.name.is_empty() && is_selected(selected, &r.namespace, &r.name))
        .collect();
    out.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    out
}

fn order_key(r: &InboundRow) -> (&str, &str, String, &str, &str) {
    (&r.namespace, &r.name, format!("{}:{}", r.server, r.port), &r.route_type, &r.route)
}

impl Answer<StatInbound> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<StatInbound>) -> AnswerFuture<'a, StatInboundOk> {
        Box::pin(self.stat_inbound(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/stat-inbound`.
    pub async fn stat_inbound(&self, spec: &RouteStatsSpec) -> Result<StatInboundOk, Rejection> {
        let build = |forms: &crate::histograms::Forms| plan(spec, forms.form(LATENCY_FAMILY));
        let (answer, selected) = futures::join!(self.run_with_forms(build, spec.at), self.selected_objects(spec));
        let selected = selected?;
        let (plan, results) = answer?;
        Ok(StatInboundOk { rows: assemble(&plan, &results, &selected) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{RouteStatsRequest, stat_inbound_request};
    use lviz_prom::Sample;

    fn spec(kind: &str, name: &str, ns: &str) -> RouteStatsSpec {
        let req = RouteStatsRequest {
            resource_type: kind.into(),
            resource_name: name.into(),
            namespace: ns.into(),
            ..Default::default()
        };
        stat_inbound_request(&req).expect("valid")
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    // modern-linkerd.md §1 and viz-semantics §7: Linkerd's example strings.
    #[test]
    fn linkerds_queries() {
        let p = plan(&spec("deployment", "web", "emojivoto"), HistogramForm::Classic);
        assert_eq!(
            p.counts,
            r#"sum(increase(response_total{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (srv_name, srv_kind, route_name, route_kind, classification, target_port, namespace, deployment)"#
        );
        assert_eq!(
            p.latency.quantiles[0],
            r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (le, srv_name, srv_kind, route_name, route_kind, target_port, namespace, deployment))"#
        );
        let p = plan(&spec("namespace", "", ""), HistogramForm::Native);
        assert_eq!(
            p.counts,
            r#"sum(increase(response_total{direction="inbound"}[1m])) by (srv_name, srv_kind, route_name, route_kind, classification, target_port, namespace)"#
        );
        assert_eq!(
            p.latency.quantiles[2],
            r#"histogram_quantile(0.99, sum by (srv_name, srv_kind, route_name, route_kind, target_port, namespace) (irate(response_latency_ms{direction="inbound"}[1m])))"#
        );
        assert_eq!(p.texts(QueryPlan::Lviz).len(), 4, "native: counts and three quantiles");
    }

    #[test]
    fn hostile_names_stay_inside_their_literal() {
        for name in ["a\"b", "x}", "back\\slash", "new\nline"] {
            // Validation refuses them (no object can have such a name); the query builder
            // must keep them inside their literal all the same.
            let req = RouteStatsRequest {
                resource_type: "deployment".into(),
                resource_name: name.into(),
                namespace: name.into(),
                ..Default::default()
            };
            assert!(stat_inbound_request(&req).is_err(), "{name:?}");
            let valid = spec("deployment", "web", "emojivoto");
            let hostile =
                RouteStatsSpec { target: lviz_api::Target::new(ResourceKind::Deployment, name, name), ..valid };
            let p = plan(&hostile, HistogramForm::Classic);
            let quoted = lviz_api::window::go_quote(name);
            for q in p.texts(QueryPlan::Lviz).iter().chain(p.texts(QueryPlan::Linkerd).iter()) {
                assert!(q.contains(&format!("deployment={quoted}")), "{q}");
                assert!(q.contains(&format!("namespace={quoted}")), "{q}");
                assert!(!q.contains('\n'), "{q}");
            }
        }
    }

    #[test]
    fn rows_are_keyed_truncated_and_unnamed_ones_left_out() {
        let p = plan(&spec("deployment", "", "emojivoto"), HistogramForm::Classic);
        let l = |dep: &'static str, srv_kind: &'static str, srv: &'static str, class: &'static str| {
            vec![
                ("namespace", "emojivoto"),
                ("deployment", dep),
                ("srv_kind", srv_kind),
                ("srv_name", srv),
                ("route_kind", "default"),
                ("route_name", "default"),
                ("target_port", "8080"),
                ("classification", class),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>()
        };
        let mut results = Results::new();
        results.insert(
            p.counts.clone(),
            vec![
                sample(&l("web", "default", "all-unauthenticated", "success"), 167.9),
                sample(&l("web", "default", "all-authenticated", "success"), 1.5),
                sample(&l("web", "default", "all-unauthenticated", "failure"), 12.0),
                sample(&l("", "default", "all-unauthenticated", "success"), 9.0),
                sample(&l("idle", "default", "x", "success"), 0.0),
            ],
        );
        let mut lat = l("web", "default", "all-unauthenticated", "");
        lat.retain(|(k, _)| *k != "classification");
        results.insert(p.latency.quantiles[0].clone(), vec![sample(&lat, 16.4)]);
        results.insert(p.latency.quantiles[1].clone(), vec![sample(&lat, f64::NAN)]);
        let rows = assemble(&p, &results, &None);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let r = &rows[0];
        assert_eq!(
            (r.name.as_str(), r.server.as_str(), r.route.as_str(), r.route_type.as_str()),
            ("web", "[default]", "[default]", "")
        );
        assert_eq!((r.success_count, r.failure_count), (168, 12), "167 + 1, each truncated");
        assert_eq!((r.latency_ms_p50, r.latency_ms_p95, r.latency_ms_p99), (Some(16.4), None, Some(0.0)));
        let only_other: Selected = Some([("emojivoto".to_string(), "other".to_string())].into_iter().collect());
        assert!(assemble(&p, &results, &only_other).is_empty(), "-l keeps only selected objects");
    }
}
