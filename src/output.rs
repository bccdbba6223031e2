//! Everything lviz writes to the terminal goes through here: stdout's data, and stderr's notes,
//! hints and errors, whose text (which may quote a backend's body, a Kubernetes message, clap's
//! echo of an argument or any value a user typed) is escaped first, so no control or bidi
//! character reaches the terminal raw (`lviz_api::hygiene`). Writing never panics: a closed or
//! full stderr loses the text, a closed stdout is reported to the caller.

use std::io::Write;

/// Writes `text` to stderr, every unsafe character but newline and tab escaped.
pub fn stderr_text(text: &str) {
    let safe = lviz_api::hygiene::escape_unsafe(text);
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(safe.as_bytes()).and_then(|_| stderr.flush());
}

/// Writes one line to stderr (see [`stderr_text`]).
pub fn stderr_line(line: &str) {
    stderr_text(&format!("{line}\n"));
}

/// Writes `text` to stdout and flushes it.
pub fn stdout_text(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush())
}
