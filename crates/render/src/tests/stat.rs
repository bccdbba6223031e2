//! Exact-bytes tests of `render_stat`: the reference's derived examples and linkerd's edge cases.

use super::{assert_golden, assert_same};
use crate::{OutputFormat, Rendered, StatView, render_stat};
use lviz_api::{BasicStats, Resource, StatRow, TcpStats};

fn row(kind: &str, namespace: &str, name: &str, meshed: u64, running: u64) -> StatRow {
    StatRow {
        resource: Resource { namespace: namespace.into(), kind: kind.into(), name: name.into() },
        time_window: "1m".into(),
        meshed_pod_count: meshed,
        running_pod_count: running,
        ..StatRow::default()
    }
}

fn stats(success: u64, failure: u64, p50: u64, p95: u64, p99: u64) -> Option<BasicStats> {
    Some(BasicStats {
        success_count: success,
        failure_count: failure,
        latency_ms_p50: p50,
        latency_ms_p95: p95,
        latency_ms_p99: p99,
        ..BasicStats::default()
    })
}

fn tcp(open: u64, read: u64, write: u64) -> Option<TcpStats> {
    Some(TcpStats { open_connections: open, read_bytes_total: read, write_bytes_total: write })
}

/// The rows of the reference's §3.6 derived examples, in no particular order.
fn derived_rows() -> Vec<StatRow> {
    let mut pod = row("pod", "emojivoto", "web-5f86686c4d-58p7k", 1, 1);
    pod.status = "Running".into();
    pod.stats = stats(100, 7, 3, 19, 45);
    pod.tcp_stats = tcp(2, 0, 0);
    let mut svc = row("service", "emojivoto", "web-svc", 0, 0);
    svc.stats = stats(5, 0, 1, 2, 3);
    svc.tcp_stats = tcp(1, 0, 0);
    let mut web = row("deployment", "emojivoto", "web", 1, 1);
    web.stats = stats(100, 7, 3, 19, 45);
    web.tcp_stats = tcp(2, 90000, 6000);
    vec![
        svc,
        web,
        row("deployment", "emojivoto", "unmeshed-app", 0, 1),
        pod,
        row("deployment", "emojivoto", "voting", 1, 1),
    ]
}

fn view(output: OutputFormat, all_namespaces: bool) -> StatView {
    StatView { output, all_namespaces, ..Default::default() }
}

fn stdout_only(r: Rendered) -> String {
    assert_eq!(r.stderr, "", "unexpected stderr");
    r.stdout
}

#[test]
fn derived_table_prefixes_names_and_hides_unmeshed() {
    let out = stdout_only(render_stat(&derived_rows(), &view(OutputFormat::Table, false)));
    assert_golden!("stat_derived_table.golden", out);
}

#[test]
fn derived_wide_all_namespaces() {
    let out = stdout_only(render_stat(&derived_rows(), &view(OutputFormat::Wide, true)));
    assert_golden!("stat_derived_wide_all.golden", out);
}

#[test]
fn derived_json() {
    let out = stdout_only(render_stat(&derived_rows(), &view(OutputFormat::Json, false)));
    assert_golden!("stat_derived.json.golden", out);
}

#[test]
fn unmeshed_flag_keeps_unmeshed_rows() {
    let v = StatView { unmeshed: true, ..view(OutputFormat::Table, false) };
    let out = stdout_only(render_stat(&derived_rows(), &v));
    let line =
        "deploy/unmeshed-app          0/1         -        -             -             -             -          -\n";
    assert!(out.contains(line), "missing unmeshed row in:\n{out}");
    // --from keeps them too.
    let v = StatView { from_set: true, ..view(OutputFormat::Table, false) };
    assert!(render_stat(&derived_rows(), &v).stdout.contains(line));
}

#[test]
fn sort_is_byte_order_of_namespace_slash_name() {
    let mut x = row("pod", "a", "y", 1, 1);
    x.status = "Pending".into();
    let mut y = row("pod", "a-b", "x", 1, 1);
    y.status = "Running".into();
    let out = stdout_only(render_stat(&[x, y], &view(OutputFormat::Table, true)));
    assert_golden!("stat_sort_bytes.golden", out);
}

#[test]
fn width_keeps_prefix_when_filter_leaves_one_table() {
    // Edge case 10: the response had two types, so the NAME width counts `deploy/web`, but only
    // one table is left, so names print without prefix in an over-wide column.
    let rows = [row("deployment", "ns", "web", 1, 1), row("pod", "ns", "web-x", 0, 1)];
    let out = stdout_only(render_stat(&rows, &view(OutputFormat::Table, false)));
    let want = "NAME         MESHED   SUCCESS   RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN\n\
                web             1/1         -     -             -             -             -          -\n";
    assert_same("edge case 10", want, &out);
}

