//! `lviz edges`: connections between resources and their mTLS identities. Its arguments,
//! their resolution into one Edges request, and its view.

use clap::Args;
use futures::future::BoxFuture;
use lviz_api::{Answer, Edge, Edges, EdgesRequest, Rejection, ResourceKind, Target, Validated};
use lviz_render::{EdgesView, OutputFormat, Rendered, SortTable, render_edges};

use super::ViewCommand;
use crate::backend::Backend;
use crate::error::{CliError, usage};
use crate::session::View;
use crate::session::diagnose::{self, Evidence, Scope};
use crate::settings::{Common, Tables, output_format};

pub const EXAMPLES: &str = "\
Examples:
  lviz edges deploy -n emojivoto
  lviz edges po -A -o wide
  lviz edges deploy -A -o json | jq '.[] | select(.no_tls_reason != \"\")'";

#[derive(Debug, Args)]
pub struct EdgesArgs {
    /// A resource type (no name): deploy, po, sts, ...
    #[arg(value_name = "TYPE")]
    pub resource_type: String,
}

/// `lviz edges`, resolved.
#[derive(Debug, Clone)]
pub struct EdgesCommand {
    pub request: Validated<Edges>,
    pub view: EdgesView,
}

impl ViewCommand for EdgesArgs {
    type View = EdgesCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::Edges), gates: None };

    fn resolve(self, c: &Common) -> Result<EdgesCommand, CliError> {
        let EdgesArgs { resource_type } = self;
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
        let output = output_format(
            &c.output,
            &[("table", OutputFormat::Table), ("wide", OutputFormat::Wide), ("json", OutputFormat::Json)],
            "--output supports table, json and wide",
        )?;
        let request = EdgesRequest { resource_type: target.kind.canonical().to_string(), namespace, at: c.at };
        let request = Validated::new(request).map_err(|e| usage(e.to_string()))?;
        // edges colors only linkerd's own check mark, as linkerd does (not with JSON).
        let view = EdgesView {
            output,
            color: c.color && output != OutputFormat::Json,
            sort: c.presentation.sort,
            no_headers: c.presentation.no_headers,
        };
        Ok(EdgesCommand { request, view })
    }
}

impl View for EdgesCommand {
    type Answer = Vec<Edge>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<Edge>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.edges) })
    }

    fn render(&self, edges: &Vec<Edge>) -> Rendered {
        render_edges(edges, &self.view)
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        edges: &'a Vec<Edge>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            if !edges.is_empty() {
                return None;
            }
            let r = self.request.request();
            let scope = Scope {
                command: "edges",
                kind: ResourceKind::from_canonical(&r.resource_type)?,
                name: String::new(),
                namespace: r.namespace.clone(),
                selector: String::new(),
                window: None,
                at,
                peer: None,
                hides_unmeshed: false,
            };
            Some(diagnose::hint(backend, &scope, Evidence::Edges).await)
        })
    }
}
