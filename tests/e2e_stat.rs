//! `lviz stat` end to end: real Prometheus holding the synthetic mesh, the fake Kubernetes API
//! reached through a kubeconfig, the real binary. Expected numbers are proxy-metrics.md §7.6,
//! derived from the traffic model the testkit generator writes.

mod common;

use common::{assert_cells, lviz, row};

const GOLDEN_CELLS: [&str; 6] = ["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TCP_CONN"];

fn cells(values: [&str; 6]) -> Vec<(&str, &str)> {
    GOLDEN_CELLS.iter().copied().zip(values).collect()
}

#[test]
fn deploy_web_table_is_byte_exact() {
    let run = lviz(&["stat", "deploy/web", "-n", "emojivoto"]).ok();
    assert_eq!(
        run.stdout,
        "NAME   MESHED   SUCCESS      RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN\n\
         web       1/1    93.33%   3.0rps          16ms          35ms          47ms          5\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn deployments_of_emojivoto() {
    let rows = lviz(&["stat", "deploy", "-n", "emojivoto"]).ok().table();
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert_cells(row(&rows, "web"), &cells(["93.33%", "3.0rps", "16ms", "35ms", "47ms", "5"]));
    assert_cells(row(&rows, "emoji"), &cells(["100.00%", "2.0rps", "3ms", "9ms", "10ms", "6"]));
    assert_cells(row(&rows, "voting"), &cells(["80.00%", "1.0rps", "15ms", "75ms", "95ms", "3"]));
    // vote-bot only sends: no inbound requests, so every metric cell is `-` (TCP too).
    assert_cells(row(&rows, "vote-bot"), &cells(["-", "-", "-", "-", "-", "-"]));
    // Failed and Succeeded pods are not running pods.
    assert_cells(row(&rows, "emoji"), &[("MESHED", "2/2")]);
    assert_cells(row(&rows, "voting"), &[("MESHED", "1/1")]);
    assert_cells(row(&rows, "vote-bot"), &[("MESHED", "1/1")]);
    let names: Vec<&str> = rows.iter().map(|r| r["NAME"].as_str()).collect();
    assert_eq!(names, ["emoji", "vote-bot", "voting", "web"], "sorted by name");
}

#[test]
fn wide_adds_byte_rates() {
    let rows = lviz(&["stat", "deploy", "-n", "emojivoto", "-o", "wide"]).ok().table();
    assert_cells(row(&rows, "web"), &[("READ_BYTES/SEC", "470.0B/s"), ("WRITE_BYTES/SEC", "6500.0B/s")]);
    assert_cells(row(&rows, "emoji"), &[("READ_BYTES/SEC", "240.0B/s"), ("WRITE_BYTES/SEC", "7000.0B/s")]);
    assert_cells(row(&rows, "voting"), &[("READ_BYTES/SEC", "120.0B/s"), ("WRITE_BYTES/SEC", "3100.0B/s")]);
    assert_cells(row(&rows, "vote-bot"), &[("READ_BYTES/SEC", "-"), ("WRITE_BYTES/SEC", "-")]);
}

#[test]
fn json_has_linkerd_shape() {
    let json = lviz(&["stat", "deploy", "-n", "emojivoto", "-o", "json"]).ok().json();
    let rows = json.as_array().expect("array");
    let web = rows.iter().find(|r| r["name"] == "web").expect("web row");
    assert_eq!(web["namespace"], "emojivoto");
    assert_eq!(web["kind"], "deployment");
    assert_eq!(web["success"].as_f64(), Some(0.9333333333333333));
    assert_eq!(web["rps"].as_f64(), Some(3.0));
    assert_eq!(web["latency_ms_p50"], 16);
    assert_eq!(web["latency_ms_p95"], 35);
    assert_eq!(web["latency_ms_p99"], 47);
    assert_eq!(web["tcp_open_connections"], 5);
    assert_eq!(web["tcp_read_bytes_rate"].as_f64(), Some(470.0));
    assert_eq!(web["tcp_write_bytes_rate"].as_f64(), Some(6500.0));
    let bot = rows.iter().find(|r| r["name"] == "vote-bot").expect("vote-bot row");
    assert!(bot["success"].is_null() && bot["rps"].is_null() && bot["latency_ms_p99"].is_null());
    assert!(bot.get("tcp_open_connections").is_none(), "no TCP keys without request data");
    assert!(bot.get("meshed").is_none());
}

#[test]
fn json_numbers_are_go_formatted() {
    let run = lviz(&["stat", "deploy/web", "-n", "emojivoto", "-o", "json"]).ok();
    assert!(run.stdout.contains("\"rps\": 3,\n"), "{}", run.stdout);
    assert!(run.stdout.contains("\"success\": 0.9333333333333333,\n"), "{}", run.stdout);
    assert!(run.stdout.contains("\"tcp_read_bytes_rate\": 470,\n"), "{}", run.stdout);
}

#[test]
fn pods_of_emojivoto() {
    let rows = lviz(&["stat", "po", "-n", "emojivoto"]).ok().table();
    for pod in ["emoji-7f5d8c9b6c-4xk7p", "emoji-7f5d8c9b6c-r8m2n"] {
        let r = row(&rows, pod);
        assert_cells(r, &cells(["100.00%", "1.0rps", "3ms", "9ms", "10ms", "3"]));
        assert_cells(r, &[("STATUS", "Running"), ("MESHED", "1/1")]);
    }
    assert!(!rows.iter().any(|r| r["NAME"].contains("old01")), "Failed pods are never listed: {rows:#?}");
}

#[test]
fn namespace_row() {
    let rows = lviz(&["stat", "ns/emojivoto"]).ok().table();
    assert_eq!(rows.len(), 1);
    assert_cells(&rows[0], &[("NAME", "emojivoto"), ("MESHED", "5/5")]);
    assert_cells(&rows[0], &cells(["93.33%", "6.0rps", "11ms", "30ms", "70ms", rows[0]["TCP_CONN"].as_str()]));
}

#[test]
fn from_a_deployment() {
    let rows = lviz(&["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot", "-o", "wide"]).ok().table();
    assert_cells(row(&rows, "web"), &cells(["90.00%", "2.0rps", "17ms", "45ms", "49ms", "1"]));
    assert_cells(row(&rows, "web"), &[("READ_BYTES/SEC", "1500.0B/s"), ("WRITE_BYTES/SEC", "300.0B/s")]);
}

#[test]
fn from_another_namespace() {
    let rows = lviz(&["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/traffic", "--from-namespace", "ops"])
        .ok()
        .table();
    let r = row(&rows, "web");
    assert_cells(r, &cells(["100.00%", "1.0rps", "17ms", "45ms", "49ms", r["TCP_CONN"].as_str()]));
}

#[test]
fn to_a_deployment() {
    let rows = lviz(&["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/voting"]).ok().table();
    assert_eq!(rows.len(), 1);
    let r = row(&rows, "web");
    assert_cells(r, &cells(["80.00%", "1.0rps", "16ms", "75ms", "95ms", r["TCP_CONN"].as_str()]));
}

#[test]
fn to_an_unmeshed_deployment() {
    let rows = lviz(&["stat", "deploy/traffic", "-n", "ops", "--to", "deploy/legacy"]).ok().table();
    let r = row(&rows, "traffic");
    assert_cells(r, &cells(["100.00%", "0.5rps", "3ms", "5ms", "5ms", r["TCP_CONN"].as_str()]));
}

#[test]
fn service_from_client_metrics() {
    let rows = lviz(&["stat", "svc/web-svc", "-n", "emojivoto"]).ok().table();
    assert_eq!(rows.len(), 1);
    let r = row(&rows, "web-svc");
    assert_cells(r, &[("MESHED", "-")]);
    assert_cells(r, &cells(["93.33%", "3.0rps", "17ms", "45ms", "49ms", r["TCP_CONN"].as_str()]));
}

#[test]
fn unmeshed_rows_hidden_unless_asked() {
    let rows = lviz(&["stat", "deploy", "-n", "ops"]).ok().table();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_cells(row(&rows, "traffic"), &cells(["-", "-", "-", "-", "-", "-"]));
    let rows = lviz(&["stat", "deploy", "-n", "ops", "--unmeshed"]).ok().table();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_cells(row(&rows, "legacy"), &[("MESHED", "0/1")]);
    assert_cells(row(&rows, "legacy"), &cells(["-", "-", "-", "-", "-", "-"]));
}

#[test]
fn all_namespaces_adds_namespace_column() {
    let run = lviz(&["stat", "deploy", "-A"]).ok();
    let header: Vec<&str> = run.stdout.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header[..3], ["NAMESPACE", "NAME", "MESHED"], "{}", run.stdout);
    let rows = run.table();
    let web = rows.iter().find(|r| r["NAME"] == "web").expect("web");
    assert_eq!(web["NAMESPACE"], "emojivoto");
    assert!(rows.iter().any(|r| r["NAMESPACE"] == "linkerd-viz" && r["NAME"] == "prometheus"));
}

