//! Request counters and latency histograms in the Prometheus text format, one set per server
//! face (HTTP by route and status, gRPC by method and code). Hand-written because it is a few
//! counters and one histogram; a metrics crate would bring a registry the servers do not need.
//! Label values are the server's own bounded names (routes, methods), never raw paths.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Observations at or under each bound of [`LATENCY_BUCKETS`] (not cumulative here).
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counts {
    /// By (name, outcome).
    requests: BTreeMap<(String, String), u64>,
    /// By name.
    latency: BTreeMap<String, Histogram>,
}

/// The counters of one server face.
pub struct RequestTelemetry {
    /// Metric name prefix (`lviz_http`).
    prefix: &'static str,
    /// What is counted, for HELP texts (`HTTP requests`).
    what: &'static str,
    /// The label naming what was asked (`route`) and the one naming the outcome (`status`).
    labels: (&'static str, &'static str),
    counts: Mutex<Counts>,
}

impl RequestTelemetry {
    pub fn new(
        prefix: &'static str,
        what: &'static str,
        name_label: &'static str,
        outcome_label: &'static str,
    ) -> Self {
        RequestTelemetry { prefix, what, labels: (name_label, outcome_label), counts: Mutex::default() }
    }

    /// Counts one answered request.
    pub fn observe(&self, name: &str, outcome: &str, elapsed: Duration) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.requests.entry((name.to_string(), outcome.to_string())).or_default() += 1;
        let h = counts
            .latency
            .entry(name.to_string())
            .or_insert_with(|| Histogram { buckets: vec![0; LATENCY_BUCKETS.len()], ..Histogram::default() });
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// `<prefix>_requests_total` and `<prefix>_request_duration_seconds`, in the text format.
    pub fn render(&self) -> String {
        let (requests, latency) = {
            let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            (counts.requests.clone(), counts.latency.clone())
        };
        let (prefix, (name_label, outcome_label)) = (self.prefix, self.labels);
        let mut out = String::new();
        let total = format!("{prefix}_requests_total");
        let _ = writeln!(out, "# HELP {total} {} answered, by {name_label} and {outcome_label}.", self.what);
        let _ = writeln!(out, "# TYPE {total} counter");
        for ((name, outcome), n) in &requests {
            let _ = writeln!(
                out,
                "{total}{{{name_label}=\"{}\",{outcome_label}=\"{}\"}} {n}",
                escape(name),
                escape(outcome)
            );
        }
        let duration = format!("{prefix}_request_duration_seconds");
        let _ = writeln!(out, "# HELP {duration} Time to answer {}, by {name_label}.", self.what);
        let _ = writeln!(out, "# TYPE {duration} histogram");
        for (name, h) in &latency {
            let name = escape(name);
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(&h.buckets) {
                cumulative += n;
                let _ = writeln!(out, "{duration}_bucket{{{name_label}=\"{name}\",le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "{duration}_bucket{{{name_label}=\"{name}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{duration}_sum{{{name_label}=\"{name}\"}} {}", h.sum);
            let _ = writeln!(out, "{duration}_count{{{name_label}=\"{name}\"}} {}", h.count);
        }
        out
    }
}

/// A label value as the text format wants it.
pub fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_a_cumulative_histogram() {
        let t = RequestTelemetry::new("lviz_grpc", "gRPC requests", "method", "code");
        t.observe("StatSummary", "OK", Duration::from_micros(700));
        t.observe("StatSummary", "OK", Duration::from_millis(3));
        t.observe("StatSummary", "Unavailable", Duration::from_secs(20));
        let text = t.render();
        assert!(text.contains("lviz_grpc_requests_total{method=\"StatSummary\",code=\"OK\"} 2\n"), "{text}");
        assert!(text.contains("lviz_grpc_requests_total{method=\"StatSummary\",code=\"Unavailable\"} 1\n"), "{text}");
        assert!(text.contains("# TYPE lviz_grpc_request_duration_seconds histogram\n"), "{text}");
        let bucket =
            |le: &str| format!("lviz_grpc_request_duration_seconds_bucket{{method=\"StatSummary\",le=\"{le}\"}} ");
        assert!(text.contains(&format!("{}0\n", bucket("0.0005"))), "{text}");
        assert!(text.contains(&format!("{}1\n", bucket("0.001"))), "{text}");
        assert!(text.contains(&format!("{}2\n", bucket("0.005"))), "{text}");
        assert!(text.contains(&format!("{}2\n", bucket("10"))), "{text}");
        assert!(text.contains(&format!("{}3\n", bucket("+Inf"))), "{text}");
        assert!(text.contains("lviz_grpc_request_duration_seconds_count{method=\"StatSummary\"} 3\n"), "{text}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
