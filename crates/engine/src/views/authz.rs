//! Authz (modern-linkerd.md §1, viz/metrics-api/authz.go): requests, latency and the allow and
//! deny counters per (route, server, authorization) of a resource's inbound traffic. Unlike
//! stat-inbound and stat-outbound, the metrics API rounds every sample (`extractSampleValue`)
//! and keys rows without the resource, so all the target's pods sum into one row per key.
//!
//! `-l` (which Linkerd parses and ignores) selects the objects whose traffic counts: their names
//! per namespace become regex matchers, one selector per namespace, joined with `or`.

use std::collections::{BTreeMap, BTreeSet};

use crate::histograms::{Forms, Latency, LatencyPlan, LatencyUse, RESPONSE_LATENCY};
use crate::promql::{LATENCY_MS_LOWER, Matcher, Selector, union_of};
use crate::samples::round_sample;
use crate::views::route_stats::{NEEDS_KUBE_SELECTOR, in_label_order, query_labels};
use crate::{Engine, QueryPlan, Results};
use lviz_api::{
    Answer, AnswerFuture, Authz, AuthzOk, AuthzRow, AuthzRows, AuthzTable, BasicStats, Rejection, Resource,
    RouteStatsSpec, ServerStats, Validated,
};
use lviz_prom::Sample;

const GROUP: &str = "route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzPlan {
    pub requests: String,
    pub allowed: String,
    pub denied: String,
    pub latency: Latency,
}

/// Pure: the metrics API's Authz queries over the union of `selectors` (one, Linkerd's
/// `QueryLabels`, unless `-l` selected objects in several namespaces). `direction` is added to
/// the request and latency selectors only: the authz counters have no direction label.
pub fn plan(selectors: &[Selector], window: &str, forms: &Forms) -> AuthzPlan {
    let inbound: Vec<Selector> =
        selectors.iter().map(|s| s.clone().with(Matcher::eq("direction", "inbound"))).collect();
    let rate = |metric: &str, sels: &[Selector]| format!("sum({})", union_of("increase", metric, sels, window));
    AuthzPlan {
        requests: format!("{} by ({GROUP}, classification, tls)", rate("response_total", &inbound)),
        allowed: format!("{} by ({GROUP})", rate("inbound_http_authz_allow_total", selectors)),
        denied: format!("{} by ({GROUP})", rate("inbound_http_authz_deny_total", selectors)),
        latency: Latency::build(
            forms.form(RESPONSE_LATENCY),
            RESPONSE_LATENCY,
            &inbound,
            window,
            GROUP,
            LATENCY_MS_LOWER,
        ),
    }
}

impl LatencyPlan for AuthzPlan {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        [&self.requests, &self.allowed, &self.denied].into_iter().chain(self.latency.texts(plan)).cloned().collect()
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        vec![self.latency.used_with(&self.requests)]
    }
}

/// (route name, route kind, server name, server kind, authz name, authz kind).
type Key = (String, String, String, String, String, String);

fn key_of(s: &Sample) -> Key {
    let l = |name: &str| s.label(name).to_string();
    (l("route_name"), l("route_kind"), l("srv_name"), l("srv_kind"), l("authz_name"), l("authz_kind"))
}

fn row_of<'a>(
    rows: &'a mut BTreeMap<Key, AuthzRow>,
    s: &Sample,
    resource: &Resource,
    window: &str,
) -> &'a mut AuthzRow {
    let key = key_of(s);
    let res = |kind: &str, name: &str| Resource { namespace: String::new(), kind: kind.into(), name: name.into() };
    let srv_stats = ServerStats {
        srv: res(&key.3, &key.2),
        route: res(&key.1, &key.0),
        authz: res(&key.5, &key.4),
        ..ServerStats::default()
    };
    rows.entry(key).or_insert_with(|| AuthzRow {
        resource: resource.clone(),
        time_window: window.to_string(),
        stats: BasicStats::default(),
        srv_stats,
    })
}

