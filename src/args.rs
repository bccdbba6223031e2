//! The global flags every command takes (clap), grouped under help headings (Connection,
//! Output, Watch, CI gates; the scope flags stay under Options, after the command's own) and
//! into [`FlagGroup`]s: a command lists the groups it uses, and the others are hidden from its
//! help and refused on its command line (`commands::cli_command`). The root parser is
//! `commands::Cli`; each command's own arguments live in its file under `commands/`;
//! `settings.rs` turns the global flags into settings.
//!
//! Each flag's doc comment is a one-line summary (`--help`, one line per flag), then the details
//! (`lviz help COMMAND` and the man pages).

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

    /// Namespace of the resources (default: the context's)
    ///
    /// Without -n: the kubeconfig context's namespace, else `default`.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Look in every namespace (wins over -n, as in kubectl)
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,

    /// Time window of the metrics (30s, 1m, 1h30m)
    #[arg(short = 't', long, global = true, default_value = "1m", value_name = "WINDOW")]
    pub time_window: String,

    /// Evaluate at this instant, not now (RFC 3339 or Unix seconds)
    ///
    /// For example 2026-01-01T00:20:00Z or 1767226800, to look at an incident afterwards. The
    /// environment variable LVIZ_AT sets it for every command (`lviz-testkit up` exports it).
    #[arg(long, env = "LVIZ_AT", global = true, value_name = "TIME")]
    pub at: Option<String>,

    /// Give up on a request after this long
    ///
    /// One deadline covers every backend call of the request (each refresh of a watch is one
    /// request): Prometheus, Kubernetes or the metrics API.
    #[arg(long, global = true, default_value = "30s", value_name = "DURATION", help_heading = "Connection")]
    pub request_timeout: String,

    /// Refuse a backend answer larger than this
    ///
    /// Bytes, or a size with KiB, MiB, GiB, KB, MB or GB. A Prometheus, Kubernetes or metrics
    /// API answer past it fails the request instead of filling memory.
    #[arg(
        long,
        global = true,
        default_value = "128MiB",
        value_name = "SIZE",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub max_answer_size: String,

    /// How latency percentiles are asked of Prometheus
    ///
    /// `lviz`: the bucket rates once, the percentiles computed with Prometheus's own rule;
    /// `linkerd`: Linkerd's three `histogram_quantile` queries. Both give the same numbers.
    #[arg(long, global = true, default_value = "lviz", value_name = "PLAN", value_parser = ["lviz", "linkerd"],
          help_heading = "Connection")]
    pub query_plan: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How to reach Prometheus (or a Prometheus-compatible engine).
#[derive(Debug, Args)]
pub struct PrometheusArgs {
    /// Prometheus base URL (default: linkerd-viz's, found through Kubernetes)
    ///
    /// With its scheme; a path prefix is fine (http://vmselect:8481/select/0/prometheus). Without
    /// it, lviz finds linkerd-viz's Prometheus and reaches it through the Kubernetes API.
    #[arg(long, env = "LVIZ_PROMETHEUS_URL", global = true, value_name = "URL", value_parser = http_url,
          help_heading = "Connection")]
    pub prometheus_url: Option<String>,

    /// Prometheus HTTP client config file (auth, TLS, headers)
    ///
    /// promtool's --http.config.file format: basic_auth, authorization, tls_config,
    /// http_headers.
    #[arg(long, global = true, value_name = "FILE", help_heading = "Connection")]
    pub prometheus_http_config: Option<PathBuf>,

    /// Send `Authorization: Bearer <token>` with the token read from FILE
    #[arg(long, global = true, value_name = "FILE", help_heading = "Connection")]
    pub prometheus_bearer_token_file: Option<PathBuf>,

    /// Send a bearer token read from environment variable VAR
    ///
    /// Sent as `Authorization: Bearer <token>`; without this flag, LVIZ_PROMETHEUS_TOKEN is used
    /// when set.
    #[arg(long, global = true, value_name = "VAR", help_heading = "Connection")]
    pub prometheus_bearer_token_env: Option<String>,

    /// Extra request header, e.g. 'X-Scope-OrgID: tenant1' (repeatable)
    #[arg(long, global = true, value_name = "NAME: VALUE", help_heading = "Connection")]
    pub prometheus_header: Vec<String>,

    /// Basic-auth user; the password comes from LVIZ_PROMETHEUS_PASSWORD
    #[arg(long, global = true, value_name = "USER", help_heading = "Connection")]
    pub prometheus_user: Option<String>,

    /// Namespace of linkerd-viz, for finding its Prometheus
    ///
    /// Without it: the namespace labelled linkerd.io/extension=viz.
    #[arg(long, global = true, value_name = "NAMESPACE", help_heading = "Connection")]
    pub viz_namespace: Option<String>,

    /// Do not use Kubernetes (rows from metric labels alone)
    ///
    /// Pod counts and other Kubernetes-only values are shown as unknown.
    #[arg(long, global = true, help_heading = "Connection")]
    pub no_kube: bool,

    /// Say on stderr which Prometheus and Kubernetes API are used
    #[arg(short = 'v', long, global = true, help_heading = "Connection")]
    pub verbose: bool,
}

