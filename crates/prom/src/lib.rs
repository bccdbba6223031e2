//! The Prometheus HTTP API client: instant queries at an optional evaluation time, bucket-rate
//! vectors decoded while they stream, Prometheus's `histogram_quantile` rule, typed errors that
//! name the backend and its URL (credentials redacted), and the access settings (auth, headers,
//! TLS) from Prometheus's HTTP config format and lviz's flags.
//!
//! Owns: talking to Prometheus-compatible engines and decoding their answers. Refuses: building
//! PromQL (the engine does) and anything about Kubernetes or the metrics API.

mod client;
mod decode;
pub mod http_config;
pub mod quantile;

mod transport;
mod trust;

#[doc(hidden)]
pub mod fuzzing;

pub use client::PromClient;
pub use http_config::{AccessFlags, HttpAccess};
pub use lviz_api::BackendError;
pub use lviz_api::redact_url;
pub use transport::{PromConfig, RawResponse, StreamedResponse, Transport, deadline_after, late};

use std::collections::BTreeMap;

/// The backend name in messages.
pub const BACKEND: &str = "Prometheus";

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map(String::as_str).unwrap_or("")
    }
}