/// Pure: one row per key any query returned, sorted by server, route, authorization.
pub fn assemble(plan: &AuthzPlan, results: &Results, resource: &Resource, window: &str) -> Vec<AuthzRow> {
    let empty = Vec::new();
    let get = |q: &String| results.get(q).unwrap_or(&empty);
    let mut rows: BTreeMap<Key, AuthzRow> = BTreeMap::new();
    for s in get(&plan.requests) {
        let v = round_sample(s.value);
        let stats = &mut row_of(&mut rows, s, resource, window).stats;
        match s.label("classification") {
            "success" => stats.success_count = stats.success_count.saturating_add(v),
            "failure" => stats.failure_count = stats.failure_count.saturating_add(v),
            _ => {}
        }
    }
    for s in get(&plan.allowed) {
        row_of(&mut rows, s, resource, window).srv_stats.allowed_count = round_sample(s.value);
    }
    for s in get(&plan.denied) {
        row_of(&mut rows, s, resource, window).srv_stats.denied_count = round_sample(s.value);
    }
    for (i, q) in plan.latency.quantiles.iter().enumerate() {
        for s in in_label_order(get(q)) {
            let v = round_sample(s.value);
            let stats = &mut row_of(&mut rows, s, resource, window).stats;
            match i {
                0 => stats.latency_ms_p50 = v,
                1 => stats.latency_ms_p95 = v,
                _ => stats.latency_ms_p99 = v,
            }
        }
    }
    let mut out: Vec<AuthzRow> = rows.into_values().collect();
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out
}

fn sort_key(r: &AuthzRow) -> (&str, &str, &str, &str, &str, &str) {
    let s = &r.srv_stats;
    (&s.srv.name, &s.route.name, &s.authz.kind, &s.authz.name, &s.srv.kind, &s.route.kind)
}

