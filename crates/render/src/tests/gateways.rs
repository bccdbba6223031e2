//! Exact-bytes tests of `render_gateways`: the `cli/table` layout and the JSON shape.

use super::assert_golden;
use crate::{GatewaysView, OutputFormat, Rendered, render_gateways};
use lviz_api::GatewayRow;

fn rows() -> Vec<GatewayRow> {
    vec![
        GatewayRow {
            cluster_name: "west".into(),
            alive: true,
            paired_services: 3,
            latency_ms_p50: 2,
            latency_ms_p95: 5,
            latency_ms_p99: 9,
            ..GatewayRow::default()
        },
        GatewayRow {
            cluster_name: "east-cluster-long-name".into(),
            alive: false,
            paired_services: 12,
            latency_ms_p50: 7,
            ..GatewayRow::default()
        },
    ]
}

#[test]
fn table_is_sorted_and_every_cell_has_two_trailing_spaces() {
    let r = render_gateways(&rows(), &GatewaysView { output: OutputFormat::Table, ..Default::default() });
    assert_eq!(r.stderr, "");
    assert_golden!("gateways_table.golden", r.stdout);
}

#[test]
fn json_carries_the_spec_fields_and_numbers() {
    let r = render_gateways(&rows(), &GatewaysView { output: OutputFormat::Json, ..Default::default() });
    assert_eq!(r.stderr, "");
    assert_golden!("gateways.json.golden", r.stdout);
}

#[test]
fn no_gateways() {
    let r = render_gateways(&[], &GatewaysView { output: OutputFormat::Table, ..Default::default() });
    assert_eq!(r, Rendered { stdout: String::new(), stderr: "No gateways found.\n".into() });
    assert_eq!(render_gateways(&[], &GatewaysView { output: OutputFormat::Json, ..Default::default() }).stdout, "[]\n");
}