/// Remote mode: where a metrics API (`lviz serve`, or Linkerd's metrics-api) is.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Ask this metrics API instead of Prometheus and Kubernetes
    ///
    /// grpc://HOST:PORT or HOST:PORT: linkerd2.viz.Api (lviz serve's gRPC port or Linkerd's
    /// metrics-api, 8085); http://HOST:PORT: lviz serve's JSON API. lviz then queries neither
    /// Prometheus nor Kubernetes itself.
    #[arg(long, env = "LVIZ_API_ADDR", global = true, value_name = "URL", value_parser = api_url,
          help_heading = "Connection")]
    pub api_addr: Option<String>,

    /// The protocol of --api-addr (default: from its scheme; grpc without one)
    #[arg(
        long,
        env = "LVIZ_API_PROTOCOL",
        global = true,
        value_enum,
        value_name = "PROTOCOL",
        help_heading = "Connection"
    )]
    pub api_protocol: Option<ApiProtocol>,

    /// Reach linkerd-viz's metrics-api through a port-forward, as the linkerd CLI does
    ///
    /// A port-forward through the Kubernetes API to its first Running pod (port 8085), in the
    /// namespace labelled linkerd.io/extension=viz (or --viz-namespace).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "HOW",
        conflicts_with = "api_addr",
        help_heading = "Connection"
    )]
    pub api_via: Option<ApiVia>,
}

/// `--api-protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiProtocol {
    /// linkerd2.viz.Api over plaintext HTTP/2
    Grpc,
    /// lviz serve's HTTP JSON API
    Json,
}

/// `--api-via`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiVia {
    /// A pod port-forward through the Kubernetes API
    PortForward,
}

/// How to reach Kubernetes.
#[derive(Debug, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH", help_heading = "Connection")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use for this call
    #[arg(long, global = true, value_name = "NAME", help_heading = "Connection")]
    pub context: Option<String>,
}

/// How results are shown, refreshed and checked.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: table, wide or json
    #[arg(short = 'o', long, global = true, default_value = "table", value_name = "FORMAT", help_heading = "Output")]
    pub output: String,

    /// Sort rows by COLUMN (rps, success, p99, name, ...); -COLUMN: descending
    ///
    /// Prefix with - for descending; rows without data always come last. Columns: name namespace
    /// status meshed success rps p50 p95 p99 tcp read write (stat), route service success rps
    /// actual_success actual_rps p50 p95 p99 (routes), src dst src_ns dst_ns client_id server_id
    /// secured (edges), cluster alive num_svc p50 p95 p99 (gateways).
    #[arg(long, global = true, value_name = "COLUMN", allow_hyphen_values = true, help_heading = "Output")]
    pub sort_by: Option<String>,

    /// Do not print column headers (table and wide)
    #[arg(long, global = true, help_heading = "Output")]
    pub no_headers: bool,

    /// Color cells by health: auto (on a terminal), always or never
    ///
    /// Success >= 99% green, >= 95% yellow, else red;
    /// latency < 100ms green, < 500ms yellow, else red. auto: only on a terminal, NO_COLOR unset
    /// (CLICOLOR_FORCE or FORCE_COLOR force it on)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,

    /// Refresh every INTERVAL (default 2s) until Ctrl-C
    ///
    /// On a terminal, redraws in place; a failed refresh keeps the last good table under a
    /// "stale since" line. When piped, one table per refresh separated by a blank line, or one
    /// JSON document per line with -o json (`{"at":…,"rows":…}`, or `{"error":…,"at":…}` for a
    /// failed refresh). With --at, the evaluation time advances by INTERVAL each refresh. The
    /// exit code is 1 when the last refresh failed.
    #[arg(short = 'w', long, global = true, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "2s",
          value_parser = watch_interval, help_heading = "Watch")]
    pub watch: Option<String>,

    /// With --watch: stop after N refreshes (exit 1 if the last one failed)
    #[arg(long, global = true, value_name = "N", help_heading = "Watch")]
    pub watch_count: Option<u64>,

    /// Exit 3 when a row breaches EXPR, e.g. 'success<99.5%' (repeatable)
    ///
    /// EXPR is METRIC OP VALUE with OP one of < <= > >=; metrics success
    /// (99.5% or 0.995), rps, p50, p95, p99 (250ms, 1s), and for stat tcp, read, write (bytes/s),
    /// for routes actual_success, actual_rps, for stat-outbound timeouts, retries (1%), for authz
    /// unauthorized (rps). Repeatable; rows without traffic are skipped
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

