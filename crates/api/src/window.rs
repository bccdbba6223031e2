//! Time windows: Go `time.ParseDuration` syntax and messages (what linkerd users type), and the
//! PromQL range string sent to Prometheus.

use std::time::Duration;

/// A validated time window: what the user typed, and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub raw: String,
    pub nanos: i128,
}

impl Window {
    /// Parse with Go's grammar; `""` means `1m` as in linkerd.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = if raw.is_empty() { "1m" } else { raw };
        Ok(Window { raw: raw.to_string(), nanos: parse_go_duration(raw)? })
    }

    /// linkerd's stat minimum.
    pub fn parse_stat(raw: &str) -> Result<Self, String> {
        let window = Self::parse(raw)?;
        if window.nanos < 15 * NANOS_PER_SEC {
            return Err("metrics time window needs to be at least 15s".to_string());
        }
        Ok(window)
    }

    pub fn seconds(&self) -> f64 {
        self.nanos as f64 / 1e9
    }

    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.nanos.max(0) as u64)
    }

    /// The range selector text. linkerd pastes the raw string; that breaks on Go-only syntax such
    /// as `1.5m`, so lviz keeps the raw text when PromQL accepts it and rewrites it otherwise.
    pub fn promql(&self) -> Result<String, String> {
        if is_promql_duration(&self.raw) {
            return Ok(self.raw.clone());
        }
        let ms = self.nanos / 1_000_000;
        if ms <= 0 {
            return Err(format!("time window {} is shorter than Prometheus's 1ms resolution", self.raw));
        }
        Ok(format_promql_duration(ms))
    }
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Go's `time.ParseDuration`, including its error texts.
pub fn parse_go_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes()[0];
        if !(b == b'.' || b.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if s.starts_with('.') {
            s = &s[1..];
            let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &s[..frac_len];
            s = &s[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = s.bytes().take_while(|c| *c != b'.' && !c.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "h" => 3600 * NANOS_PER_SEC,
            _ => {
                return Err(format!("time: unknown unit {} in duration {}", go_quote(unit), go_quote(orig)));
            }
        };
        let int: i128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| invalid())? };
        let mut value = int.checked_mul(scale).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            // Go truncates the fraction to nanoseconds.
            let digits = &frac_part[..frac_part.len().min(30)];
            let frac: i128 = digits.parse().map_err(|_| invalid())?;
            value += frac * scale / 10i128.pow(digits.len() as u32);
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i64::MAX as i128 {
            return Err(invalid());
        }
    }
    Ok(if neg { -total } else { total })
}

/// Go's `strconv.Quote` for the ASCII and UTF-8 text users type.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `time.Duration.String()` for whole-millisecond durations (`1m0s`, `10s`, `1h0m0s`).
pub fn go_duration_string(d: Duration) -> String {
    let total_ms = d.as_millis();
    if total_ms == 0 {
        return "0s".to_string();
    }
    if total_ms < 1000 {
        return format!("{total_ms}ms");
    }
    let hours = total_ms / 3_600_000;
    let minutes = (total_ms / 60_000) % 60;
    let secs = (total_ms % 60_000) as f64 / 1000.0;
    let secs = format!("{secs}");
    match (hours, minutes) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

/// Prometheus's duration grammar (units in descending order, each once, integers only).
fn is_promql_duration(s: &str) -> bool {
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = if rest.starts_with("ms") { "ms" } else { &rest[..rest.len().min(1)] };
        match UNITS[next_unit..].iter().position(|u| *u == unit) {
            Some(pos) => next_unit += pos + 1,
            None => return false,
        }
        rest = &rest[unit.len()..];
    }
    true
}

fn format_promql_duration(ms: i128) -> String {
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_errors_match_go() {
        assert_eq!(parse_go_duration("abc").unwrap_err(), r#"time: invalid duration "abc""#);
        assert_eq!(parse_go_duration("10").unwrap_err(), r#"time: missing unit in duration "10""#);
        assert_eq!(parse_go_duration("10x").unwrap_err(), r#"time: unknown unit "x" in duration "10x""#);
        assert_eq!(parse_go_duration("").unwrap_err(), r#"time: invalid duration """#);
        assert_eq!(parse_go_duration("1.5m").unwrap(), 90 * NANOS_PER_SEC);
        assert_eq!(parse_go_duration("1h30m").unwrap(), 5400 * NANOS_PER_SEC);
        assert_eq!(parse_go_duration("-1m").unwrap(), -60 * NANOS_PER_SEC);
        assert!(parse_go_duration("99999999999999h").is_err());
    }

    #[test]
    fn windows() {
        assert_eq!(Window::parse("").unwrap().raw, "1m");
        assert_eq!(Window::parse_stat("10s").unwrap_err(), "metrics time window needs to be at least 15s");
        assert_eq!(Window::parse("1m").unwrap().promql().unwrap(), "1m");
        assert_eq!(Window::parse("1h30m").unwrap().promql().unwrap(), "1h30m");
        assert_eq!(Window::parse("1.5m").unwrap().promql().unwrap(), "1m30s");
        assert_eq!(Window::parse("90s").unwrap().promql().unwrap(), "90s");
        assert_eq!(Window::parse("1500ms").unwrap().promql().unwrap(), "1500ms");
        assert!(Window::parse("100us").unwrap().promql().is_err());
    }

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration_string(Duration::from_secs(60)), "1m0s");
        assert_eq!(go_duration_string(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration_string(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(go_duration_string(Duration::from_millis(1500)), "1.5s");
    }
}
