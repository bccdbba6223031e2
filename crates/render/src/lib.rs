//! Renderers: pure functions from API responses to the table, wide and JSON text linkerd prints,
//! byte for byte. They never do I/O, never `.await`, and never decide anything the CLI decides
//! (flag validation, exit codes, whether stdout is a terminal).
//!
//! Layout: `tabwriter` (Go's `text/tabwriter`), `clitable` (linkerd's `cli/table`), `gojson`
//! (Go's `encoding/json`), `numbers` (rates and `%.Nf`), and one file per view.
//!
//! Owns: text. Sees only the wire types of `lviz_api`; refuses I/O, clients and the engine.

mod authz;
mod clitable;
mod edges;
mod gateways;
mod gojson;
mod metrics;
mod numbers;
mod routes;
pub mod sort;
mod stat;
mod stat_inbound;
mod stat_outbound;
pub mod style;
mod tabwriter;

#[cfg(test)]
mod tests;

pub use authz::{authz_lines, render_authz};
pub use edges::{EdgesView, render_edges};
pub use gateways::{GatewaysView, render_gateways};
pub use gojson::{GoJson, compact_json, go_json_number, go_json_string, marshal_indent_line};
pub use metrics::{MetricLine, RowMetrics, all_without_data};
pub use routes::{RoutesView, render_routes, route_lines};
pub use sort::{SortBy, SortColumn, SortTable, parse_sort};
pub use stat::{StatView, render_stat, stat_lines};
pub use stat_inbound::{RouteStatsView, render_stat_inbound, stat_inbound_lines};
pub use stat_outbound::{render_stat_outbound, stat_outbound_lines};

/// `-o`: the three output formats linkerd knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Table,
    Wide,
    Json,
}

/// What a renderer produced: data for stdout, notes (e.g. `No traffic found.\n`) for stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub stdout: String,
    pub stderr: String,
}
