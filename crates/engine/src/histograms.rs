//! Classic and native latency histograms. A classic histogram is `<family>_bucket{le=…}`
//! series; Prometheus 3 can store the same histogram as one native series `<family>` (custom
//! buckets, no `_bucket`), and then the classic queries find nothing. Every view plans its
//! latency queries for the form it was told ([`Latency::build`]); [`Engine::run_with_forms`]
//! notices a histogram whose quantiles came back empty while its rows have requests, probes
//! which form exists (one query for every such family), remembers the answer for the life of
//! the engine (the process, or `lviz serve`) and asks again in the right form. On classic data
//! nothing extra is ever sent.
//!
//! Both forms keep Linkerd's `irate` (not `rate`), so on the same data they give the same
//! quantiles: `histogram_quantile(q, sum by (G) (irate(<family>{L}[W])))` on native series is
//! Linkerd's `histogram_quantile(q, sum(irate(<family>_bucket{L}[W])) by (le, G))`.
//!
//! Owns: the query texts of both forms, the probe and its reading, the remembered forms.
//! Refuses: anything about one view's rows.

use std::collections::BTreeSet;

use lviz_prom::{BackendError, Sample};

pub use crate::engine::{Forms, HistogramForm};

/// The proxy's request latency histogram (inbound and outbound), read by stat, stat-inbound
/// and authz.
pub const RESPONSE_LATENCY: &str = "response_latency_ms";
use crate::promql::{QUANTILES, Selector, split_union_bucket_rates, union_of};
use crate::{Engine, QueryPlan, Results};

/// The latency queries of one histogram read by one view: Linkerd's three quantile texts, and
/// for the lviz plan on classic data the bucket-rate parts they are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    pub family: &'static str,
    /// `histogram_quantile(q, …)` for q = 0.5, 0.95, 0.99: the keys of the answers.
    pub quantiles: [String; 3],
    /// The bucket rates (two `le` halves), classic only; empty for native histograms, whose
    /// quantiles Prometheus computes.
    pub buckets: Vec<String>,
}

impl Latency {
    /// The queries of `family` over the union of `selectors` (usually one: Linkerd's) over
    /// `window`, grouped by `group` (joined label names); `lower` is the first half of the
    /// family's bucket bounds (the `le` split).
    pub fn build(
        form: HistogramForm,
        family: &'static str,
        selectors: &[Selector],
        window: &str,
        group: &str,
        lower: &[&str],
    ) -> Self {
        match form {
            HistogramForm::Classic => {
                let metric = format!("{family}_bucket");
                let rates = format!("sum({}) by (le, {group})", union_of("irate", &metric, selectors, window));
                Latency {
                    family,
                    quantiles: QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {rates})")),
                    buckets: split_union_bucket_rates(&metric, selectors, window, group, lower),
                }
            }
            HistogramForm::Native => {
                let rates = format!("sum by ({group}) ({})", union_of("irate", family, selectors, window));
                Latency {
                    family,
                    quantiles: QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {rates})")),
                    buckets: Vec::new(),
                }
            }
        }
    }

    /// The texts sent for this histogram under `plan`.
    pub fn texts(&self, plan: QueryPlan) -> &[String] {
        match plan {
            QueryPlan::Lviz if !self.buckets.is_empty() => &self.buckets,
            _ => &self.quantiles,
        }
    }
}

/// One histogram of a plan as [`Engine::run_with_forms`] sees it: its family, its quantile
/// texts and bucket parts, and the count query of the same rows (when the counts have samples
/// and every quantile answer is empty, the histogram is probably in the other form).
#[derive(Debug, Clone, Copy)]
pub struct LatencyUse<'a> {
    pub family: &'static str,
    pub quantiles: &'a [String; 3],
    pub buckets: &'a [String],
    pub counts: &'a str,
}

impl Latency {
    /// This histogram, read beside the count query `counts`.
    pub fn used_with<'a>(&'a self, counts: &'a str) -> LatencyUse<'a> {
        LatencyUse { family: self.family, quantiles: &self.quantiles, buckets: &self.buckets, counts }
    }
}

