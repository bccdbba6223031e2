//! Bucket layouts of the proxy's histograms and how their `le` and `_sum` values are written:
//! the legacy latency histograms in ms (`le="1"`, Rust `{}` of an integer) and the outbound route
//! histograms in seconds (`le="0.05"`, `le="1.0"`: prometheus-client writes float bounds with a
//! decimal point).

/// Latency histogram upper bounds in ms, as the proxy writes them (`+Inf` is added on output).
pub const LATENCY_BOUNDS: [u32; 25] = [
    1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000,
    40000, 50000,
];

/// `*_route_request_duration_seconds` bounds (0.05, 0.5, 1, 10 s), in ms.
pub const REQUEST_BOUNDS_MS: [u32; 4] = [50, 500, 1000, 10000];

/// `*_route_backend_response_duration_seconds` bounds (0.025 … 10 s), in ms.
pub const RESPONSE_BOUNDS_MS: [u32; 7] = [25, 50, 100, 250, 500, 1000, 10000];

/// Which buckets a histogram family has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `response_latency_ms`, `route_response_latency_ms`, `gateway_probe_latency_ms`.
    LatencyMs,
    /// `outbound_{http,grpc}_route_request_duration_seconds`.
    RequestSeconds,
    /// `outbound_{http,grpc}_route_backend_response_duration_seconds`.
    ResponseSeconds,
}

impl Layout {
    /// Finite upper bounds in ms.
    pub fn bounds_ms(self) -> &'static [u32] {
        match self {
            Layout::LatencyMs => &LATENCY_BOUNDS,
            Layout::RequestSeconds => &REQUEST_BOUNDS_MS,
            Layout::ResponseSeconds => &RESPONSE_BOUNDS_MS,
        }
    }

    /// Finite bounds in the family's unit (ms or s): what `histogram_quantile` answers in.
    pub fn bounds(self) -> Vec<f64> {
        let scale = if self == Layout::LatencyMs { 1.0 } else { 1000.0 };
        self.bounds_ms().iter().map(|b| f64::from(*b) / scale).collect()
    }

    /// The `le` label values, `+Inf` last.
    pub fn les(self) -> Vec<String> {
        let finite = self.bounds_ms().iter().map(|b| match self {
            Layout::LatencyMs => b.to_string(),
            _ => seconds_text(u64::from(*b), true),
        });
        finite.chain(["+Inf".to_string()]).collect()
    }

    /// Series one histogram writes: every `le`, `_count` and `_sum`.
    pub fn series_count(self) -> u64 {
        self.bounds_ms().len() as u64 + 3
    }

    /// Position of an upper bound (ms) among the finite bounds; panics on a bound the proxy does
    /// not use, which is a bug in a hand-written mesh, not a runtime condition.
    pub fn index(self, bound_ms: u32) -> usize {
        self.bounds_ms()
            .iter()
            .position(|b| *b == bound_ms)
            .unwrap_or_else(|| panic!("{bound_ms} ms is not a bucket bound of {self:?}"))
    }

    /// The `_sum` increment per 10 s of non-cumulative `buckets` (the bounds then `+Inf`): the
    /// model has no exact observations, so each counts at its bucket's upper bound (`+Inf` at the
    /// last finite one), in ms.
    pub fn sum_ms(self, buckets: &[u64]) -> u64 {
        let bounds = self.bounds_ms();
        buckets.iter().enumerate().map(|(i, n)| n * u64::from(bounds[i.min(bounds.len() - 1)])).sum()
    }

    /// A `_sum` value of `ms` milliseconds in the family's unit, as sample text.
    pub fn sum_text(self, ms: u64) -> String {
        match self {
            Layout::LatencyMs => ms.to_string(),
            _ => seconds_text(ms, false),
        }
    }
}

/// `ms` milliseconds as exact decimal seconds: `25` → `0.025`, `1000` → `1.0` (with `point`) or
/// `1`. Integer arithmetic, so no float noise reaches the data.
fn seconds_text(ms: u64, point: bool) -> String {
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return if point { format!("{whole}.0") } else { whole.to_string() };
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_values_as_the_proxy_writes_them() {
        assert_eq!(Layout::LatencyMs.les()[..3], ["1", "2", "3"]);
        assert_eq!(Layout::LatencyMs.les().last().map(String::as_str), Some("+Inf"));
        assert_eq!(Layout::RequestSeconds.les(), ["0.05", "0.5", "1.0", "10.0", "+Inf"]);
        assert_eq!(Layout::ResponseSeconds.les(), ["0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "10.0", "+Inf"]);
        assert_eq!(Layout::ResponseSeconds.bounds()[0], 0.025);
    }

    #[test]
    fn sums_are_exact_decimals() {
        assert_eq!(Layout::RequestSeconds.sum_text(1234), "1.234");
        assert_eq!(Layout::RequestSeconds.sum_text(20_000), "20");
        assert_eq!(Layout::RequestSeconds.sum_text(50), "0.05");
        assert_eq!(Layout::LatencyMs.sum_text(1234), "1234");
        // +Inf counts at the last finite bound.
        assert_eq!(Layout::RequestSeconds.sum_ms(&[1, 0, 0, 0, 2]), 50 + 20_000);
    }
}
