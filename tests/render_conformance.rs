//! Byte-for-byte conformance of lviz's renderers with linkerd's own CLI goldens
//! (`shared/conformance/golden/<name>.golden`, copied from linkerd2 `viz/cmd/testdata`).
//!
//! Each golden comes with `<name>.input.json` (the API response the upstream test renders) and
//! `<name>.args.json` (the CLI options, plus renderer inputs the API shape lacks). The two
//! orphaned traffic-split goldens (`"orphaned": true`) are skipped: no current linkerd produces
//! them. Without the folder the test prints a note and passes, unless
//! `LVIZ_REQUIRE_CONFORMANCE=1`.

use std::path::{Path, PathBuf};

use lviz_api::{EdgesResponse, StatSummaryResponse, TopRoutesResponse};
use lviz_render::{EdgesView, OutputFormat, Rendered, RoutesView, StatView, render_edges, render_routes, render_stat};
use serde_json::Value;

const GOLDEN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance/golden");

#[test]
fn upstream_goldens_render_byte_for_byte() {
    let dir = Path::new(GOLDEN_DIR);
    if !dir.is_dir() {
        if std::env::var("LVIZ_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
            panic!("conformance goldens not found at {GOLDEN_DIR} (LVIZ_REQUIRE_CONFORMANCE=1)");
        }
        eprintln!("note: {GOLDEN_DIR} is absent; skipping the renderer conformance check");
        return;
    }

    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {GOLDEN_DIR}: {e}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".golden").map(str::to_string))
        .collect();
    names.sort();

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for name in &names {
        let args = read_json(&dir.join(format!("{name}.args.json")));
        if args["orphaned"].as_bool() == Some(true) {
            continue;
        }
        let input = read_text(&dir.join(format!("{name}.input.json")));
        let expected = read_text(&dir.join(format!("{name}.golden")));
        let rendered = render_case(name, &args, &input);
        assert_eq!(rendered.stderr, "", "{name}: unexpected stderr");
        if rendered.stdout != expected {
            failures.push(diff(name, &expected, &rendered.stdout));
        }
        checked.push(name.as_str());
    }

    for command in ["stat", "routes", "edges"] {
        assert!(checked.iter().any(|n| n.starts_with(command)), "no {command} golden was checked (found: {names:?})");
    }
    assert!(failures.is_empty(), "{} of {} goldens differ:\n{}", failures.len(), checked.len(), failures.join("\n"));
    eprintln!("checked {} upstream goldens: {}", checked.len(), checked.join(", "));
}

fn render_case(name: &str, args: &Value, input: &str) -> Rendered {
    let options = &args["options"];
    let output = match options["output"].as_str().unwrap_or("table") {
        "table" | "" => OutputFormat::Table,
        "wide" => OutputFormat::Wide,
        "json" => OutputFormat::Json,
        other => panic!("{name}: unknown output {other:?}"),
    };
    let flag_set = |key: &str| options[key].as_str().is_some_and(|s| !s.is_empty());
    let command = args["command"].as_str().unwrap_or_default();
    match command {
        "stat" => {
            let response: StatSummaryResponse = parse(name, input);
            let ok = response.ok.unwrap_or_else(|| panic!("{name}: input has no ok"));
            let rows: Vec<_> = ok.stat_tables.into_iter().flat_map(|t| t.pod_group.rows).collect();
            let view = StatView {
                output,
                all_namespaces: options["all_namespaces"].as_bool().unwrap_or(false),
                unmeshed: options["unmeshed"].as_bool().unwrap_or(false),
                from_set: flag_set("from"),
                ..Default::default()
            };
            render_stat(&rows, &view)
        }
        "routes" => {
            let response: TopRoutesResponse = parse(name, input);
            let mut tables = response.ok.unwrap_or_else(|| panic!("{name}: input has no ok")).routes;
            // The table's resource key is not in the OpenAPI shape; args.json carries it.
            if let Some(extra) = args["renderer_inputs_not_in_openapi"].as_object() {
                for (i, table) in tables.iter_mut().enumerate() {
                    if let Some(resource) = extra.get(&format!("routes[{i}].resource")).and_then(Value::as_str) {
                        table.resource = resource.to_string();
                    }
                }
            }
            render_routes(&tables, &RoutesView { output, to_set: flag_set("to"), ..Default::default() })
        }
        "edges" => {
            let response: EdgesResponse = parse(name, input);
            let edges = response.ok.unwrap_or_else(|| panic!("{name}: input has no ok")).edges;
            render_edges(&edges, &EdgesView { output, color: false, ..Default::default() })
        }
        other => panic!("{name}: unknown command {other:?}"),
    }
}

fn read_text(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &PathBuf) -> Value {
    parse(&path.display().to_string(), &read_text(path))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: bad JSON: {e}"))
}

/// A line diff with escaped lines, so trailing spaces and escape codes are visible.
fn diff(name: &str, expected: &str, actual: &str) -> String {
    let exp: Vec<&str> = expected.split_inclusive('\n').collect();
    let act: Vec<&str> = actual.split_inclusive('\n').collect();
    let mut out = format!("--- {name}.golden (-) vs rendered (+)\n");
    for i in 0..exp.len().max(act.len()) {
        match (exp.get(i), act.get(i)) {
            (Some(e), Some(a)) if e == a => out.push_str(&format!("  {e:?}\n")),
            (e, a) => {
                if let Some(e) = e {
                    out.push_str(&format!("- {e:?}\n"));
                }
                if let Some(a) = a {
                    out.push_str(&format!("+ {a:?}\n"));
                }
            }
        }
    }
    out
}
