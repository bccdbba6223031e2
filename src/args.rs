//! The global flags every command takes (clap). The root parser is `commands::Cli`; each
//! command's own arguments live in its file under `commands/`; `settings.rs` turns the global
//! flags into settings.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct GlobalArgs {
    #[command(flatten)]
    pub prometheus: PrometheusArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    #[command(flatten)]
    pub api: ApiArgs,

    /// Namespace of the resources (default: the context's namespace, else `default`)
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Look in every namespace
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,

    /// Time window of the metrics (Go duration: 30s, 1m, 1h30m)
    #[arg(short = 't', long, global = true, default_value = "1m", value_name = "WINDOW")]
    pub time_window: String,

    /// Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,

    /// Give up after this long: one deadline for every backend call of a request (of each
    /// refresh with --watch)
    #[arg(long, global = true, default_value = "30s", value_name = "DURATION")]
    pub request_timeout: String,

    /// Refuse a backend answer larger than this (bytes, or KiB, MiB, GiB, KB, MB, GB)
    #[arg(long, global = true, default_value = "128MiB", value_name = "SIZE")]
    pub max_answer_size: String,

    /// How latency percentiles are asked of Prometheus: `lviz` (the bucket rates once, the
    /// percentiles computed with Prometheus's own rule) or `linkerd` (Linkerd's three
    /// `histogram_quantile` queries). Both give the same numbers.
    #[arg(long, global = true, default_value = "lviz", value_name = "PLAN", value_parser = ["lviz", "linkerd"])]
    pub query_plan: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How to reach Prometheus (or a Prometheus-compatible engine).
#[derive(Debug, Args)]
pub struct PrometheusArgs {
    /// Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus)
    /// (default: find linkerd-viz's Prometheus through Kubernetes)
    #[arg(long, env = "LVIZ_PROMETHEUS_URL", global = true, value_name = "URL")]
    pub prometheus_url: Option<String>,

    /// Prometheus HTTP client config (promtool's --http.config.file format: basic_auth,
    /// authorization, tls_config, http_headers)
    #[arg(long, global = true, value_name = "FILE")]
    pub prometheus_http_config: Option<PathBuf>,

    /// Send `Authorization: Bearer <token>` with the token read from FILE
    #[arg(long, global = true, value_name = "FILE")]
    pub prometheus_bearer_token_file: Option<PathBuf>,

    /// Send `Authorization: Bearer <token>` with the token read from environment variable VAR
    /// (default: LVIZ_PROMETHEUS_TOKEN when set)
    #[arg(long, global = true, value_name = "VAR")]
    pub prometheus_bearer_token_env: Option<String>,

    /// Extra request header, e.g. 'X-Scope-OrgID: tenant1' (repeatable)
    #[arg(long, global = true, value_name = "NAME: VALUE")]
    pub prometheus_header: Vec<String>,

    /// Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD
    #[arg(long, global = true, value_name = "USER")]
    pub prometheus_user: Option<String>,

    /// Namespace of linkerd-viz, for finding its Prometheus (default: the namespace labelled
    /// linkerd.io/extension=viz)
    #[arg(long, global = true, value_name = "NAMESPACE")]
    pub viz_namespace: Option<String>,

    /// Do not use Kubernetes: rows come from metric labels; pod counts and other
    /// Kubernetes-only values are shown as unknown
    #[arg(long, global = true)]
    pub no_kube: bool,

    /// Say on stderr which Prometheus and Kubernetes API are used
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
}

/// Remote mode: where a metrics API (`lviz serve`) is.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Ask this metrics API (`lviz serve`, e.g. http://localhost:8085) instead of querying
    /// Prometheus and Kubernetes directly
    #[arg(long, env = "LVIZ_API_ADDR", global = true, value_name = "URL")]
    pub api_addr: Option<String>,
}

/// How to reach Kubernetes.
#[derive(Debug, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use for this call
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
}

/// How results are shown, refreshed and checked.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: table, wide or json
    #[arg(short = 'o', long, global = true, default_value = "table", value_name = "FORMAT")]
    pub output: String,

    /// Sort rows by COLUMN, e.g. rps, success, p99, name; prefix with - for descending (rows without data last)
    #[arg(long, global = true, value_name = "COLUMN", allow_hyphen_values = true, help_heading = "Output")]
    pub sort_by: Option<String>,

    /// Do not print column headers (table and wide)
    #[arg(long, global = true, help_heading = "Output")]
    pub no_headers: bool,

    /// Color success and latency cells by health: success >= 99% green, >= 95% yellow, else red;
    /// latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset
    /// (CLICOLOR_FORCE or FORCE_COLOR force it on)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,

    /// Refresh every INTERVAL (default 2s): redraw in place on a terminal; when piped, one table per
    /// refresh separated by a blank line, or one JSON document per line with -o json. With --at, the
    /// evaluation time advances by INTERVAL each refresh
    #[arg(long, global = true, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "2s",
          value_parser = watch_interval, help_heading = "Watch")]
    pub watch: Option<String>,

    /// With --watch: stop after N refreshes
    #[arg(long, global = true, value_name = "N", help_heading = "Watch")]
    pub watch_count: Option<u64>,

    /// Exit 3 when a row breaches EXPR: METRIC OP VALUE with OP one of < <= > >=; metrics success
    /// (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s),
    /// for routes actual_success, actual_rps. Repeatable; rows without traffic are skipped
    #[arg(long, global = true, value_name = "EXPR", help_heading = "CI gates")]
    pub fail_if: Vec<String>,

    /// With --fail-if: a row without traffic (or an empty result) fails every gate
    #[arg(long, global = true, help_heading = "CI gates")]
    pub fail_on_no_traffic: bool,
}

/// `--watch` takes an optional value, so `--watch deploy` would read `deploy` as the interval;
/// reject anything that is not a duration with a message that says how to write it.
fn watch_interval(text: &str) -> Result<String, String> {
    match lviz_api::window::parse_go_duration(text) {
        Ok(_) => Ok(text.to_string()),
        Err(e) => Err(format!("{e} (write --watch=2s, or put --watch after the resources)")),
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
