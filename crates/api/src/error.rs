//! The one error type of every answer: a [`Rejection`] says why a request got no answer, and
//! every front-end maps it once (the CLI to exit codes, the HTTP server to statuses and the
//! spec's error object, the gRPC server to Linkerd's contract). Nothing here decides anything;
//! it only names the cases.

use std::fmt;

/// A failure talking to a backend, phrased for an operator: which backend, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    /// "Prometheus", "Kubernetes API", "metrics API", ...
    pub backend: &'static str,
    /// Already redacted (no credentials).
    pub url: String,
    pub cause: String,
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.backend, self.url, self.cause)
    }
}

impl std::error::Error for BackendError {}

/// Why a request was not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The request itself is wrong (unknown type, bad window, `--to` with `--from`, no
    /// ServiceProfiles…): Linkerd's words. HTTP 400; gRPC puts it in the response's `error`.
    Invalid(String),
    /// lviz is configured in a way that cannot work (flags, environment, kubeconfig choices):
    /// a usage problem of whoever started lviz, not of the request.
    Usage(String),
    /// A named object does not exist (`deployments.apps "nope" not found`). HTTP 404.
    NotFound(String),
    /// Prometheus, Kubernetes or a metrics API failed. HTTP 502.
    Backend(BackendError),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Invalid(m) | Rejection::Usage(m) | Rejection::NotFound(m) => f.write_str(m),
            Rejection::Backend(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Rejection {}

impl From<BackendError> for Rejection {
    fn from(e: BackendError) -> Self {
        Rejection::Backend(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_backend_and_url() {
        let e = BackendError { backend: "Prometheus", url: "http://p/".into(), cause: "down".into() };
        assert_eq!(e.to_string(), "Prometheus at http://p/: down");
        assert_eq!(Rejection::from(e).to_string(), "Prometheus at http://p/: down");
        assert_eq!(Rejection::Invalid("bad".into()).to_string(), "bad");
    }
}
