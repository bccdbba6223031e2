//! Checks (lviz extension): the facts empty-result hints are derived from, found where the
//! backends are. Every check runs concurrently and is best effort: one that fails is reported
//! as unknown (`None`), never as an error, so diagnostics cannot change an answer.

use futures::future::join_all;
use lviz_api::{
    Answer, AnswerFuture, Checks, ChecksOk, ChecksSpec, Existence, HistogramCheck, ObjectCount, PodTally, Resource,
    ResourceKind, Validated,
};
use lviz_k8s::KubeError;

use crate::Engine;
use crate::histograms::{HistogramForm, probe_query, read_probe};
use crate::promql::{Matcher, query_labels};

/// Any Linkerd proxy series at all, at the evaluation time.
pub const PROXY_SERIES_QUERY: &str = "count(response_total) or count(tcp_open_connections)";

/// The newest Linkerd proxy sample in the 7 days before the evaluation time, for backends that
/// do not serve the TSDB's head statistics. A 1m resolution is below Prometheus's 5m lookback,
/// so every sample is seen by some step.
pub const NEWEST_PROXY_SAMPLE_QUERY: &str = "max_over_time(max(timestamp(response_total))[7d:1m])";

/// Pure: the query telling whether an object sends outbound requests.
pub fn sends_query(kind: ResourceKind, resource: &Resource) -> String {
    let mut labels = query_labels(Some(kind), &resource.name, &resource.namespace);
    labels.push(Matcher::eq("direction", "outbound"));
    format!("count(response_total{})", labels.render())
}

impl Answer<Checks> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<Checks>) -> AnswerFuture<'a, ChecksOk> {
        Box::pin(async move { Ok(self.checks(request.spec()).await) })
    }
}

impl Engine {
    /// Runs the asked checks concurrently; never fails.
    pub async fn checks(&self, spec: &ChecksSpec) -> ChecksOk {
        let at = spec.at;
        let proxy_series = async {
            if !spec.proxy_series {
                return None;
            }
            self.metrics().query(PROXY_SERIES_QUERY, at).await.ok().map(|s| !s.is_empty())
        };
        let interval = async {
            if !spec.scrape_interval {
                return None;
            }
            self.metrics().scrape_interval().await.map(|d| d.as_secs_f64())
        };
        // The fallback query reads up to 7 days of samples: only when no proxy series is there.
        let series_and_newest = async {
            let series = proxy_series.await;
            if !spec.newest_sample {
                return (series, None);
            }
            if let Some(t) = self.metrics().tsdb_max_time().await {
                return (series, Some(t));
            }
            if series == Some(true) {
                return (series, None);
            }
            let samples = self.metrics().query(NEWEST_PROXY_SAMPLE_QUERY, at).await.ok().unwrap_or_default();
            (series, samples.first().map(|s| s.value).filter(|t| t.is_finite()))
        };
        let exist =
            join_all(spec.exist.iter().map(|(kind, r)| async move {
                Existence { resource: r.clone(), exists: self.exists(*kind, r).await }
            }));
        let count = async {
            let (kind, c) = spec.count.as_ref()?;
            self.count(*kind, c).await
        };
        let sends = async {
            let (kind, r) = spec.sends.as_ref()?;
            self.metrics().query(&sends_query(*kind, r), at).await.ok().map(|s| !s.is_empty())
        };
        let ((proxy_series, newest_sample), scrape_interval_seconds, exist, count, pods, sends, histograms) = futures::join!(
            series_and_newest,
            interval,
            exist,
            count,
            self.pod_tally(&spec.pods_in),
            sends,
            self.histogram_forms(&spec.histograms, at)
        );
        ChecksOk { proxy_series, scrape_interval_seconds, newest_sample, exist, count, pods, sends, histograms }
    }

    /// The form of each family (empty when not asked or when the probe failed).
    async fn histogram_forms(&self, families: &[String], at: Option<f64>) -> Vec<HistogramCheck> {
        if families.is_empty() {
            return Vec::new();
        }
        let names: Vec<&str> = families.iter().map(String::as_str).collect();
        let Ok(samples) = self.metrics().query(&probe_query(&names), at).await else { return Vec::new() };
        read_probe(&names, &samples)
            .into_iter()
            .map(|(family, form)| HistogramCheck {
                family: family.to_string(),
                form: match form {
                    Some(HistogramForm::Classic) => "classic",
                    Some(HistogramForm::Native) => "native",
                    None => "none",
                }
                .to_string(),
            })
            .collect()
    }

    /// Whether the object exists: `None` without Kubernetes or when the lookup failed.
    async fn exists(&self, kind: ResourceKind, r: &Resource) -> Option<bool> {
        let kube = self.cluster()?;
        let namespace = if kind == ResourceKind::Namespace { "" } else { r.namespace.as_str() };
        match kube.objects(kind, namespace, &r.name, "").await {
            Ok(_) => Some(true),
            Err(KubeError::NotFound(_)) => Some(false),
            Err(KubeError::Backend(_)) => None,
        }
    }

    async fn count(&self, kind: ResourceKind, c: &ObjectCount) -> Option<u64> {
        let objects = self.cluster()?.objects(kind, &c.namespace, "", &c.label_selector).await.ok()?;
        u64::try_from(objects.len()).ok()
    }

    /// Running or Pending pods of a namespace, and how many carry this control plane's proxy.
    async fn pod_tally(&self, namespace: &str) -> Option<PodTally> {
        if namespace.is_empty() {
            return None;
        }
        let pods = self.cluster()?.pods(namespace).await.ok()?;
        let controller = &self.settings().controller_namespace;
        let running: Vec<_> = pods
            .iter()
            .filter(|p| p.pod.as_ref().is_some_and(|i| matches!(i.phase.as_str(), "Running" | "Pending")))
            .collect();
        let meshed = running.iter().filter(|p| p.labels.get("linkerd.io/control-plane-ns") == Some(controller)).count();
        Some(PodTally { running: running.len() as u64, meshed: meshed as u64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_query_is_escaped() {
        let r = Resource { namespace: "emoji\"voto".into(), kind: "deployment".into(), name: "web".into() };
        assert_eq!(
            sends_query(ResourceKind::Deployment, &r),
            r#"count(response_total{deployment="web", direction="outbound", namespace="emoji\"voto"})"#
        );
    }
}
