//! What Go's certificate verification makes of each TLS variant: Debian's Prometheus scrapes one
//! fault server per variant with `tls_config.ca_file` (the HTTP client config its query clients
//! share), and the targets' health is the ground truth the catalog's TLS expectations follow.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lviz_testkit::faults::{Backend, Fault, FaultServer, Plan, Reply, TlsCert};
use serde_json::Value;

/// Kills the process on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scrape_config(servers: &[(TlsCert, FaultServer)]) -> String {
    let mut yaml = String::from("global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n");
    for (cert, server) in servers {
        yaml.push_str(&format!("- job_name: {}\n  scheme: https\n", cert.name()));
        if let Some(ca) = server.ca_file() {
            yaml.push_str(&format!("  tls_config: {{ca_file: {}}}\n", ca.display()));
        }
        yaml.push_str(&format!("  static_configs: [{{targets: ['{}']}}]\n", server.addr()));
    }
    yaml
}

/// job → (health, lastError), once every target has been scraped.
async fn target_health(prometheus: &str, jobs: usize) -> Vec<(String, String, String)> {
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "Prometheus never scraped every target");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Ok(resp) = client.get(format!("{prometheus}/api/v1/targets")).send().await else { continue };
        let Ok(json) = resp.json::<Value>().await else { continue };
        let targets = json["data"]["activeTargets"].as_array().cloned().unwrap_or_default();
        let health: Vec<(String, String, String)> = targets
            .iter()
            .map(|t| {
                let field = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (field(&t["labels"]["job"]), field(&t["health"]), field(&t["lastError"]))
            })
            .collect();
        if health.len() == jobs && health.iter().all(|(_, h, _)| h != "unknown") {
            return health;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_accepts_what_prometheus_users_expect() {
    let metrics = Reply::new(200, "text/plain; version=0.0.4", "fault_up 1\n");
    let mut servers = Vec::new();
    for cert in TlsCert::ALL {
        let plan = Plan::new(Fault::Healthy(Backend::Prometheus)).on("/metrics", metrics.clone()).tls(cert);
        servers.push((cert, FaultServer::start(plan).await.expect("start")));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, scrape_config(&servers)).expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("Debian's prometheus on PATH"),
    );

    let health = target_health(&format!("http://127.0.0.1:{port}"), servers.len()).await;
    for (job, state, error) in &health {
        let cert = TlsCert::ALL.into_iter().find(|c| c.name() == job).expect("a variant's job");
        // Go accepts a CA certificate as the leaf and any certificate that is itself a root.
        let accepted = !matches!(cert, TlsCert::SelfSigned | TlsCert::Expired | TlsCert::WrongHost);
        assert_eq!(state == "up", accepted, "{job}: {state} {error}");
        if !accepted {
            assert!(error.contains("x509"), "{job}: {error}");
        }
    }
}
