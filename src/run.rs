//! One command from parsed flags to rendered text: resolve, pick the backend, send the
//! requests (concurrently), render, add the empty-result hint and the gate verdicts. The binary
//! only prints what this returns; `--watch` streams its refreshes itself (`crate::watch`).

use std::io::IsTerminal;
use std::sync::Arc;

use futures::future::try_join_all;

use crate::api::{Edge, GatewayRow, RouteTable, StatRow};
use crate::backend::Backend;
use crate::cli::Cli;
use crate::cli::generate;
use crate::cli::resolve::{Plan, Session, Settings, resolve};
use crate::engine::coalesce::{CoalesceOptions, Coalescing};
use crate::engine::{Engine, EngineSettings};
use crate::error::{CliError, GATE_FAILED};
use crate::k8s;
use crate::prom::{PromClient, PromConfig};
use crate::remote::RemoteClient;
use crate::render::{self, MetricLine, Rendered};
use crate::server::{self, AppState, ServeOptions};
use crate::{diagnose, progress, watch};

/// What a finished command leaves: the text to print, and whether a `--fail-if` gate failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub rendered: Rendered,
    pub gate_failed: bool,
}

impl Outcome {
    /// 0, or [`GATE_FAILED`] (3) when a gate failed; errors have their own codes (`CliError`).
    pub fn exit_code(&self) -> u8 {
        if self.gate_failed { GATE_FAILED } else { 0 }
    }
}

/// Whether color is wanted when `--color auto`: `NO_COLOR` (non-empty) turns it off, then
/// `CLICOLOR_FORCE` or `FORCE_COLOR` (non-empty, not `0`) turn it on, else stdout must be a
/// terminal whose TERM is not `dumb` (linkerd's rule for its check mark).
fn color_enabled() -> bool {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if set("CLICOLOR_FORCE").or_else(|| set("FORCE_COLOR")).is_some_and(|v| v != "0") {
        return true;
    }
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !dumb
}

fn default_namespace(settings: &k8s::KubeSettings) -> Result<String, CliError> {
    Ok(k8s::default_namespace(settings)?)
}

/// Builds the embedded backend: lviz itself queries Prometheus and Kubernetes.
pub async fn embedded_engine(settings: &Settings) -> Result<Engine, CliError> {
    Ok(coalesced_engine(settings, CoalesceOptions::default()).await?.0)
}

/// The embedded engine, sending its queries through a coalescing layer the caller may keep
/// (`lviz serve` reads its counters).
pub async fn coalesced_engine(
    settings: &Settings,
    options: CoalesceOptions,
) -> Result<(Engine, Arc<Coalescing>), CliError> {
    let (prom, kube) = backends(settings).await?;
    let metrics = Arc::new(Coalescing::new(Arc::new(prom), options));
    let engine_settings = EngineSettings { query_plan: settings.query_plan, ..EngineSettings::default() };
    let engine = match kube {
        Some(kube) => Engine::new(metrics.clone(), kube, engine_settings),
        None => Engine::prometheus_only(metrics.clone(), engine_settings),
    };
    Ok((engine, metrics))
}

