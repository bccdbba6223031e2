//! From parsed flags to validated API requests and render views, with linkerd's validation
//! order and messages (viz-semantics §1.3). Every field of every args struct is destructured,
//! so a new flag cannot be silently ignored.

use std::time::Duration;

use super::{
    ApiArgs, Cli, ColorChoice, Command, CompletionsArgs, EdgesArgs, GatewaysArgs, GenerateManArgs, GlobalArgs,
    KubeArgs, OutputArgs, PrometheusArgs, RoutesArgs, ServeArgs, StatArgs,
};
use crate::api::validate::{edges_request, gateways_request, routes_request, stat_request};
use crate::api::window::{Window, parse_go_duration};
use crate::api::{EdgesRequest, GatewaysRequest, ResourceKind, StatSummaryRequest, Target, TopRoutesRequest};
use crate::engine::QueryPlan;
use crate::error::CliError;
use crate::gate::{GateScope, GateSet, parse_gate};
use crate::k8s::KubeSettings;
use crate::prom::AccessFlags;
use crate::prom::http_config::{Secret, parse_header_flag};
use crate::render::{EdgesView, GatewaysView, OutputFormat, RoutesView, SortBy, SortTable, StatView, parse_sort};
use crate::server::{CachePolicy, ServeOptions};

/// Where the backends are and how long to wait for them, and how the command runs around its
/// request (`session`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub prometheus_url: Option<String>,
    pub kube: KubeSettings,
    pub timeout: Duration,
    pub prom: PromSettings,
    /// `--api-addr`: remote mode, a metrics API answers instead of Prometheus and Kubernetes.
    pub api_addr: Option<String>,
    /// `--query-plan`: which queries the embedded engine sends for latency percentiles.
    pub query_plan: QueryPlan,
    /// `--watch`, `--fail-if`, `-o json`.
    pub session: Session,
}

/// lviz's additions that act around a command rather than on its request or its table.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// `--watch [INTERVAL]` and `--watch-count N`.
    pub watch: Option<WatchSpec>,
    /// `--fail-if` (stat and routes) and `--fail-on-no-traffic`.
    pub gates: GateSet,
    /// `-o json`: no progress indicator; `--watch` prints one compact document per line.
    pub json: bool,
}

/// `--watch`: refresh every `interval`, `count` times at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSpec {
    pub interval: Duration,
    pub count: Option<u64>,
}

/// The shortest `--watch` interval: a refresh sends several queries.
pub const MIN_WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// How to reach Prometheus beyond its URL: credentials and headers (not yet read from their
/// files), zero-config discovery, and whether Kubernetes is used at all.
#[derive(Debug, Clone, Default)]
pub struct PromSettings {
    pub access: AccessFlags,
    /// `--viz-namespace`: where linkerd-viz's Prometheus lives (default: found by label).
    pub viz_namespace: Option<String>,
    /// `--no-kube`: Prometheus-only mode.
    pub no_kube: bool,
    /// `-v`: name the backends on stderr.
    pub verbose: bool,
}

/// The environment variable `--prometheus-bearer-token-env` defaults to.
pub const TOKEN_ENV: &str = "LVIZ_PROMETHEUS_TOKEN";
/// Where `--prometheus-user` finds its password.
pub const PASSWORD_ENV: &str = "LVIZ_PROMETHEUS_PASSWORD";

fn prom_settings(args: PrometheusArgs) -> Result<(Option<String>, PromSettings), CliError> {
    let PrometheusArgs {
        prometheus_url,
        prometheus_http_config,
        prometheus_bearer_token_file,
        prometheus_bearer_token_env,
        prometheus_header,
        prometheus_user,
        viz_namespace,
        no_kube,
        verbose,
    } = args;
    let env_value = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bearer_token_env = match prometheus_bearer_token_env {
        Some(var) => match env_value(&var) {
            Some(token) => Some((var, Secret::new(token.trim()))),
            None => return Err(usage(format!("--prometheus-bearer-token-env: environment variable {var} is not set"))),
        },
        None => env_value(TOKEN_ENV).map(|token| (TOKEN_ENV.to_string(), Secret::new(token.trim()))),
    };
    let user = match prometheus_user {
        Some(user) => match env_value(PASSWORD_ENV) {
            Some(password) => Some((user, Secret::new(password))),
            None => return Err(usage(format!("--prometheus-user needs the password in {PASSWORD_ENV}"))),
        },
        None => None,
    };
    let headers = prometheus_header
        .iter()
        .map(|h| parse_header_flag(h).map_err(|e| usage(e.0)))
        .collect::<Result<Vec<_>, _>>()?;
    if no_kube && viz_namespace.is_some() {
        return Err(usage("--viz-namespace needs Kubernetes; it cannot be used with --no-kube"));
    }
    if no_kube && prometheus_url.is_none() {
        return Err(usage("--no-kube needs --prometheus-url (or LVIZ_PROMETHEUS_URL)"));
    }
    let access = AccessFlags {
        http_config: prometheus_http_config,
        bearer_token_file: prometheus_bearer_token_file,
        bearer_token_env,
        headers,
        user,
    };
    Ok((prometheus_url, PromSettings { access, viz_namespace, no_kube, verbose }))
}

