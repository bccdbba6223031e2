//! What a newcomer meets at the command line (issue 15, items 2–5): clap's whole message on a
//! usage error, the command list for `lviz` alone, suggestions for typos, kubectl's spellings
//! of types, help grouped under headings with the command's own flags first, flags refused
//! where they do not apply, and kubectl's habits (`-w`, `-A` with `-n`, `--context`, not-found
//! namespaces, URLs without a scheme). The real binary against the shared Prometheus and fake
//! Kubernetes API.

mod common;

use common::{lviz, lviz_raw};

/// A usage error: exit 2, nothing on stdout; returns stderr.
fn usage(args: &[&str]) -> String {
    let run = lviz_raw(args, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}: {}", run.stderr);
    run.stderr
}

// --- 2. usage errors keep clap's whole message -------------------------------------------------

#[test]
fn a_missing_argument_names_it_with_usage_and_the_help_tip() {
    // Before: only `error: the following required arguments were not provided:`.
    let stderr = usage(&["stat"]);
    assert_eq!(
        stderr,
        "error: the following required arguments were not provided:\n  <RESOURCES>...\n\n\
         Usage: lviz stat <RESOURCES>...\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn a_bad_value_lists_the_possible_ones() {
    let stderr = usage(&["--color", "sometimes", "stat", "po"]);
    assert!(stderr.starts_with("error: invalid value 'sometimes' for '--color <WHEN>'\n"), "{stderr}");
    assert!(stderr.contains("[possible values: auto, always, never]"), "{stderr}");
    assert!(stderr.ends_with("For more information, try '--help'.\n"), "{stderr}");
}

#[test]
fn lviz_alone_lists_the_commands() {
    let stderr = usage(&[]);
    assert!(stderr.contains("Usage: lviz [OPTIONS] <COMMAND>"), "{stderr}");
    for command in ["stat", "routes", "edges", "gateways", "serve", "completion", "version", "man"] {
        assert!(stderr.lines().any(|l| l.trim_start().starts_with(&format!("{command} "))), "{command}: {stderr}");
    }
    assert!(!stderr.contains("--prometheus-url"), "a command list, not every flag: {stderr}");
}

// --- 3. typos get help; kubectl's spellings of types --------------------------------------------

#[test]
fn typos_suggest_the_nearest_type_command_and_flag() {
    let stderr = usage(&["--prometheus-url", "http://127.0.0.1:9", "stat", "deploymnet"]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "error: cannot find Kubernetes canonical name from friendly name [deploymnet]");
    assert!(lines[1].starts_with("hint: did you mean `deployment`? Valid types: cronjob (cj), "), "{stderr}");
    assert_eq!(lines.len(), 2, "{stderr}");

    let stderr = usage(&["stats", "deploy"]);
    assert!(stderr.starts_with("error: unrecognized subcommand 'stats'\n"), "{stderr}");
    // clap names every close command (stat-inbound and stat-outbound too); `stat` is among them.
    let tip = stderr.lines().find(|l| l.contains("tip: ")).unwrap_or_default();
    assert!(tip.contains("similar subcommand") && tip.contains("'stat'"), "{stderr}");

    let stderr = usage(&["stat", "deploy", "--sortby", "rps"]);
    assert!(stderr.contains("tip: a similar argument exists: '--sort-by'"), "{stderr}");
}

#[test]
fn an_unknown_type_lists_the_valid_types() {
    let stderr = usage(&["--prometheus-url", "http://127.0.0.1:9", "edges", "authority", "-A"]);
    assert_eq!(
        stderr,
        "error: cannot find Kubernetes canonical name from friendly name [authority]\n\
         hint: valid types: cronjob (cj), daemonset (ds), deployment (deploy), job, namespace (ns), pod (po), \
         replicationcontroller (rc), replicaset (rs), statefulset (sts), service (svc), all\n"
    );
}

#[test]
fn kubectl_spellings_of_types_are_accepted() {
    let deploy = lviz(&["stat", "deploy", "-n", "emojivoto"]).ok();
    assert!(deploy.stdout.contains("voting"), "{}", deploy.stdout);
    for spelling in ["Deployment", "deployments.apps", "deploy.apps", "deployment.v1.apps"] {
        let run = lviz(&["stat", spelling, "-n", "emojivoto"]).ok();
        assert_eq!(run.stdout, deploy.stdout, "{spelling}");
    }
    let named = lviz(&["stat", "Deployment/web", "-n", "emojivoto"]).ok();
    assert_eq!(named.stdout, lviz(&["stat", "deploy/web", "-n", "emojivoto"]).ok().stdout);
    // kubectl refuses a group the type is not in; so does lviz, with linkerd's message.
    let run = lviz(&["stat", "deployments.batch", "-n", "emojivoto"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: cannot find Kubernetes canonical name from friendly name [deployments.batch]")
    );
}

// --- 4. help is grouped; flags that do not apply are hidden and refused -------------------------

/// The help text of `args` (stdout, exit 0).
fn help(args: &[&str]) -> String {
    let run = lviz_raw(args, &[]);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[test]
fn stat_help_shows_its_own_flags_first_on_one_terminal_page() {
    let text = help(&["stat", "--help"]);
    let lines: Vec<&str> = text.lines().collect();
    let line_of = |needle: &str| {
        lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} missing:\n{text}"))
    };
    let connection = line_of("Connection:");
    // Before: 108 lines, ~20 connection flags among stat's own.
    assert!(connection < 24, "stat's own flags fit a 24-line terminal page before the connection flags:\n{text}");
    for own in
        ["--to <RESOURCE>", "--to-namespace", "--from <RESOURCE>", "--from-namespace", "--selector", "--unmeshed"]
    {
        assert!(line_of(own) < line_of("-n, --namespace"), "{own} comes before the global flags:\n{text}");
    }
    for flag in ["--prometheus-url", "--kubeconfig", "--context", "--api-addr"] {
        assert!(line_of(flag) > connection, "{flag} is under Connection");
    }
    let headings: Vec<usize> = ["Connection:", "Output:", "Watch:", "CI gates:", "Examples:"].map(line_of).to_vec();
    assert!(headings.windows(2).all(|w| w[0] < w[1]), "heading order: {headings:?}\n{text}");
    assert!(line_of("-w, --watch") > line_of("Watch:") && line_of("--fail-if") > line_of("CI gates:"));
    // One line per flag: `--help` is the summary; `lviz help stat` has the details.
    assert!(lines.len() < 90, "{} lines:\n{text}", lines.len());
    assert!(help(&["help", "stat"]).contains("linkerd.io/extension=viz"));
}

#[test]
fn every_command_has_an_examples_section() {
    let root = help(&["--help"]);
    let commands: Vec<&str> = root
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        // A command's line starts with two spaces; a wrapped description with more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help" && !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    for command in commands {
        let text = help(&[command, "--help"]);
        let examples: Vec<&str> =
            text.lines().skip_while(|l| *l != "Examples:").skip(1).take_while(|l| l.starts_with("  ")).collect();
        assert!(
            examples.iter().any(|l| l.starts_with(&format!("  lviz {command}"))),
            "{command} --help has no Examples section:\n{text}"
        );
    }
}

#[test]
fn serve_shows_and_takes_only_what_applies_to_it() {
    let text = help(&["serve", "--help"]);
    for absent in [
        "--output",
        "--watch",
        "--fail-if",
        "--sort-by",
        "--at ",
        "--namespace",
        "--all-namespaces",
        "--api-addr <URL>",
    ] {
        assert!(!text.contains(absent), "serve --help lists {absent}:\n{text}");
    }
    for present in ["--addr", "--prometheus-url", "--kubeconfig", "--request-timeout"] {
        assert!(text.contains(present), "serve --help lacks {present}");
    }
    for (args, flag) in [
        (&["serve", "-o", "json"][..], "--output <FORMAT>"),
        (&["serve", "--watch"], "--watch [<INTERVAL>]"),
        (&["-A", "serve"], "--all-namespaces"),
        (&["serve", "--fail-if", "rps<1"], "--fail-if <EXPR>"),
        (&["serve", "--at", "1767226800"], "--at <TIME>"),
        (&["serve", "--sort-by", "rps"], "--sort-by <COLUMN>"),
        (&["serve", "-n", "x"], "--namespace <NAMESPACE>"),
    ] {
        let stderr = usage(args);
        assert!(
            stderr.starts_with(&format!("error: {flag} does not apply to `lviz serve` (see lviz serve --help)\n")),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("Usage: lviz serve"), "{stderr}");
    }
    // The environment is for every command that uses it: LVIZ_AT does not stop serve (which then
    // fails on its own flag, after parsing).
    let run = lviz_raw(&["--prometheus-url", "http://127.0.0.1:9", "serve", "--addr", "nope"], &[("LVIZ_AT", "1")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("error: invalid --addr \"nope\""), "{}", run.stderr);
}

// --- 5. kubectl habits ------------------------------------------------------------------------

#[test]
fn w_is_watch() {
    let long = lviz(&["stat", "deploy", "-n", "emojivoto", "--watch", "100ms", "--watch-count", "1"]).ok();
    let short = lviz(&["stat", "deploy", "-n", "emojivoto", "-w", "100ms", "--watch-count", "1"]).ok();
    assert!(short.stdout.contains("voting"), "{}", short.stdout);
    assert_eq!(short.stdout.lines().skip(1).collect::<Vec<_>>(), long.stdout.lines().skip(1).collect::<Vec<_>>());
}

#[test]
fn all_namespaces_wins_over_namespace() {
    // Before (and in linkerd): `--all-namespaces and --namespace flags are mutually exclusive`.
    let all = lviz(&["stat", "deploy", "-A"]).ok();
    let both = lviz(&["stat", "deploy", "-A", "-n", "emojivoto"]).ok();
    assert_eq!(both.stdout, all.stdout);
    assert!(both.stdout.contains("linkerd-viz"), "rows of other namespaces too: {}", both.stdout);
    for command in ["stat-inbound", "stat-outbound", "authz"] {
        let all = lviz(&[command, "deploy", "-A"]).ok();
        let both = lviz(&[command, "deploy", "-A", "-n", "emojivoto"]).ok();
        assert_eq!(both.stdout, all.stdout, "{command}");
    }
}

#[test]
fn an_unknown_context_lists_the_contexts() {
    let run = lviz(&["--context", "nope", "stat", "deploy", "-n", "emojivoto"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("context \"nope\" not found in kubeconfig (contexts: fake, other)"), "{}", run.stderr);
    // Without -n the same check runs while finding the context's namespace.
    let run = lviz(&["--context", "nope", "stat", "deploy"]);
    assert!(run.stderr.contains("(contexts: fake, other)"), "{}", run.stderr);
}

#[test]
fn a_missing_target_says_which_namespace_was_searched() {
    let run = lviz(&["stat", "deploy/nope", "-n", "emojivoto"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: deployments.apps \"nope\" not found\nhint: searched namespace \"emojivoto\" (-n emojivoto)\n"
    );
    // The context's namespace when -n is absent (the fake kubeconfig's is `default`).
    let run = lviz(&["stat", "deploy/web"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().nth(1),
        Some("hint: searched namespace \"default\", the kubeconfig context's: choose another with -n NAMESPACE")
    );
}

#[test]
fn a_url_without_scheme_is_a_usage_error() {
    let stderr = usage(&["--prometheus-url", "127.0.0.1:9090", "stat", "deploy"]);
    assert!(
        stderr.starts_with(
            "error: invalid value '127.0.0.1:9090' for '--prometheus-url <URL>': the URL has no scheme: add http:// \
             (http://127.0.0.1:9090) or https://\n"
        ),
        "{stderr}"
    );
    // A bare HOST:PORT is a gRPC metrics API (as linkerd's --api-addr); a bare host is not.
    let run = lviz_raw(&["stat", "deploy"], &[("LVIZ_API_ADDR", "localhost")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("expected grpc://HOST:PORT, HOST:PORT or http://HOST:PORT, got \"localhost\""),
        "{}",
        run.stderr
    );
    let run = lviz_raw(&["stat", "deploy"], &[("LVIZ_API_ADDR", "ftp://localhost:8085")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("unsupported scheme \"ftp\""), "{}", run.stderr);
}

#[test]
fn version_prints_the_client_version() {
    let run = lviz_raw(&["version"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("Client version: {}\n", env!("CARGO_PKG_VERSION")));
    let stderr = usage(&["version", "-o", "json"]);
    assert!(stderr.starts_with("error: --output <FORMAT> does not apply to `lviz version`"), "{stderr}");
}
