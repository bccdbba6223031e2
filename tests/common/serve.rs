//! The real `lviz serve` binary as a child process for end-to-end tests: every face on a free
//! loopback port, the addresses read from its stderr lines, `/ready` waited for.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{env, lviz_bin};

/// The server child; killed when the test ends, passes or panics.
pub struct Server {
    pub child: Child,
    /// `http://IP:PORT` of the JSON API.
    pub url: String,
    /// `IP:PORT` of the gRPC API.
    pub grpc: String,
    /// `http://IP:PORT` of the admin endpoints.
    pub admin: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lviz serve` with every face on `127.0.0.1:0` against the shared Prometheus and fake
/// Kubernetes API, reads the bound addresses from its first stderr lines, waits for `/ready`.
pub fn start_server(extra: &[&str]) -> Server {
    let server = start_with(&env().prometheus_url, extra);
    wait_ready(&server.url);
    server
}

/// [`start_server`] with another Prometheus, without waiting for `/ready`.
pub fn start_with(prometheus_url: &str, extra: &[&str]) -> Server {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut cmd = Command::new(lviz_bin());
    cmd.args(["--prometheus-url", prometheus_url, "--kubeconfig", &kubeconfig, "serve", "--addr", "127.0.0.1:0"])
        .args(["--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .env("HOME", e.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start lviz serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut read = |prefix: &str, child: &mut Child| {
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        match line.strip_prefix(prefix) {
            Some(rest) => rest.trim().to_string(),
            None => {
                let _ = child.kill();
                panic!("lviz serve did not start: expected {prefix:?}, got {line:?}");
            }
        }
    };
    let url = read("lviz serve: listening on ", &mut child);
    let grpc = read("lviz serve: gRPC (linkerd2.viz.Api) listening on ", &mut child);
    let admin = read("lviz serve: admin (/ready, /ping, /metrics) listening on ", &mut child);
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Server { child, url, grpc, admin }
}

pub fn wait_ready(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let ready = format!("{url}/ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = rt.block_on(client.get(&ready).send());
        if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            return;
        }
        assert!(Instant::now() < deadline, "{ready} never answered 200");
        std::thread::sleep(Duration::from_millis(100));
    }
}
