//! The numbers behind one displayed row of `stat` or `routes`, as linkerd derives them from the
//! counts (success fraction, rates, percentiles). Renderers print them; `--sort-by`, `--fail-if`
//! and the empty-result diagnostics read them, so all four agree on which rows exist and what
//! they hold. Pure; no I/O.

/// A row's metrics; `None` at the row level means "no request data" (all `-` in the table).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowMetrics {
    /// Success fraction (0–1). For `routes --to`, the effective success.
    pub success: f64,
    /// Requests per second. For `routes --to`, the effective rate.
    pub rps: f64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    /// Open TCP connections (stat, kinds that show TCP).
    pub tcp: Option<u64>,
    /// Read / write bytes per second (stat, kinds that show TCP).
    pub read: Option<f64>,
    pub write: Option<f64>,
    /// Actual (pre-retry) success fraction and rate (routes).
    pub actual_success: Option<f64>,
    pub actual_rps: Option<f64>,
    /// stat-outbound: the fraction of requests that timed out, and (routes) of requests
    /// that were retries.
    pub timeouts: Option<f64>,
    pub retries: Option<f64>,
    /// authz: denied requests per second.
    pub unauthorized: Option<f64>,
}

/// One displayed row, named for humans (`deploy/web in emojivoto`, `route "GET /" of deploy/web`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine {
    pub subject: String,
    pub metrics: Option<RowMetrics>,
}

/// True when there is no row, or no row has request data: the "wall of `-`" case.
pub fn all_without_data(lines: &[MetricLine]) -> bool {
    lines.iter().all(|l| l.metrics.is_none())
}
