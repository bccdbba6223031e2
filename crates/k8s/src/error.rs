//! The one error type of Kubernetes access: a missing object is its own case, so callers can
//! tell "not there" from "cannot ask".

use lviz_api::{BackendError, Rejection};

/// A failure from the Kubernetes API: a missing object is its own case, so callers can tell
/// "not there" from "cannot ask".
#[derive(Debug, Clone, thiserror::Error)]
pub enum KubeError {
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl From<KubeError> for Rejection {
    fn from(e: KubeError) -> Self {
        match e {
            KubeError::NotFound(m) => Rejection::NotFound(m),
            KubeError::Backend(b) => Rejection::Backend(b),
        }
    }
}

/// An error and its causes on one line, each cause once.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text = format!("{text}: {s}");
        }
        cause = c.source();
    }
    text
}
