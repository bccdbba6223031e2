//! `lviz gateways`: multicluster gateways (linkerd multicluster gateways). Its arguments, their
//! resolution into one Gateways request, and its view.

use clap::Args;
use futures::future::BoxFuture;
use lviz_api::{Answer, GatewayRow, Gateways, GatewaysRequest, Rejection, Validated};
use lviz_render::{GatewaysView, OutputFormat, Rendered, SortTable, render_gateways};

use super::ViewCommand;
use crate::backend::Backend;
use crate::error::{CliError, usage};
use crate::session::View;
use crate::settings::{Common, Tables, output_format};

pub const EXAMPLES: &str = "\
Examples:
  lviz gateways
  lviz gateways --cluster-name east -o json
  lviz gateways -w 5s";

#[derive(Debug, Args)]
pub struct GatewaysArgs {
    /// Only the gateway of this target cluster
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// Only gateways in this namespace
    #[arg(long, value_name = "NAMESPACE")]
    pub gateway_namespace: Option<String>,
}

/// `lviz gateways`, resolved.
#[derive(Debug, Clone)]
pub struct GatewaysCommand {
    pub request: Validated<Gateways>,
    pub view: GatewaysView,
}

impl ViewCommand for GatewaysArgs {
    type View = GatewaysCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::Gateways), gates: None };

    fn resolve(self, c: &Common) -> Result<GatewaysCommand, CliError> {
        let GatewaysArgs { cluster_name, gateway_namespace } = self;
        // linkerd's gateways command has no wide format; it prints the table.
        let output = output_format(
            &c.output,
            &[("table", OutputFormat::Table), ("wide", OutputFormat::Table), ("json", OutputFormat::Json)],
            "--output supports table and json",
        )?;
        let request = GatewaysRequest {
            time_window: c.time_window.clone(),
            gateway_namespace: gateway_namespace.unwrap_or_default(),
            remote_cluster_name: cluster_name.unwrap_or_default(),
            at: c.at,
        };
        let request = Validated::new(request).map_err(|e| usage(e.to_string()))?;
        let view = GatewaysView { output, sort: c.presentation.sort, no_headers: c.presentation.no_headers };
        Ok(GatewaysCommand { request, view })
    }
}

impl View for GatewaysCommand {
    type Answer = Vec<GatewayRow>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<GatewayRow>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.gateways_table.rows) })
    }

    fn render(&self, rows: &Vec<GatewayRow>) -> Rendered {
        render_gateways(rows, &self.view)
    }
}
