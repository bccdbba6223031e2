//! The one error reporter and exit-code policy: 0 ok (an empty result is ok), 1 a backend
//! failed, an object is missing or the API rejected the request, 2 usage, 3 a `--fail-if` gate
//! failed ([`GATE_FAILED`]; not an error: the output is printed in full).

use lviz_api::Rejection;

/// Exit code when a `--fail-if` gate fails (distinct from 1 and 2, so CI can tell a breach
/// from a broken check).
pub const GATE_FAILED: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Bad arguments, flags or values, found before anything was asked.
    Usage(String),
    /// A backend (embedded engine or remote API) did not answer.
    Rejected(Rejection),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => f.write_str(m),
            CliError::Rejected(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for CliError {}

impl From<Rejection> for CliError {
    fn from(r: Rejection) -> Self {
        CliError::Rejected(r)
    }
}

impl CliError {
    /// The one mapping of an error to an exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Rejected(Rejection::Usage(_)) => 2,
            CliError::Rejected(Rejection::Invalid(_) | Rejection::NotFound(_) | Rejection::Backend(_)) => 1,
        }
    }

    /// One line for stderr.
    pub fn report(&self) -> String {
        let text = self.to_string().replace('\n', " ");
        format!("error: {text}\n")
    }
}

/// A usage error.
pub fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(message.into())
}
