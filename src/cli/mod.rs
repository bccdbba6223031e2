//! Command-line types (clap). Nothing else in the crate imports clap; `resolve` turns these
//! parsed flags into validated API requests and render views.

pub mod resolve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str =
    "Linkerd's golden metrics (success rate, RPS, latency, TCP) straight from Prometheus and Kubernetes";

const EXIT_CODES: &str = "\
Exit codes:
  0  success (an empty result is a success)
  1  a backend failed (Prometheus, Kubernetes, metrics API) or an object was not found
  2  usage error (bad argument, flag or value)";

#[derive(Debug, Parser)]
#[command(name = "lviz", version, about = ABOUT, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    #[command(flatten)]
    pub prometheus: PrometheusArgs,

    #[command(flatten)]
    pub kube: KubeArgs,

    /// Namespace of the resources (default: the context's namespace, else `default`)
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Look in every namespace
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,

    /// Time window of the metrics (Go duration: 30s, 1m, 1h30m)
    #[arg(short = 't', long, global = true, default_value = "1m", value_name = "WINDOW")]
    pub time_window: String,

    /// Evaluate every query at this instant instead of now (RFC 3339 or Unix seconds)
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,

    /// Give up on a backend request after this long
    #[arg(long, global = true, default_value = "30s", value_name = "DURATION")]
    pub request_timeout: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// How to reach Prometheus (or a Prometheus-compatible engine).
#[derive(Debug, Args)]
pub struct PrometheusArgs {
    /// Prometheus base URL (a path prefix is fine: http://vmselect:8481/select/0/prometheus)
    #[arg(long, env = "LVIZ_PROMETHEUS_URL", global = true, value_name = "URL")]
    pub prometheus_url: Option<String>,
}

/// How to reach Kubernetes.
#[derive(Debug, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use for this call
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
}

/// How results are shown.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: table, wide or json
    #[arg(short = 'o', long, global = true, default_value = "table", value_name = "FORMAT")]
    pub output: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Golden metrics per resource: meshed pods, success rate, RPS, latency percentiles, TCP
    #[command(after_help = STAT_EXAMPLES)]
    Stat(StatArgs),
    /// Per-route metrics from ServiceProfiles
    Routes(RoutesArgs),
    /// Connections between resources and their mTLS identities
    Edges(EdgesArgs),
    /// Multicluster gateways: alive, paired services, probe latency
    Gateways(GatewaysArgs),
}

const STAT_EXAMPLES: &str = "\
Examples:
  lviz stat deploy -n emojivoto
  lviz stat deploy/web --from deploy/vote-bot -n emojivoto
  lviz stat po -A -o wide
  lviz stat ns/emojivoto -o json
  lviz stat all --at 2026-01-01T00:20:00Z

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

#[derive(Debug, Args)]
pub struct EdgesArgs {
    /// A resource type (no name): deploy, po, sts, ...
    #[arg(value_name = "TYPE")]
    pub resource_type: String,
}

#[derive(Debug, Args)]
pub struct GatewaysArgs {
    /// Only the gateway of this target cluster
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// Only gateways in this namespace
    #[arg(long, value_name = "NAMESPACE")]
    pub gateway_namespace: Option<String>,
}
