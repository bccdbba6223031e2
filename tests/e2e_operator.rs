//! Operator features end to end (real Prometheus, fake Kubernetes API, the real binary):
//! `--sort-by`, `--no-headers`, `--color`, `--fail-if` gates and exit code 3, empty-result
//! hints, and `--watch` when stdout is piped (tables, NDJSON). The terminal side of `--watch`
//! is `tests/watch_tty.rs`.

mod common;

use common::{Run, env, lviz, lviz_raw};
use lviz_testkit::mesh::EVAL_TIME;

/// `lviz` against the shared backends at another evaluation time, with extra environment.
fn lviz_at(at: &str, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full: Vec<&str> = vec!["--prometheus-url", &e.prometheus_url, "--at", at, "--kubeconfig", &kubeconfig];
    full.extend(args);
    lviz_raw(&full, envs)
}

fn lviz_env(args: &[&str], envs: &[(&str, &str)]) -> Run {
    lviz_at(&EVAL_TIME.to_string(), args, envs)
}

fn names(run: &Run) -> Vec<String> {
    run.table().iter().map(|r| r["NAME"].clone()).collect()
}

/// Removes `ESC [ … m` sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// --sort-by, --no-headers
// ---------------------------------------------------------------------------------------------

#[test]
fn sort_by_rps_descending_puts_rows_without_data_last() {
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--sort-by", "-rps"]).ok();
    assert_eq!(names(&run), ["web", "emoji", "voting", "vote-bot"]);
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--sort-by", "rps"]).ok();
    assert_eq!(names(&run), ["voting", "emoji", "web", "vote-bot"], "ascending, no data still last");
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--sort-by=-p99"]).ok();
    assert_eq!(names(&run), ["voting", "web", "emoji", "vote-bot"]);
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--sort-by", "success"]).ok();
    assert_eq!(names(&run), ["voting", "web", "emoji", "vote-bot"]);
}

#[test]
fn sort_applies_to_json_and_other_commands() {
    let json = lviz(&["stat", "deploy", "-n", "emojivoto", "-o", "json", "--sort-by", "-tcp"]).ok().json();
    let order: Vec<&str> = json.as_array().expect("array").iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(order, ["emoji", "web", "voting", "vote-bot"]);

    let routes = lviz(&["routes", "deploy/web", "-n", "emojivoto", "--sort-by", "-route"]).ok();
    // Routes tables end with a blank line, as linkerd prints them.
    let routes: Vec<&str> =
        routes.stdout.lines().skip(1).filter(|l| !l.is_empty()).filter_map(|l| l.split("   ").next()).collect();
    assert_eq!(routes, ["[DEFAULT]", "GET /api/vote", "GET /api/list", "GET /api/leaderboard"]);

    let edges = lviz(&["edges", "deploy", "-n", "ops", "--sort-by", "dst", "-o", "json"]).ok().json();
    let dsts: Vec<&str> = edges.as_array().expect("array").iter().filter_map(|e| e["dst"].as_str()).collect();
    assert_eq!(dsts, ["legacy", "traffic", "web"]);
}

#[test]
fn unknown_sort_column_is_a_usage_error_listing_the_valid_ones() {
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--sort-by", "-latency"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: unknown --sort-by column \"latency\" for stat; valid columns: name, namespace, status, meshed, \
         success, rps, p50, p95, p99, tcp, read, write (prefix with - for descending)\n"
    );
    let run = lviz(&["edges", "deploy", "--sort-by", "rps"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("for edges; valid columns: src, dst, src_ns"), "{}", run.stderr);
}

