//! The [`Engine`]: the Prometheus and Kubernetes backends a view's fetching code asks, the
//! [`Metrics`] seam in front of Prometheus, and the helpers every view shares (send a set of
//! queries at once, answer the latency percentiles with lviz's or Linkerd's plan, check the
//! window against the scrape interval).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::{BoxFuture, try_join_all};

use lviz_k8s::Cluster;
use lviz_prom::quantile;
use lviz_prom::{BackendError, PromClient, Sample};

/// Anything that answers instant PromQL queries: Prometheus itself, or a stand-in in tests.
pub trait Metrics: Send + Sync {
    fn query<'a>(&'a self, query: &'a str, at: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>>;
    /// `histogram_quantile(q, <bucket vector>)` for each of `quantiles`, computed in lviz from
    /// the answers to `bucket_parts`, the parts of one bucket-rate vector (`sum(irate(…_bucket…))
    /// by (le, …)` split by disjoint `le` sets, asked concurrently): one vector per quantile, one
    /// sample per histogram. Backends that can decode the bucket vector as it arrives override
    /// this so the (large) vector is never held whole.
    fn query_quantiles<'a>(
        &'a self,
        bucket_parts: &'a [String],
        quantiles: &'a [f64],
        at: Option<f64>,
    ) -> BoxFuture<'a, Result<Vec<Vec<Sample>>, BackendError>> {
        Box::pin(async move {
            let parts = try_join_all(bucket_parts.iter().map(|q| self.query(q, at))).await?;
            Ok(quantile::histogram_quantiles(&parts.concat(), quantiles))
        })
    }
    /// `global.scrape_interval`, when the backend exposes its configuration.
    fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>>;
    /// The newest sample time of the whole TSDB (Unix seconds), when the backend says.
    fn tsdb_max_time(&self) -> BoxFuture<'_, Option<f64>> {
        Box::pin(async { None })
    }
}

impl Metrics for PromClient {
    fn query<'a>(&'a self, query: &'a str, at: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>> {
        Box::pin(PromClient::query(self, query, at))
    }
    fn query_quantiles<'a>(
        &'a self,
        bucket_parts: &'a [String],
        quantiles: &'a [f64],
        at: Option<f64>,
    ) -> BoxFuture<'a, Result<Vec<Vec<Sample>>, BackendError>> {
        Box::pin(async move {
            let parts = try_join_all(bucket_parts.iter().map(|q| self.query_buckets(q, at))).await?;
            let mut groups = quantile::BucketGroups::new();
            for part in parts {
                groups.merge(part);
            }
            Ok(groups.quantiles(quantiles))
        })
    }
    fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>> {
        Box::pin(PromClient::scrape_interval(self))
    }
    fn tsdb_max_time(&self) -> BoxFuture<'_, Option<f64>> {
        Box::pin(PromClient::tsdb_max_time(self))
    }
}

/// Settings linkerd's metrics API takes as flags, and how lviz asks Prometheus.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub cluster_domain: String,
    pub controller_namespace: String,
    pub query_plan: QueryPlan,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            cluster_domain: "cluster.local".into(),
            controller_namespace: "linkerd".into(),
            query_plan: QueryPlan::default(),
        }
    }
}

/// Which queries answer the latency percentiles. Both give the same numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueryPlan {
    /// One bucket-rate query per histogram; p50/p95/p99 computed in lviz with Prometheus's own
    /// quantile rule (`quantile.rs`), so Prometheus computes the bucket rates once, not thrice.
    #[default]
    Lviz,
    /// Linkerd's query strings verbatim: one `histogram_quantile` query per percentile.
    Linkerd,
}

#[derive(Clone)]
pub struct Engine {
    metrics: Arc<dyn Metrics>,
    /// None in Prometheus-only mode: rows come from metric labels, Kubernetes-only values are
    /// reported as unknown.
    kube: Option<Cluster>,
    settings: EngineSettings,
    /// Histogram forms learnt by probing (`histograms.rs`), shared by clones.
    forms: Forms,
}

/// How Prometheus stores a histogram family (see `histograms.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum HistogramForm {
    /// `<family>_bucket{le=…}` series (Prometheus 2.x, or 3.x without conversion).
    #[default]
    Classic,
    /// Native histograms with custom buckets, `<family>` itself.
    Native,
}

