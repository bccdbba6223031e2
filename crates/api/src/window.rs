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

/// Go's `time.ParseDuration`, step for step (`time/format.go`): unsigned 64-bit integer
/// arithmetic with every overflow an error, the fraction scaled as Go scales it, and Go's error
/// texts. Never panics, whatever the text.
pub fn parse_go_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    const LIMIT: u64 = 1 << 63;
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            (f, scale, s) = leading_fraction(s);
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s.iter().take_while(|c| **c != b'.' && !c.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_bytes = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_bytes {
            b"ns" => 1,
            // "µs" (U+00B5) and "μs" (U+03BC), as Go.
            b"us" | [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                let unit = String::from_utf8_lossy(unit_bytes);
                return Err(format!("time: unknown unit {} in duration {}", go_quote(&unit), go_quote(orig)));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // As Go: float64 keeps fractions of hours nanosecond-accurate, and the product is
            // at most 3.6e12 (one hour), so the conversion cannot overflow.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d = d.checked_add(v).filter(|d| *d <= LIMIT).ok_or_else(invalid)?;
    }
    if neg {
        return Ok(-(d as i128));
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i128)
}

/// Go's `leadingInt`: the leading digits, `None` past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut x: u64 = 0;
    for &c in &s[..n] {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
    }
    Some((x, &s[n..]))
}

/// Go's `leadingFraction`: the leading digits as a fraction `x / scale`; precision simply stops
/// growing when `x` would overflow.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    for &c in &s[..n] {
        if overflow {
            continue;
        }
        if x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[n..])
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
        // Byte-wise: a multi-byte character is no unit (and must not be sliced).
        let unit = if rest.starts_with("ms") { "ms" } else { rest.get(..1).unwrap_or("") };
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
        // Go's answers (go1.22 `time.ParseDuration`).
        assert_eq!(parse_go_duration("1.999999999999999999999999999999h").unwrap(), 7_200_000_000_000);
        assert_eq!(parse_go_duration("2562047h47m16.854775807s").unwrap(), i64::MAX as i128);
        assert!(parse_go_duration("2562047h47m16.854775808s").is_err());
        assert_eq!(parse_go_duration("-2562047h47m16.854775808s").unwrap(), i64::MIN as i128);
        assert_eq!(parse_go_duration("1µs").unwrap(), 1000);
        assert_eq!(parse_go_duration(".5s").unwrap(), 500_000_000);
        assert_eq!(parse_go_duration("1.s").unwrap(), NANOS_PER_SEC);
        assert!(parse_go_duration(".s").is_err());
        assert_eq!(parse_go_duration("1é").unwrap_err(), "time: unknown unit \"é\" in duration \"1é\"");
        assert_eq!(
            parse_go_duration("9223372036854775808ns").unwrap_err(),
            r#"time: invalid duration "9223372036854775808ns""#
        );
    }

    #[test]
    fn non_ascii_windows_never_panic() {
        for text in ["1µs", "1μs", "1é", "µ", "1s\u{202e}", "1ms\u{0}"] {
            if let Ok(w) = Window::parse(text) {
                let _ = w.promql();
            }
        }
        assert!(Window::parse("1µs").unwrap().promql().is_err());
        // Not `[1h152ms]` (a float overflow): exactly two hours, as Go reads it.
        assert_eq!(Window::parse("1.999999999999999999999999999999h").unwrap().promql().unwrap(), "2h");
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
