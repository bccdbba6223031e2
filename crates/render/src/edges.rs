//! `edges` output: linkerd's `writeEdgesToBuffer` / `printEdgeTable` / `printEdgesJSON`
//! (`viz/cmd/edges.go`). Pure; no I/O. Whether to color is decided by the caller (`--color`,
//! terminal, `NO_COLOR`, `TERM=dumb`) and passed in; color here is linkerd's own bold green √,
//! laid out as linkerd lays it out. `--sort-by` and `--no-headers` are lviz additions.

use crate::gojson::{GoJson, marshal_indent_line};
use crate::sort::{SortBy, SortColumn, cmp_text};
use crate::tabwriter::{TabWriter, pad_right_runes, strip_left_padding};
use crate::{OutputFormat, Rendered};
use lviz_api::Edge;

/// How `edges` was asked to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EdgesView {
    pub output: OutputFormat,
    /// Print the secured check mark in fatih/color's bold green.
    pub color: bool,
    /// `--sort-by`: rows (and JSON entries) in this order instead of linkerd's.
    pub sort: Option<SortBy>,
    /// `--no-headers`: the header sizes the columns but is not printed.
    pub no_headers: bool,
}

/// linkerd's `okStatus`, plain and as fatih/color prints it (`color.New(FgGreen, Bold)`).
const OK_STATUS: &str = "√";
const OK_STATUS_COLORED: &str = "\x1b[32;1m√\x1b[0;22m";

struct EdgeRow<'a> {
    src: &'a str,
    src_namespace: &'a str,
    dst: &'a str,
    dst_namespace: &'a str,
    client: String,
    client_unknown: bool,
    server: String,
    msg: String,
}

/// The first two dot-separated parts of an identity (`web.emojivoto.serviceaccount…` →
/// `web.emojivoto`). linkerd indexes `parts[1]` unconditionally and panics on an identity
/// without a dot; lviz keeps such an identity whole.
fn short_identity(id: &str) -> String {
    let mut parts = id.split('.');
    match (parts.next(), parts.next()) {
        (Some(first), Some(second)) => format!("{first}.{second}"),
        _ => id.to_string(),
    }
}

fn sort_field<'r>(r: &'r EdgeRow<'_>, column: SortColumn) -> &'r str {
    match column {
        SortColumn::Src => r.src,
        SortColumn::Dst => r.dst,
        SortColumn::SrcNs => r.src_namespace,
        SortColumn::DstNs => r.dst_namespace,
        SortColumn::ClientId => &r.client,
        SortColumn::ServerId => &r.server,
        SortColumn::Secured => &r.msg,
        _ => "",
    }
}

pub fn render_edges(edges: &[Edge], view: &EdgesView) -> Rendered {
    let json = view.output == OutputFormat::Json;
    let mut rows: Vec<EdgeRow<'_>> = edges
        .iter()
        .map(|e| {
            let msg = if e.no_identity_msg.is_empty() && !json {
                if view.color { OK_STATUS_COLORED } else { OK_STATUS }.to_string()
            } else {
                e.no_identity_msg.clone()
            };
            EdgeRow {
                src: &e.src.name,
                src_namespace: &e.src.namespace,
                dst: &e.dst.name,
                dst_namespace: &e.dst.namespace,
                // Prometheus-only mode: the identity is unknown (`-`, JSON null), not empty.
                client: if e.client_id_unknown { "-".to_string() } else { short_identity(&e.client_id) },
                client_unknown: e.client_id_unknown,
                server: short_identity(&e.server_id),
                msg,
            }
        })
        .collect();
    // srcNs+dstNs+src+dst concatenated, byte order (linkerd's sort is unstable; ties keep input
    // order here).
    rows.sort_by_cached_key(|r| [r.src_namespace, r.dst_namespace, r.src, r.dst].concat().into_bytes());
    if let Some(sort) = view.sort {
        let desc = sort.descending;
        rows.sort_by(|a, b| cmp_text(sort_field(a, sort.column), sort_field(b, sort.column), desc));
    }

    if json {
        return Rendered { stdout: edges_json(&rows), stderr: String::new() };
    }
    if rows.is_empty() {
        return Rendered { stdout: String::new(), stderr: "No edges found.\n".to_string() };
    }
    Rendered { stdout: edges_table(&rows, view.output == OutputFormat::Wide, view.no_headers), stderr: String::new() }
}

fn edges_table(rows: &[EdgeRow<'_>], wide: bool, no_headers: bool) -> String {
    // Each column: (header, value getter). Widths are byte lengths, padding counts runes.
    type Getter = for<'r> fn(&'r EdgeRow<'_>) -> &'r str;
    let mut columns: Vec<(&str, Getter)> =
        vec![("SRC", |r| r.src), ("DST", |r| r.dst), ("SRC_NS", |r| r.src_namespace), ("DST_NS", |r| r.dst_namespace)];
    if wide {
        columns.push(("CLIENT_ID", |r| &r.client));
        columns.push(("SERVER_ID", |r| &r.server));
    }
    columns.push(("SECURED", |r| &r.msg));

    let widths: Vec<usize> =
        columns.iter().map(|(header, get)| rows.iter().map(|r| get(r).len()).fold(header.len(), usize::max)).collect();

    let mut w = TabWriter::default();
    let header: Vec<String> =
        columns.iter().zip(&widths).map(|((header, _), width)| pad_right_runes(header, *width)).collect();
    w.write_header(&header, !no_headers);
    for row in rows {
        let cells: Vec<String> =
            columns.iter().zip(&widths).map(|((_, get), width)| pad_right_runes(get(row), *width)).collect();
        w.write_row(&cells);
    }
    strip_left_padding(&w.finish())
}

fn edges_json(rows: &[EdgeRow<'_>]) -> String {
    let entries = rows
        .iter()
        .map(|r| {
            GoJson::object([
                ("src", GoJson::str(r.src)),
                ("src_namespace", GoJson::str(r.src_namespace)),
                ("dst", GoJson::str(r.dst)),
                ("dst_namespace", GoJson::str(r.dst_namespace)),
                ("client_id", if r.client_unknown { GoJson::Null } else { GoJson::str(&r.client) }),
                ("server_id", GoJson::str(&r.server)),
                ("no_tls_reason", GoJson::str(&r.msg)),
            ])
        })
        .collect();
    marshal_indent_line(&GoJson::Array(entries))
}
