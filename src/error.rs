//! The one error reporter and exit-code policy: 0 ok (an empty result is ok), 1 a backend
//! failed or an object is missing, 2 usage, 3 a `--fail-if` gate failed ([`GATE_FAILED`]; not
//! an error: the output is printed in full).

use crate::engine::EngineError;
use crate::prom::BackendError;

/// Exit code when a `--fail-if` gate fails (distinct from 1 and 2, so CI can tell a breach
/// from a broken check).
pub const GATE_FAILED: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments, flags or values.
    #[error("{0}")]
    Usage(String),
    /// A named object does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The metrics API (embedded or remote) answered with its `error` object.
    #[error("{0}")]
    Response(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::NotFound(_) | CliError::Backend(_) | CliError::Response(_) => 1,
        }
    }

    /// One line for stderr.
    pub fn report(&self) -> String {
        let text = self.to_string().replace('\n', " ");
        format!("error: {text}\n")
    }
}

impl From<EngineError> for CliError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(m) => CliError::NotFound(m),
            EngineError::Backend(b) => CliError::Backend(b),
        }
    }
}
