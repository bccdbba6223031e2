//! `lviz-testkit up --background` and `down`, as the README's try-it path uses them: the
//! exports name a Prometheus that answers with the mesh's data, a kubeconfig, `LVIZ_AT` at the
//! data's end and the process to stop; `down` stops it and its folder goes away.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

const TESTKIT: &str = env!("CARGO_BIN_EXE_lviz-testkit");

fn exports(stdout: &str) -> HashMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn count_series(prometheus: &str, at: &str) -> Option<String> {
    let url = format!("{prometheus}/api/v1/query?query=count(response_total)&time={at}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    let body = rt.block_on(async { reqwest::get(url).await.ok()?.text().await.ok() })?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["data"]["result"][0]["value"][1].as_str().map(str::to_string)
}

#[test]
fn up_background_leaves_the_environment_up_until_down() {
    let out = Command::new(TESTKIT).args(["up", "--background"]).output().expect("run lviz-testkit");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let vars = exports(&stdout);
    let at = &vars["LVIZ_AT"];
    assert_eq!(at, "2026-01-01T00:20:00Z");
    assert!(std::path::Path::new(&vars["KUBECONFIG"]).exists());
    let folder = std::path::Path::new(&vars["KUBECONFIG"]).parent().expect("folder").to_path_buf();
    // Up after the command returned: the data is there at LVIZ_AT.
    let prometheus = &vars["LVIZ_PROMETHEUS_URL"];
    let series = count_series(prometheus, at).expect("Prometheus answers");
    assert_ne!(series, "0");

    let down =
        Command::new(TESTKIT).arg("down").env("LVIZ_TESTKIT_PID", &vars["LVIZ_TESTKIT_PID"]).output().expect("down");
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_series(prometheus, at).is_some() || folder.exists() {
        assert!(Instant::now() < deadline, "still up after down");
        std::thread::sleep(Duration::from_millis(100));
    }
    let again = Command::new(TESTKIT).arg("down").env_remove("LVIZ_TESTKIT_PID").output().expect("down");
    assert_eq!(again.status.code(), Some(2), "{}", String::from_utf8_lossy(&again.stderr));
}
