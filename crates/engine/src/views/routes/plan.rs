//! TopRoutes, pure half (viz-semantics §4): the PromQL of one route table, the profiles implied
//! by route samples, and a table's rows from its profiles and the query results. No I/O; the
//! fetching half is `mod.rs`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use lviz_api::{BasicStats, RouteRow, RouteTable, RoutesSpec, Target};
use lviz_k8s::ServiceProfile;
use lviz_prom::quantile::QUANTILES;

use crate::histograms::{HistogramForm, LatencyUse};
use crate::promql::{self, Matcher, Selector};
use crate::samples::round_sample;
use crate::{QueryPlan, Results};

/// linkerd's `DefaultRouteName`: requests that matched no profile route (empty `rt_route`).
pub const DEFAULT_ROUTE: &str = "[DEFAULT]";

pub const NO_PROFILES: &str = "No Service Profiles found for selected resources";

/// The queries of one route table (`top_routes.go:20-27`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQueries {
    /// Effective responses (`route_response_total`).
    pub requests: String,
    /// Actual responses, retries included (`route_actual_response_total`); only with `--to`,
    /// because retries happen in the client's proxy.
    pub actual: Option<String>,
    /// p50, p95, p99.
    pub latency: [String; 3],
    /// The bucket rates the three quantiles are computed from (lviz plan); one part (a route
    /// table is small).
    pub latency_buckets: Vec<String>,
}

/// The route latency histogram.
pub const LATENCY_FAMILY: &str = "route_response_latency_ms";

impl RouteQueries {
    /// The texts sent under `plan`: Linkerd's three `histogram_quantile` queries, or the one
    /// bucket-rate query they share (on native histograms Prometheus computes the quantiles).
    pub fn texts(&self, plan: QueryPlan) -> impl Iterator<Item = &String> {
        let latency: &[String] = match plan {
            QueryPlan::Lviz if !self.latency_buckets.is_empty() => &self.latency_buckets,
            _ => &self.latency,
        };
        std::iter::once(&self.requests).chain(self.actual.iter()).chain(latency)
    }

    /// The bucket-rate query and the three quantile texts it answers, for [`Engine::run_plan`].
    pub fn latency_set(&self) -> (&[String], &[String; 3]) {
        (&self.latency_buckets, &self.latency)
    }

    /// The latency histogram beside the effective-response counts.
    pub fn latency_use(&self) -> LatencyUse<'_> {
        LatencyUse {
            family: LATENCY_FAMILY,
            quantiles: &self.latency,
            buckets: &self.latency_buckets,
            counts: &self.requests,
        }
    }
}

/// Pure: the label set of one target object's table. Inbound reads the object's own inbound
/// metrics; `--to` reads its outbound metrics. `fqdns` are the profile names (the `dst` values).
pub fn route_labels(target: &Target, outbound: bool, fqdns: &[String]) -> Selector {
    let mut labels = promql::target_labels(target);
    labels.push(Matcher::eq("direction", if outbound { "outbound" } else { "inbound" }));
    if !fqdns.is_empty() {
        // Upstream joins the names in Go map order, which changes from run to run; lviz sorts
        // them so the same request always sends the same query text.
        let mut names: Vec<String> = fqdns.iter().map(|f| promql::regex_escape(f)).collect();
        names.sort();
        names.dedup();
        labels.push(Matcher::regex("dst", &format!("({})(:\\d+)?", names.join("|"))));
    }
    labels
}

/// Pure: the queries of one target object's table (`top_routes.go:192-275`).
pub fn plan_table(spec: &RoutesSpec, target: &Target, fqdns: &[String]) -> RouteQueries {
    plan_table_grouped(spec, target, fqdns, None)
}

/// Pure: [`plan_table`] with one more group-by label, so one set of queries answers for every
/// object of a kind (Prometheus-only mode, where the objects cannot be listed).
pub fn plan_table_grouped(spec: &RoutesSpec, target: &Target, fqdns: &[String], extra: Option<&str>) -> RouteQueries {
    plan_table_in(spec, target, fqdns, extra, HistogramForm::Classic)
}

