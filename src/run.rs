//! One command from parsed flags to rendered text: resolve, pick the backend, send the
//! requests (concurrently), render. The binary only prints what this returns.

use std::io::IsTerminal;
use std::sync::Arc;

use futures::future::try_join_all;

use crate::api::StatRow;
use crate::backend::Backend;
use crate::cli::Cli;
use crate::cli::resolve::{Plan, Settings, resolve};
use crate::engine::{Engine, EngineSettings};
use crate::error::CliError;
use crate::k8s;
use crate::prom::{PromClient, PromConfig};
use crate::render::{self, Rendered};

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
    let Some(url) = &settings.prometheus_url else {
        return Err(CliError::Usage(
            "no Prometheus to query: pass --prometheus-url URL or set LVIZ_PROMETHEUS_URL".into(),
        ));
    };
    let prom = PromClient::new(&PromConfig { url: url.clone(), timeout: settings.timeout })?;
    let kube = k8s::connect(&settings.kube).await?;
    Ok(Engine::new(Arc::new(prom), kube, EngineSettings::default()))
}

pub async fn run(cli: Cli) -> Result<Rendered, CliError> {
    let (settings, plan) = resolve(cli, &default_namespace, color_enabled())?;
    let backend = Backend::Embedded(embedded_engine(&settings).await?);
    execute(&backend, plan).await
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
    }
}
