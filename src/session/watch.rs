//! `--watch [INTERVAL]`: the command again every interval.
//!
//! * stdout a terminal: the alternate screen, cursor hidden, line wrap off; each refresh is built
//!   as one frame (cursor home, every line cleared to its end, the rest of the screen cleared)
//!   and written at once, so nothing scrolls or flickers. Frames taller than the terminal are cut.
//!   Ctrl-C (or SIGTERM) restores the screen and exits 0; so does any error or panic (a guard).
//!   When `--watch-count` ends the watch, the last frame is printed on the normal screen.
//! * stdout piped: one table per refresh under a line naming the refresh and its time, separated
//!   by a blank line; with `-o json`, one compact JSON object per line (NDJSON):
//!   `{"at":…,"data":<the -o json document>}`, or `{"error":…,"at":…}` for a failed refresh.
//!   Notes, hints and errors go to stderr as usual.
//!
//! With `--at`, refresh *n* (from 0) is evaluated at `--at + n × INTERVAL`, so a watch replays
//! history at its own pace. A failure on the first refresh ends the command with its error.
//! Later failures do not end the watch (an outage passes): the terminal keeps the last good
//! table under a dimmed `stale since HH:MM:SS: <error>` line, the pipe gets the error; when the
//! watch ends (`--watch-count`, Ctrl-C) on a failed refresh, lviz exits 1.

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

/// The failures since the last good refresh: when they started (wall clock) and the latest.
struct Stale {
    since: time::OffsetDateTime,
    error: CliError,
}

impl Stale {
    /// Starts a streak, or keeps its start and takes the newer error.
    fn update(streak: Option<Stale>, error: CliError) -> Stale {
        let since = streak.map_or_else(time::OffsetDateTime::now_utc, |s| s.since);
        Stale { since, error }
    }

    /// `stale since 13:05:02: Prometheus at …: …` (UTC), one line.
    fn line(&self) -> String {
        let (h, m, s) = self.since.to_hms();
        format!("stale since {h:02}:{m:02}:{s:02}: {}", self.error.to_string().replace('\n', " "))
    }

