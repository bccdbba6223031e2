//! Shared end-to-end harness: one real Prometheus (Debian's, loaded with the synthetic mesh)
//! and one fake Kubernetes API server per test binary, and a runner for the real `lviz` binary.
#![allow(dead_code)]

pub mod serve;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use lviz_testkit::fixtures::emojivoto_objects;
use lviz_testkit::kube::FakeKube;
use lviz_testkit::mesh::EVAL_TIME;
use lviz_testkit::prometheus::shared_prometheus;

pub struct Env {
    pub prometheus_url: String,
    pub kube: FakeKube,
    pub home: tempfile::TempDir,
}

pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let prometheus_url = shared_prometheus().url();
        let kube = match FakeKube::start_background(emojivoto_objects()) {
            Ok(k) => k,
            Err(e) => panic!("starting the fake Kubernetes API: {e:#}"),
        };
        let home = tempfile::tempdir().expect("temp HOME");
        Env { prometheus_url, kube, home }
    })
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout table as rows of header → cell (cells contain no spaces in lviz tables,
    /// except edges messages, which tests read from JSON instead).
    pub fn table(&self) -> Vec<HashMap<String, String>> {
        parse_table(&self.stdout)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "lviz failed:\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn parse_table(text: &str) -> Vec<HashMap<String, String>> {
    let mut rows = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            header.clear();
            continue;
        }
        let cells: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if header.is_empty() {
            header = cells;
            continue;
        }
        rows.push(header.iter().cloned().zip(cells).collect());
    }
    rows
}

/// Finds the row whose NAME cell is `name` (with or without a type prefix).
pub fn row<'a>(rows: &'a [HashMap<String, String>], name: &str) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r.get("NAME").is_some_and(|n| n == name || n.ends_with(&format!("/{name}"))))
        .unwrap_or_else(|| panic!("no row {name} in {rows:#?}"))
}

pub fn lviz_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lviz"))
}

/// `lviz` against the shared backends, evaluated at the data's end.
pub fn lviz(args: &[&str]) -> Run {
    let e = env();
    let at = EVAL_TIME.to_string();
    let mut full: Vec<&str> = vec!["--prometheus-url", &e.prometheus_url, "--at", &at];
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    full.extend(["--kubeconfig", &kubeconfig]);
    full.extend(args);
    lviz_raw(&full, &[])
}

/// `lviz` with exactly these arguments and extra environment (HOME is a temp dir; no ambient
/// kubeconfig or Prometheus settings leak in).
pub fn lviz_raw(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let e = env();
    let mut cmd = std::process::Command::new(lviz_bin());
    cmd.args(args)
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("HOME", e.home.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run lviz");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts the named cells of a row.
pub fn assert_cells(row: &HashMap<String, String>, expected: &[(&str, &str)]) {
    for (column, value) in expected {
        assert_eq!(row.get(*column).map(String::as_str), Some(*value), "column {column} of {row:?}");
    }
}