/// Picks Prometheus and Kubernetes: `--prometheus-url` as given, else linkerd-viz's Prometheus
/// through the API server's service proxy; Kubernetes unless `--no-kube` or nothing configures
/// it. With `-v`, names both on stderr (stdout stays data only).
async fn backends(settings: &Settings) -> Result<(PromClient, Option<k8s::Inventory>), CliError> {
    let p = &settings.prom;
    let say = |line: String| {
        if p.verbose {
            eprintln!("lviz: {line}");
        }
    };
    let configured = k8s::discovery::kube_configured(settings.kube.kubeconfig.is_some());
    let kube = if p.no_kube {
        None
    } else if !configured && settings.prometheus_url.is_some() {
        eprintln!(
            "note: no Kubernetes configuration found: Prometheus-only mode, Kubernetes facts (pod counts, status) are unknown (--no-kube hides this note)"
        );
        None
    } else if !configured {
        return Err(CliError::Usage(
            "no Prometheus to query: pass --prometheus-url URL (or set LVIZ_PROMETHEUS_URL), or give a kubeconfig so lviz can find linkerd-viz's Prometheus".into(),
        ));
    } else {
        Some(k8s::connect(&settings.kube).await?)
    };
    match &kube {
        Some(inv) => say(format!("Kubernetes API at {}", inv.shown_url())),
        None => say("Kubernetes: not used (Prometheus-only mode)".into()),
    }
    let prom = match (&settings.prometheus_url, &kube) {
        (Some(url), _) => {
            let access = crate::prom::http_config::load(&p.access).map_err(|e| CliError::Usage(e.0))?;
            let prom = PromClient::new(&PromConfig { url: url.clone(), timeout: settings.timeout, access })?;
            say(format!("Prometheus at {} (--prometheus-url)", prom.shown_url()));
            prom
        }
        (None, Some(inv)) => {
            if let Some(flag) = explicit_access_flag(&p.access) {
                return Err(CliError::Usage(format!(
                    "{flag} applies to --prometheus-url; linkerd-viz's Prometheus is reached with the kubeconfig's credentials"
                )));
            }
            let found = k8s::discovery::find_viz_prometheus(inv, p.viz_namespace.as_deref())
                .await
                .map_err(crate::engine::EngineError::from)?;
            let shown = k8s::discovery::ServiceProxy::shown_url(inv, &found);
            let transport = k8s::discovery::ServiceProxy::new(inv, &found, settings.timeout);
            say(format!(
                "Prometheus at {shown} (linkerd-viz in namespace {}, through the Kubernetes API service proxy)",
                found.namespace
            ));
            PromClient::with_transport(Arc::new(transport), shown)
        }
        (None, None) => {
            return Err(CliError::Usage("--no-kube needs --prometheus-url (or LVIZ_PROMETHEUS_URL)".into()));
        }
    };
    Ok((prom, kube))
}

/// The first access flag given explicitly (LVIZ_PROMETHEUS_TOKEN alone does not count: it may
/// be set for other uses and is simply not needed by the service proxy).
fn explicit_access_flag(access: &crate::prom::AccessFlags) -> Option<&'static str> {
    use crate::cli::resolve::TOKEN_ENV;
    if access.http_config.is_some() {
        Some("--prometheus-http-config")
    } else if access.bearer_token_file.is_some() {
        Some("--prometheus-bearer-token-file")
    } else if access.bearer_token_env.as_ref().is_some_and(|(var, _)| var != TOKEN_ENV) {
        Some("--prometheus-bearer-token-env")
    } else if !access.headers.is_empty() {
        Some("--prometheus-header")
    } else if access.user.is_some() {
        Some("--prometheus-user")
    } else {
        None
    }
}

pub async fn run(cli: Cli) -> Result<Outcome, CliError> {
    let (settings, plan) = resolve(cli, &default_namespace, color_enabled())?;
    match plan {
        Plan::Serve(options) => return serve(&settings, &options).await,
        Plan::Completions { shell } => {
            let script = String::from_utf8_lossy(&generate::completion_script(shell)).into_owned();
            return Ok(Outcome { rendered: Rendered { stdout: script, stderr: String::new() }, gate_failed: false });
        }
        Plan::GenerateMan { dir } => {
            generate::write_man_pages(&dir)
                .map_err(|e| CliError::Usage(format!("cannot write man pages to {}: {e}", dir.display())))?;
            return Ok(Outcome::default());
        }
        _ => {}
    }
    let backend = match &settings.api_addr {
        Some(url) => Backend::Remote(RemoteClient::new(url, settings.timeout)?),
        None => Backend::Embedded(embedded_engine(&settings).await?),
    };
    match settings.session.watch {
        Some(spec) => watch::watch(&backend, &plan, &settings.session, spec).await,
        None => once(&backend, &plan, &settings.session).await,
    }
}

/// `lviz serve`: the embedded engine behind HTTP until SIGTERM/SIGINT.
async fn serve(settings: &Settings, options: &ServeOptions) -> Result<Outcome, CliError> {
    server::serve(serve_state(settings, options).await?, options.addr).await?;
    Ok(Outcome::default())
}

/// What `lviz serve` serves with: the embedded engine (Kubernetes read through watch-backed
/// caches, started here) and its coalescing layer.
pub async fn serve_state(settings: &Settings, options: &ServeOptions) -> Result<AppState, CliError> {
    // `--cache-ttl` is the server's response cache (`server/cache.rs`); the query-level cache
    // stays off, as whole answers already cover repeated views without holding raw samples.
    let coalesce = CoalesceOptions { max_in_flight: options.max_concurrent_queries, cache_ttl: None };
    let (engine, metrics) = coalesced_engine(settings, coalesce).await?;
    Ok(AppState::new(engine.with_cached_inventory(), metrics, options))
}

