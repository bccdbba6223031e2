//! `POST /api/v1/self-check` (SelfCheck; lviz's JSON face of `linkerd2.viz.Api/SelfCheck`):
//! whether the server can talk to Kubernetes and to Prometheus, as the results `linkerd viz
//! check` expects (two subsystems, each OK or ERROR with a message). Never cached: it is a
//! health check.

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// The SelfCheck endpoint.
pub struct SelfCheck;

impl Endpoint for SelfCheck {
    const NAME: &'static str = "self-check";
    const PATH: &'static str = "/api/v1/self-check";
    type Request = SelfCheckRequest;
    type Ok = SelfCheckOk;
    type Spec = ();
    const CACHEABLE: bool = false;

    fn validate(_: &SelfCheckRequest) -> Result<(), String> {
        Ok(())
    }
    fn at(_: &SelfCheckRequest) -> Option<f64> {
        None
    }
    fn set_at(_: &mut SelfCheckRequest, _: Option<f64>) {}
}

/// Upstream's subsystem name and description of the Kubernetes check.
pub const KUBERNETES_CHECK: (&str, &str) = ("kubernetes", "linkerd viz can talk to Kubernetes");
/// Upstream's subsystem name and description of the Prometheus check.
pub const PROMETHEUS_CHECK: (&str, &str) = ("prometheus", "linkerd viz can talk to Prometheus");

/// Nothing to ask.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelfCheckRequest {}

/// The response of `POST /api/v1/self-check`.
pub type SelfCheckResponse = crate::Envelope<SelfCheckOk>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelfCheckOk {
    /// Kubernetes, then Prometheus.
    pub results: Vec<CheckResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckResult {
    pub subsystem_name: String,
    pub check_description: String,
    pub status: CheckStatus,
    /// Why it failed; empty when OK.
    pub friendly_message_to_user: String,
}

/// Upstream's `CheckStatus` enum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckStatus {
    #[default]
    Ok,
    Fail,
    Error,
}
