//! CI gates: `--fail-if EXPR` (repeatable) and `--fail-on-no-traffic`, checked per displayed row
//! of `stat`, `routes`, `stat-inbound`, `stat-outbound` and `authz` after the normal output is
//! printed. A breach is reported on stderr,
//! one line per (row, gate), and the command exits with [`crate::error::GATE_FAILED`] (3).
//!
//! Grammar: `METRIC OP VALUE`, spaces allowed, `OP` one of `<`, `<=`, `>`, `>=`. The expression
//! names the *failing* condition (`p99>250ms` fails rows slower than 250 ms).
//! * `success`, `actual_success` (routes): `99.5%`, or a fraction `0.995`;
//! * `rps`, `actual_rps` (routes): requests per second, `1` or `1rps`;
//! * `p50`, `p95`, `p99`: a duration with a unit (`250ms`, `1s`, `1.5s`);
//! * `tcp` (stat): open connections; `read`, `write` (stat): bytes per second (`100` or `100B/s`);
//! * `timeouts`, `retries` (stat-outbound): the share of requests that timed out, or that were
//!   retries, like `success` (`1%` or `0.01`); `unauthorized` (authz): denied requests per second.
//!
//! Rows without traffic (every metric `-`) pass every gate, unless `--fail-on-no-traffic` is set:
//! then they fail every gate, and so does an empty result. Pure; no I/O.

use lviz_api::window::parse_go_duration;
use lviz_render::{MetricLine, RowMetrics};

/// Which command's rows a gate is checked against (their metrics differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateScope {
    Stat,
    Routes,
    StatInbound,
    StatOutbound,
    Authz,
}

impl GateScope {
    fn command(self) -> &'static str {
        match self {
            GateScope::Stat => "stat",
            GateScope::Routes => "routes",
            GateScope::StatInbound => "stat-inbound",
            GateScope::StatOutbound => "stat-outbound",
            GateScope::Authz => "authz",
        }
    }

    fn metrics(self) -> &'static [(&'static str, Metric)] {
        match self {
            GateScope::Stat => STAT_METRICS,
            GateScope::Routes => ROUTES_METRICS,
            GateScope::StatInbound => &STAT_OUTBOUND_METRICS[..5],
            GateScope::StatOutbound => STAT_OUTBOUND_METRICS,
            GateScope::Authz => AUTHZ_METRICS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Success,
    Rps,
    P50,
    P95,
    P99,
    Tcp,
    Read,
    Write,
    ActualSuccess,
    ActualRps,
    Timeouts,
    Retries,
    Unauthorized,
}

const STAT_METRICS: &[(&str, Metric)] = &[
    ("success", Metric::Success),
    ("rps", Metric::Rps),
    ("p50", Metric::P50),
    ("p95", Metric::P95),
    ("p99", Metric::P99),
    ("tcp", Metric::Tcp),
    ("read", Metric::Read),
    ("write", Metric::Write),
];

const ROUTES_METRICS: &[(&str, Metric)] = &[
    ("success", Metric::Success),
    ("rps", Metric::Rps),
    ("actual_success", Metric::ActualSuccess),
    ("actual_rps", Metric::ActualRps),
    ("p50", Metric::P50),
    ("p95", Metric::P95),
    ("p99", Metric::P99),
];

const STAT_OUTBOUND_METRICS: &[(&str, Metric)] = &[
    ("success", Metric::Success),
    ("rps", Metric::Rps),
    ("p50", Metric::P50),
    ("p95", Metric::P95),
    ("p99", Metric::P99),
    ("timeouts", Metric::Timeouts),
    ("retries", Metric::Retries),
];

const AUTHZ_METRICS: &[(&str, Metric)] = &[
    ("success", Metric::Success),
    ("rps", Metric::Rps),
    ("p50", Metric::P50),
    ("p95", Metric::P95),
    ("p99", Metric::P99),
    ("unauthorized", Metric::Unauthorized),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
        }
    }
}

