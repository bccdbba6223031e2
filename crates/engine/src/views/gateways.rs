//! Gateways (viz-semantics §6.2): liveness and probe latency of each linked cluster's gateway
//! from the service mirror's metrics, plus mirrored-Service counts from Kubernetes. Query text
//! and rows are pure functions; only `Engine::gateways` does I/O.
//!
//! Deliberate differences from upstream's metrics-api `Gateways`:
//! * Grouping is by `target_cluster_name` only. Since linkerd2 PR #4710 the service mirror no
//!   longer emits `gateway_name`/`gateway_namespace`, so grouping by them only adds empty labels.
//! * `gateway_namespace` in the request is not turned into a matcher: the metric has no such
//!   label, so upstream's filter matches nothing and returns an empty table for any value. lviz
//!   ignores it (every gateway is shown) rather than answer "no gateways" for a filter it cannot
//!   apply. Rows' `namespace` and `name` stay "" as upstream: neither is known from the metrics,
//!   and echoing the request's namespace would claim something unverified.
//! * Rows are sorted by cluster name (upstream: Go map order).

use std::collections::{BTreeMap, BTreeSet};

use crate::histograms::{Forms, HistogramForm, LatencyPlan, LatencyUse};
use crate::promql::{Matcher, QUANTILES, Selector};
use crate::samples::round_sample;
use crate::{Engine, QueryPlan, Results};
use lviz_api::{
    Answer, AnswerFuture, GatewayRow, Gateways, GatewaysOk, GatewaysSpec, GatewaysTable, Rejection, Validated,
};

const CLUSTER_LABEL: &str = "target_cluster_name";

/// The queries of a gateways request (`gateways.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayQueries {
    pub alive: String,
    /// p50, p95, p99 of the probe latency.
    pub latency: [String; 3],
    /// The bucket rates the three quantiles are computed from (lviz plan); one part (one row
    /// per cluster).
    pub latency_buckets: Vec<String>,
}

impl GatewayQueries {
    /// The texts sent under `plan`: Linkerd's three `histogram_quantile` queries, or the one
    /// bucket-rate query they share.
    pub fn texts(&self, plan: QueryPlan) -> impl Iterator<Item = &String> {
        let latency: &[String] = match plan {
            QueryPlan::Lviz if !self.latency_buckets.is_empty() => &self.latency_buckets,
            _ => &self.latency,
        };
        std::iter::once(&self.alive).chain(latency)
    }
}

/// The probe-latency histogram.
pub const LATENCY_FAMILY: &str = "gateway_probe_latency_ms";

impl LatencyPlan for GatewayQueries {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        GatewayQueries::texts(self, plan).cloned().collect()
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        vec![LatencyUse {
            family: LATENCY_FAMILY,
            quantiles: &self.latency,
            buckets: &self.latency_buckets,
            counts: &self.alive,
        }]
    }
}

/// Pure: the gateways queries; `target_cluster_name` is matched only when a cluster is asked for.
pub fn plan(spec: &GatewaysSpec) -> GatewayQueries {
    plan_in(spec, HistogramForm::Classic)
}

/// [`plan`] with the latency histogram in `form`.
pub fn plan_in(spec: &GatewaysSpec, form: HistogramForm) -> GatewayQueries {
    let mut labels = Selector::new();
    if !spec.cluster_name.is_empty() {
        labels.push(Matcher::eq(CLUSTER_LABEL, &spec.cluster_name));
    }
    let f = labels.render();
    // Validation already proved the window renders.
    let w = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    let alive = format!("sum(gateway_alive{f}) by ({CLUSTER_LABEL})");
    match form {
        HistogramForm::Classic => {
            let buckets = format!("sum(irate({LATENCY_FAMILY}_bucket{f}[{w}])) by (le, {CLUSTER_LABEL})");
            GatewayQueries {
                alive,
                latency: QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {buckets})")),
                latency_buckets: vec![buckets],
            }
        }
        HistogramForm::Native => {
            let rates = format!("sum by ({CLUSTER_LABEL}) (irate({LATENCY_FAMILY}{f}[{w}]))");
            GatewayQueries {
                alive,
                latency: QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {rates})")),
                latency_buckets: Vec::new(),
            }
        }
    }
}