/// A plan of queries with latency histograms in it.
pub trait LatencyPlan {
    /// Every query text sent under `plan` (with [`Latency::texts`] for the histograms).
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String>;
    /// Each histogram with the count query of its rows.
    fn latencies(&self) -> Vec<LatencyUse<'_>>;
}

/// One query telling, for each family, which forms have series at the evaluation time:
/// `count by (__name__) ({__name__=~"f_bucket|…", le="+Inf"}) or count by (__name__)
/// ({__name__=~"f|…"})`. Only the `+Inf` bucket of a classic histogram is counted, so the probe
/// touches one series per classic histogram, not one per bucket.
pub fn probe_query(families: &[&str]) -> String {
    let buckets: Vec<String> = families.iter().map(|f| format!("{f}_bucket")).collect();
    format!(
        "count by (__name__) ({{__name__=~\"{}\", le=\"+Inf\"}}) or count by (__name__) ({{__name__=~\"{}\"}})",
        buckets.join("|"),
        families.join("|")
    )
}

/// The form each family has, from the probe's answer: classic when its `_bucket` series exist
/// (Linkerd's form, so preferred when both do), native when only `<family>` does, `None` with
/// neither.
pub fn read_probe<'a>(families: &[&'a str], samples: &[Sample]) -> Vec<(&'a str, Option<HistogramForm>)> {
    let names: BTreeSet<&str> = samples.iter().filter(|s| s.value > 0.0).map(|s| s.label("__name__")).collect();
    families
        .iter()
        .map(|f| {
            let form = if names.contains(format!("{f}_bucket").as_str()) {
                Some(HistogramForm::Classic)
            } else if names.contains(f) {
                Some(HistogramForm::Native)
            } else {
                None
            };
            (*f, form)
        })
        .collect()
}