/// One command, ready to send.
#[derive(Debug, Clone)]
pub enum Plan {
    Stat {
        requests: Vec<StatSummaryRequest>,
        view: StatView,
    },
    Routes {
        request: TopRoutesRequest,
        view: RoutesView,
    },
    Edges {
        request: EdgesRequest,
        view: EdgesView,
    },
    Gateways {
        request: GatewaysRequest,
        view: GatewaysView,
    },
    /// `lviz serve`: no requests of its own; it answers other clients'.
    Serve(ServeOptions),
    /// `lviz completions SHELL`: no backend.
    Completions {
        shell: clap_complete::Shell,
    },
    /// `lviz generate-man DIR` (hidden): no backend.
    GenerateMan {
        dir: std::path::PathBuf,
    },
}

type DefaultNamespace<'a> = &'a dyn Fn(&KubeSettings) -> Result<String, CliError>;

pub fn resolve(cli: Cli, default_ns: DefaultNamespace, color: bool) -> Result<(Settings, Plan), CliError> {
    let Cli { global, command } = cli;
    let GlobalArgs {
        prometheus,
        kube,
        api,
        namespace,
        all_namespaces,
        time_window,
        at,
        request_timeout,
        query_plan,
        output,
    } = global;
    // clap only lets the two names through.
    let query_plan = if query_plan == "linkerd" { QueryPlan::Linkerd } else { QueryPlan::Lviz };
    let ApiArgs { api_addr } = api;
    let (prometheus_url, prom) = prom_settings(prometheus)?;
    let KubeArgs { kubeconfig, context } = kube;
    let OutputArgs {
        output,
        sort_by,
        no_headers,
        color: color_choice,
        watch,
        watch_count,
        fail_if,
        fail_on_no_traffic,
    } = output;
    let kube = KubeSettings { kubeconfig, context };
    let timeout = humantime::parse_duration(&request_timeout)
        .map_err(|e| usage(format!("invalid --request-timeout {request_timeout:?}: {e}")))?;
    if timeout.is_zero() {
        return Err(usage(format!("invalid --request-timeout {request_timeout:?}: must be more than 0")));
    }
    let at = at.as_deref().map(parse_at).transpose()?;
    let color = match color_choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => color,
    };
    let watch = watch_spec(watch.as_deref(), watch_count)?;
    let scope = match &command {
        Command::Stat(_) => Some((SortTable::Stat, Some(GateScope::Stat))),
        Command::Routes(_) => Some((SortTable::Routes, Some(GateScope::Routes))),
        Command::Edges(_) => Some((SortTable::Edges, None)),
        Command::Gateways(_) => Some((SortTable::Gateways, None)),
        Command::Serve(_) | Command::Completions(_) | Command::GenerateMan(_) => None,
    };
    let sort = match (&sort_by, scope) {
        (Some(text), Some((table, _))) => Some(parse_sort(table, text).map_err(usage)?),
        _ => None,
    };
    let gates = match scope {
        Some((_, Some(gate_scope))) => GateSet {
            gates: fail_if.iter().map(|e| parse_gate(e, gate_scope)).collect::<Result<_, _>>().map_err(usage)?,
            fail_on_no_traffic,
        },
        _ if !fail_if.is_empty() => return Err(usage("--fail-if applies to stat and routes only")),
        _ => GateSet::default(),
    };
    if fail_on_no_traffic && gates.is_empty() {
        return Err(usage("--fail-on-no-traffic needs at least one --fail-if"));
    }
    if watch.is_some() && !gates.is_empty() {
        return Err(usage("--fail-if cannot be combined with --watch (a gate checks one answer)"));
    }
    let json = output == "json";
    let presentation = Presentation { sort, no_headers, color: color && !json };
    let common = Common { namespace, all_namespaces, output, time_window, at, kube: &kube, default_ns, presentation };
    let plan = match command {
        Command::Stat(args) => stat(args, &common)?,
        Command::Routes(args) => routes(args, &common)?,
        Command::Edges(args) => edges(args, &common, color)?,
        Command::Gateways(args) => gateways(args, &common)?,
        Command::Serve(args) => serve(args)?,
        Command::Completions(CompletionsArgs { shell }) => Plan::Completions { shell },
        Command::GenerateMan(GenerateManArgs { dir }) => Plan::GenerateMan { dir },
    };
    let session = Session { watch, gates, json };
    Ok((Settings { prometheus_url, kube, timeout, prom, api_addr, query_plan, session }, plan))
}

