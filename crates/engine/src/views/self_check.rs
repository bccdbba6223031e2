//! SelfCheck (`viz/metrics-api/grpc_server.go` SelfCheck): can the server talk to Kubernetes
//! and to Prometheus? Two results, `kubernetes` then `prometheus`, each OK or ERROR with
//! upstream's message prefix, which is what `linkerd viz check` reads. A failing backend is a
//! result, never a failed request.
//!
//! Kubernetes is checked the way the server reads it: watch-backed caches must have synced (a
//! live source asks the API server its version; upstream lists pods from its informer cache).
//! Prometheus gets upstream's probe query, through the same coalescing layer as every query.

use std::future::Future;
use std::time::Duration;

use lviz_api::views::self_check::{KUBERNETES_CHECK, PROMETHEUS_CHECK};
use lviz_api::{Answer, AnswerFuture, CheckResult, CheckStatus, SelfCheck, SelfCheckOk, Validated};

use crate::Engine;

/// Upstream's probe (`podQuery` with no label).
pub const PROBE_QUERY: &str = "max(process_start_time_seconds{}) by (pod, namespace)";
/// How long each probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Pure: one result from a probe's outcome, with upstream's message prefix on failure.
pub fn result(check: (&str, &str), outcome: Result<(), String>, prefix: &str) -> CheckResult {
    let (status, friendly_message_to_user) = match outcome {
        Ok(()) => (CheckStatus::Ok, String::new()),
        Err(e) => (CheckStatus::Error, format!("{prefix}: {e}")),
    };
    CheckResult {
        subsystem_name: check.0.to_string(),
        check_description: check.1.to_string(),
        status,
        friendly_message_to_user,
    }
}

async fn bounded(probe: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {}", humantime::format_duration(PROBE_TIMEOUT))),
    }
}

impl Answer<SelfCheck> for Engine {
    fn answer<'a>(&'a self, _request: &'a Validated<SelfCheck>) -> AnswerFuture<'a, SelfCheckOk> {
        Box::pin(async move { Ok(self.self_check().await) })
    }
}

impl Engine {
    /// Both probes at once.
    pub async fn self_check(&self) -> SelfCheckOk {
        let kubernetes = bounded(async {
            let Some(cluster) = self.cluster() else {
                return Err("not configured: lviz runs in Prometheus-only mode (--no-kube)".to_string());
            };
            match cluster.unsynced() {
                Some(missing) if missing.is_empty() => Ok(()),
                Some(missing) => Err(format!("{}: caches not synced yet: {}", cluster.shown_url(), missing.join(", "))),
                None => cluster
                    .client()
                    .apiserver_version()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{}: {}", cluster.shown_url(), lviz_k8s::describe(&e))),
            }
        });
        let prometheus =
            bounded(async { self.metrics().query(PROBE_QUERY, None).await.map(|_| ()).map_err(|e| e.to_string()) });
        let (kubernetes, prometheus) = futures::join!(kubernetes, prometheus);
        SelfCheckOk {
            results: vec![
                result(KUBERNETES_CHECK, kubernetes, "Error calling the Kubernetes API"),
                result(PROMETHEUS_CHECK, prometheus, "Error calling Prometheus from the control plane"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_carry_upstream_words() {
        let ok = result(KUBERNETES_CHECK, Ok(()), "Error calling the Kubernetes API");
        assert_eq!(
            ok,
            CheckResult {
                subsystem_name: "kubernetes".into(),
                check_description: "linkerd viz can talk to Kubernetes".into(),
                status: CheckStatus::Ok,
                friendly_message_to_user: String::new(),
            }
        );
        let failed = result(
            PROMETHEUS_CHECK,
            Err("Prometheus at http://p/: down".into()),
            "Error calling Prometheus from the control plane",
        );
        assert_eq!(failed.status, CheckStatus::Error);
        assert_eq!(
            failed.friendly_message_to_user,
            "Error calling Prometheus from the control plane: Prometheus at http://p/: down"
        );
    }
}