/// Pure: one row per cluster that has a `gateway_alive` series. A dead gateway observes no
/// probe latency, so its quantiles are NaN, reported as 0.
///
/// `paired` is None in Prometheus-only mode: mirrored Services are Kubernetes objects.
pub fn assemble(
    queries: &GatewayQueries,
    results: &Results,
    paired: Option<&BTreeMap<String, u64>>,
) -> Vec<GatewayRow> {
    let empty = Vec::new();
    let samples = |q: &String| results.get(q).unwrap_or(&empty);
    let mut rows: BTreeMap<String, GatewayRow> = BTreeMap::new();
    for s in samples(&queries.alive) {
        let cluster = s.label(CLUSTER_LABEL).to_string();
        rows.insert(
            cluster.clone(),
            GatewayRow {
                paired_services: paired.and_then(|p| p.get(&cluster)).copied().unwrap_or(0),
                paired_services_unknown: paired.is_none(),
                alive: round_sample(s.value) > 0,
                cluster_name: cluster,
                ..Default::default()
            },
        );
    }
    for (i, q) in queries.latency.iter().enumerate() {
        for s in samples(q) {
            if let Some(row) = rows.get_mut(s.label(CLUSTER_LABEL)) {
                let v = round_sample(s.value);
                match i {
                    0 => row.latency_ms_p50 = v,
                    1 => row.latency_ms_p95 = v,
                    _ => row.latency_ms_p99 = v,
                }
            }
        }
    }
    rows.into_values().collect()
}

impl Answer<Gateways> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<Gateways>) -> AnswerFuture<'a, GatewaysOk> {
        Box::pin(self.gateways(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/gateways`. Backend failures are errors, as upstream (no `Response.error`).
    pub async fn gateways(&self, spec: &GatewaysSpec) -> Result<GatewaysOk, Rejection> {
        let build = |forms: &Forms| plan_in(spec, forms.form(LATENCY_FAMILY));
        let (answer, paired) = futures::join!(self.run_with_forms(build, spec.at), async {
            match self.cluster() {
                Some(kube) => kube.mirrored_service_counts().await.map(Some),
                None => Ok(None),
            }
        });
        let (queries, results) = answer?;
        let paired = paired?;
        let rows = assemble(&queries, &results, paired.as_ref());
        Ok(GatewaysOk { gateways_table: GatewaysTable { rows } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{GatewaysRequest, gateways_request};
    use lviz_prom::Sample;

    fn spec(cluster: &str) -> GatewaysSpec {
        let req = GatewaysRequest { remote_cluster_name: cluster.into(), ..Default::default() };
        gateways_request(&req).unwrap()
    }

    fn sample(cluster: &str, value: f64) -> Sample {
        Sample { labels: [(CLUSTER_LABEL.to_string(), cluster.to_string())].into_iter().collect(), value }
    }

    #[test]
    fn queries() {
        let q = plan(&spec(""));
        assert_eq!(q.alive, "sum(gateway_alive{}) by (target_cluster_name)");
        assert_eq!(
            q.latency[1],
            "histogram_quantile(0.95, sum(irate(gateway_probe_latency_ms_bucket{}[1m])) by (le, target_cluster_name))"
        );
        let q = plan(&spec("east\"x"));
        assert_eq!(q.alive, r#"sum(gateway_alive{target_cluster_name="east\"x"}) by (target_cluster_name)"#);
        assert_eq!(
            q.latency[0],
            r#"histogram_quantile(0.5, sum(irate(gateway_probe_latency_ms_bucket{target_cluster_name="east\"x"}[1m])) by (le, target_cluster_name))"#
        );
    }

    #[test]
    fn rows_alive_dead_and_sorted() {
        let q = plan(&spec(""));
        let mut results = Results::new();
        results.insert(q.alive.clone(), vec![sample("west", 0.0), sample("east", 1.0), sample("north", 0.4)]);
        results
            .insert(q.latency[0].clone(), vec![sample("east", 25.5), sample("west", f64::NAN), sample("ghost", 9.0)]);
        results.insert(q.latency[1].clone(), vec![sample("east", 190.0), sample("west", f64::NAN)]);
        results.insert(q.latency[2].clone(), vec![sample("east", 198.0), sample("west", f64::NAN)]);
        let paired: BTreeMap<String, u64> =
            [("east".to_string(), 3), ("elsewhere".to_string(), 9)].into_iter().collect();
        let rows = assemble(&q, &results, Some(&paired));
        let east = GatewayRow {
            namespace: String::new(),
            name: String::new(),
            cluster_name: "east".into(),
            paired_services: 3,
            paired_services_unknown: false,
            alive: true,
            latency_ms_p50: 26,
            latency_ms_p95: 190,
            latency_ms_p99: 198,
        };
        let dead = |c: &str| GatewayRow { cluster_name: c.into(), ..Default::default() };
        assert_eq!(rows, vec![east, dead("north"), dead("west")]);
    }
}
