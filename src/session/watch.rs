//! `--watch [INTERVAL]`: the command again every interval.
//!
//! * stdout a terminal: the alternate screen, cursor hidden, line wrap off; each refresh is built
//!   as one frame (cursor home, every line cleared to its end, the rest of the screen cleared)
//!   and written at once, so nothing scrolls or flickers. Frames taller than the terminal are cut.
//!   Ctrl-C (or SIGTERM) restores the screen and exits 0; so does any error or panic (a guard).
//!   When `--watch-count` ends the watch, the last frame is printed on the normal screen.
//! * stdout piped: one table per refresh, separated by a blank line; with `-o json`, one compact
//!   JSON document per line (NDJSON). Notes and hints go to stderr as usual.
//!
//! With `--at`, refresh *n* (from 0) is evaluated at `--at + n × INTERVAL`, so a watch replays
//! history at its own pace. A failure on the first refresh ends the command with its error; later
//! failures are shown (on the frame, or on stderr) and the watch goes on.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crossterm::{cursor, execute, terminal};

use lviz_api::window::go_duration_string;
use lviz_render::{Rendered, compact_json};

use super::{Outcome, View, answer_with_hint};
use crate::backend::Backend;
use crate::error::CliError;
use crate::settings::{Session, WatchSpec};

pub async fn watch<V: View>(
    backend: &Backend,
    view: &V,
    session: &Session,
    spec: WatchSpec,
) -> Result<Outcome, CliError> {
    if std::io::stdout().is_terminal() {
        on_terminal(backend, view, session, spec).await
    } else {
        piped(backend, view, session, spec).await
    }
}

/// The evaluation time of refresh `n` (from 0): `--at` moved forward by `n × interval`;
/// unchanged (now) without `--at`.
pub fn at_for_refresh(at: Option<f64>, n: u64, interval: Duration) -> Option<f64> {
    at.map(|t| t + n as f64 * interval.as_secs_f64())
}

/// One refresh, rendered: the answer's text, its notes and hint.
async fn refresh<V: View>(
    backend: &Backend,
    view: &V,
    session: &Session,
    at: Option<f64>,
) -> Result<Rendered, CliError> {
    let (answer, hint) = answer_with_hint(backend, view, at, session.request_timeout).await?;
    let mut rendered = view.render(&answer);
    if let Some(hint) = hint {
        rendered.stderr.push_str(&hint);
        rendered.stderr.push('\n');
    }
    Ok(rendered)
}

fn count_reached(spec: &WatchSpec, done: u64) -> bool {
    spec.count.is_some_and(|c| done >= c)
}

fn ticker(interval: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}

async fn piped<V: View>(backend: &Backend, view: &V, session: &Session, spec: WatchSpec) -> Result<Outcome, CliError> {
    let mut ticks = ticker(spec.interval);
    let mut printed_table = false;
    let mut done = 0u64;
    while !count_reached(&spec, done) {
        ticks.tick().await;
        let at = at_for_refresh(view.at(), done, spec.interval);
        let result = refresh(backend, view, session, at).await;
        done += 1;
        let rendered = match result {
            Ok(r) => r,
            Err(e) if done == 1 => return Err(e),
            Err(e) => {
                crate::output::stderr_text(&e.report());
                continue;
            }
        };
        let mut text = String::new();
        if session.json {
            text = compact_json(&rendered.stdout);
        } else if !rendered.stdout.is_empty() {
            if printed_table {
                text.push('\n');
            }
            text.push_str(&rendered.stdout);
            printed_table = true;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
            // The reader went away (`| head -1`): the watch is over, not failed.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Outcome::default());
            }
            return Err(CliError::Io(format!("cannot write output: {e}")));
        }
        drop(stdout);
        crate::output::stderr_text(&rendered.stderr);
    }
    Ok(Outcome::default())
}

/// The alternate screen for as long as this lives; dropped on every way out (return, error,
/// panic unwinding), so the terminal always comes back.
struct Screen;

impl Screen {
    fn enter() -> std::io::Result<Screen> {
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, cursor::Hide, terminal::DisableLineWrap)?;
        Ok(Screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), terminal::EnableLineWrap, cursor::Show, terminal::LeaveAlternateScreen);
    }
}