/// `--watch [INTERVAL]` (Go duration, at least [`MIN_WATCH_INTERVAL`]) and `--watch-count N`.
fn watch_spec(watch: Option<&str>, count: Option<u64>) -> Result<Option<WatchSpec>, CliError> {
    let Some(text) = watch else {
        return match count {
            Some(_) => Err(usage("--watch-count needs --watch")),
            None => Ok(None),
        };
    };
    let nanos = parse_go_duration(text).map_err(|e| {
        usage(format!("invalid --watch interval {text:?}: {e} (write --watch=2s, or put --watch after the resource)"))
    })?;
    let interval = Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
    if interval < MIN_WATCH_INTERVAL {
        return Err(usage(format!("invalid --watch interval {text:?}: must be at least 100ms")));
    }
    if count == Some(0) {
        return Err(usage("invalid --watch-count 0: must be at least 1"));
    }
    Ok(Some(WatchSpec { interval, count }))
}

/// `--sort-by`, `--no-headers` and color, for every view.
#[derive(Debug, Clone, Copy)]
struct Presentation {
    sort: Option<SortBy>,
    no_headers: bool,
    /// lviz's health colors (never with JSON).
    color: bool,
}

struct Common<'a> {
    namespace: Option<String>,
    all_namespaces: bool,
    output: String,
    time_window: String,
    at: Option<f64>,
    kube: &'a KubeSettings,
    default_ns: DefaultNamespace<'a>,
    presentation: Presentation,
}

impl Common<'_> {
    fn default_namespace(&self) -> Result<String, CliError> {
        (self.default_ns)(self.kube)
    }
    /// `-n`, else the kubeconfig default.
    fn namespace(&self) -> Result<String, CliError> {
        match &self.namespace {
            Some(ns) => Ok(ns.clone()),
            None => self.default_namespace(),
        }
    }
    /// linkerd compares `-n` with the kubeconfig default rather than asking whether it was given.
    fn namespace_differs_from_default(&self) -> Result<bool, CliError> {
        match &self.namespace {
            Some(ns) => Ok(*ns != self.default_namespace()?),
            None => Ok(false),
        }
    }
}

fn usage(message: impl Into<String>) -> CliError {
    CliError::Usage(message.into())
}

/// linkerd's messages do not always name the value; lviz adds it.
fn bad_output(message: &str, value: &str) -> CliError {
    usage(format!("{message} (got {value:?})"))
}

/// RFC 3339 (`2026-01-01T00:20:00Z`) or Unix seconds (`1767226800`, fractions allowed).
pub fn parse_at(text: &str) -> Result<f64, CliError> {
    if let Ok(secs) = text.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Ok(secs);
    }
    match time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        Ok(t) => Ok(t.unix_timestamp_nanos() as f64 / 1e9),
        Err(_) => {
            Err(usage(format!("invalid --at value {text:?}: expected RFC 3339 (2026-01-01T00:20:00Z) or Unix seconds")))
        }
    }
}

