//! The generator's output: well-formed OpenMetrics, grouped by family, ascending timestamps per
//! series, every `le` from the first sample; and the scaled mesh stays cheap.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use lviz_testkit::mesh::{DATA_END, DATA_START, Mesh, TimestampUnit};

/// (series head, value, timestamp) of one sample line.
fn parse_line(line: &str) -> (&str, f64, i64) {
    let close = line.rfind('}').expect("labels");
    let head = &line[..=close];
    let mut rest = line[close + 1..].split_whitespace();
    let value: f64 = rest.next().expect("value").parse().expect("numeric value");
    let ts: i64 = rest.next().expect("timestamp").parse().expect("integer timestamp");
    assert!(rest.next().is_none(), "trailing fields: {line}");
    (head, value, ts)
}

#[test]
fn emojivoto_output_is_well_formed() {
    let mut out = Vec::new();
    Mesh::emojivoto().write_openmetrics(DATA_START, DATA_END, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.ends_with("\n# EOF\n"));
    let mut families_done: BTreeSet<String> = BTreeSet::new();
    let mut current_family = String::new();
    let mut last_ts: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    let mut first_le: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current_series = String::new();
    let mut series_done: BTreeSet<String> = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (head, value, ts) = parse_line(line);
        let family = &head[..head.find('{').expect("brace")];
        if family != current_family {
            assert!(families_done.insert(family.to_string()), "family {family} interleaved");
            current_family = family.to_string();
        }
        if head != current_series {
            assert!(series_done.insert(head.to_string()), "series {head} interleaved");
            current_series = head.to_string();
        }
        if let Some((prev, prev_v)) = last_ts.get(head) {
            assert_eq!(ts, prev + 10, "{head}");
            assert!(value >= *prev_v || family.starts_with("tcp_open_connections"), "{head} decreased");
        } else {
            assert_eq!(ts, DATA_START, "{head} starts late");
        }
        last_ts.insert(head.to_string(), (ts, value));
        if let Some(i) = head.find(",le=\"")
            && ts == DATA_START
        {
            let le = head[i + 5..head.len() - 2].to_string();
            first_le.entry(head[..i].to_string()).or_default().insert(le);
        }
    }
    for family in [
        "response_total",
        "response_latency_ms_bucket",
        "response_latency_ms_count",
        "request_total",
        "route_response_total",
        "route_response_latency_ms_bucket",
        "route_actual_response_total",
        "tcp_open_connections",
        "tcp_read_bytes_total",
        "tcp_write_bytes_total",
        "inbound_http_authz_allow_total",
        "inbound_http_authz_deny_total",
        "outbound_http_route_request_statuses_total",
        "outbound_http_route_request_duration_seconds_bucket",
        "outbound_http_route_backend_response_statuses_total",
        "outbound_http_route_backend_response_duration_seconds_bucket",
        "outbound_http_route_retry_requests_total",
        "outbound_grpc_route_request_statuses_total",
        "outbound_grpc_route_request_duration_seconds_bucket",
        "outbound_grpc_route_backend_response_statuses_total",
        "outbound_grpc_route_backend_response_duration_seconds_bucket",
        "outbound_grpc_route_retry_requests_total",
        "gateway_alive",
        "gateway_enabled",
        "gateway_latency",
        "gateway_probe_latency_ms_bucket",
    ] {
        assert!(families_done.contains(family), "missing {family}");
    }
    assert!(last_ts.values().all(|(ts, _)| *ts == DATA_END));
    assert!(!first_le.is_empty());
    for (series, les) in &first_le {
        // The legacy latency histograms in ms, the route histograms in seconds.
        let want: &[&str] = if series.contains("_request_duration_seconds_bucket") {
            &["0.05", "0.5", "1.0", "10.0", "+Inf"]
        } else if series.contains("_response_duration_seconds_bucket") {
            &["0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "10.0", "+Inf"]
        } else {
            assert_eq!(les.len(), 26, "{series}");
            &["1", "50000", "+Inf"]
        };
        assert!(want.iter().all(|le| les.contains(*le)), "{series}: {les:?}");
        assert!(series.contains("_ms_bucket") || les.len() == want.len(), "{series}: {les:?}");
    }
    // No inbound series carries `authority` (removed from proxies in 2025), no route series a
    // `direction`.
    for line in text.lines().filter(|l| l.contains(r#"direction="inbound""#)) {
        assert!(!line.contains("authority="), "{line}");
    }
    assert!(text.lines().filter(|l| l.starts_with("outbound_")).all(|l| !l.contains("direction=")));
    // Counters start at BASE × per10s: web's failure from vote-bot is 2 per 10 s.
    assert!(text.contains(r#"status_code="500",target_addr="10.42.0.12:8080""#));
}

#[test]
fn millisecond_output_for_victoria_metrics() {
    let mut out = Vec::new();
    Mesh::emojivoto().write_samples(DATA_START, DATA_START + 10, TimestampUnit::Milliseconds, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(!text.contains("# EOF"));
    let (_, _, ts) = parse_line(text.lines().next().expect("a line"));
    assert_eq!(ts, DATA_START * 1000);
}

#[test]
fn misaligned_range_is_rejected() {
    let mut out = Vec::new();
    assert!(Mesh::emojivoto().write_openmetrics(DATA_START + 5, DATA_END, &mut out).is_err());
}

#[test]
fn scaled_mesh_is_cheap() {
    let t = Instant::now();
    let mesh = Mesh::scaled(10, 30, 10);
    assert_eq!(mesh.pod_count(), 3001);
    assert!(mesh.http_flows.len() >= 10 * 29 * 10);
    let objects = lviz_testkit::fixtures::objects_for(&mesh);
    assert!(objects.len() > 3001);
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
    // Writing ~100k series is slow in a debug build; check the shape on a small instance.
    let mut out = Vec::new();
    Mesh::scaled(2, 3, 2).write_openmetrics(DATA_START, DATA_START + 10, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains(r#"namespace="scale-001""#) && text.contains(r#"deployment="app-02""#));
}