#[test]
fn rows_without_request_data_print_dashes_even_with_tcp() {
    let mut r = row("deployment", "ns", "web", 1, 1);
    r.stats = stats(0, 0, 5, 6, 7);
    r.tcp_stats = tcp(9, 900, 900);
    let out = stdout_only(render_stat(std::slice::from_ref(&r), &view(OutputFormat::Wide, false)));
    let want = "NAME   MESHED   SUCCESS   RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN   READ_BYTES/SEC   WRITE_BYTES/SEC\n\
                web       1/1         -     -             -             -             -          -                -                 -\n";
    assert_same("no data wide", want, &out);
    let json = stdout_only(render_stat(&[r], &view(OutputFormat::Json, false)));
    let want = "[\n  {\n    \"namespace\": \"ns\",\n    \"kind\": \"deployment\",\n    \"name\": \"web\",\n    \"success\": null,\n    \"rps\": null,\n    \"latency_ms_p50\": null,\n    \"latency_ms_p95\": null,\n    \"latency_ms_p99\": null\n  }\n]\n";
    assert_same("no data json", want, &json);
}

#[test]
fn actual_counts_alone_count_as_request_data() {
    let mut r = row("deployment", "ns", "web", 1, 1);
    r.stats = Some(BasicStats { actual_success_count: 3, ..BasicStats::default() });
    let out = stdout_only(render_stat(&[r], &view(OutputFormat::Table, false)));
    assert!(
        out.ends_with("web       1/1     0.00%   0.0rps           0ms           0ms           0ms          0\n"),
        "{out}"
    );
}

#[test]
fn bad_time_window_gives_zero_rates() {
    let mut r = row("deployment", "ns", "web", 1, 1);
    r.time_window = "forever".into();
    r.stats = stats(10, 0, 1, 1, 1);
    let out = stdout_only(render_stat(&[r], &view(OutputFormat::Table, false)));
    assert!(
        out.ends_with("web       1/1   100.00%   0.0rps           1ms           1ms           1ms          0\n"),
        "{out}"
    );
}

#[test]
fn unicode_names_width_in_bytes_padding_in_runes() {
    // "café" is 5 bytes and 4 runes: the column is sized in bytes, the value padded in bytes,
    // and tabwriter aligns runes, so the value lands one column to the right, as upstream.
    let rows = [row("deployment", "ns", "café", 1, 1)];
    let out = stdout_only(render_stat(&rows, &view(OutputFormat::Table, false)));
    let want = "NAME    MESHED   SUCCESS   RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN\n\
                \x20café      1/1         -     -             -             -             -          -\n";
    assert_same("unicode stat", want, &out);
}

#[test]
fn no_rows_left_means_no_traffic() {
    let rows = [row("deployment", "ns", "web", 0, 1)];
    let r = render_stat(&rows, &view(OutputFormat::Table, false));
    assert_eq!(r, Rendered { stdout: String::new(), stderr: "No traffic found.\n".into() });
    let r = render_stat(&[], &view(OutputFormat::Wide, true));
    assert_eq!(r.stderr, "No traffic found.\n");
    let r = render_stat(&rows, &view(OutputFormat::Json, false));
    assert_eq!(r, Rendered { stdout: "[]\n".into(), stderr: String::new() });
}

#[test]
fn duplicate_keys_keep_the_last_row() {
    let mut first = row("service", "ns", "web", 0, 0);
    first.stats = stats(1, 0, 1, 1, 1);
    let mut last = row("service", "ns", "web", 0, 0);
    last.stats = stats(60, 60, 2, 2, 2);
    let out = stdout_only(render_stat(&[first, last], &view(OutputFormat::Table, false)));
    let want = "NAME   MESHED   SUCCESS      RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN\n\
                web         -    50.00%   2.0rps           2ms           2ms           2ms          0\n";
    assert_same("duplicates", want, &out);
}

#[test]
fn namespace_rows_and_policy_kinds() {
    // Namespace rows have namespace "" (an empty NAMESPACE cell with -A); policy kinds get a bare
    // `/` prefix and their own columns.
    let rows = [row("namespace", "", "emojivoto", 2, 2), row("authorizationpolicy", "ns", "ap", 0, 0)];
    let out = stdout_only(render_stat(&rows, &view(OutputFormat::Table, true)));
    let want = "NAMESPACE   NAME           SUCCESS   RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99\n\
                ns          /ap                  -     -             -             -             -\n\
                \n\
                NAMESPACE   NAME           MESHED   SUCCESS   RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99   TCP_CONN\n\
                \x20           ns/emojivoto      2/2         -     -             -             -             -          -\n";
    assert_same("policy + namespace", want, &out);
}

#[test]
fn json_escapes_html_and_omits_tcp_for_policy_kinds() {
    let mut r = row("authorizationpolicy", "a&b", "<x>", 0, 0);
    r.stats = stats(3, 1, 1, 2, 3);
    r.tcp_stats = tcp(1, 1, 1);
    let out = stdout_only(render_stat(&[r], &view(OutputFormat::Json, false)));
    let want = "[\n  {\n    \"namespace\": \"a\\u0026b\",\n    \"kind\": \"authorizationpolicy\",\n    \"name\": \"\\u003cx\\u003e\",\n    \"success\": 0.75,\n    \"rps\": 0.06666666666666667,\n    \"latency_ms_p50\": 1,\n    \"latency_ms_p95\": 2,\n    \"latency_ms_p99\": 3\n  }\n]\n";
    assert_same("policy json", want, &out);
}
