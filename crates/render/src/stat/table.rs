//! `stat`'s tables: the header and the cells of each row, per resource type (which columns a
//! type shows), written through Go's tabwriter layout.

use super::{StatView, ViewRow, shows_tcp, split_key};
use crate::OutputFormat;
use crate::numbers::{bytes_rate_cell, percent_cell, rps_cell};
use crate::style::Palette;
use crate::tabwriter::{TabWriter, pad_right_bytes, pad_right_runes};

#[derive(Clone, Copy)]
pub(super) struct Widths {
    pub(super) name: usize,
    pub(super) namespace: usize,
}

/// Which columns a table of one type shows.
#[derive(Clone, Copy)]
struct Columns {
    is_policy: bool,
    has_unauthorized: bool,
    is_pod: bool,
    is_httproute: bool,
    tcp: bool,
    tcp_bytes: bool,
}

impl Columns {
    fn of(type_str: &str, view: &StatView) -> Self {
        let tcp = shows_tcp(type_str);
        Columns {
            is_policy: matches!(type_str, "server" | "serverauthorization" | "authorizationpolicy" | "httproute"),
            has_unauthorized: matches!(type_str, "server" | "httproute"),
            is_pod: type_str == "pod",
            is_httproute: type_str == "httproute",
            tcp,
            tcp_bytes: tcp && view.output == OutputFormat::Wide,
        }
    }
}

pub(super) fn write_table(
    w: &mut TabWriter,
    type_str: &str,
    rows: &[(&String, &ViewRow)],
    prefix: &str,
    widths: Widths,
    view: &StatView,
) {
    let palette = Palette { on: view.color };
    let columns = Columns::of(type_str, view);
    let header: Vec<String> = header_cells(columns, widths, view).into_iter().map(|h| palette.header(h)).collect();
    w.write_header(&header, !view.no_headers);
    for (key, row) in rows {
        w.write_row(&row_cells(key, row, prefix, columns, widths, view, palette));
    }
}

fn header_cells(c: Columns, widths: Widths, view: &StatView) -> Vec<String> {
    let mut header: Vec<String> = Vec::new();
    if view.all_namespaces {
        header.push(pad_right_runes("NAMESPACE", widths.namespace));
    }
    header.push(pad_right_runes("NAME", widths.name));
    if c.is_pod {
        header.push("STATUS".into());
    }
    if c.is_httproute {
        header.push("SERVER".into());
    }
    if !c.is_policy {
        header.push("MESHED".into());
    }
    if c.has_unauthorized {
        header.push("UNAUTHORIZED".into());
    }
    header.extend(["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"].map(String::from));
    if c.tcp {
        header.push("TCP_CONN".into());
    }
    if c.tcp_bytes {
        header.extend(["READ_BYTES/SEC", "WRITE_BYTES/SEC"].map(String::from));
    }
    header
}

fn row_cells(
    key: &str,
    row: &ViewRow,
    prefix: &str,
    c: Columns,
    widths: Widths,
    view: &StatView,
    palette: Palette,
) -> Vec<String> {
    let (namespace, name) = split_key(key);
    let mut cells: Vec<String> = Vec::new();
    if view.all_namespaces {
        cells.push(pad_right_bytes(namespace, widths.namespace));
    }
    cells.push(pad_right_bytes(&format!("{prefix}{name}"), widths.name));
    if c.is_pod {
        cells.push(row.status.clone());
    }
    if c.is_httproute {
        // linkerd reads srv_stats.srv.name here and crashes without srv stats (a route with no
        // traffic in the window); lviz prints `-` instead.
        cells.push(row.server.clone().unwrap_or_else(|| "-".to_string()));
    }
    if !c.is_policy {
        cells.push(row.meshed.clone());
    }
    if c.has_unauthorized {
        // The denied fraction, printed with an `rps` suffix as linkerd does; 0 without srv stats.
        cells.push(rps_cell(row.unauthorized));
    }
    match &row.stats {
        Some(s) => {
            cells.push(palette.success(percent_cell(s.success), s.success));
            cells.push(rps_cell(s.rps));
            cells.extend([s.p50, s.p95, s.p99].map(|ms| palette.latency(format!("{ms}ms"), ms)));
            if c.tcp {
                cells.push(s.tcp_conns.to_string());
            }
            if c.tcp_bytes {
                cells.push(bytes_rate_cell(s.read_rate));
                cells.push(bytes_rate_cell(s.write_rate));
            }
        }
        None => {
            let dashes = 5 + usize::from(c.tcp) + 2 * usize::from(c.tcp_bytes);
            cells.extend(std::iter::repeat_n("-".to_string(), dashes));
        }
    }
    cells
}
