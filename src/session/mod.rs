//! The machinery every view command shares: connect the backend, fetch (with a progress
//! indicator on a terminal), render, explain an empty result, check the gates, once or again
//! every interval (`watch`). It works on the [`View`] trait; no command is named here.

pub mod diagnose;

mod progress;
pub mod route_hints;
pub mod watch;

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;
use lviz_api::Rejection;
use lviz_render::{MetricLine, Rendered};

use crate::backend::Backend;
use crate::error::{CliError, GATE_FAILED};
use crate::settings::{Session, Settings};

/// What a finished command leaves: the text to print, whether a `--fail-if` gate failed, and
/// whether the last refresh of a `--watch` failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub rendered: Rendered,
    pub gate_failed: bool,
    pub watch_failed: bool,
}

impl Outcome {
    /// 0, [`GATE_FAILED`] (3) when a gate failed, or 1 when a watch ended on a failed refresh
    /// (its last good table is still printed); errors have their own codes (`CliError`).
    pub fn exit_code(&self) -> u8 {
        match (self.gate_failed, self.watch_failed) {
            (true, _) => GATE_FAILED,
            (false, true) => 1,
            (false, false) => 0,
        }
    }

    /// Only text for stdout.
    pub fn stdout(text: String) -> Self {
        Outcome { rendered: Rendered { stdout: text, stderr: String::new() }, ..Outcome::default() }
    }
}

/// A command that asks a backend and shows the answer: what the session needs of it.
pub trait View: Send + Sync {
    /// One refresh's answer, before rendering.
    type Answer: Send + Sync;

    /// The evaluation time the command asks for (`--at`), if fixed.
    fn at(&self) -> Option<f64>;

    /// Sends the command's requests (concurrently), evaluated at `at` (`None`: now).
    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Self::Answer, Rejection>>;

    /// The text for stdout (and notes for stderr).
    fn render(&self, answer: &Self::Answer) -> Rendered;

    /// The displayed rows with their numbers, for commands with gates.
    fn metric_lines(&self, _answer: &Self::Answer) -> Option<Vec<MetricLine>> {
        None
    }

    /// The one `hint: …` line explaining an empty answer, or `None` when it has data. Never
    /// fails: a check that cannot run is skipped.
    fn diagnose<'a>(
        &'a self,
        _backend: &'a Backend,
        _answer: &'a Self::Answer,
        _at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
}

/// Runs a view command: once, or under `--watch`. Connecting is bounded by one request
/// timeout, each answer (with its hint) by another.
pub async fn run<V: View>(view: &V, settings: &Settings, session: &Session) -> Result<Outcome, CliError> {
    let backend = within_deadline(settings.timeout, Backend::connect(settings)).await?;
    match session.watch {
        Some(spec) => watch::watch(&backend, view, session, spec).await,
        None => once(&backend, view, session).await,
    }
}

/// One answer: fetch (with a progress indicator on a terminal), render, explain an empty result,
/// check the gates.
async fn once<V: View>(backend: &Backend, view: &V, session: &Session) -> Result<Outcome, CliError> {
    let spinner = progress::wanted(session.json);
    let work = answer_with_hint(backend, view, view.at(), session.request_timeout);
    let (answer, hint) = progress::while_waiting(spinner, work).await?;
    let mut rendered = view.render(&answer);
    if let Some(hint) = hint {
        rendered.stderr.push_str(&hint);
        rendered.stderr.push('\n');
    }
    let breaches = match view.metric_lines(&answer) {
        Some(lines) => session.gates.check(&lines),
        None => Vec::new(),
    };
    for line in &breaches {
        rendered.stderr.push_str(line);
        rendered.stderr.push('\n');
    }
    Ok(Outcome { rendered, gate_failed: !breaches.is_empty(), watch_failed: false })
}

/// Fetches the answer and, when it is empty, the one-line hint explaining why: one request,
/// every backend call inside it sharing one deadline.
async fn answer_with_hint<V: View>(
    backend: &Backend,
    view: &V,
    at: Option<f64>,
    timeout: Duration,
) -> Result<(V::Answer, Option<String>), CliError> {
    within_deadline(timeout, async {
        let answer = view.fetch(backend, at).await?;
        let hint = view.diagnose(backend, &answer, at).await;
        Ok::<_, CliError>((answer, hint))
    })
    .await
}

/// How long after the request's deadline lviz stops waiting for a call that did not give up
/// by itself (every client gives up at the deadline, naming its backend).
const DEADLINE_GRACE: Duration = Duration::from_millis(500);

/// `work` under a deadline `timeout` from now (`lviz_api::deadline`); zero means none. A call
/// that outlives the deadline is abandoned a moment later with the request timeout's error.
async fn within_deadline<T, E>(timeout: Duration, work: impl Future<Output = Result<T, E>>) -> Result<T, CliError>
where
    CliError: From<E>,
{
    if timeout.is_zero() {
        return work.await.map_err(CliError::from);
    }
    let deadline = std::time::Instant::now() + timeout;
    let scoped = lviz_api::deadline::scope(Some(deadline), work);
    match tokio::time::timeout(timeout + DEADLINE_GRACE, scoped).await {
        Ok(result) => result.map_err(CliError::from),
        Err(_) => {
            Err(CliError::Io(format!("no answer within {} (--request-timeout)", humantime::format_duration(timeout))))
        }
    }
}

/// Fetches once and renders (no hint, no gates).
pub async fn execute<V: View>(backend: &Backend, view: &V) -> Result<Rendered, CliError> {
    let answer = view.fetch(backend, view.at()).await?;
    Ok(view.render(&answer))
}
