//! Exact-bytes tests of `render_edges`: padding with trailing spaces, identities, color, JSON.

use super::{assert_golden, assert_same};
use crate::{EdgesView, OutputFormat, render_edges};
use lviz_api::{Edge, Resource};

fn edge(src: (&str, &str), dst: (&str, &str), client: &str, server: &str, msg: &str) -> Edge {
    Edge {
        src: Resource { namespace: src.0.into(), kind: "deployment".into(), name: src.1.into() },
        dst: Resource { namespace: dst.0.into(), kind: "deployment".into(), name: dst.1.into() },
        client_id: client.into(),
        server_id: server.into(),
        no_identity_msg: msg.into(),
        ..Edge::default()
    }
}

fn insecure_example() -> Vec<Edge> {
    vec![
        edge(("linkerd-viz", "prometheus"), ("emojivoto", "web"), "", "", "Not Provided By Remote"),
        edge(
            ("emojivoto", "web"),
            ("emojivoto", "voting"),
            "web.emojivoto.serviceaccount.identity.linkerd.cluster.local",
            "voting.emojivoto.serviceaccount.identity.linkerd.cluster.local",
            "",
        ),
    ]
}

#[test]
fn derived_insecure_edge_table_has_trailing_spaces() {
    let r = render_edges(
        &insecure_example(),
        &EdgesView { output: OutputFormat::Table, color: false, ..Default::default() },
    );
    assert_eq!(r.stderr, "");
    assert_golden!("edges_derived_insecure.golden", r.stdout);
}

#[test]
fn colored_check_mark_widens_secured_by_bytes() {
    let edges = [edge(("ns", "a"), ("ns", "b"), "", "", "")];
    let r = render_edges(&edges, &EdgesView { output: OutputFormat::Table, color: true, ..Default::default() });
    let want = "SRC   DST   SRC_NS   DST_NS   SECURED          \n\
                a     b     ns       ns       \x1b[32;1m√\x1b[0;22m  \n";
    assert_same("colored", want, &r.stdout);
}

#[test]
fn wide_shortens_identities_and_keeps_dotless_ones_whole() {
    let edges = [edge(("ns", "a"), ("ns", "b"), "default", "b.ns.serviceaccount.identity", "")];
    let r = render_edges(&edges, &EdgesView { output: OutputFormat::Wide, color: false, ..Default::default() });
    let want = "SRC   DST   SRC_NS   DST_NS   CLIENT_ID   SERVER_ID   SECURED\n\
                a     b     ns       ns       default     b.ns        √      \n";
    assert_same("wide identities", want, &r.stdout);
}

#[test]
fn unicode_names_pad_by_runes_to_a_byte_width() {
    // "ñañaña" is 9 bytes, 6 runes: the SRC column is 9 wide and the value padded to 9 runes.
    let edges = [edge(("ns", "ñañaña"), ("ns", "b"), "", "", "")];
    let r = render_edges(&edges, &EdgesView { output: OutputFormat::Table, color: false, ..Default::default() });
    let want = "SRC         DST   SRC_NS   DST_NS   SECURED\n\
                ñañaña      b     ns       ns       √      \n";
    assert_same("unicode edges", want, &r.stdout);
}

#[test]
fn json_sorts_and_leaves_no_tls_reason_empty_when_secured() {
    let r =
        render_edges(&insecure_example(), &EdgesView { output: OutputFormat::Json, color: true, ..Default::default() });
    let want = "[\n  {\n    \"src\": \"web\",\n    \"src_namespace\": \"emojivoto\",\n    \"dst\": \"voting\",\n    \"dst_namespace\": \"emojivoto\",\n    \"client_id\": \"web.emojivoto\",\n    \"server_id\": \"voting.emojivoto\",\n    \"no_tls_reason\": \"\"\n  },\n  {\n    \"src\": \"prometheus\",\n    \"src_namespace\": \"linkerd-viz\",\n    \"dst\": \"web\",\n    \"dst_namespace\": \"emojivoto\",\n    \"client_id\": \"\",\n    \"server_id\": \"\",\n    \"no_tls_reason\": \"Not Provided By Remote\"\n  }\n]\n";
    assert_same("edges json", want, &r.stdout);
}

#[test]
fn no_edges() {
    let r = render_edges(&[], &EdgesView { output: OutputFormat::Wide, color: false, ..Default::default() });
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", "No edges found.\n"));
    let r = render_edges(&[], &EdgesView { output: OutputFormat::Json, color: false, ..Default::default() });
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("[]\n", ""));
}