#[test]
fn several_types_get_prefixed_tables() {
    let run = lviz(&["stat", "deploy/web", "po", "-n", "emojivoto"]);
    // `deploy/web po` is TYPE/NAME TYPE: two targets, two tables.
    let run = run.ok();
    assert!(run.stdout.contains("deploy/web "), "{}", run.stdout);
    assert!(run.stdout.contains("\n\nNAME "), "tables separated by a blank line:\n{}", run.stdout);
    assert!(run.stdout.contains("po/web-6b8c6f9d8b-9kq2x"), "{}", run.stdout);
}

#[test]
fn all_expands_to_every_kind() {
    let run = lviz(&["stat", "all", "-n", "emojivoto"]).ok();
    for name in ["deploy/web", "po/web-6b8c6f9d8b-9kq2x", "rs/web-6b8c6f9d8b", "svc/web-svc"] {
        assert!(run.stdout.contains(name), "{name} missing:\n{}", run.stdout);
    }
}

#[test]
fn label_selector_filters_objects() {
    let rows = lviz(&["stat", "po", "-n", "emojivoto", "-l", "app=emoji-svc"]).ok().table();
    assert_eq!(rows.len(), 2, "{rows:#?}");
}

#[test]
fn no_traffic_goes_to_stderr_with_exit_0() {
    let run = lviz(&["stat", "svc/nope", "-n", "emojivoto"]);
    let hint = "hint: svc/nope does not exist in namespace \"emojivoto\": check its name and -n\n";
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", format!("No traffic found.\n{hint}").as_str())
    );
    let run = lviz(&["stat", "svc/nope", "-n", "emojivoto", "-o", "json"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "[]\n"));
}

