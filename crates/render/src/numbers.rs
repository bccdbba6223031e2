//! The numbers linkerd's CLI derives from counts before printing them (`getRequestRate`,
//! `getSuccessRate`, `getByteRate`), and Go's `%.Nf` spelling of them. Pure; no I/O.

use lviz_api::window::parse_go_duration;

/// `time.ParseDuration(window).Seconds()`, or `None` when the window does not parse (linkerd
/// logs the error and uses a rate of 0).
pub(crate) fn window_seconds(window: &str) -> Option<f64> {
    let nanos = parse_go_duration(window).ok()?;
    // Go's Duration.Seconds: whole seconds plus the nanosecond remainder, both as float64.
    let secs = nanos / 1_000_000_000;
    let rem = nanos % 1_000_000_000;
    Some(secs as f64 + rem as f64 / 1e9)
}

/// `getRequestRate`: `(success+failure) / window seconds`; 0 when the window does not parse.
pub fn request_rate(success: u64, failure: u64, window: &str) -> f64 {
    per_second(success.wrapping_add(failure), window)
}

/// `getByteRate` (and the count part of `getRequestRate`): `count / window seconds`.
pub fn per_second(count: u64, window: &str) -> f64 {
    match window_seconds(window) {
        Some(secs) => count as f64 / secs,
        None => 0.0,
    }
}

/// `getSuccessRate`: the success *fraction*, 0 when there were no requests.
pub fn success_rate(success: u64, failure: u64) -> f64 {
    let total = success.wrapping_add(failure);
    if total == 0 { 0.0 } else { success as f64 / total as f64 }
}

/// Go's `fmt.Sprintf("%.{prec}f", x)`. Rust rounds the exact binary value half-to-even exactly as
/// Go does; only the non-finite spellings differ (`+Inf`, `-Inf`, `NaN` in Go).
pub fn go_fixed(x: f64, prec: usize) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf".to_string() } else { "-Inf".to_string() }
    } else {
        format!("{x:.prec$}")
    }
}

/// `%.2f%%` of a success fraction.
pub fn percent_cell(fraction: f64) -> String {
    format!("{}%", go_fixed(fraction * 100.0, 2))
}

/// `%.1frps`.
pub fn rps_cell(rate: f64) -> String {
    format!("{}rps", go_fixed(rate, 1))
}

/// `%.1fB/s`.
pub fn bytes_rate_cell(rate: f64) -> String {
    format!("{}B/s", go_fixed(rate, 1))
}

/// `fmt.Sprintf("%.2f%%", float32(part)/float32(whole)*100.0)`, the float32 percentages of
/// stat-inbound and stat-outbound (`NaN%` for 0/0, as Go prints it).
pub fn percent32_cell(part: u64, whole: u64) -> String {
    let x = part as f32 / whole as f32 * 100.0;
    if x.is_nan() { "NaN%".to_string() } else { format!("{x:.2}%") }
}

/// `fmt.Sprintf("%.2f", float32(count)/float32(window.Seconds()))`: their RPS, no suffix.
pub fn rate32_cell(count: u64, window: &str) -> String {
    let secs = window_seconds(window).unwrap_or(0.0) as f32;
    let x = count as f32 / secs;
    if x.is_finite() { format!("{x:.2}") } else { go_fixed(x as f64, 2) }
}

/// `%.0fms` of a latency in milliseconds, `-` for NaN (`None`).
pub fn latency_ms_cell(ms: Option<f64>) -> String {
    match ms {
        Some(v) => format!("{}ms", go_fixed(v, 0)),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_row_window() {
        assert_eq!(request_rate(123, 0, "1m"), 2.05);
        assert_eq!(request_rate(100, 7, "1m"), 107.0 / 60.0);
        assert_eq!(request_rate(3, 0, "1.5s"), 2.0);
        assert_eq!(request_rate(5, 0, "bogus"), 0.0);
        assert_eq!(request_rate(5, 0, ""), 0.0);
        assert_eq!(per_second(90000, "1m"), 1500.0);
        assert_eq!(success_rate(0, 0), 0.0);
        assert_eq!(success_rate(100, 7), 100.0 / 107.0);
    }

    #[test]
    fn printf_rounding_and_non_finite() {
        assert_eq!(go_fixed(0.25, 1), "0.2");
        assert_eq!(go_fixed(0.75, 1), "0.8");
        assert_eq!(go_fixed(2.05, 1), "2.0");
        assert_eq!(go_fixed(3.125, 2), "3.12");
        assert_eq!(go_fixed(f64::INFINITY, 1), "+Inf");
        assert_eq!(go_fixed(f64::NEG_INFINITY, 1), "-Inf");
        assert_eq!(go_fixed(f64::NAN, 1), "NaN");
        assert_eq!(percent_cell(100.0 / 107.0), "93.46%");
        assert_eq!(rps_cell(107.0 / 60.0), "1.8rps");
        assert_eq!(bytes_rate_cell(2.05), "2.0B/s");
        assert_eq!(request_rate(1, 0, "0s"), f64::INFINITY);
    }

    #[test]
    fn float32_cells() {
        assert_eq!(percent32_cell(168, 180), "93.33%");
        assert_eq!(percent32_cell(96, 108), "88.89%");
        assert_eq!(percent32_cell(0, 0), "NaN%");
        assert_eq!(percent32_cell(24, 144), "16.67%");
        assert_eq!(rate32_cell(180, "1m"), "3.00");
        assert_eq!(rate32_cell(66, "1m"), "1.10");
        assert_eq!(latency_ms_cell(Some(114.28571428571426)), "114ms");
        assert_eq!(latency_ms_cell(Some(2.5)), "2ms", "ties to even, as Go");
        assert_eq!(latency_ms_cell(None), "-");
    }
}