/// One parsed `--fail-if`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The expression as the user wrote it (trimmed), for messages.
    pub text: String,
    name: &'static str,
    metric: Metric,
    op: Op,
    /// In the metric's unit: a fraction for success, milliseconds for latency, per second for
    /// rates, a count for tcp.
    threshold: f64,
}

/// Every gate of one command, and the no-traffic rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateSet {
    pub gates: Vec<Gate>,
    pub fail_on_no_traffic: bool,
}

impl GateSet {
    pub fn is_empty(&self) -> bool {
        self.gates.is_empty()
    }

    /// The breaches, one stderr line each (`lviz: gate failed: …`); empty when every row passes.
    pub fn check(&self, lines: &[MetricLine]) -> Vec<String> {
        if self.gates.is_empty() {
            return Vec::new();
        }
        let mut breaches = Vec::new();
        if lines.is_empty() && self.fail_on_no_traffic {
            breaches.push("lviz: gate failed: no rows to check (--fail-on-no-traffic)".to_string());
        }
        for line in lines {
            for gate in &self.gates {
                match &line.metrics {
                    Some(m) => {
                        if let Some(value) = gate.value(m)
                            && gate.op.holds(value, gate.threshold)
                        {
                            breaches.push(format!(
                                "lviz: gate failed: {}: {} {} {} {}",
                                line.subject,
                                gate.name,
                                gate.format(value),
                                gate.op.symbol(),
                                gate.format(gate.threshold)
                            ));
                        }
                    }
                    None if self.fail_on_no_traffic => breaches.push(format!(
                        "lviz: gate failed: {}: no traffic ({}, --fail-on-no-traffic)",
                        line.subject, gate.text
                    )),
                    None => {}
                }
            }
        }
        breaches
    }
}

impl Gate {
    fn value(&self, m: &RowMetrics) -> Option<f64> {
        match self.metric {
            Metric::Success => Some(m.success),
            Metric::Rps => Some(m.rps),
            Metric::P50 => Some(m.p50 as f64),
            Metric::P95 => Some(m.p95 as f64),
            Metric::P99 => Some(m.p99 as f64),
            Metric::Tcp => m.tcp.map(|t| t as f64),
            Metric::Read => m.read,
            Metric::Write => m.write,
            Metric::ActualSuccess => m.actual_success,
            Metric::ActualRps => m.actual_rps,
            Metric::Timeouts => m.timeouts,
            Metric::Retries => m.retries,
            Metric::Unauthorized => m.unauthorized,
        }
    }

    fn format(&self, x: f64) -> String {
        match self.metric {
            Metric::Success | Metric::ActualSuccess | Metric::Timeouts | Metric::Retries => {
                format!("{:.2}%", x * 100.0)
            }
            Metric::Rps | Metric::ActualRps | Metric::Unauthorized => format!("{}rps", short_number(x)),
            Metric::P50 | Metric::P95 | Metric::P99 => format!("{}ms", short_number(x)),
            Metric::Tcp => short_number(x),
            Metric::Read | Metric::Write => format!("{}B/s", short_number(x)),
        }
    }
}

/// At most three decimals, trailing zeros dropped: `3`, `0.967`, `1.5`.
fn short_number(x: f64) -> String {
    let text = format!("{x:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" { "0".to_string() } else { text.to_string() }
}

/// Parses one `--fail-if` for `scope`. The error names the expression and what is wrong.
pub fn parse_gate(expr: &str, scope: GateScope) -> Result<Gate, String> {
    let bad = |why: String| format!("invalid --fail-if {expr:?}: {why}");
    let text = expr.trim();
    let Some(at) = text.find(['<', '>']) else {
        return Err(bad("expected METRIC OP VALUE with OP one of <, <=, >, >= (e.g. success<99.5%)".into()));
    };
    let (name, rest) = text.split_at(at);
    let (op, value) = match (rest.starts_with('<'), rest[1..].strip_prefix('=')) {
        (true, Some(v)) => (Op::Le, v),
        (true, None) => (Op::Lt, &rest[1..]),
        (false, Some(v)) => (Op::Ge, v),
        (false, None) => (Op::Gt, &rest[1..]),
    };
    let name = name.trim().to_ascii_lowercase();
    let value = value.trim();
    let metrics = scope.metrics();
    let Some(&(name, metric)) = metrics.iter().find(|(n, _)| *n == name) else {
        let valid: Vec<&str> = metrics.iter().map(|(n, _)| *n).collect();
        let command = scope.command();
        return Err(bad(format!("unknown metric {name:?} for {command}; valid metrics: {}", valid.join(", "))));
    };
    if value.is_empty() {
        return Err(bad("missing a value after the operator".into()));
    }
    let threshold = threshold(metric, value).map_err(bad)?;
    Ok(Gate { text: text.to_string(), name, metric, op, threshold })
}

fn number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("{text:?} is not a non-negative number")),
    }
}

