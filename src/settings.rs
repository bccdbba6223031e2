//! From the global flags to settings, with linkerd's validation order and messages
//! (viz-semantics §1.3): where the backends are ([`Settings`]), and what every view command
//! shares ([`Common`]: namespace, output, window, evaluation time, presentation, session). Every
//! field of every args struct is destructured, so a new flag cannot be silently ignored. Each
//! command's own flags are resolved in its file under `commands/`.

use std::time::Duration;

use lviz_api::window::parse_go_duration;
use lviz_engine::{EngineConfig, QueryPlan};
use lviz_k8s::KubeSettings;
use lviz_prom::AccessFlags;
use lviz_prom::http_config::{PASSWORD_ENV, Secret, TOKEN_ENV, parse_header_flag};
use lviz_render::{OutputFormat, SortBy, SortTable, parse_sort};

use crate::args::{ApiArgs, ApiProtocol, ApiVia, ColorChoice, GlobalArgs, KubeArgs, OutputArgs, PrometheusArgs};
use crate::error::{CliError, usage};
use crate::gate::{GateScope, GateSet, parse_gate};

/// Where the backends are and how long to wait for them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The embedded engine's backends.
    pub engine: EngineConfig,
    /// `-v`: name the backends on stderr.
    pub verbose: bool,
    /// `--api-addr`: remote mode, a metrics API answers instead of Prometheus and Kubernetes.
    pub api_addr: Option<String>,
    /// `--api-protocol`: how to speak to `api_addr` (`None`: from its scheme).
    pub api_protocol: Option<ApiProtocol>,
    /// `--api-via`: reach linkerd-viz's metrics-api through Kubernetes.
    pub api_via: Option<ApiVia>,
    /// `--request-timeout`.
    pub timeout: Duration,
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
    /// `--request-timeout`: the deadline of each request (each refresh under `--watch`).
    pub request_timeout: Duration,
}

/// `--watch`: refresh every `interval`, `count` times at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSpec {
    pub interval: Duration,
    pub count: Option<u64>,
}

/// The shortest `--watch` interval: a refresh sends several queries.
pub const MIN_WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// How the process decides what the flags leave open: the kubeconfig's default namespace, and
/// whether color is wanted with `--color auto`. Tests substitute both.
pub struct Env<'a> {
    pub default_namespace: &'a (dyn Fn(&KubeSettings) -> Result<String, CliError> + Sync),
    pub color: bool,
}

/// What a command's sort and gates are checked against (`None`: it has none).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tables {
    pub sort: Option<SortTable>,
    pub gates: Option<GateScope>,
}

/// `--sort-by`, `--no-headers` and color, for every view.
#[derive(Debug, Clone, Copy)]
pub struct Presentation {
    pub sort: Option<SortBy>,
    pub no_headers: bool,
    /// lviz's health colors (never with JSON).
    pub color: bool,
}

/// What every view command shares, resolved from the global flags.
pub struct Common<'a> {
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub output: String,
    pub time_window: String,
    pub at: Option<f64>,
    pub kube: KubeSettings,
    pub env: &'a Env<'a>,
    pub presentation: Presentation,
    /// `--color` resolved, before JSON turns the health colors off.
    pub color: bool,
    pub session: Session,
}

impl Common<'_> {
    pub fn default_namespace(&self) -> Result<String, CliError> {
        (self.env.default_namespace)(&self.kube)
    }

    /// `-n`, else the kubeconfig default.
    pub fn namespace(&self) -> Result<String, CliError> {
        match &self.namespace {
            Some(ns) => Ok(ns.clone()),
            None => self.default_namespace(),
        }
    }

    /// linkerd compares `-n` with the kubeconfig default rather than asking whether it was given.
    pub fn namespace_differs_from_default(&self) -> Result<bool, CliError> {
        match &self.namespace {
            Some(ns) => Ok(*ns != self.default_namespace()?),
            None => Ok(false),
        }
    }
}

/// linkerd's messages do not always name the value; lviz adds it.
pub fn bad_output(message: &str, value: &str) -> CliError {
    usage(format!("{message} (got {value:?})"))
}

/// `-o`: `table` (or empty), and the other formats a command accepts, else `message`.
pub fn output_format(output: &str, allowed: &[(&str, OutputFormat)], message: &str) -> Result<OutputFormat, CliError> {
    if output.is_empty() {
        return Ok(OutputFormat::Table);
    }
    allowed.iter().find(|(name, _)| *name == output).map(|(_, f)| *f).ok_or_else(|| bad_output(message, output))
}