/// [`plan_table_grouped`] with the latency histogram in `form`.
pub fn plan_table_in(
    spec: &RoutesSpec,
    target: &Target,
    fqdns: &[String],
    extra: Option<&str>,
    form: HistogramForm,
) -> RouteQueries {
    let outbound = spec.to.is_some();
    let l = route_labels(target, outbound, fqdns).render();
    // Validation already proved the window renders.
    let w = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    let x = extra.map(|e| format!(", {e}")).unwrap_or_default();
    let (latency, latency_buckets) = match form {
        HistogramForm::Classic => {
            let buckets = format!("sum(irate({LATENCY_FAMILY}_bucket{l}[{w}])) by (le, dst, rt_route{x})");
            (QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {buckets})")), vec![buckets])
        }
        HistogramForm::Native => {
            let rates = format!("sum by (dst, rt_route{x}) (irate({LATENCY_FAMILY}{l}[{w}]))");
            (QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {rates})")), Vec::new())
        }
    };
    RouteQueries {
        requests: format!("sum(increase(route_response_total{l}[{w}])) by (rt_route, dst, classification{x})"),
        actual: outbound.then(|| {
            format!("sum(increase(route_actual_response_total{l}[{w}])) by (rt_route, dst, classification{x})")
        }),
        latency,
        latency_buckets,
    }
}

/// Prometheus-only mode: no table had route metrics (routes without traffic cannot be known).
pub const NO_ROUTE_METRICS: &str = "No route metrics found for selected resources";

/// Prometheus-only mode cannot map a workload to its Services.
pub const NEEDS_KUBE_TO: &str = "without Kubernetes, routes --to needs a named Service (--to svc/NAME): other kinds are mapped to Services through Kubernetes";

/// Pure: the profiles implied by route samples (Prometheus-only mode). Each `dst` host
/// `<service>.<namespace>.svc.<domain>` is one profile whose routes are the `rt_route` values
/// seen, sorted; routes without traffic are unknown and do not appear.
pub fn profiles_from_samples<'a>(samples: impl IntoIterator<Item = &'a lviz_prom::Sample>) -> Vec<ServiceProfile> {
    let mut by_host: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for s in samples {
        let host = strip_port(s.label("dst"));
        let mut parts = host.split('.');
        let service = parts.next().unwrap_or_default().to_string();
        let namespace = parts.next().unwrap_or_default().to_string();
        let routes = by_host.entry((namespace, service, host.to_string())).or_default();
        if !s.label("rt_route").is_empty() {
            routes.insert(s.label("rt_route").to_string());
        }
    }
    by_host
        .into_iter()
        .map(|((namespace, service, name), routes)| ServiceProfile {
            service,
            namespace,
            name,
            routes: routes.into_iter().collect(),
        })
        .collect()
}

/// `dst` without its `:port`, as sent by the proxy (`books.default.svc.cluster.local:8080`).
pub(super) fn strip_port(dst: &str) -> &str {
    match dst.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => dst,
    }
}

