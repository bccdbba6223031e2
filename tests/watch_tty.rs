//! `--watch` on a real terminal: the binary runs in an interactive shell inside tmux (a
//! pseudo-terminal), redraws in place on the alternate screen, and Ctrl-C brings the shell back
//! with the screen restored. Needs `tmux` (scripts/test installs it). Waits poll the pane with a
//! generous deadline; nothing asserts on timing.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{env, lviz_bin};
use lviz_testkit::mesh::EVAL_TIME;

/// A private tmux server holding one shell session; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
        assert!(found, "tmux is required for the terminal tests: apt-get install -y tmux");
        let tmux = Tmux { socket: format!("lviz-{name}-{}", std::process::id()) };
        let home = env().home.path().to_string_lossy().to_string();
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "150",
            "-y",
            "30",
            &format!("env -u NO_COLOR HOME={home} bash --norc --noprofile -i"),
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out =
            Command::new("tmux").args(["-L", &self.socket, "-f", "/dev/null"]).args(args).output().expect("run tmux");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn flag(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", format]).trim().to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        self.run(&args);
    }

    /// Polls the pane until `done` accepts it (deadline 60s, for loaded machines).
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}

fn command_line(extra: &str) -> String {
    command_line_to(&env().prometheus_url, extra)
}

fn command_line_to(prometheus_url: &str, extra: &str) -> String {
    let e = env();
    format!(
        "{} stat deploy -n emojivoto --prometheus-url {} --kubeconfig {} --at {EVAL_TIME} {extra}; echo lviz-$((40+2))-exit=$?",
        lviz_bin().display(),
        prometheus_url,
        e.kube.kubeconfig_path().display()
    )
}

/// The refresh number in a frame title (`Every 1s: refresh N at …`).
fn refresh_number(screen: &str) -> Option<u64> {
    let rest = screen.split("refresh ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

#[test]
fn watch_redraws_in_place_and_ctrl_c_restores_the_terminal() {
    let tmux = Tmux::start("ctrlc");
    tmux.keys(&[&command_line("--watch 1s"), "Enter"]);
    let screen = tmux.wait_for("the second refresh", |s| refresh_number(s).is_some_and(|n| n >= 2));
    assert_eq!(tmux.flag("#{alternate_on}"), "1", "alternate screen while watching");
    assert_eq!(tmux.flag("#{cursor_flag}"), "0", "cursor hidden while watching");

    // One frame: title, blank line, the table; redrawn in place, so exactly one table on screen.
    let n = refresh_number(&screen).unwrap_or(0);
    let lines: Vec<&str> = screen.lines().collect();
    // --at advances by the interval: refresh n is evaluated (n-1)s after --at.
    assert_eq!(lines[0], format!("Every 1s: refresh {n} at 2026-01-01T00:20:0{}Z (Ctrl-C to quit)", n - 1));
    assert_eq!(lines[1], "");
    assert!(lines[2].starts_with("NAME       MESHED   SUCCESS"), "{screen}");
    assert!(lines[6].starts_with("web           1/1    93.33%"), "{screen}");
    assert_eq!(screen.matches("LATENCY_P50").count(), 1, "no scrolling: {screen}");

    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("the shell after Ctrl-C", |s| s.contains("lviz-42-exit="));
    assert!(screen.contains("lviz-42-exit=0"), "Ctrl-C ends the watch cleanly: {screen}");
    assert_eq!(tmux.flag("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(tmux.flag("#{cursor_flag}"), "1", "cursor shown again");
    assert!(!screen.contains("LATENCY_P50"), "the frame went with the alternate screen: {screen}");
}

#[test]
fn watch_count_on_a_terminal_leaves_the_last_answer() {
    let tmux = Tmux::start("count");
    tmux.keys(&[&command_line("--watch 100ms --watch-count 2"), "Enter"]);
    let screen = tmux.wait_for("the end of the watch", |s| s.contains("lviz-42-exit="));
    assert!(screen.contains("lviz-42-exit=0"), "{screen}");
    assert_eq!(tmux.flag("#{alternate_on}"), "0");
    assert_eq!(screen.matches("LATENCY_P50").count(), 1, "the last table, once: {screen}");
    assert!(!screen.contains("Every 100ms"), "no frame title on the normal screen: {screen}");
}

#[test]
fn an_outage_keeps_the_last_good_table_under_a_stale_line() {
    use std::sync::atomic::Ordering;
    let (url, down) = common::servers::switchable_proxy(&env().prometheus_url);
    let tmux = Tmux::start("outage");
    tmux.keys(&[&command_line_to(&url, "-w 300ms"), "Enter"]);
    tmux.wait_for("the first table", |s| s.contains("web           1/1    93.33%"));

    down.store(true, Ordering::SeqCst);
    let screen = tmux.wait_for("the stale line", |s| s.contains("stale since "));
    let stale = screen.lines().find(|l| l.starts_with("stale since ")).unwrap_or_default();
    // `stale since HH:MM:SS: Prometheus at http://127.0.0.1:PORT/: …503…`
    let clock = &stale["stale since ".len()..];
    assert!(clock.as_bytes().get(2) == Some(&b':') && clock.as_bytes().get(8) == Some(&b':'), "{stale}");
    assert!(stale.contains(": Prometheus at http://127.0.0.1:") && stale.contains("503"), "{stale}");
    assert!(screen.contains("web           1/1    93.33%"), "the last good table stays: {screen}");
    assert_eq!(screen.matches("LATENCY_P50").count(), 1, "{screen}");
    let dimmed = tmux.run(&["capture-pane", "-p", "-e", "-t", "t"]);
    assert!(dimmed.contains("\x1b[2mstale since "), "dimmed: {dimmed:?}");

    // Recovery: the stale line goes with the next good refresh.
    down.store(false, Ordering::SeqCst);
    tmux.wait_for("a good refresh", |s| !s.contains("stale since ") && s.contains("93.33%"));

    // Ending during an outage exits 1.
    down.store(true, Ordering::SeqCst);
    tmux.wait_for("the stale line again", |s| s.contains("stale since "));
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("the shell after Ctrl-C", |s| s.contains("lviz-42-exit="));
    assert!(screen.contains("lviz-42-exit=1"), "{screen}");
    assert!(screen.contains("error: the last refresh failed (stale since "), "{screen}");
    assert_eq!(tmux.flag("#{alternate_on}"), "0", "alternate screen left");
}
