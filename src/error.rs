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
    /// clap's own message, kept whole: the error and its context (a missing argument, the
    /// possible values, a similar name), `Usage:` and the `--help` tip. Exit 2.
    Parse(String),
    /// An error followed by a `hint:` line saying what to do about it (a similar type name,
    /// the namespace that was searched).
    Hinted(Box<CliError>, String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => f.write_str(m),
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
            CliError::Rejected(Rejection::Invalid(_) | Rejection::NotFound(_) | Rejection::Backend(_)) => 1,
            CliError::Hinted(e, _) => e.exit_code(),
        }
    }

    /// The text for stderr: one `error:` line (clap's whole message for a parse error), then
    /// the hint, if any, on its own line.
    pub fn report(&self) -> String {
        match self {
            CliError::Parse(text) => format!("{}\n", text.trim_end()),
            CliError::Hinted(e, hint) => format!("{}hint: {}\n", e.report(), hint.replace('\n', " ")),
            _ => {
                let text = self.to_string().replace('\n', " ");
                format!("error: {text}\n")
            }
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
