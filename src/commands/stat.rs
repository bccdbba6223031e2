//! `lviz stat`: golden metrics per resource. Its arguments, their resolution into StatSummary
//! requests (linkerd's checks in linkerd's order, viz-semantics §1.3), and its view: one
//! request per target, sent concurrently, rendered as one table.

use clap::Args;
use futures::future::{BoxFuture, try_join_all};
use lviz_api::window::Window;
use lviz_api::{Answer, Rejection, ResourceKind, Stat, StatRow, StatSummaryRequest, Target, Validated};
use lviz_render::{MetricLine, OutputFormat, Rendered, SortTable, StatView, all_without_data, render_stat, stat_lines};

use super::ViewCommand;
use crate::backend::Backend;
use crate::error::{CliError, usage};
use crate::gate::GateScope;
use crate::session::View;
use crate::session::diagnose::{self, Evidence, Scope};
use crate::settings::{Common, Tables, output_format};

pub const EXAMPLES: &str = "\
Examples:
  lviz stat deploy -n emojivoto
  lviz stat deploy/web --from deploy/vote-bot -n emojivoto
  lviz stat po -A -o wide
  lviz stat ns/emojivoto -o json
  lviz stat all --at 2026-01-01T00:20:00Z
  lviz stat deploy -n emojivoto --sort-by -rps -w
  lviz stat deploy/web -n emojivoto -o json | jq '.[0].success'
  lviz stat deploy -n emojivoto --fail-if 'success<99.5%' --fail-if 'p99>250ms'

Resource types: deployment (deploy), pod (po), namespace (ns), service (svc), replicaset (rs),
statefulset (sts), daemonset (ds), cronjob (cj), job, replicationcontroller (rc), and all.";

#[derive(Debug, Args)]
pub struct StatArgs {
    /// TYPE, TYPE/NAME, TYPE NAME..., or TYPE/NAME TYPE/NAME...
    #[arg(required = true, value_name = "RESOURCES")]
    pub resources: Vec<String>,

    /// Only requests sent to this resource (TYPE[/NAME])
    #[arg(long, value_name = "RESOURCE")]
    pub to: Option<String>,

    /// Namespace of the --to resource (default: the target's namespace)
    #[arg(long, value_name = "NAMESPACE")]
    pub to_namespace: Option<String>,

    /// Only requests from this resource (TYPE[/NAME])
    #[arg(long, value_name = "RESOURCE")]
    pub from: Option<String>,

    /// Namespace of the --from resource (default: the target's namespace)
    #[arg(long, value_name = "NAMESPACE")]
    pub from_namespace: Option<String>,

    /// Kubernetes label selector for the listed objects
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Also show resources that have no meshed pods
    #[arg(long)]
    pub unmeshed: bool,
}

/// `lviz stat`, resolved: one validated request per target, and how to show the rows.
#[derive(Debug, Clone)]
pub struct StatCommand {
    pub requests: Vec<Validated<Stat>>,
    pub view: StatView,
}

impl ViewCommand for StatArgs {
    type View = StatCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::Stat), gates: Some(GateScope::Stat) };

    fn resolve(self, c: &Common) -> Result<StatCommand, CliError> {
        let StatArgs { resources, to, to_namespace, from, from_namespace, selector, unmeshed } = self;
        let namespace = c.namespace()?;
        let request_ns = if c.all_namespaces { String::new() } else { namespace.clone() };

        // 1-2: targets, then --to and --from.
        let targets = Target::parse_many(&request_ns, &resources).map_err(usage)?;
        let peer_ns = |explicit: &Option<String>| explicit.clone().unwrap_or_else(|| request_ns.clone());
        let to_target = to.as_deref().map(|t| Target::parse(&peer_ns(&to_namespace), t)).transpose().map_err(usage)?;
        let from_target =
            from.as_deref().map(|t| Target::parse(&peer_ns(&from_namespace), t)).transpose().map_err(usage)?;
        let peers = Peers { to_target, to_namespace, from_target, from_namespace };

        // 3: flag combinations, per target.
        let output = output_format(
            &c.output,
            &[("table", OutputFormat::Table), ("wide", OutputFormat::Wide), ("json", OutputFormat::Json)],
            "--output currently only supports table, json and wide",
        )?;
        for target in &targets {
            check_flags(target, to.is_some() && from.is_some(), &peers, c)?;
        }
        let selector = selector.unwrap_or_default();
        lviz_api::selector::validate(&selector).map_err(usage)?;

        // 4: one request per target.
        let requests = targets.into_iter().map(|t| request(t, &selector, &peers, c)).collect::<Result<_, _>>()?;
        let p = c.presentation;
        let view = StatView {
            output,
            all_namespaces: c.all_namespaces,
            unmeshed,
            from_set: peers.from_target.is_some(),
            sort: p.sort,
            no_headers: p.no_headers,
            color: p.color,
        };
        Ok(StatCommand { requests, view })
    }
}

