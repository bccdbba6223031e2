//! The Prometheus HTTP API client: instant queries at an optional evaluation time, typed errors
//! that name the backend and its URL (credentials redacted), and the access settings (auth,
//! headers, TLS) from Prometheus's HTTP config format and lviz's flags. Only this module decodes
//! Prometheus answers.

mod client;
pub mod http_config;
mod redact;

pub use client::{PromClient, PromConfig, RawResponse, Transport};
pub use http_config::{AccessFlags, HttpAccess};
pub use redact::redact_url;

use std::collections::BTreeMap;

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

/// A failure talking to a backend, phrased for an operator: which backend, where, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{backend} at {url}: {cause}")]
pub struct BackendError {
    pub backend: &'static str,
    /// Already redacted.
    pub url: String,
    pub cause: String,
}
