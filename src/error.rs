//! The one error reporter and exit-code policy: 0 ok (an empty result is ok), 1 a backend
//! failed, an object is missing, the API rejected the request or the output could not be
//! written, 2 usage, 3 a `--fail-if` gate failed ([`GATE_FAILED`]; not an error: the output is
//! printed in full). A report is one line, whatever the message holds: bounded, credentials
//! scrubbed, unsafe characters escaped (`lviz_api::hygiene`).

use lviz_api::{Rejection, hygiene};

/// Exit code when a `--fail-if` gate fails (distinct from 1 and 2, so CI can tell a breach
/// from a broken check).
pub const GATE_FAILED: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// Bad arguments, flags or values, found before anything was asked.
    Usage(String),
    /// A backend (embedded engine or remote API) did not answer.
    Rejected(Rejection),
    /// The output could not be written (a full disk, a closed terminal), or the terminal could
    /// not be set up.
    Io(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Io(m) => f.write_str(m),
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
            CliError::Rejected(Rejection::Invalid(_) | Rejection::NotFound(_) | Rejection::Backend(_))
            | CliError::Io(_) => 1,
        }
    }

    /// One line for stderr.
    pub fn report(&self) -> String {
        let text = hygiene::one_line(&hygiene::scrub_credentials(&self.to_string()), hygiene::LINE_CHARS);
        format!("error: {text}\n")
    }
}

/// A usage error.
pub fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::BackendError;

    #[test]
    fn reports_are_one_safe_line() {
        let cause = format!("\u{1b}[2Jbad\r\nthing Authorization: Bearer s3cr3t-token {}", "x".repeat(5000));
        let e = CliError::Rejected(Rejection::Backend(BackendError {
            backend: "Prometheus",
            url: "http://p/".into(),
            cause,
        }));
        let line = e.report();
        assert!(
            line.starts_with("error: Prometheus at http://p/: \\x1b[2Jbad thing Authorization: Bearer *** xxx"),
            "{line}"
        );
        assert_eq!(line.matches('\n').count(), 1);
        assert!(!line.contains("s3cr3t") && line.chars().count() < 1100);
        assert_eq!(CliError::Io("cannot write output".into()).exit_code(), 1);
    }
}