/// Pure: one table from its profiles and the query results (`top_routes.go:218-245,277-318`).
///
/// Every profile gives one row per route plus `[DEFAULT]`. Rows always carry `stats` (zeros
/// when no sample arrived) and the request's window; upstream starts from an empty stats object
/// too. Samples for unknown (dst, route) pairs are ignored, as upstream logs and drops them.
pub fn assemble_table(
    resource: String,
    profiles: &[ServiceProfile],
    queries: &RouteQueries,
    results: &Results,
    time_window: &str,
) -> RouteTable {
    let mut rows: Vec<RouteRow> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    let row = |route: &str, authority: &str| RouteRow {
        route: route.to_string(),
        time_window: time_window.to_string(),
        authority: authority.to_string(),
        stats: Some(BasicStats::default()),
    };
    for p in profiles {
        let keyed = p.routes.iter().map(|r| (r.as_str(), r.as_str())).chain([("", DEFAULT_ROUTE)]);
        for (key, name) in keyed {
            if let Entry::Vacant(slot) = index.entry((p.name.as_str(), key)) {
                slot.insert(rows.len());
                rows.push(row(name, &p.service));
            }
        }
    }

    let empty = Vec::new();
    let samples = |q: &String| results.get(q).unwrap_or(&empty);
    let mut stats: Vec<BasicStats> = vec![BasicStats::default(); rows.len()];
    let slot = |s: &lviz_prom::Sample| index.get(&(strip_port(s.label("dst")), s.label("rt_route"))).copied();
    for s in samples(&queries.requests) {
        if let Some(i) = slot(s) {
            match s.label("classification") {
                "success" => stats[i].success_count += round_sample(s.value),
                "failure" => stats[i].failure_count += round_sample(s.value),
                _ => {}
            }
        }
    }
    if let Some(actual) = &queries.actual {
        for s in samples(actual) {
            if let Some(i) = slot(s) {
                match s.label("classification") {
                    "success" => stats[i].actual_success_count += round_sample(s.value),
                    "failure" => stats[i].actual_failure_count += round_sample(s.value),
                    _ => {}
                }
            }
        }
    }
    for (q, query) in queries.latency.iter().enumerate() {
        for s in samples(query) {
            if let Some(i) = slot(s) {
                let v = round_sample(s.value);
                match q {
                    0 => stats[i].latency_ms_p50 = v,
                    1 => stats[i].latency_ms_p95 = v,
                    _ => stats[i].latency_ms_p99 = v,
                }
            }
        }
    }
    for (r, s) in rows.iter_mut().zip(stats) {
        r.stats = Some(s);
    }
    RouteTable { rows, resource }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{TopRoutesRequest, routes_request};
    use lviz_prom::Sample;

    fn spec(kind: &str, to: Option<&str>) -> RoutesSpec {
        let req = TopRoutesRequest {
            resource_type: kind.into(),
            resource_name: "books".into(),
            namespace: "default".into(),
            time_window: "1m".into(),
            to_resource_type: to.unwrap_or_default().into(),
            ..Default::default()
        };
        routes_request(&req).unwrap()
    }

    fn planned(kind: &str, to: Option<&str>) -> Vec<String> {
        let spec = spec(kind, to);
        let target = spec.target.clone();
        let plan = plan_table(&spec, &target, &["books.default.svc.cluster.local".to_string()]);
        let mut texts: Vec<String> = plan.texts(QueryPlan::Linkerd).cloned().collect();
        texts.sort();
        texts
    }

    // Copied from conformance/queries.json (top_routes_test.go:254-438).
    #[test]
    fn conformance_routes_deployment_inbound() {
        assert_eq!(
            planned("deployment", None),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_response_total{deployment="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn conformance_routes_service_inbound() {
        assert_eq!(
            planned("service", None),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_response_total{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn conformance_routes_daemonset_inbound() {
        assert_eq!(
            planned("daemonset", None),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{daemonset="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{daemonset="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{daemonset="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_response_total{daemonset="books", direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn conformance_routes_job_inbound() {
        assert_eq!(
            planned("job", None),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", k8s_job="books", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", k8s_job="books", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", k8s_job="books", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_response_total{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", k8s_job="books", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn conformance_routes_statefulset_inbound() {
        assert_eq!(
            planned("statefulset", None),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default", statefulset="books"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default", statefulset="books"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default", statefulset="books"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_response_total{direction="inbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default", statefulset="books"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn conformance_routes_deployment_to_service_outbound() {
        assert_eq!(
            planned("deployment", Some("service")),
            [
                r#"histogram_quantile(0.5, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="outbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.95, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="outbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"histogram_quantile(0.99, sum(irate(route_response_latency_ms_bucket{deployment="books", direction="outbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (le, dst, rt_route))"#,
                r#"sum(increase(route_actual_response_total{deployment="books", direction="outbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
                r#"sum(increase(route_response_total{deployment="books", direction="outbound", dst=~"(books\\.default\\.svc\\.cluster\\.local)(:\\d+)?", namespace="default"}[1m])) by (rt_route, dst, classification)"#,
            ]
        );
    }

    #[test]
    fn dst_regex_is_sorted_escaped_or_absent() {
        let spec = spec("deployment", None);
        let fqdns = ["web.x.svc.cluster.local".to_string(), "api.x.svc.cluster.local".to_string()];
        let plan = plan_table(&spec, &spec.target, &fqdns);
        assert!(
            plan.requests
                .contains(r#"dst=~"(api\\.x\\.svc\\.cluster\\.local|web\\.x\\.svc\\.cluster\\.local)(:\\d+)?""#)
        );
        let plan = plan_table(&spec, &spec.target, &[]);
        assert_eq!(
            plan.requests,
            r#"sum(increase(route_response_total{deployment="books", direction="inbound", namespace="default"}[1m])) by (rt_route, dst, classification)"#
        );
        let odd = ["a|b.x.svc.cluster.local".to_string()];
        assert!(
            plan_table(&spec, &spec.target, &odd)
                .requests
                .contains(r#"dst=~"(a\\|b\\.x\\.svc\\.cluster\\.local)(:\\d+)?""#)
        );
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    fn books_profile(routes: &[&str]) -> ServiceProfile {
        ServiceProfile {
            service: "books".into(),
            namespace: "default".into(),
            name: "books.default.svc.cluster.local".into(),
            routes: routes.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// The conformance vector: every query answers the same two samples.
    #[test]
    fn conformance_rows_deployment_inbound() {
        let spec = spec("deployment", None);
        let profiles = [books_profile(&["/a"])];
        let plan = plan_table(&spec, &spec.target, &[profiles[0].name.clone()]);
        let vector = vec![
            sample(
                &[("classification", "success"), ("dst", "books.default.svc.cluster.local"), ("rt_route", "/a")],
                123.0,
            ),
            sample(&[("classification", "success"), ("dst", "books.default.svc.cluster.local")], 123.0),
        ];
        let results: Results = plan.texts(QueryPlan::Linkerd).map(|q| (q.clone(), vector.clone())).collect();
        let table = assemble_table("deployment/books".into(), &profiles, &plan, &results, "1m");
        let full = BasicStats {
            success_count: 123,
            latency_ms_p50: 123,
            latency_ms_p95: 123,
            latency_ms_p99: 123,
            ..Default::default()
        };
        let row = |route: &str| RouteRow {
            route: route.into(),
            time_window: "1m".into(),
            authority: "books".into(),
            stats: Some(full),
        };
        assert_eq!(
            table,
            RouteTable { rows: vec![row("/a"), row(DEFAULT_ROUTE)], resource: "deployment/books".into() }
        );

        // --to also fills the actual counts.
        let spec = self::spec("deployment", Some("service"));
        let plan = plan_table(&spec, &spec.target, &[profiles[0].name.clone()]);
        let results: Results = plan.texts(QueryPlan::Linkerd).map(|q| (q.clone(), vector.clone())).collect();
        let table = assemble_table("deployment/books".into(), &profiles, &plan, &results, "1m");
        assert_eq!(table.rows[0].stats.unwrap().actual_success_count, 123);
    }

    #[test]
    fn rows_default_unknown_ports_and_rounding() {
        let spec = spec("deployment", None);
        let profiles = [books_profile(&["/a", "/b"])];
        let plan = plan_table(&spec, &spec.target, &[profiles[0].name.clone()]);
        let dst = "books.default.svc.cluster.local:8080";
        let mut results = Results::new();
        results.insert(
            plan.requests.clone(),
            vec![
                sample(&[("classification", "success"), ("dst", dst), ("rt_route", "/a")], 0.5),
                sample(&[("classification", "success"), ("dst", dst), ("rt_route", "/a"), ("x", "1")], 0.5),
                sample(&[("classification", "failure"), ("dst", dst), ("rt_route", "")], 2.4),
                sample(&[("classification", "success"), ("dst", dst), ("rt_route", "/gone")], 7.0),
                sample(
                    &[("classification", "success"), ("dst", "other.default.svc.cluster.local"), ("rt_route", "/a")],
                    7.0,
                ),
            ],
        );
        results.insert(plan.latency[0].clone(), vec![sample(&[("dst", dst), ("rt_route", "/a")], f64::NAN)]);
        results.insert(plan.latency[2].clone(), vec![sample(&[("dst", dst)], 41.6)]);
        let table = assemble_table("deployment/books".into(), &profiles, &plan, &results, "10m");
        let routes: Vec<&str> = table.rows.iter().map(|r| r.route.as_str()).collect();
        assert_eq!(routes, ["/a", "/b", DEFAULT_ROUTE]);
        assert!(table.rows.iter().all(|r| r.time_window == "10m" && r.authority == "books"));
        let a = table.rows[0].stats.unwrap();
        assert_eq!((a.success_count, a.failure_count, a.latency_ms_p50), (2, 0, 0));
        assert_eq!(table.rows[1].stats, Some(BasicStats::default()), "no samples still gives stats");
        let d = table.rows[2].stats.unwrap();
        assert_eq!((d.failure_count, d.latency_ms_p99), (2, 42));
    }

    #[test]
    fn default_profile_has_only_default_row() {
        let spec = spec("deployment", None);
        let profiles = [books_profile(&[])];
        let plan = plan_table(&spec, &spec.target, &[profiles[0].name.clone()]);
        let table = assemble_table("deployment/books".into(), &profiles, &plan, &Results::new(), "1m");
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].route, DEFAULT_ROUTE);
        assert_eq!(strip_port("a.b:x"), "a.b:x");
        assert_eq!(strip_port("a.b:"), "a.b:");
        assert_eq!(strip_port("a.b:80"), "a.b");
    }
}