/// `--to`/`--from` and their namespaces, as given.
struct Peers {
    to_target: Option<Target>,
    to_namespace: Option<String>,
    from_target: Option<Target>,
    from_namespace: Option<String>,
}

/// linkerd's flag-combination checks for one target, in its order.
fn check_flags(target: &Target, to_and_from: bool, p: &Peers, c: &Common) -> Result<(), CliError> {
    if to_and_from {
        return Err(usage("--to and --from flags are mutually exclusive"));
    }
    if p.to_namespace.is_some() && p.from_namespace.is_some() {
        return Err(usage("--to-namespace and --from-namespace flags are mutually exclusive"));
    }
    // `-A` with `-n`: `-A` wins, as in kubectl (linkerd refuses the pair).
    if target.kind == ResourceKind::Namespace {
        if p.to_namespace.is_some() {
            return Err(usage("--to-namespace flag is incompatible with namespace resource type"));
        }
        if p.from_namespace.is_some() {
            return Err(usage("--from-namespace flag is incompatible with namespace resource type"));
        }
        if c.namespace_differs_from_default()? {
            return Err(usage("--namespace flag is incompatible with namespace resource type"));
        }
    }
    Ok(())
}

/// The request of one target, validated with the server's own checks, so CLI and server
/// reject with the same words.
fn request(target: Target, selector: &str, p: &Peers, c: &Common) -> Result<Validated<Stat>, CliError> {
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
        label_selector: selector.to_string(),
        at: c.at,
        ..Default::default()
    };
    if let Some(to) = &p.to_target {
        req.to_resource_type = to.kind.canonical().to_string();
        req.to_resource_name = to.name.clone();
        req.to_namespace = to.namespace.clone();
    } else if let Some(ns) = &p.to_namespace {
        req.to_namespace = ns.clone();
    }
    if let Some(from) = &p.from_target {
        req.from_resource_type = from.kind.canonical().to_string();
        req.from_resource_name = from.name.clone();
        req.from_namespace = from.namespace.clone();
    } else if let Some(ns) = &p.from_namespace {
        req.from_namespace = ns.clone();
    }
    Validated::new(req).map_err(|e| usage(e.to_string()))
}

impl StatCommand {
    /// What the empty-result diagnostics look at, from the first request.
    fn scope(&self, at: Option<f64>) -> Option<Scope> {
        let r = self.requests.first()?.request();
        Some(Scope {
            command: "stat",
            kind: ResourceKind::from_canonical(&r.resource_type)?,
            name: r.resource_name.clone(),
            namespace: r.namespace.clone(),
            selector: r.label_selector.clone(),
            window: Some(r.time_window.clone()),
            at,
            peer: diagnose::peer("--to", &r.to_resource_type, &r.to_resource_name, &r.to_namespace)
                .or_else(|| diagnose::peer("--from", &r.from_resource_type, &r.from_resource_name, &r.from_namespace)),
            hides_unmeshed: !self.view.unmeshed && !self.view.from_set,
        })
    }
}

impl View for StatCommand {
    type Answer = Vec<StatRow>;

    fn at(&self) -> Option<f64> {
        self.requests.first().and_then(Validated::at)
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<StatRow>, Rejection>> {
        Box::pin(async move {
            let requests = self.requests.iter().map(|r| r.at_time(at)).collect::<Result<Vec<_>, _>>()?;
            let answers = try_join_all(requests.iter().map(|r| backend.answer(r))).await?;
            Ok(answers.into_iter().flat_map(|ok| ok.stat_tables).flat_map(|t| t.pod_group.rows).collect())
        })
    }

    fn render(&self, rows: &Vec<StatRow>) -> Rendered {
        render_stat(rows, &self.view)
    }

    fn metric_lines(&self, rows: &Vec<StatRow>) -> Option<Vec<MetricLine>> {
        Some(stat_lines(rows, &self.view))
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        rows: &'a Vec<StatRow>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let lines = stat_lines(rows, &self.view);
            if !all_without_data(&lines) {
                return None;
            }
            let scope = self.scope(at)?;
            Some(diagnose::hint(backend, &scope, Evidence::Stat { rows: rows.len(), shown: lines.len() }).await)
        })
    }
}