    /// How a watch that ended on this failure reports it: the last good output, then why it
    /// is stale; exit 1.
    fn ending(&self, last: Rendered) -> Outcome {
        let mut rendered = last;
        rendered.stderr.push_str(&format!("error: the last refresh failed ({})\n", self.line()));
        Outcome { rendered, gate_failed: false, watch_failed: true }
    }
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
    let mut stale: Option<Stale> = None;
    while !count_reached(&spec, done) {
        ticks.tick().await;
        let at = at_for_refresh(view.at(), done, spec.interval);
        let result = refresh(backend, view, session, at).await;
        done += 1;
        let shown_at = format_time(at);
        let (text, notes) = match result {
            Err(e) if done == 1 => return Err(e),
            Err(e) => {
                let text = if session.json { ndjson_frame(&shown_at, Err(&e)) } else { String::new() };
                let notes = e.report();
                stale = Some(Stale::update(stale.take(), e));
                (text, notes)
            }
            Ok(rendered) => {
                stale = None;
                let mut text = String::new();
                if session.json {
                    text = ndjson_frame(&shown_at, Ok(&rendered.stdout));
                } else if !rendered.stdout.is_empty() {
                    if printed_table {
                        text.push('\n');
                    }
                    text.push_str(&refresh_line(&spec, done, at));
                    text.push('\n');
                    text.push_str(&rendered.stdout);
                    printed_table = true;
                }
                (text, rendered.stderr)
            }
        };
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
            // The reader went away (`| head -1`): the watch is over, not failed.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Outcome::default());
            }
            return Err(CliError::Io(format!("cannot write output: {e}")));
        }
        drop(stdout);
        crate::output::stderr_text(&notes);
    }
    Ok(match stale {
        Some(s) => s.ending(Rendered::default()),
        None => Outcome::default(),
    })
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
pub fn format_time(at: Option<f64>) -> String {
    let t = match at {
        Some(secs) => time::OffsetDateTime::from_unix_timestamp_nanos((secs * 1e3).round() as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        None => time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    };
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The first line of every terminal frame.
fn title(spec: &WatchSpec, n: u64, at: Option<f64>) -> String {
    format!("{} (Ctrl-C to quit)", refresh_line(spec, n, at))
}

/// `Every 2s: refresh 3/5 at 2026-01-01T00:20:04Z`: the line above each piped table.
fn refresh_line(spec: &WatchSpec, n: u64, at: Option<f64>) -> String {
    let of = spec.count.map(|c| format!("/{c}")).unwrap_or_default();
    format!("Every {}: refresh {n}{of} at {}", go_duration_string(spec.interval), format_time(at))
}

/// One NDJSON line of a piped `-o json` watch: the answer's document with its time, or the
/// error of a failed refresh with its time.
pub fn ndjson_frame(at: &str, answer: Result<&str, &CliError>) -> String {
    let at = serde_json::Value::String(at.to_string());
    match answer {
        Ok(document) => format!("{{\"at\":{at},\"data\":{}}}\n", compact_json(document).trim_end()),
        Err(e) => format!("{{\"error\":{},\"at\":{at}}}\n", serde_json::Value::String(e.to_string())),
    }
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
    let mut stale: Option<Stale> = None;
    while !count_reached(&spec, done) {
        let at = at_for_refresh(view.at(), done, spec.interval);
        let step = async {
            ticks.tick().await;
            refresh(backend, view, session, at).await
        };
        let result = tokio::select! {
            r = step => r,
            _ = interrupts.recv() => break,
        };
        done += 1;
        match result {
            Ok(rendered) => {
                last = rendered;
                stale = None;
            }
            Err(e) if done == 1 => return Err(e),
            Err(e) => stale = Some(Stale::update(stale.take(), e)),
        }
        let body = format!("{}{}", last.stdout, last.stderr);
        let head = title(&spec, done, at);
        let mut lines: Vec<String> = vec![head, String::new()];
        lines.extend(body.lines().map(str::to_string));
        if let Some(s) = &stale {
            // Dim (SGR 2): the table above is the last good one, not this refresh's.
            lines.push(format!("\x1b[2m{}\x1b[0m", s.line()));
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let rows = terminal::size().map_or(24, |(_, rows)| usize::from(rows));
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(frame(&lines, rows).as_bytes()).and_then(|_| stdout.flush());
    }
    drop(screen);
    let ended_by_count = count_reached(&spec, done);
    Ok(match stale {
        Some(s) => s.ending(if ended_by_count { last } else { Rendered::default() }),
        // Ended by --watch-count: leave the last answer on the normal screen.
        None if ended_by_count => Outcome { rendered: last, ..Outcome::default() },
        None => Outcome::default(),
    })
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
    fn piped_json_frames_carry_their_time_or_error() {
        assert_eq!(
            ndjson_frame("2026-01-01T00:20:00Z", Ok("[\n  {\n    \"a\": 1\n  }\n]\n")),
            "{\"at\":\"2026-01-01T00:20:00Z\",\"data\":[{\"a\":1}]}\n"
        );
        let e = CliError::Usage("Prometheus at http://p/: \"down\"".into());
        assert_eq!(
            ndjson_frame("2026-01-01T00:20:02Z", Err(&e)),
            "{\"error\":\"Prometheus at http://p/: \\\"down\\\"\",\"at\":\"2026-01-01T00:20:02Z\"}\n"
        );
    }

    #[test]
    fn stale_lines_keep_the_start_of_the_outage() {
        let first = Stale::update(None, CliError::Usage("one".into()));
        let since = first.since;
        let second = Stale::update(Some(first), CliError::Usage("two\nlines".into()));
        assert_eq!(second.since, since);
        let (h, m, s) = since.to_hms();
        assert_eq!(second.line(), format!("stale since {h:02}:{m:02}:{s:02}: two lines"));
        let ended = second.ending(Rendered { stdout: "table\n".into(), stderr: String::new() });
        assert_eq!((ended.exit_code(), ended.rendered.stdout.as_str()), (1, "table\n"));
        assert!(ended.rendered.stderr.starts_with("error: the last refresh failed (stale since "));
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
