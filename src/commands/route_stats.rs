//! What `stat-inbound`, `stat-outbound` and `authz` share: their arguments (`TYPE[/NAME]` or
//! `TYPE NAME`, `-l`) and their resolution into one validated request and a render view.
//! Unlike linkerd, which checks `-o` and the window only after querying (stat-inbound,
//! stat-outbound) and ignores every argument after the first, lviz checks everything first.

use clap::Args;
use lviz_api::window::Window;
use lviz_api::{Endpoint, RouteStatsRequest, Target, Validated};
use lviz_render::{OutputFormat, RouteStatsView};

use crate::error::{CliError, usage};
use crate::settings::Common;

#[derive(Debug, Args)]
pub struct RouteStatsArgs {
    /// TYPE, TYPE/NAME or TYPE NAME (deploy, deploy/web, deploy web)
    #[arg(required = true, num_args = 1.., value_name = "RESOURCE")]
    pub resource: Vec<String>,

    /// Kubernetes label selector: only the objects it matches
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
}

/// A resolved command of the three: its request and how to show the answer.
pub struct Resolved<E: Endpoint> {
    pub request: Validated<E>,
    pub view: RouteStatsView,
}

/// `TYPE[/NAME]`, or `TYPE NAME` as `TYPE/NAME` (linkerd's authz; kubectl's habit).
fn resource_arg(command: &str, args: &[String]) -> Result<String, CliError> {
    match args {
        [one] => Ok(one.clone()),
        [kind, name] => Ok(format!("{kind}/{name}")),
        _ => {
            Err(usage(format!("{command} takes one resource, TYPE[/NAME] or TYPE NAME (got {} arguments)", args.len())))
        }
    }
}

/// Resolves the arguments of `command` against the global flags, in linkerd's order of checks
/// (`window_first`: authz validates its window before the resource).
pub fn resolve<E>(command: &str, args: RouteStatsArgs, c: &Common, window_first: bool) -> Result<Resolved<E>, CliError>
where
    E: Endpoint<Request = RouteStatsRequest>,
{
    let RouteStatsArgs { resource, selector } = args;
    let request = |target: &Target, selector: &str| RouteStatsRequest {
        resource_type: target.kind.canonical().to_string(),
        resource_name: target.name.clone(),
        namespace: target.namespace.clone(),
        time_window: c.time_window.clone(),
        label_selector: selector.to_string(),
        at: c.at,
    };
    if window_first {
        // authz: linkerd's `ValidateTimeWindow`, before the resource is parsed.
        Window::parse_stat(&c.time_window).map_err(usage)?;
    }
    let arg = resource_arg(command, &resource)?;
    // `-A` with `-n`: `-A` wins, as in kubectl and lviz's other views (linkerd refuses the pair).
    let namespace = if c.all_namespaces { String::new() } else { c.namespace()? };
    let target = Target::parse(&namespace, &arg).map_err(usage)?;
    if c.all_namespaces && !target.name.is_empty() {
        return Err(usage("stats for a resource cannot be retrieved by name across all namespaces"));
    }
    let output = match c.output.as_str() {
        "" | "table" => OutputFormat::Table,
        "wide" => OutputFormat::Wide,
        "json" => OutputFormat::Json,
        other => return Err(usage(format!("Invalid output format: {other}"))),
    };
    let selector = selector.unwrap_or_default();
    lviz_api::selector::validate(&selector).map_err(usage)?;
    let request = Validated::new(request(&target, &selector)).map_err(|e| usage(e.to_string()))?;
    let p = c.presentation;
    let view = RouteStatsView {
        output,
        kind: target.kind,
        window: if c.time_window.is_empty() { "1m".to_string() } else { c.time_window.clone() },
        all_namespaces: c.all_namespaces,
        sort: p.sort,
        no_headers: p.no_headers,
        color: p.color,
    };
    Ok(Resolved { request, view })
}