/// `--api-addr`: an http(s):// or grpc:// URL, or a bare `HOST:PORT` (gRPC, as linkerd's
/// `--api-addr`).
fn api_url(text: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("grpc://") || lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(text.to_string());
    }
    match text.split_once("://") {
        Some((scheme, _)) => Err(format!("unsupported scheme {scheme:?}: use grpc://, http:// or https://")),
        None if text.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) => {
            Ok(text.to_string())
        }
        None => Err(format!("expected grpc://HOST:PORT, HOST:PORT or http://HOST:PORT, got {text:?}")),
    }
}

/// `--prometheus-url`: a URL with its `http://` or `https://` scheme. Without one
/// (`127.0.0.1:9090`, `prometheus:9090`) the text would be read as a relative path or as a
/// scheme of its own, so say what to write instead.
fn http_url(text: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(text.to_string());
    }
    match text.split_once("://") {
        Some((scheme, _)) => Err(format!("unsupported scheme {scheme:?}: use http:// or https://")),
        None => Err(format!("the URL has no scheme: add http:// (http://{text}) or https://")),
    }
}

/// The global flags by what they are for. A command uses some groups (view commands all of
/// them); the others are hidden from its help and are an error on its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagGroup {
    /// `-n`, `-A`, `-t`, `--at`: what a view asks about.
    Scope,
    /// How to reach and ask Prometheus.
    Prometheus,
    /// How to reach Kubernetes.
    Kubernetes,
    /// `--api-addr`: remote mode.
    Remote,
    /// `--request-timeout`, `--max-answer-size`, `-v`.
    Requests,
    Output,
    Watch,
    Gates,
}

impl FlagGroup {
    pub const ALL: &'static [FlagGroup] = &[
        FlagGroup::Scope,
        FlagGroup::Prometheus,
        FlagGroup::Kubernetes,
        FlagGroup::Remote,
        FlagGroup::Requests,
        FlagGroup::Output,
        FlagGroup::Watch,
        FlagGroup::Gates,
    ];

    /// The clap ids of the group's flags.
    pub fn ids(self) -> &'static [&'static str] {
        match self {
            FlagGroup::Scope => &["namespace", "all_namespaces", "time_window", "at"],
            FlagGroup::Prometheus => &[
                "prometheus_url",
                "prometheus_http_config",
                "prometheus_bearer_token_file",
                "prometheus_bearer_token_env",
                "prometheus_header",
                "prometheus_user",
                "viz_namespace",
                "no_kube",
                "query_plan",
            ],
            FlagGroup::Kubernetes => &["kubeconfig", "context"],
            FlagGroup::Remote => &["api_addr", "api_protocol", "api_via"],
            FlagGroup::Requests => &["request_timeout", "max_answer_size", "verbose"],
            FlagGroup::Output => &["output", "sort_by", "no_headers", "color"],
            FlagGroup::Watch => &["watch", "watch_count"],
            FlagGroup::Gates => &["fail_if", "fail_on_no_traffic"],
        }
    }
}

/// Where the global flags sit in every command's help: after the command's own flags (whose
/// display order starts at 0), in the order they are declared.
pub const GLOBAL_DISPLAY_ORDER: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_global_flag_is_in_exactly_one_group() {
        let cmd = crate::Cli::command();
        for arg in cmd.get_arguments().filter(|a| a.is_global_set()) {
            let id = arg.get_id().as_str();
            let groups = FlagGroup::ALL.iter().filter(|g| g.ids().contains(&id)).count();
            assert_eq!(groups, 1, "global flag {id} is in {groups} groups (args.rs FlagGroup::ids)");
        }
        let ids: usize = FlagGroup::ALL.iter().map(|g| g.ids().len()).sum();
        assert_eq!(ids, cmd.get_arguments().filter(|a| a.is_global_set()).count(), "no stale ids");
    }

    #[test]
    fn urls_need_their_scheme() {
        assert_eq!(http_url("http://127.0.0.1:9090").as_deref(), Ok("http://127.0.0.1:9090"));
        assert_eq!(http_url("HTTPS://p/x").as_deref(), Ok("HTTPS://p/x"));
        assert_eq!(
            http_url("127.0.0.1:9090").unwrap_err(),
            "the URL has no scheme: add http:// (http://127.0.0.1:9090) or https://"
        );
        assert_eq!(http_url("ftp://p").unwrap_err(), "unsupported scheme \"ftp\": use http:// or https://");
    }
}
