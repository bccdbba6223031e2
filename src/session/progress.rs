//! A spinner on stderr while a command waits on its backends, shown only when the wait passes
//! [`DELAY`] and both stdout and stderr are terminals, never with `-o json` (and `--watch`
//! redraws instead). Hand-written: it is one line of text and a timer, which indicatif would
//! bring a terminal-abstraction dependency for. The line is erased before any output appears.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How long a wait may last before the spinner appears.
pub const DELAY: Duration = Duration::from_millis(300);
const FRAME: Duration = Duration::from_millis(100);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MESSAGE: &str = "querying Prometheus and Kubernetes…";

/// Whether this process should show a spinner at all.
pub fn wanted(json: bool) -> bool {
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    decide(json, std::io::stdout().is_terminal(), std::io::stderr().is_terminal(), dumb)
}

fn decide(json: bool, stdout_tty: bool, stderr_tty: bool, dumb: bool) -> bool {
    !json && stdout_tty && stderr_tty && !dumb
}

/// Awaits `work`, drawing a spinner on stderr if `show` and the wait passes [`DELAY`].
pub async fn while_waiting<F: Future>(show: bool, work: F) -> F::Output {
    if !show {
        return work.await;
    }
    spin(&mut std::io::stderr(), work).await
}

/// The spinner over any writer (tests use a buffer).
async fn spin<W: Write, F: Future>(out: &mut W, work: F) -> F::Output {
    let mut work = std::pin::pin!(work);
    tokio::select! {
        done = &mut work => return done,
        _ = tokio::time::sleep(DELAY) => {}
    }
    let mut ticks = tokio::time::interval(FRAME);
    let mut frame = 0usize;
    loop {
        tokio::select! {
            done = &mut work => {
                // Carriage return + erase line: the next output starts on a clean line.
                let _ = out.write_all(b"\r\x1b[2K");
                let _ = out.flush();
                return done;
            }
            _ = ticks.tick() => {
                let _ = write!(out, "\r{} {MESSAGE}", FRAMES[frame % FRAMES.len()]);
                let _ = out.flush();
                frame += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_terminals_and_never_for_json() {
        assert!(decide(false, true, true, false));
        assert!(!decide(true, true, true, false), "json");
        assert!(!decide(false, false, true, false), "stdout piped");
        assert!(!decide(false, true, false, false), "stderr piped");
        assert!(!decide(false, true, true, true), "TERM=dumb");
    }

    #[tokio::test(start_paused = true)]
    async fn quick_work_draws_nothing() {
        let mut out = Vec::new();
        let value = spin(&mut out, async {
            tokio::time::sleep(Duration::from_millis(250)).await;
            7
        })
        .await;
        assert_eq!(value, 7);
        assert!(out.is_empty(), "{out:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_work_spins_then_erases_the_line() {
        let mut out = Vec::new();
        let value = spin(&mut out, async {
            tokio::time::sleep(Duration::from_millis(550)).await;
            "done"
        })
        .await;
        assert_eq!(value, "done");
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(text.starts_with("\r⠋ querying"), "{text:?}");
        assert!(text.contains("\r⠙ querying"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
    }
}