/// Histogram forms an engine has learnt by probing, shared by every clone of it.
#[derive(Debug, Clone, Default)]
pub struct Forms(Arc<Mutex<HashMap<&'static str, HistogramForm>>>);

impl Forms {
    /// The form of `family`: what a probe found, else classic (what Linkerd queries).
    pub fn form(&self, family: &str) -> HistogramForm {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(family).copied().unwrap_or_default()
    }

    pub(crate) fn learn(&self, family: &'static str, form: HistogramForm) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(family, form);
    }
}

/// Query results by query text.
pub type Results = HashMap<String, Vec<Sample>>;

impl Engine {
    pub fn new(metrics: Arc<dyn Metrics>, kube: Cluster, settings: EngineSettings) -> Self {
        Engine { metrics, kube: Some(kube), settings, forms: Forms::default() }
    }

    /// Prometheus-only mode: no Kubernetes access at all.
    pub fn prometheus_only(metrics: Arc<dyn Metrics>, settings: EngineSettings) -> Self {
        Engine { metrics, kube: None, settings, forms: Forms::default() }
    }

    /// The same engine reading Kubernetes through watch-backed caches instead of listing per
    /// request (`lviz serve`; see `lviz_k8s::Cluster::cached`). Starts the reflectors.
    pub fn with_cached_cluster(self) -> Self {
        Engine { kube: self.kube.map(Cluster::cached), ..self }
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// The Kubernetes cluster; None in Prometheus-only mode.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.kube.as_ref()
    }

    /// The histogram forms learnt so far (classic unless a probe found otherwise).
    pub fn forms(&self) -> &Forms {
        &self.forms
    }

    pub fn metrics(&self) -> &dyn Metrics {
        self.metrics.as_ref()
    }

    /// Sends every distinct query at once; the first failure fails the request.
    pub async fn run_queries(&self, queries: BTreeSet<String>, at: Option<f64>) -> Result<Results, BackendError> {
        let metrics = self.metrics.as_ref();
        let answers = try_join_all(queries.into_iter().map(|q| async move {
            let samples = metrics.query(&q, at).await?;
            Ok::<_, BackendError>((q, samples))
        }))
        .await?;
        Ok(answers.into_iter().collect())
    }

    /// Like [`Engine::run_queries`], but each bucket-rate vector of `latency` (its parts)
    /// among `queries` is answered by the backend's [`Metrics::query_quantiles`]: `results` then
    /// holds the three `histogram_quantile` texts it stands for (p50, p95, p99), as if Linkerd's
    /// plan had sent them, and not the bucket vector itself. Under Linkerd's plan the bucket
    /// queries are not among `queries` and this is `run_queries`.
    pub async fn run_plan(
        &self,
        mut queries: BTreeSet<String>,
        latency: &[(&[String], &[String; 3])],
        at: Option<f64>,
    ) -> Result<Results, BackendError> {
        let mut wanted: BTreeMap<&[String], &[String; 3]> = BTreeMap::new();
        for (parts, texts) in latency {
            let mut asked = false;
            for part in parts.iter() {
                asked |= queries.remove(part);
            }
            if asked {
                wanted.insert(*parts, *texts);
            }
        }
        let metrics = self.metrics.as_ref();
        let qs = quantile::latency_quantiles();
        let qs = &qs;
        let (mut results, answered) = futures::try_join!(
            self.run_queries(queries, at),
            try_join_all(wanted.into_iter().map(|(buckets, texts)| async move {
                Ok::<_, BackendError>((texts, metrics.query_quantiles(buckets, qs, at).await?))
            }))
        )?;
        for (texts, vectors) in answered {
            for (text, vector) in texts.iter().zip(vectors) {
                results.insert(text.clone(), vector);
            }
        }
        Ok(results)
    }

    /// linkerd's `validateTimeWindow`: best effort, skipped when the config is unreadable.
    pub async fn check_window(&self, window: &lviz_api::window::Window) -> Result<(), String> {
        if let Some(interval) = self.metrics.scrape_interval().await
            && window.duration() < interval
        {
            return Err(format!(
                "invalid time window: time window ({}) must be at least as long as the Prometheus scrape interval ({})",
                window.raw,
                lviz_api::window::go_duration_string(interval)
            ));
        }
        Ok(())
    }
}