fn stat(args: StatArgs, c: &Common) -> Result<Plan, CliError> {
    let StatArgs { resources, to, to_namespace, from, from_namespace, selector, unmeshed } = args;
    let namespace = c.namespace()?;
    let request_ns = if c.all_namespaces { String::new() } else { namespace.clone() };

    // 1-2: targets, then --to and --from.
    let targets = Target::parse_many(&request_ns, &resources).map_err(usage)?;
    let peer_ns = |explicit: &Option<String>| explicit.clone().unwrap_or_else(|| request_ns.clone());
    let to_target = to.as_deref().map(|t| Target::parse(&peer_ns(&to_namespace), t)).transpose().map_err(usage)?;
    let from_target =
        from.as_deref().map(|t| Target::parse(&peer_ns(&from_namespace), t)).transpose().map_err(usage)?;

    // 3: flag combinations, per target.
    let output = match c.output.as_str() {
        "table" | "" => OutputFormat::Table,
        "wide" => OutputFormat::Wide,
        "json" => OutputFormat::Json,
        other => return Err(bad_output("--output currently only supports table, json and wide", other)),
    };
    for target in &targets {
        if to.is_some() && from.is_some() {
            return Err(usage("--to and --from flags are mutually exclusive"));
        }
        if to_namespace.is_some() && from_namespace.is_some() {
            return Err(usage("--to-namespace and --from-namespace flags are mutually exclusive"));
        }
        if c.all_namespaces && c.namespace_differs_from_default()? {
            return Err(usage("--all-namespaces and --namespace flags are mutually exclusive"));
        }
        if target.kind == ResourceKind::Namespace {
            if to_namespace.is_some() {
                return Err(usage("--to-namespace flag is incompatible with namespace resource type"));
            }
            if from_namespace.is_some() {
                return Err(usage("--from-namespace flag is incompatible with namespace resource type"));
            }
            if c.namespace_differs_from_default()? {
                return Err(usage("--namespace flag is incompatible with namespace resource type"));
            }
        }
    }
    let selector = selector.unwrap_or_default();
    crate::k8s::selector::validate(&selector).map_err(usage)?;

    // 4: one request per target.
    let mut requests = Vec::with_capacity(targets.len());
    for target in targets {
        Window::parse_stat(&c.time_window).map_err(usage)?;
        if c.all_namespaces && !target.name.is_empty() {
            return Err(usage("stats for a resource cannot be retrieved by name across all namespaces"));
        }
        let mut req = StatSummaryRequest {
            resource_type: target.kind.canonical().to_string(),
            resource_name: target.name.clone(),
            namespace: target.namespace.clone(),
            time_window: c.time_window.clone(),
            tcp_stats: Some(true),
            label_selector: selector.clone(),
            at: c.at,
            ..Default::default()
        };
        if let Some(to) = &to_target {
            req.to_resource_type = to.kind.canonical().to_string();
            req.to_resource_name = to.name.clone();
            req.to_namespace = to.namespace.clone();
        } else if let Some(ns) = &to_namespace {
            req.to_namespace = ns.clone();
        }
        if let Some(from) = &from_target {
            req.from_resource_type = from.kind.canonical().to_string();
            req.from_resource_name = from.name.clone();
            req.from_namespace = from.namespace.clone();
        } else if let Some(ns) = &from_namespace {
            req.from_namespace = ns.clone();
        }
        // The server's own checks, so CLI and server reject with the same words.
        stat_request(&req).map_err(usage)?;
        requests.push(req);
    }
    let p = c.presentation;
    let view = StatView {
        output,
        all_namespaces: c.all_namespaces,
        unmeshed,
        from_set: from_target.is_some(),
        sort: p.sort,
        no_headers: p.no_headers,
        color: p.color,
    };
    Ok(Plan::Stat { requests, view })
}

fn routes(args: RoutesArgs, c: &Common) -> Result<Plan, CliError> {
    let RoutesArgs { target, to, to_namespace, selector } = args;
    if c.all_namespaces {
        return Err(usage("routes does not support --all-namespaces; give a namespace with -n"));
    }
    let namespace = c.namespace()?;
    let target = Target::parse(&namespace, &target).map_err(usage)?;
    let to_ns = to_namespace.clone().unwrap_or_else(|| namespace.clone());
    let to_target = to.as_deref().map(|t| Target::parse(&to_ns, t)).transpose().map_err(usage)?;
    let output = match c.output.as_str() {
        "table" | "" => OutputFormat::Table,
        "json" => OutputFormat::Json,
        "wide" if to_target.is_some() => OutputFormat::Wide,
        "wide" => return Err(usage("wide output is only available when --to is specified")),
        other => return Err(bad_output("--output currently only supports table, wide, and json", other)),
    };
    let selector = selector.unwrap_or_default();
    crate::k8s::selector::validate(&selector).map_err(usage)?;
    let mut request = TopRoutesRequest {
        resource_type: target.kind.canonical().to_string(),
        resource_name: target.name.clone(),
        namespace: target.namespace.clone(),
        time_window: c.time_window.clone(),
        label_selector: selector,
        at: c.at,
        ..Default::default()
    };
    if let Some(to) = &to_target {
        request.to_resource_type = to.kind.canonical().to_string();
        request.to_resource_name = to.name.clone();
        request.to_namespace = to.namespace.clone();
    }
    routes_request(&request).map_err(usage)?;
    let p = c.presentation;
    let view =
        RoutesView { output, to_set: to_target.is_some(), sort: p.sort, no_headers: p.no_headers, color: p.color };
    Ok(Plan::Routes { request, view })
}