#[test]
fn no_headers_is_the_default_output_minus_its_header() {
    for args in [
        &["stat", "deploy", "-n", "emojivoto"][..],
        &["stat", "po", "-n", "emojivoto", "-o", "wide"],
        &["edges", "deploy", "-n", "ops"],
        &["gateways"],
    ] {
        let plain = lviz(args).ok().stdout;
        let mut with_flag: Vec<&str> = args.to_vec();
        with_flag.push("--no-headers");
        let bare = lviz(&with_flag).ok().stdout;
        let expected: String = plain.split_inclusive('\n').skip(1).collect();
        assert_eq!(bare, expected, "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// --color
// ---------------------------------------------------------------------------------------------

#[test]
fn color_is_off_when_piped_and_forced_by_flag_or_environment() {
    let args = ["stat", "deploy", "-n", "emojivoto"];
    let plain = lviz_env(&args, &[]).ok().stdout;
    assert!(!plain.contains('\x1b'), "auto + piped: no color");

    let always = lviz_env(&["stat", "deploy", "-n", "emojivoto", "--color", "always"], &[]).ok().stdout;
    assert!(always.contains("\x1b[1mNAME    \x1b[0m"), "bold header: {always:?}");
    assert!(always.contains("\x1b[32m100.00%\x1b[39m"), "green success: {always:?}");
    assert!(always.contains("\x1b[31m80.00%\x1b[39m"), "red success: {always:?}");
    assert!(always.contains("\x1b[32m47ms\x1b[39m"), "green latency: {always:?}");
    assert_eq!(strip_ansi(&always), plain, "colors never move a column");

    for (envs, colored) in [
        (&[("FORCE_COLOR", "1")][..], true),
        (&[("CLICOLOR_FORCE", "1")], true),
        (&[("FORCE_COLOR", "0")], false),
        (&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], false),
    ] {
        let out = lviz_env(&args, envs).ok().stdout;
        assert_eq!(out.contains('\x1b'), colored, "{envs:?}");
    }
    let flag_wins = lviz_env(&["stat", "deploy", "-n", "emojivoto", "--color", "always"], &[("NO_COLOR", "1")]);
    assert!(flag_wins.ok().stdout.contains('\x1b'), "--color always beats NO_COLOR");
    let never = lviz_env(&["stat", "deploy", "-n", "emojivoto", "--color", "never"], &[("FORCE_COLOR", "1")]);
    assert_eq!(never.ok().stdout, plain);
}

#[test]
fn colored_routes_stay_aligned_and_json_is_never_colored() {
    let plain = lviz(&["routes", "deploy/web", "-n", "emojivoto"]).ok().stdout;
    let colored = lviz(&["routes", "deploy/web", "-n", "emojivoto", "--color", "always"]).ok().stdout;
    assert!(colored.contains("\x1b[31m80.00%\x1b[39m"), "{colored:?}");
    assert_eq!(strip_ansi(&colored), plain);
    let json = lviz(&["stat", "deploy", "-n", "emojivoto", "-o", "json", "--color", "always"]).ok();
    assert!(!json.stdout.contains('\x1b'));
    // edges keeps linkerd's own colored check mark.
    let edges = lviz(&["edges", "deploy", "-n", "ops", "--color", "always"]).ok().stdout;
    assert!(edges.contains("\x1b[32;1m√\x1b[0;22m"), "{edges:?}");
}

// ---------------------------------------------------------------------------------------------
// --fail-if
// ---------------------------------------------------------------------------------------------

#[test]
fn gates_that_pass_exit_zero() {
    let run = lviz(&["stat", "deploy/web", "-n", "emojivoto", "--fail-if", "success<90%", "--fail-if", "p99>250ms"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.starts_with("NAME "), "normal output: {}", run.stdout);
}

#[test]
fn breaching_rows_are_listed_and_exit_three_after_the_output() {
    let run = lviz(&[
        "stat",
        "deploy",
        "-n",
        "emojivoto",
        "--fail-if",
        "success<99.5%",
        "--fail-if",
        "p99 > 50ms",
        "--fail-if",
        "rps<0.5",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stdout, lviz(&["stat", "deploy", "-n", "emojivoto"]).ok().stdout, "normal output first");
    assert_eq!(
        run.stderr,
        "lviz: gate failed: deploy/voting in emojivoto: success 80.00% < 99.50%\n\
         lviz: gate failed: deploy/voting in emojivoto: p99 95ms > 50ms\n\
         lviz: gate failed: deploy/web in emojivoto: success 93.33% < 99.50%\n"
    );
    // Same rule as a fraction; JSON output gates the same way.
    let run = lviz(&["stat", "deploy/web", "-n", "emojivoto", "-o", "json", "--fail-if", "success<0.995"]);
    assert_eq!(run.code, 3);
    assert_eq!(run.json()[0]["name"], "web");
    assert_eq!(run.stderr, "lviz: gate failed: deploy/web in emojivoto: success 93.33% < 99.50%\n");
}

#[test]
fn rows_without_traffic_pass_unless_fail_on_no_traffic() {
    let args = ["stat", "deploy/vote-bot", "-n", "emojivoto", "--fail-if", "success<99%"];
    let run = lviz(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("gate failed"), "{}", run.stderr);

    let mut strict = args.to_vec();
    strict.push("--fail-on-no-traffic");
    let run = lviz(&strict);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains(
            "lviz: gate failed: deploy/vote-bot in emojivoto: no traffic (success<99%, --fail-on-no-traffic)\n"
        ),
        "{}",
        run.stderr
    );
    // An empty result breaches too.
    let run = lviz(&["stat", "deploy", "-n", "empty-ns", "--fail-if", "rps<1", "--fail-on-no-traffic"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("lviz: gate failed: no rows to check (--fail-on-no-traffic)"), "{}", run.stderr);
}

#[test]
fn route_gates() {
    let run = lviz(&["routes", "deploy/web", "-n", "emojivoto", "--fail-if", "success<90%", "--fail-if", "p99>=49ms"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "lviz: gate failed: route \"GET /api/vote\" of deploy/web (web-svc): success 80.00% < 90.00%\n\
         lviz: gate failed: route \"GET /api/vote\" of deploy/web (web-svc): p99 49ms >= 49ms\n"
    );
}

#[test]
fn bad_gates_are_usage_errors_naming_the_expression() {
    for (args, message) in [
        (&["stat", "deploy", "--fail-if", "latency>1s"][..], "invalid --fail-if \"latency>1s\": unknown metric"),
        (&["stat", "deploy", "--fail-if", "p99>250"], "invalid --fail-if \"p99>250\": a latency needs a unit"),
        (&["stat", "deploy", "--fail-if", "success<99.5"], "invalid --fail-if \"success<99.5\": a success rate is"),
        (
            &["edges", "deploy", "--fail-if", "rps<1"],
            "--fail-if applies to stat, routes, stat-inbound, stat-outbound and authz only",
        ),
        (&["stat", "deploy", "--fail-on-no-traffic"], "--fail-on-no-traffic needs at least one --fail-if"),
    ] {
        let run = lviz(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(&format!("error: {message}")), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1);
    }
}

#[test]
fn help_documents_exit_code_three() {
    let run = lviz_raw(&["--help"], &[]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("  3  a --fail-if gate failed"), "{}", run.stdout);
    let run = lviz_raw(&["stat", "--help"], &[]);
    assert!(run.stdout.contains("--fail-if <EXPR>"), "{}", run.stdout);
    assert!(run.stdout.contains("--fail-on-no-traffic"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Empty-result hints
// ---------------------------------------------------------------------------------------------

/// The one `hint:` line of a run (there must be exactly one), and the exit code unchanged.
fn hint(run: &Run) -> String {
    assert_eq!(run.code, 0, "hints never change the exit code: {}", run.stderr);
    let hints: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(hints.len(), 1, "exactly one hint: {}", run.stderr);
    hints[0].to_string()
}

#[test]
fn hint_no_meshed_pods() {
    let run = lviz(&["stat", "deploy", "-n", "empty-ns"]);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("No traffic found.\n"), "{}", run.stderr);
    assert_eq!(
        hint(&run),
        "hint: namespace \"empty-ns\" has no meshed pods (1 pod, without the Linkerd proxy): inject its workloads \
         (linkerd inject), or add --unmeshed to show its rows anyway"
    );
    let edges = lviz(&["edges", "deploy", "-n", "empty-ns"]);
    assert!(hint(&edges).starts_with("hint: namespace \"empty-ns\" has no meshed pods"), "{}", edges.stderr);
}

#[test]
fn hint_no_proxy_series_at_that_time() {
    let run = lviz_at("2025-01-01T00:00:00Z", &["stat", "deploy", "-n", "emojivoto"], &[]);
    assert_eq!(
        hint(&run),
        "hint: Prometheus has no Linkerd proxy series (response_total, tcp_open_connections) at \
         2025-01-01T00:00:00Z: check --at, and that this Prometheus scrapes the linkerd-proxy containers"
    );
}

#[test]
fn hint_window_shorter_than_two_scrape_intervals() {
    // The test Prometheus scrapes every 10s; vote-bot receives nothing, so every cell is `-`.
    let run = lviz(&["stat", "deploy/vote-bot", "-n", "emojivoto", "-t", "15s"]);
    assert_eq!(
        hint(&run),
        "hint: the 15s window is shorter than two scrape intervals (10s each), so rates often have a single \
         sample: use -t 20s or more"
    );
    // With a long enough window the likeliest cause is another one.
    let run = lviz(&["stat", "deploy/vote-bot", "-n", "emojivoto"]);
    assert_eq!(
        hint(&run),
        "hint: deploy/vote-bot receives no requests but sends some: see them with lviz stat deploy --from \
         deploy/vote-bot -n emojivoto"
    );
}

#[test]
fn hint_missing_names() {
    let run = lviz(&["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/nope"]);
    assert_eq!(
        hint(&run),
        "hint: --to deploy/nope does not exist in namespace \"emojivoto\": check its name (and --to-namespace)"
    );
    let run = lviz(&["stat", "deploy", "-n", "no-such-ns"]);
    assert_eq!(hint(&run), "hint: namespace \"no-such-ns\" does not exist: check -n (or the context's namespace)");
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "-l", "app=nope"]);
    assert_eq!(hint(&run), "hint: no deployment in namespace \"emojivoto\" matches -l app=nope");
    let run = lviz(&["stat", "sts", "-n", "emojivoto"]);
    assert_eq!(hint(&run), "hint: there are no statefulsets in namespace \"emojivoto\"");
}

#[test]
fn hint_routes_without_service_profile() {
    let run = lviz(&["routes", "deploy/emoji", "-n", "emojivoto"]);
    assert!(run.stdout.contains("[DEFAULT]"), "{}", run.stdout);
    assert_eq!(
        hint(&run),
        "hint: no ServiceProfile for emoji-svc: routes shows only [DEFAULT]; create one, e.g. linkerd profile \
         --template emoji-svc -n emojivoto"
    );
    let run = lviz(&["routes", "deploy/vote-bot", "-n", "emojivoto"]);
    assert!(hint(&run).starts_with("hint: deploy/vote-bot is not behind any Service"), "{}", run.stderr);
}

#[test]
fn hints_only_for_empty_results_and_never_on_stdout() {
    let run = lviz(&["stat", "deploy", "-n", "emojivoto"]).ok();
    assert_eq!(run.stderr, "", "rows with data: no hint");
    let run = lviz(&["stat", "deploy", "-n", "empty-ns", "-o", "json"]);
    assert_eq!(run.stdout, "[]\n", "JSON stdout stays one document");
    assert!(hint(&run).contains("no meshed pods"));
}

// ---------------------------------------------------------------------------------------------
// --watch, piped
// ---------------------------------------------------------------------------------------------

#[test]
fn watch_json_piped_is_ndjson() {
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--watch", "1s", "--watch-count", "2", "-o", "json"]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(run.stdout.ends_with('\n'));
    let once = lviz(&["stat", "deploy", "-n", "emojivoto", "-o", "json"]).ok().json();
    // Each line is the whole answer with its evaluation time (--at advances by the interval).
    for (line, at) in lines.iter().zip(["2026-01-01T00:20:00Z", "2026-01-01T00:20:01Z"]) {
        let doc: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(doc, serde_json::json!({"at": at, "data": once}));
        assert!(!line.contains(": "), "compact: {line}");
    }
}

#[test]
fn watch_table_piped_separates_refreshes_with_a_blank_line() {
    let once = lviz(&["stat", "deploy", "-n", "emojivoto"]).ok().stdout;
    let run = lviz(&["stat", "deploy", "-n", "emojivoto", "--watch", "100ms", "--watch-count", "3"]).ok();
    // Each table under the line naming its refresh and evaluation time.
    assert_eq!(
        run.stdout,
        format!(
            "Every 100ms: refresh 1/3 at 2026-01-01T00:20:00Z\n{once}\nEvery 100ms: refresh 2/3 at \
             2026-01-01T00:20:00.1Z\n{once}\nEvery 100ms: refresh 3/3 at 2026-01-01T00:20:00.2Z\n{once}"
        )
    );
    let edges = lviz(&["edges", "deploy", "-n", "ops", "--watch=100ms", "--watch-count", "2", "-o", "json"]).ok();
    assert_eq!(edges.stdout.lines().count(), 2);
    let gateways = lviz(&["gateways", "--watch", "100ms", "--watch-count", "2"]).ok();
    assert_eq!(gateways.stdout.matches("CLUSTER").count(), 2);
}

#[test]
fn watch_flag_errors() {
    for (args, message) in [
        (&["stat", "deploy", "--watch-count", "2"][..], "error: --watch-count needs --watch"),
        (&["stat", "deploy", "--watch", "10ms"], "error: invalid --watch interval \"10ms\": must be at least 100ms"),
        (&["stat", "--watch", "deploy"], "error: invalid value 'deploy' for '--watch [<INTERVAL>]'"),
        (&["stat", "deploy", "--watch", "--fail-if", "rps<1"], "error: --fail-if cannot be combined with --watch"),
    ] {
        let run = lviz(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
    }
    // A failure on the first refresh ends the watch with its error.
    let run = lviz(&["stat", "deploy/nope", "-n", "emojivoto", "--watch", "100ms"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: deployments.apps \"nope\" not found\nhint: searched namespace \"emojivoto\" (-n emojivoto)\n"
    );
}