impl Answer<Authz> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<Authz>) -> AnswerFuture<'a, AuthzOk> {
        Box::pin(self.authz(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/authz`.
    pub async fn authz(&self, spec: &RouteStatsSpec) -> Result<AuthzOk, Rejection> {
        let t = &spec.target;
        let resource =
            Resource { namespace: t.namespace.clone(), kind: t.kind.canonical().to_string(), name: t.name.clone() };
        let Some(selectors) = self.authz_selectors(spec).await? else {
            return Ok(AuthzOk::default());
        };
        let window = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
        let (plan, results) = self.run_with_forms(|forms| plan(&selectors, &window, forms), spec.at).await?;
        let rows = assemble(&plan, &results, &resource, &spec.window.raw);
        Ok(AuthzOk { stat_table: AuthzTable { pod_group: AuthzRows { rows } } })
    }

    /// Linkerd's `QueryLabels` of the target; with `-l`, one selector per namespace of the
    /// selected objects (`None` when nothing matches: no query is sent).
    async fn authz_selectors(&self, spec: &RouteStatsSpec) -> Result<Option<Vec<Selector>>, Rejection> {
        let t = &spec.target;
        if spec.label_selector.is_empty() {
            let names: Vec<String> = if t.name.is_empty() { Vec::new() } else { vec![t.name.clone()] };
            return Ok(Some(vec![query_labels(t.kind, &names, &t.namespace)]));
        }
        let Some(kube) = self.cluster() else {
            return Err(Rejection::Invalid(NEEDS_KUBE_SELECTOR.to_string()));
        };
        let objects = kube.objects(t.kind, &t.namespace, &t.name, &spec.label_selector).await?;
        Ok(selectors_for(t.kind, objects.into_iter().map(|o| (o.namespace, o.name))))
    }
}

/// Pure: the selectors of the objects `-l` kept, one per namespace (`None`: none kept).
pub fn selectors_for(
    kind: lviz_api::ResourceKind,
    objects: impl Iterator<Item = (String, String)>,
) -> Option<Vec<Selector>> {
    let mut by_namespace: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (namespace, name) in objects {
        by_namespace.entry(namespace).or_default().push(name);
    }
    if by_namespace.is_empty() {
        return None;
    }
    Some(
        by_namespace
            .into_iter()
            .map(|(ns, mut names)| {
                names.sort();
                query_labels(kind, &names, &ns)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::ResourceKind;

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    #[test]
    fn linkerds_queries() {
        let names = vec!["web".to_string()];
        let p = plan(&[query_labels(ResourceKind::Deployment, &names, "emojivoto")], "1m", &Forms::default());
        assert_eq!(
            p.requests,
            r#"sum(increase(response_total{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name, classification, tls)"#
        );
        assert_eq!(
            p.denied,
            r#"sum(increase(inbound_http_authz_deny_total{deployment="web", namespace="emojivoto"}[1m])) by (route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name)"#
        );
        assert_eq!(
            p.latency.quantiles[0],
            r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (le, route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name))"#
        );
        // lviz's -A: no namespace label.
        let p = plan(&[query_labels(ResourceKind::Deployment, &[], "")], "1m", &Forms::default());
        assert!(p.allowed.starts_with("sum(increase(inbound_http_authz_allow_total{}[1m]))"), "{}", p.allowed);
    }

    #[test]
    fn label_selected_objects_become_one_selector_per_namespace() {
        let objects = [("b", "web"), ("a", "x.y"), ("a", "api")].map(|(n, o)| (n.to_string(), o.to_string()));
        let sels = selectors_for(ResourceKind::Deployment, objects.into_iter()).expect("some");
        let p = plan(&sels, "1m", &Forms::default());
        assert_eq!(
            p.allowed,
            r#"sum(increase(inbound_http_authz_allow_total{deployment=~"api|x\\.y", namespace="a"}[1m]) or increase(inbound_http_authz_allow_total{deployment="web", namespace="b"}[1m])) by (route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name)"#
        );
        assert!(selectors_for(ResourceKind::Deployment, std::iter::empty()).is_none());
    }

    #[test]
    fn rows_round_and_denials_land_without_authorization() {
        let p = plan(&[Selector::new()], "1m", &Forms::default());
        let key = |authz: &'static str| {
            let mut l = vec![
                ("route_kind", "HTTPRoute"),
                ("route_name", "voting-api"),
                ("srv_kind", "server"),
                ("srv_name", "voting-grpc"),
            ];
            if !authz.is_empty() {
                l.extend([("authz_kind", "authorizationpolicy"), ("authz_name", authz)]);
            }
            l
        };
        let with = |mut l: Vec<(&'static str, &'static str)>, extra: &[(&'static str, &'static str)]| {
            l.extend_from_slice(extra);
            l
        };
        let mut results = Results::new();
        results.insert(
            p.requests.clone(),
            vec![
                sample(&with(key("allow-web"), &[("classification", "success"), ("tls", "true")]), 47.5),
                sample(&with(key("allow-web"), &[("classification", "failure"), ("tls", "true")]), 12.4),
            ],
        );
        results.insert(p.allowed.clone(), vec![sample(&key("allow-web"), 60.0)]);
        results.insert(p.denied.clone(), vec![sample(&key(""), 6.0)]);
        results.insert(p.latency.quantiles[0].clone(), vec![sample(&key("allow-web"), 14.5)]);
        let resource = Resource { namespace: "emojivoto".into(), kind: "deployment".into(), name: "voting".into() };
        let rows = assemble(&p, &results, &resource, "1m");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].srv_stats.authz.name.as_str(), rows[0].srv_stats.denied_count), ("", 6));
        let allowed = &rows[1];
        assert_eq!((allowed.stats.success_count, allowed.stats.failure_count), (48, 12), "rounded per sample");
        assert_eq!((allowed.srv_stats.allowed_count, allowed.stats.latency_ms_p50), (60, 15));
        assert_eq!(
            allowed.srv_stats.srv,
            Resource { namespace: String::new(), kind: "server".into(), name: "voting-grpc".into() }
        );
        assert_eq!(allowed.resource, resource);
    }
}