fn edges(args: EdgesArgs, c: &Common, color: bool) -> Result<Plan, CliError> {
    let EdgesArgs { resource_type } = args;
    let namespace = if c.all_namespaces { String::new() } else { c.namespace()? };
    let target = Target::parse(&namespace, &resource_type).map_err(usage)?;
    if !target.name.is_empty() {
        return Err(usage(format!(
            "Edges cannot be returned for a specific resource name; remove {} from query",
            target.name
        )));
    }
    if matches!(target.kind, ResourceKind::Service | ResourceKind::All) {
        return Err(usage(format!("Resource type is not supported: {}", target.kind)));
    }
    let output = match c.output.as_str() {
        "table" | "" => OutputFormat::Table,
        "wide" => OutputFormat::Wide,
        "json" => OutputFormat::Json,
        other => return Err(bad_output("--output supports table, json and wide", other)),
    };
    let request = EdgesRequest { resource_type: target.kind.canonical().to_string(), namespace, at: c.at };
    edges_request(&request).map_err(usage)?;
    // edges colors only linkerd's own check mark, as linkerd does (not with JSON).
    let view = EdgesView {
        output,
        color: color && output != OutputFormat::Json,
        sort: c.presentation.sort,
        no_headers: c.presentation.no_headers,
    };
    Ok(Plan::Edges { request, view })
}

fn gateways(args: GatewaysArgs, c: &Common) -> Result<Plan, CliError> {
    let GatewaysArgs { cluster_name, gateway_namespace } = args;
    let output = match c.output.as_str() {
        "table" | "" | "wide" => OutputFormat::Table,
        "json" => OutputFormat::Json,
        other => return Err(bad_output("--output supports table and json", other)),
    };
    let request = GatewaysRequest {
        time_window: c.time_window.clone(),
        gateway_namespace: gateway_namespace.unwrap_or_default(),
        remote_cluster_name: cluster_name.unwrap_or_default(),
        at: c.at,
    };
    gateways_request(&request).map_err(usage)?;
    let view = GatewaysView { output, sort: c.presentation.sort, no_headers: c.presentation.no_headers };
    Ok(Plan::Gateways { request, view })
}

/// A duration flag; zero is allowed only where it means "off".
fn duration_flag(flag: &str, text: &str, zero_ok: bool) -> Result<Duration, CliError> {
    let d = humantime::parse_duration(text).map_err(|e| usage(format!("invalid {flag} {text:?}: {e}")))?;
    if d.is_zero() && !zero_ok {
        return Err(usage(format!("invalid {flag} {text:?}: must be more than 0")));
    }
    Ok(d)
}

fn serve(args: ServeArgs) -> Result<Plan, CliError> {
    let ServeArgs { addr, access_log, max_concurrent_queries, cache_ttl, cache_stale_for, handler_timeout } = args;
    let addr = addr
        .parse()
        .map_err(|e| usage(format!("invalid --addr {addr:?}: {e} (expected IP:PORT, e.g. 0.0.0.0:8085)")))?;
    if max_concurrent_queries == 0 {
        return Err(usage("invalid --max-concurrent-queries 0: must be at least 1"));
    }
    let ttl = duration_flag("--cache-ttl", &cache_ttl, true)?;
    let stale_for = duration_flag("--cache-stale-for", &cache_stale_for, true)?;
    let cache = Some(CachePolicy { ttl, stale_for }).filter(|p| !p.ttl.is_zero());
    let handler_timeout = duration_flag("--handler-timeout", &handler_timeout, false)?;
    Ok(Plan::Serve(ServeOptions { addr, access_log, max_concurrent_queries, cache, handler_timeout }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_accepts_rfc3339_and_unix_seconds() {
        assert_eq!(parse_at("1767226800").unwrap(), 1767226800.0);
        assert_eq!(parse_at("2026-01-01T00:20:00Z").unwrap(), 1767226800.0);
        assert_eq!(parse_at("2026-01-01T01:20:00+01:00").unwrap(), 1767226800.0);
        let err = parse_at("yesterday").unwrap_err().to_string();
        assert!(err.contains("\"yesterday\""), "{err}");
    }
}