/// Resolves the global flags of any command; `tables` says what its sort and gates apply to.
pub fn resolve<'a>(global: GlobalArgs, tables: Tables, env: &'a Env<'a>) -> Result<(Settings, Common<'a>), CliError> {
    let GlobalArgs {
        prometheus,
        kube,
        api,
        namespace,
        all_namespaces,
        time_window,
        at,
        request_timeout,
        max_answer_size,
        query_plan,
        output,
    } = global;
    // clap only lets the two names through.
    let query_plan = if query_plan == "linkerd" { QueryPlan::Linkerd } else { QueryPlan::Lviz };
    let ApiArgs { api_addr, api_protocol, api_via } = api;
    let (prom, verbose) = prom_settings(prometheus)?;
    let KubeArgs { kubeconfig, context } = kube;
    let kube = KubeSettings { kubeconfig, context };
    let timeout = humantime::parse_duration(&request_timeout)
        .map_err(|e| usage(format!("invalid --request-timeout {request_timeout:?}: {e}")))?;
    if timeout.is_zero() {
        return Err(usage(format!("invalid --request-timeout {request_timeout:?}: must be more than 0")));
    }
    let max_answer_bytes =
        lviz_api::limits::parse_size(&max_answer_size).map_err(|e| usage(format!("invalid --max-answer-size: {e}")))?;
    let at = at.as_deref().map(parse_at).transpose()?;
    let (presentation, color, mut session) = output_settings(&output, tables, env)?;
    session.request_timeout = timeout;
    let engine = EngineConfig { kube: kube.clone(), timeout, query_plan, max_answer_bytes, ..prom };
    let settings = Settings { engine, verbose, api_addr, api_protocol, api_via, timeout };
    let output = output.output;
    let common = Common { namespace, all_namespaces, output, time_window, at, kube, env, presentation, color, session };
    Ok((settings, common))
}

/// Color, `--watch`, `--sort-by` and the gates, in linkerd-compatible order.
fn output_settings(o: &OutputArgs, tables: Tables, env: &Env) -> Result<(Presentation, bool, Session), CliError> {
    let OutputArgs { output, sort_by, no_headers, color, watch, watch_count, fail_if, fail_on_no_traffic } = o;
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => env.color,
    };
    let watch = watch_spec(watch.as_deref(), *watch_count)?;
    let sort = match (sort_by, tables.sort) {
        (Some(text), Some(table)) => Some(parse_sort(table, text).map_err(usage)?),
        _ => None,
    };
    let gates = match tables.gates {
        Some(scope) => GateSet {
            gates: fail_if.iter().map(|e| parse_gate(e, scope)).collect::<Result<_, _>>().map_err(usage)?,
            fail_on_no_traffic: *fail_on_no_traffic,
        },
        None if !fail_if.is_empty() => {
            return Err(usage("--fail-if applies to stat, routes, stat-inbound, stat-outbound and authz only"));
        }
        None => GateSet::default(),
    };
    if *fail_on_no_traffic && gates.is_empty() {
        return Err(usage("--fail-on-no-traffic needs at least one --fail-if"));
    }
    if watch.is_some() && !gates.is_empty() {
        return Err(usage("--fail-if cannot be combined with --watch (a gate checks one answer)"));
    }
    let json = output == "json";
    let presentation = Presentation { sort, no_headers: *no_headers, color: color && !json };
    Ok((presentation, color, Session { watch, gates, json, request_timeout: Duration::ZERO }))
}

/// The Prometheus flags and their environment, as the engine's configuration (without the
/// Kubernetes and timing parts), and `-v`.
fn prom_settings(args: PrometheusArgs) -> Result<(EngineConfig, bool), CliError> {
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
    if let Some(ns) = &viz_namespace {
        lviz_api::names::check_namespace("--viz-namespace", ns).map_err(usage)?;
    }
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
    Ok((EngineConfig { prometheus_url, access, viz_namespace, no_kube, ..EngineConfig::default() }, verbose))
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

/// A duration flag; zero is allowed only where it means "off".
pub fn duration_flag(flag: &str, text: &str, zero_ok: bool) -> Result<Duration, CliError> {
    let d = humantime::parse_duration(text).map_err(|e| usage(format!("invalid {flag} {text:?}: {e}")))?;
    if d.is_zero() && !zero_ok {
        return Err(usage(format!("invalid {flag} {text:?}: must be more than 0")));
    }
    Ok(d)
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