/// The families whose quantile answers are all empty although their count query has samples.
pub fn missing_latency(latencies: &[LatencyUse<'_>], results: &Results) -> Vec<&'static str> {
    let has = |q: &str| results.get(q).is_some_and(|v| !v.is_empty());
    let mut out: Vec<&'static str> =
        latencies.iter().filter(|l| has(l.counts) && !l.quantiles.iter().any(|q| has(q))).map(|l| l.family).collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Engine {
    /// Which form each family has at `at`, by one probe query (see [`probe_query`]); what it
    /// finds is remembered.
    pub async fn probe_forms(
        &self,
        families: &[&'static str],
        at: Option<f64>,
    ) -> Result<Vec<(&'static str, Option<HistogramForm>)>, BackendError> {
        if families.is_empty() {
            return Ok(Vec::new());
        }
        let samples = self.metrics().query(&probe_query(families), at).await?;
        let found = read_probe(families, &samples);
        for (family, form) in &found {
            if let Some(form) = form {
                self.forms().learn(family, *form);
            }
        }
        Ok(found)
    }

    /// Builds a plan for the forms known so far and runs it ([`Engine::run_plan`]); when a
    /// histogram answered nothing although its rows have requests, probes its form and, if
    /// that changed what to ask, builds and runs the plan again.
    pub async fn run_with_forms<P: LatencyPlan>(
        &self,
        build: impl Fn(&Forms) -> P,
        at: Option<f64>,
    ) -> Result<(P, Results), BackendError> {
        let plan = build(self.forms());
        let results = self.run_latency_plan(&plan, at).await?;
        let missing = missing_latency(&plan.latencies(), &results);
        if missing.is_empty() {
            return Ok((plan, results));
        }
        let before: Vec<HistogramForm> = missing.iter().map(|f| self.forms().form(f)).collect();
        self.probe_forms(&missing, at).await?;
        if missing.iter().zip(&before).all(|(f, form)| self.forms().form(f) == *form) {
            return Ok((plan, results));
        }
        let plan = build(self.forms());
        let results = self.run_latency_plan(&plan, at).await?;
        Ok((plan, results))
    }

    async fn run_latency_plan<P: LatencyPlan>(&self, plan: &P, at: Option<f64>) -> Result<Results, BackendError> {
        let latencies = plan.latencies();
        let sets: Vec<(&[String], &[String; 3])> = latencies.iter().map(|l| (l.buckets, l.quantiles)).collect();
        self.run_plan(plan.texts(self.settings().query_plan), &sets, at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::Matcher;

    fn sample(name: &str, value: f64) -> Sample {
        Sample { labels: [("__name__".to_string(), name.to_string())].into_iter().collect(), value }
    }

    #[test]
    fn both_forms_of_one_histogram() {
        let labels = Selector::new().with(Matcher::eq("namespace", "a\"}"));
        let classic = Latency::build(
            HistogramForm::Classic,
            "x_seconds",
            std::slice::from_ref(&labels),
            "1m",
            "namespace, pod",
            &["0.05", "0.5"],
        );
        assert_eq!(
            classic.quantiles[0],
            r#"histogram_quantile(0.5, sum(irate(x_seconds_bucket{namespace="a\"}"}[1m])) by (le, namespace, pod))"#
        );
        assert_eq!(
            classic.buckets,
            [
                r#"sum(irate(x_seconds_bucket{le=~"(0\\.05|0\\.5)(\\.0)?", namespace="a\"}"}[1m])) by (le, namespace, pod)"#,
                r#"sum(irate(x_seconds_bucket{le!~"(0\\.05|0\\.5)(\\.0)?", namespace="a\"}"}[1m])) by (le, namespace, pod)"#,
            ]
        );
        assert_eq!(classic.texts(QueryPlan::Lviz), classic.buckets.as_slice());
        assert_eq!(classic.texts(QueryPlan::Linkerd), classic.quantiles.as_slice());
        let native = Latency::build(HistogramForm::Native, "x_seconds", &[labels], "1m", "namespace, pod", &["0.05"]);
        assert_eq!(
            native.quantiles[2],
            r#"histogram_quantile(0.99, sum by (namespace, pod) (irate(x_seconds{namespace="a\"}"}[1m])))"#
        );
        assert!(native.buckets.is_empty());
        assert_eq!(native.texts(QueryPlan::Lviz), native.quantiles.as_slice(), "Prometheus computes native quantiles");
    }

    #[test]
    fn the_probe_prefers_classic_and_tells_neither() {
        assert_eq!(
            probe_query(&["a_ms", "b_seconds"]),
            r#"count by (__name__) ({__name__=~"a_ms_bucket|b_seconds_bucket", le="+Inf"}) or count by (__name__) ({__name__=~"a_ms|b_seconds"})"#
        );
        let found = read_probe(
            &["a_ms", "b_seconds", "c"],
            &[sample("a_ms", 3.0), sample("a_ms_bucket", 3.0), sample("b_seconds", 1.0)],
        );
        assert_eq!(
            found,
            [("a_ms", Some(HistogramForm::Classic)), ("b_seconds", Some(HistogramForm::Native)), ("c", None)]
        );
    }

    #[test]
    fn missing_means_counts_without_any_quantile() {
        let l = Latency::build(HistogramForm::Classic, "h", &[Selector::new()], "1m", "g", &["1"]);
        let mut results = Results::new();
        results.insert("counts".into(), vec![sample("x", 1.0)]);
        for q in &l.quantiles {
            results.insert(q.clone(), Vec::new());
        }
        assert_eq!(missing_latency(&[l.used_with("counts")], &results), ["h"]);
        results.insert(l.quantiles[1].clone(), vec![sample("x", f64::NAN)]);
        assert!(missing_latency(&[l.used_with("counts")], &results).is_empty(), "a NaN quantile is an answer");
        results.insert("counts".into(), Vec::new());
        results.insert(l.quantiles[1].clone(), Vec::new());
        assert!(missing_latency(&[l.used_with("counts")], &results).is_empty(), "no rows, nothing to explain");
    }
}
