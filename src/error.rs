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
    /// clap's own message, kept whole: the error and its context (a missing argument, the
    /// possible values, a similar name), `Usage:` and the `--help` tip. Exit 2.
    Parse(String),
    /// An error followed by a `hint:` line saying what to do about it (a similar type name,
    /// the namespace that was searched).
    Hinted(Box<CliError>, String),
    /// The output could not be written (a full disk, a closed terminal), or the terminal could
    /// not be set up.
    Io(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Io(m) => f.write_str(m),
            CliError::Rejected(r) => r.fmt(f),
            CliError::Parse(m) => f.write_str(m.trim_start_matches("error: ")),
            CliError::Hinted(e, _) => e.fmt(f),
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
            CliError::Usage(_) | CliError::Parse(_) | CliError::Rejected(Rejection::Usage(_)) => 2,
            CliError::Rejected(Rejection::Invalid(_) | Rejection::NotFound(_) | Rejection::Backend(_))
            | CliError::Io(_) => 1,
            CliError::Hinted(e, _) => e.exit_code(),
        }
    }

    /// The text for stderr: one `error:` line (clap's whole message for a parse error), then
    /// the hint, if any, on its own line. Lines are bounded and credentials scrubbed; the
    /// writer (`crate::output`) escapes what is left.
    pub fn report(&self) -> String {
        let line = |text: &str| hygiene::one_line(&hygiene::scrub_credentials(text), hygiene::LINE_CHARS);
        match self {
            CliError::Parse(text) => format!("{}\n", text.trim_end()),
            CliError::Hinted(e, hint) => format!("{}hint: {}\n", e.report(), line(hint)),
            _ => format!("error: {}\n", line(&self.to_string())),
        }
    }

    /// This error with a `hint:` line after it.
    pub fn with_hint(self, hint: impl Into<String>) -> CliError {
        CliError::Hinted(Box::new(self), hint.into())
    }
}

/// clap's error as lviz reports it: help and version text is not an error (`Ok`: print it on
/// stdout, exit 0); anything else keeps clap's whole message, without color, for the one
/// reporter.
pub fn from_clap(e: clap::Error) -> Result<String, CliError> {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(text),
        _ => Err(CliError::Parse(text)),
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
        let hinted = e.with_hint("try\nthis \u{7}");
        assert!(
            hinted.report().contains("\nhint: try this ") && !hinted.report().contains('\u{7}'),
            "{}",
            hinted.report()
        );
        assert_eq!(hinted.report().matches('\n').count(), 2);
    }
}
