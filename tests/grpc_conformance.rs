//! The conformance run of an independent gRPC client: `tests/grpc_conformance.py` (Python
//! grpcio, stubs generated from `crates/grpc/proto` at run time) calls every method of the real
//! `lviz serve` and checks each answer field by field against the JSON API's answer to the same
//! request, and stat's numbers against the CLI's `-o json`.
//!
//! Needs `python3` with `grpcio` and `grpcio-tools` (scripts/test installs them with pip and
//! sets `LVIZ_REQUIRE_GRPCIO=1`, which turns a missing module into a failure; elsewhere the
//! test is skipped with a note).

mod common;

use std::process::Command;

use common::env;
use common::serve::start as start_server;
use lviz_testkit::mesh::EVAL_TIME;

fn python_has_grpcio() -> bool {
    Command::new("python3").args(["-c", "import grpc, grpc_tools.protoc"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn an_independent_grpc_client_gets_what_the_json_api_and_the_cli_give() {
    if !python_has_grpcio() {
        assert!(
            std::env::var("LVIZ_REQUIRE_GRPCIO").as_deref() != Ok("1"),
            "python3 with grpcio and grpcio-tools is required (pip install grpcio grpcio-tools)"
        );
        eprintln!("note: python3 with grpcio and grpcio-tools not found; the gRPC conformance run is skipped");
        return;
    }
    let server = start_server(&[]);
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let at = EVAL_TIME.to_string();
    let cli = serde_json::json!([
        common::lviz_bin().to_string_lossy(),
        "--prometheus-url",
        e.prometheus_url,
        "--kubeconfig",
        kubeconfig,
        "--at",
        at
    ]);
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/grpc_conformance.py"))
        .args(["--grpc", &server.grpc, "--json", &server.url, "--at", &at])
        .args(["--proto", &format!("{root}/crates/grpc/proto"), "--cli", &cli.to_string()])
        .env("HOME", e.home.path())
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the conformance client failed:\n{stdout}\n{stderr}");
    // Every method was called and compared: dozens of cases, none failed.
    let summary = stdout.lines().last().unwrap_or_default();
    let passed: usize = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(summary.ends_with(" passed, 0 failed") && passed >= 40, "{stdout}");
    eprintln!("gRPC conformance: {summary}");
}
