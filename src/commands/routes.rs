//! `lviz routes`: per-route metrics from ServiceProfiles. Its arguments, their resolution into
//! one TopRoutes request, and its view.

use clap::Args;
use futures::future::BoxFuture;
use lviz_api::{Answer, Rejection, ResourceKind, RouteTable, Target, TopRoutes, TopRoutesRequest, Validated};
use lviz_render::{
    MetricLine, OutputFormat, Rendered, RoutesView, SortTable, all_without_data, render_routes, route_lines,
};

use super::ViewCommand;
use crate::backend::Backend;
use crate::error::{CliError, usage};
use crate::gate::GateScope;
use crate::session::View;
use crate::session::diagnose::{self, Evidence, Scope};
use crate::settings::{Common, Tables, bad_output};

pub const EXAMPLES: &str = "\
Examples:
  lviz routes deploy/web -n emojivoto
  lviz routes deploy/vote-bot -n emojivoto --to svc/web-svc -o wide
  lviz routes svc/web-svc -n emojivoto -o json
  lviz routes deploy/web -n emojivoto --fail-if 'success<99%'";

#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// The resource whose routes to show: TYPE/NAME or TYPE
    #[arg(value_name = "RESOURCE")]
    pub target: String,

    /// Show outbound routes to this resource (TYPE[/NAME])
    #[arg(long, value_name = "RESOURCE")]
    pub to: Option<String>,

    /// Namespace of the --to resource (default: the target's namespace)
    #[arg(long, value_name = "NAMESPACE")]
    pub to_namespace: Option<String>,

    /// Kubernetes label selector for the listed objects
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
}

/// `lviz routes`, resolved.
#[derive(Debug, Clone)]
pub struct RoutesCommand {
    pub request: Validated<TopRoutes>,
    pub view: RoutesView,
}

impl ViewCommand for RoutesArgs {
    type View = RoutesCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::Routes), gates: Some(GateScope::Routes) };

    fn resolve(self, c: &Common) -> Result<RoutesCommand, CliError> {
        let RoutesArgs { target, to, to_namespace, selector } = self;
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
        lviz_api::selector::validate(&selector).map_err(usage)?;
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
        let request = Validated::new(request).map_err(|e| usage(e.to_string()))?;
        let p = c.presentation;
        let view =
            RoutesView { output, to_set: to_target.is_some(), sort: p.sort, no_headers: p.no_headers, color: p.color };
        Ok(RoutesCommand { request, view })
    }
}

impl View for RoutesCommand {
    type Answer = Vec<RouteTable>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<RouteTable>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.routes) })
    }

    fn render(&self, tables: &Vec<RouteTable>) -> Rendered {
        render_routes(tables, &self.view)
    }

    fn metric_lines(&self, tables: &Vec<RouteTable>) -> Option<Vec<MetricLine>> {
        Some(route_lines(tables, &self.view))
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        tables: &'a Vec<RouteTable>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let lines = route_lines(tables, &self.view);
            if !all_without_data(&lines) {
                return None;
            }
            let r = self.request.request();
            let scope = Scope {
                command: "routes",
                kind: ResourceKind::from_canonical(&r.resource_type)?,
                name: r.resource_name.clone(),
                namespace: r.namespace.clone(),
                selector: r.label_selector.clone(),
                window: Some(r.time_window.clone()),
                at,
                peer: diagnose::peer("--to", &r.to_resource_type, &r.to_resource_name, &r.to_namespace),
                hides_unmeshed: false,
            };
            Some(diagnose::hint(backend, &scope, Evidence::Routes { tables, shown: lines.len() }).await)
        })
    }
}