/// Ctrl-C and, on Unix, SIGTERM, SIGHUP (the terminal went away) and SIGQUIT (Ctrl-\\):
/// listening starts when this is created, so a signal that arrives between two polls is not
/// lost (and never kills the process with the screen switched).
struct Interrupts {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl Interrupts {
    fn listen() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup(), SignalKind::quit()];
            Interrupts { signals: kinds.into_iter().filter_map(|k| signal(k).ok()).collect() }
        }
        #[cfg(not(unix))]
        {
            Interrupts {}
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if !self.signals.is_empty() {
            let waits = self.signals.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `2026-01-01T00:20:00.3Z` for an evaluation time (Unix seconds, shown to the millisecond), or
/// now (to the second).
fn format_time(at: Option<f64>) -> String {
    let t = match at {
        Some(secs) => time::OffsetDateTime::from_unix_timestamp_nanos((secs * 1e3).round() as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        None => time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    };
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The first line of every terminal frame.
fn title(spec: &WatchSpec, n: u64, at: Option<f64>) -> String {
    let of = spec.count.map(|c| format!("/{c}")).unwrap_or_default();
    format!("Every {}: refresh {n}{of} at {} (Ctrl-C to quit)", go_duration_string(spec.interval), format_time(at))
}

/// One full screen: cursor home, each line then clear-to-end-of-line, then clear the rest of
/// the screen. At most `rows` lines; the last is not followed by a newline, so nothing scrolls.
pub fn frame(lines: &[&str], rows: usize) -> String {
    let rows = rows.max(1);
    let mut shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if shown.len() > rows {
        let hidden = shown.len() - (rows - 1);
        shown.truncate(rows - 1);
        shown.push(format!("… {hidden} more lines (enlarge the terminal)"));
    }
    let mut out = String::from("\x1b[H");
    for (i, line) in shown.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
        out.push_str("\x1b[K");
    }
    out.push_str("\x1b[J");
    out
}

async fn on_terminal<V: View>(
    backend: &Backend,
    view: &V,
    session: &Session,
    spec: WatchSpec,
) -> Result<Outcome, CliError> {
    let mut interrupts = Interrupts::listen();
    let screen = Screen::enter().map_err(|e| CliError::Io(format!("cannot use the terminal for --watch: {e}")))?;
    let mut ticks = ticker(spec.interval);
    let mut done = 0u64;
    let mut last = Rendered::default();
    while !count_reached(&spec, done) {
        let at = at_for_refresh(view.at(), done, spec.interval);
        let step = async {
            ticks.tick().await;
            refresh(backend, view, session, at).await
        };
        let result = tokio::select! {
            r = step => r,
            _ = interrupts.recv() => return Ok(Outcome::default()),
        };
        done += 1;
        let body = match result {
            Ok(rendered) => {
                let body = format!("{}{}", rendered.stdout, rendered.stderr);
                last = rendered;
                body
            }
            Err(e) if done == 1 => return Err(e),
            Err(e) => e.report(),
        };
        let head = title(&spec, done, at);
        let mut lines: Vec<&str> = vec![head.as_str(), ""];
        lines.extend(body.lines());
        let rows = terminal::size().map_or(24, |(_, rows)| usize::from(rows));
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(frame(&lines, rows).as_bytes()).and_then(|_| stdout.flush());
    }
    drop(screen);
    // Ended by --watch-count: leave the last answer on the normal screen.
    Ok(Outcome { rendered: last, gate_failed: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_advances_by_the_interval() {
        assert_eq!(at_for_refresh(Some(1000.0), 2, Duration::from_millis(1500)), Some(1003.0));
        assert_eq!(at_for_refresh(None, 5, Duration::from_secs(2)), None);
    }

    #[test]
    fn frames_redraw_in_place_and_never_scroll() {
        assert_eq!(frame(&["a", "b"], 10), "\x1b[Ha\x1b[K\nb\x1b[K\x1b[J");
        assert_eq!(
            frame(&["1", "2", "3", "4"], 3),
            "\x1b[H1\x1b[K\n2\x1b[K\n… 2 more lines (enlarge the terminal)\x1b[K\x1b[J"
        );
    }

    #[test]
    fn titles_name_the_interval_refresh_and_time() {
        let spec = WatchSpec { interval: Duration::from_secs(2), count: Some(3) };
        assert_eq!(
            title(&spec, 2, Some(1767226802.0)),
            "Every 2s: refresh 2/3 at 2026-01-01T00:20:02Z (Ctrl-C to quit)"
        );
        let spec = WatchSpec { interval: Duration::from_millis(100), count: None };
        assert_eq!(
            title(&spec, 4, Some(1767226800.0 + 3.0 * 0.1)),
            "Every 100ms: refresh 4 at 2026-01-01T00:20:00.3Z (Ctrl-C to quit)"
        );
    }
}