#[test]
fn missing_object_exits_1_naming_it() {
    let run = lviz(&["stat", "deploy/nope", "-n", "emojivoto"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // Linkerd's message, then which namespace was searched.
    assert_eq!(
        run.stderr,
        "error: deployments.apps \"nope\" not found\nhint: searched namespace \"emojivoto\" (-n emojivoto)\n"
    );
}

#[test]
fn context_namespace_is_the_default() {
    // The fake kubeconfig's `other` context points at namespace ops.
    let rows = lviz(&["--context", "other", "stat", "deploy"]).ok().table();
    assert!(rows.iter().any(|r| r["NAME"] == "traffic"), "{rows:#?}");
}

#[test]
fn hostile_input_never_panics_or_changes_queries() {
    let names = [
        r#"x"} or vector(1) or {a=""#,
        "web\\",
        "ünïcödé",
        "a\nb",
        ".*",
        "web)|(.*",
        "",
        "/",
        "deploy//x",
        "%00",
        "$(id)",
    ];
    for name in names {
        for args in [
            vec!["stat".to_string(), format!("deploy/{name}"), "-n".into(), "emojivoto".into()],
            vec!["stat".to_string(), format!("svc/{name}"), "-n".into(), "emojivoto".into()],
            vec!["stat".to_string(), "deploy".into(), "-n".into(), name.to_string()],
            vec![
                "stat".to_string(),
                "po".into(),
                "-n".into(),
                "emojivoto".into(),
                "--from".into(),
                format!("deploy/{name}"),
            ],
            vec!["routes".to_string(), format!("deploy/{name}"), "-n".into(), "emojivoto".into()],
            vec!["edges".to_string(), "deploy".into(), "-n".into(), name.to_string()],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = lviz(&args);
            assert!([0, 1, 2].contains(&run.code), "{args:?}: exit {} {}", run.code, run.stderr);
            assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
            // A hostile name never matches data it does not name.
            if run.code == 0 && name.contains('"') {
                assert!(!run.stdout.contains("93.33%"), "{args:?}: {}", run.stdout);
            }
        }
    }
}
