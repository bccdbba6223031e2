//! One command from parsed flags to rendered text: resolve, pick the backend, send the
//! requests (concurrently), render. The binary only prints what this returns.

use std::io::IsTerminal;
use std::sync::Arc;

use futures::future::try_join_all;

use crate::api::StatRow;
use crate::backend::Backend;
use crate::cli::Cli;
use crate::cli::resolve::{Plan, Settings, resolve};
use crate::engine::coalesce::{CoalesceOptions, Coalescing};
use crate::engine::{Engine, EngineSettings};
use crate::error::CliError;
use crate::k8s;
use crate::prom::{PromClient, PromConfig};
use crate::remote::RemoteClient;
use crate::render::{self, Rendered};
use crate::server::{self, AppState, ServeOptions};

/// Whether to color edges' √ as linkerd does: stdout a terminal, `NO_COLOR` unset, TERM not dumb.
fn color_enabled() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
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

pub async fn run(cli: Cli) -> Result<Rendered, CliError> {
    let (settings, plan) = resolve(cli, &default_namespace, color_enabled())?;
    if let Plan::Serve(options) = plan {
        return serve(&settings, &options).await;
    }
    let backend = match &settings.api_addr {
        Some(url) => Backend::Remote(RemoteClient::new(url, settings.timeout)?),
        None => Backend::Embedded(embedded_engine(&settings).await?),
    };
    execute(&backend, plan).await
}

/// `lviz serve`: the embedded engine behind HTTP until SIGTERM/SIGINT.
async fn serve(settings: &Settings, options: &ServeOptions) -> Result<Rendered, CliError> {
    server::serve(serve_state(settings, options).await?, options.addr).await?;
    Ok(Rendered::default())
}

/// What `lviz serve` serves with: the embedded engine and its coalescing layer.
pub async fn serve_state(settings: &Settings, options: &ServeOptions) -> Result<AppState, CliError> {
    let coalesce = CoalesceOptions { max_in_flight: options.max_concurrent_queries, cache_ttl: options.cache_ttl };
    let (engine, metrics) = coalesced_engine(settings, coalesce).await?;
    Ok(AppState::new(engine, metrics, options))
}

/// Sends a plan's requests and renders the answers.
pub async fn execute(backend: &Backend, plan: Plan) -> Result<Rendered, CliError> {
    match plan {
        Plan::Stat { requests, view } => {
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
            Ok(render::render_stat(&rows, &view))
        }
        Plan::Routes { request, view } => {
            let response = backend.top_routes(&request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            let tables = response.ok.map(|ok| ok.routes).unwrap_or_default();
            Ok(render::render_routes(&tables, &view))
        }
        Plan::Edges { request, view } => {
            let response = backend.edges(&request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            let edges = response.ok.map(|ok| ok.edges).unwrap_or_default();
            Ok(render::render_edges(&edges, &view))
        }
        Plan::Gateways { request, output } => {
            let response = backend.gateways(&request).await?;
            if let Some(e) = response.error {
                return Err(CliError::Response(e.error));
            }
            let rows = response.ok.map(|ok| ok.gateways_table.rows).unwrap_or_default();
            Ok(render::render_gateways(&rows, output))
        }
        Plan::Serve(_) => Err(CliError::Usage("`lviz serve` sends no requests; run it on its own".into())),
    }
}