fn threshold(metric: Metric, value: &str) -> Result<f64, String> {
    match metric {
        Metric::Success | Metric::ActualSuccess | Metric::Timeouts | Metric::Retries => match value.strip_suffix('%') {
            Some(percent) => {
                let p = number(percent)?;
                if p > 100.0 {
                    return Err(format!("{value} is more than 100%"));
                }
                Ok(p / 100.0)
            }
            None => {
                let f = number(value)?;
                if f > 1.0 {
                    let what = if matches!(metric, Metric::Success | Metric::ActualSuccess) {
                        "success rate"
                    } else {
                        "share"
                    };
                    return Err(format!(
                        "a {what} is a percentage (99.5%) or a fraction between 0 and 1 (0.995), not {value}"
                    ));
                }
                Ok(f)
            }
        },
        Metric::Rps | Metric::ActualRps | Metric::Unauthorized => number(value.strip_suffix("rps").unwrap_or(value)),
        Metric::P50 | Metric::P95 | Metric::P99 => {
            if value.parse::<f64>().is_ok() {
                return Err(format!("a latency needs a unit: {value}ms or {value}s"));
            }
            let nanos = parse_go_duration(value)?;
            if nanos < 0 {
                return Err(format!("a latency cannot be negative ({value})"));
            }
            Ok(nanos as f64 / 1e6)
        }
        Metric::Tcp => number(value),
        Metric::Read | Metric::Write => number(value.strip_suffix("B/s").unwrap_or(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(subject: &str, metrics: Option<RowMetrics>) -> MetricLine {
        MetricLine { subject: subject.into(), metrics }
    }

    fn web() -> RowMetrics {
        RowMetrics {
            success: 168.0 / 180.0,
            rps: 3.0,
            p50: 16,
            p95: 35,
            p99: 47,
            tcp: Some(5),
            read: Some(470.0),
            write: Some(6500.0),
            ..RowMetrics::default()
        }
    }

    fn set(exprs: &[&str], fail_on_no_traffic: bool) -> GateSet {
        let gates = exprs.iter().map(|e| parse_gate(e, GateScope::Stat).unwrap()).collect();
        GateSet { gates, fail_on_no_traffic }
    }

    #[test]
    fn parses_every_form() {
        let t = |e: &str| parse_gate(e, GateScope::Stat).map(|g| (g.op, g.threshold));
        assert_eq!(t("success<99.5%"), Ok((Op::Lt, 0.995)));
        assert_eq!(t(" success < 0.995 "), Ok((Op::Lt, 0.995)));
        assert_eq!(t("p99>250ms"), Ok((Op::Gt, 250.0)));
        assert_eq!(t("p95>=1s"), Ok((Op::Ge, 1000.0)));
        assert_eq!(t("p50>1.5ms"), Ok((Op::Gt, 1.5)));
        assert_eq!(t("rps<1"), Ok((Op::Lt, 1.0)));
        assert_eq!(t("RPS<=2.5rps"), Ok((Op::Le, 2.5)));
        assert_eq!(t("tcp>100"), Ok((Op::Gt, 100.0)));
        assert_eq!(t("write>1000B/s"), Ok((Op::Gt, 1000.0)));
        assert!(parse_gate("actual_success<0.9", GateScope::Routes).is_ok());
    }

    #[test]
    fn rejects_bad_expressions_naming_them() {
        let e = |x: &str, scope| parse_gate(x, scope).unwrap_err();
        assert_eq!(
            e("succes<1", GateScope::Stat),
            "invalid --fail-if \"succes<1\": unknown metric \"succes\" for stat; valid metrics: success, rps, p50, \
             p95, p99, tcp, read, write"
        );
        assert!(e("tcp>1", GateScope::Routes).contains("for routes"));
        assert!(e("success=1", GateScope::Stat).contains("expected METRIC OP VALUE"));
        assert!(e("success<99.5", GateScope::Stat).contains("percentage (99.5%) or a fraction"));
        assert!(e("success<101%", GateScope::Stat).contains("more than 100%"));
        assert!(e("p99>250", GateScope::Stat).contains("needs a unit: 250ms"));
        assert!(e("p99>fast", GateScope::Stat).contains("time: invalid duration"));
        assert!(e("rps<", GateScope::Stat).contains("missing a value"));
        assert!(e("rps<-1", GateScope::Stat).contains("not a non-negative number"));
    }

    #[test]
    fn passing_and_breaching_rows() {
        let lines = [line("deploy/web in emojivoto", Some(web()))];
        assert!(set(&["success<90%", "p99>50ms", "rps<1", "tcp>5"], false).check(&lines).is_empty());
        assert_eq!(
            set(&["success<99.5%", "p99>=47ms", "read>400B/s"], false).check(&lines),
            [
                "lviz: gate failed: deploy/web in emojivoto: success 93.33% < 99.50%",
                "lviz: gate failed: deploy/web in emojivoto: p99 47ms >= 47ms",
                "lviz: gate failed: deploy/web in emojivoto: read 470B/s > 400B/s",
            ]
        );
    }

    #[test]
    fn no_traffic_rows_pass_unless_asked() {
        let lines = [line("deploy/vote-bot in emojivoto", None)];
        assert!(set(&["success<99%"], false).check(&lines).is_empty());
        assert_eq!(
            set(&["success<99%"], true).check(&lines),
            ["lviz: gate failed: deploy/vote-bot in emojivoto: no traffic (success<99%, --fail-on-no-traffic)"]
        );
        assert!(set(&["success<99%"], false).check(&[]).is_empty());
        assert_eq!(
            set(&["success<99%"], true).check(&[]),
            ["lviz: gate failed: no rows to check (--fail-on-no-traffic)"]
        );
    }

    #[test]
    fn modern_scopes() {
        let g = parse_gate("timeouts>1%", GateScope::StatOutbound).unwrap();
        assert_eq!((g.op, g.threshold), (Op::Gt, 0.01));
        assert_eq!(parse_gate("retries > 0.05", GateScope::StatOutbound).unwrap().threshold, 0.05);
        assert_eq!(parse_gate("unauthorized>0.5rps", GateScope::Authz).unwrap().threshold, 0.5);
        assert_eq!(
            parse_gate("timeouts>1%", GateScope::StatInbound).unwrap_err(),
            "invalid --fail-if \"timeouts>1%\": unknown metric \"timeouts\" for stat-inbound; valid metrics: success, \
             rps, p50, p95, p99"
        );
        assert!(parse_gate("retries>5", GateScope::StatOutbound).unwrap_err().contains("a share is a percentage"));
        let lines = [line(
            "route r",
            Some(RowMetrics { timeouts: Some(0.1), retries: Some(1.0 / 6.0), ..RowMetrics::default() }),
        )];
        let set = GateSet {
            gates: ["timeouts>1%", "retries>5%"].map(|e| parse_gate(e, GateScope::StatOutbound).unwrap()).to_vec(),
            fail_on_no_traffic: false,
        };
        assert_eq!(
            set.check(&lines),
            [
                "lviz: gate failed: route r: timeouts 10.00% > 1.00%",
                "lviz: gate failed: route r: retries 16.67% > 5.00%"
            ]
        );
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(3.0), "3");
        assert_eq!(short_number(0.96666), "0.967");
        assert_eq!(short_number(1.5), "1.5");
        assert_eq!(short_number(0.0), "0");
    }
}