/// One answer: fetch (with a progress indicator on a terminal), render, explain an empty result,
/// check the gates.
async fn once(backend: &Backend, plan: &Plan, session: &Session) -> Result<Outcome, CliError> {
    let spinner = progress::wanted(session.json);
    let (answer, hint) = progress::while_waiting(spinner, answer_with_hint(backend, plan)).await?;
    let mut rendered = render_answer(&answer, plan);
    if let Some(hint) = hint {
        rendered.stderr.push_str(&hint);
        rendered.stderr.push('\n');
    }
    let breaches = match answer.metric_lines(plan) {
        Some(lines) => session.gates.check(&lines),
        None => Vec::new(),
    };
    for line in &breaches {
        rendered.stderr.push_str(line);
        rendered.stderr.push('\n');
    }
    Ok(Outcome { rendered, gate_failed: !breaches.is_empty() })
}

/// Fetches the answer and, when it is empty, the one-line hint explaining why.
pub(crate) async fn answer_with_hint(backend: &Backend, plan: &Plan) -> Result<(Answer, Option<String>), CliError> {
    let answer = fetch(backend, plan).await?;
    let hint = diagnose::hint(backend, plan, &answer).await;
    Ok((answer, hint))
}

/// A backend's answer to a plan, before rendering.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Stat(Vec<StatRow>),
    Routes(Vec<RouteTable>),
    Edges(Vec<Edge>),
    Gateways(Vec<GatewayRow>),
}

impl Answer {
    /// The displayed rows with their numbers, for commands with gates and diagnostics.
    pub(crate) fn metric_lines(&self, plan: &Plan) -> Option<Vec<MetricLine>> {
        match (self, plan) {
            (Answer::Stat(rows), Plan::Stat { view, .. }) => Some(render::stat_lines(rows, view)),
            (Answer::Routes(tables), Plan::Routes { view, .. }) => Some(render::route_lines(tables, view)),
            _ => None,
        }
    }
}

/// Sends a plan's requests and collects the answer.
pub(crate) async fn fetch(backend: &Backend, plan: &Plan) -> Result<Answer, CliError> {
    match plan {
        Plan::Stat { requests, .. } => {
            let responses = try_join_all(requests.iter().map(|r| backend.stat(r))).await?;
            let mut rows: Vec<StatRow> = Vec::new();
            for response in responses {
                if let Some(e) = response.error {
                    return Err(CliError::Response(e.error));
                }
                for table in response.ok.map(|ok| ok.stat_tables).unwrap_or_default() {
                    rows.extend(table.pod_group.rows);
                }
            }
            Ok(Answer::Stat(rows))
        }
        Plan::Routes { request, .. } => {
            let response = backend.top_routes(request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            Ok(Answer::Routes(response.ok.map(|ok| ok.routes).unwrap_or_default()))
        }
        Plan::Edges { request, .. } => {
            let response = backend.edges(request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            Ok(Answer::Edges(response.ok.map(|ok| ok.edges).unwrap_or_default()))
        }
        Plan::Gateways { request, .. } => {
            let response = backend.gateways(request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            Ok(Answer::Gateways(response.ok.map(|ok| ok.gateways_table.rows).unwrap_or_default()))
        }
        Plan::Serve(_) => Err(CliError::Usage("`lviz serve` sends no requests; run it on its own".into())),
        Plan::Completions { .. } | Plan::GenerateMan { .. } => {
            Err(CliError::Usage("this command queries no backend".into()))
        }
    }
}

/// Renders an answer the way its plan asks.
pub(crate) fn render_answer(answer: &Answer, plan: &Plan) -> Rendered {
    match (answer, plan) {
        (Answer::Stat(rows), Plan::Stat { view, .. }) => render::render_stat(rows, view),
        (Answer::Routes(tables), Plan::Routes { view, .. }) => render::render_routes(tables, view),
        (Answer::Edges(edges), Plan::Edges { view, .. }) => render::render_edges(edges, view),
        (Answer::Gateways(rows), Plan::Gateways { view, .. }) => render::render_gateways(rows, view),
        _ => Rendered::default(),
    }
}

/// Sends a plan's requests and renders the answers (no hint, no gates).
pub async fn execute(backend: &Backend, plan: Plan) -> Result<Rendered, CliError> {
    let answer = fetch(backend, &plan).await?;
    Ok(render_answer(&answer, &plan))
}
