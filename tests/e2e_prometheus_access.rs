//! Reaching Prometheus the ways real installations need: TLS with a private CA, a client
//! certificate and basic auth (a real Prometheus with `--web.config.file`), a bearer token and a
//! tenant header (an authenticating reverse proxy), a path prefix, and VictoriaMetrics. Every
//! failure is one line naming the backend, without secrets, exit 1. Loopback only.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::servers;
use common::{Run, lviz, lviz_raw};
use lviz_testkit::mesh::{EVAL_TIME, Mesh};
use lviz_testkit::prometheus::{PrometheusOptions, PrometheusServer, VictoriaMetricsServer};
use servers::{ProxyRules, auth_proxy};

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "s3cr3t-t0ken";
const SERVER_NAME: &str = "prometheus.test";

/// `lviz` against `url` with the shared fake Kubernetes API, at the data's end.
fn lviz_at(url: &str, extra: &[&str], args: &[&str]) -> Run {
    lviz_env(url, extra, args, &[])
}

fn lviz_env(url: &str, extra: &[&str], args: &[&str], envs: &[(&str, &str)]) -> Run {
    let e = common::env();
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full: Vec<&str> = vec!["--prometheus-url", url, "--at", &at, "--kubeconfig", &kubeconfig];
    full.extend(extra);
    full.extend(args);
    lviz_raw(&full, envs)
}

/// Asserts a one-line error naming Prometheus at `shown`, exit 1, nothing on stdout, and no
/// secret anywhere.
fn assert_backend_error(run: &Run, shown: &str, cause: &str) {
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    let prefix = format!("error: Prometheus at {shown}: ");
    assert!(run.stderr.starts_with(&prefix), "want prefix {prefix:?}: {}", run.stderr);
    assert!(run.stderr.contains(cause), "want {cause:?} in {}", run.stderr);
    for secret in [PASSWORD, TOKEN, "tenant1"] {
        assert!(!run.stderr.contains(secret), "secret leaked: {}", run.stderr);
    }
}

// --- TLS + basic auth + client certificate ---------------------------------------------------

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A CA, a server certificate for `prometheus.test` only (not 127.0.0.1, so `server_name` is
/// needed), and a client certificate, all generated here.
fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write pem");

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "lviz test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    write("ca.crt", &ca_cert.pem());

    let server_key = KeyPair::generate().expect("server key");
    let mut server_params = CertificateParams::new(vec![SERVER_NAME.to_string()]).expect("server params");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer).expect("server cert");
    write("server.crt", &server_cert.pem());
    write("server.key", &server_key.serialize_pem());

    let client_key = KeyPair::generate().expect("client key");
    let mut client_params = CertificateParams::new(vec!["lviz-client".to_string()]).expect("client params");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &issuer).expect("client cert");
    write("client.crt", &client_cert.pem());
    write("client.key", &client_key.serialize_pem());
    write("password", &format!("{PASSWORD}\n"));
    write("wrong-password", "hunter2\n");
    Pki { dir }
}

struct Secured {
    pki: Pki,
    server: PrometheusServer,
}

impl Secured {
    fn url(&self) -> String {
        self.server.url().replacen("http://", "https://", 1)
    }
    /// Writes an HTTP config into the PKI directory (relative file names resolve there).
    fn http_config(&self, name: &str, yaml: &str) -> String {
        let path = self.pki.path(name);
        std::fs::write(&path, yaml).expect("write http config");
        path.to_string_lossy().into_owned()
    }
}

/// One Prometheus serving HTTPS only, requiring a client certificate and basic auth.
fn secured() -> &'static Secured {
    static SECURED: OnceLock<Secured> = OnceLock::new();
    SECURED.get_or_init(|| {
        let pki = pki();
        let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
        let p = |n: &str| pki.path(n).to_string_lossy().into_owned();
        let web = format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\nbasic_auth_users:\n  lviz: '{hash}'\n",
            p("server.crt"),
            p("server.key"),
            p("ca.crt")
        );
        let opts = PrometheusOptions { web_config_yaml: Some(web), ..Default::default() };
        let server = match PrometheusServer::start_with(&Mesh::emojivoto(), &opts) {
            Ok(s) => s,
            Err(e) => panic!("starting the TLS Prometheus: {e:#}"),
        };
        Secured { pki, server }
    })
}

const GOOD_CONFIG: &str = "basic_auth:\n  username: lviz\n  password_file: password\ntls_config:\n  ca_file: ca.crt\n  cert_file: client.crt\n  key_file: client.key\n  server_name: prometheus.test\n";

#[test]
fn tls_client_cert_and_basic_auth_give_the_same_answers() {
    let s = secured();
    let config = s.http_config("good.yml", GOOD_CONFIG);
    let args = ["stat", "deploy", "-n", "emojivoto"];
    let plain = lviz(&args).ok();
    let run = lviz_at(&s.url(), &["--prometheus-http-config", &config], &args).ok();
    assert_eq!(run.stdout, plain.stdout);
    assert_eq!(run.stderr, "");
    // -v names the Prometheus on stderr; stdout is unchanged.
    let verbose = lviz_at(&s.url(), &["--prometheus-http-config", &config, "-v"], &args).ok();
    assert_eq!(verbose.stdout, plain.stdout);
    assert!(verbose.stderr.contains(&format!("Prometheus at {}/", s.url())), "{}", verbose.stderr);
    assert!(!verbose.stderr.contains(PASSWORD));
}

#[test]
fn insecure_skip_verify_accepts_any_certificate() {
    let s = secured();
    let config = s.http_config(
        "insecure.yml",
        "basic_auth: {username: lviz, password_file: password}\ntls_config: {cert_file: client.crt, key_file: client.key, insecure_skip_verify: true}\n",
    );
    let run =
        lviz_at(&s.url(), &["--prometheus-http-config", &config], &["stat", "deploy/web", "-n", "emojivoto"]).ok();
    assert!(run.stdout.contains("93.33%"), "{}", run.stdout);
}

#[test]
fn wrong_password_is_one_line_without_the_secret() {
    let s = secured();
    let config = s.http_config(
        "wrong.yml",
        &GOOD_CONFIG.replace("password_file: password", &format!("password: {PASSWORD}-not")),
    );
    let run = lviz_at(&s.url(), &["--prometheus-http-config", &config], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{}/", s.url()), "401 Unauthorized");
}

#[test]
fn unknown_ca_is_one_line() {
    let s = secured();
    let config = s.http_config(
        "noca.yml",
        "basic_auth: {username: lviz, password_file: password}\ntls_config: {cert_file: client.crt, key_file: client.key, server_name: prometheus.test}\n",
    );
    let run = lviz_at(&s.url(), &["--prometheus-http-config", &config], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{}/", s.url()), "UnknownIssuer");
}

#[test]
fn certificate_name_must_match_without_server_name() {
    let s = secured();
    let config = s.http_config("noname.yml", &GOOD_CONFIG.replace("  server_name: prometheus.test\n", ""));
    let run = lviz_at(&s.url(), &["--prometheus-http-config", &config], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{}/", s.url()), "certificate not valid for name \"127.0.0.1\"");
}

#[test]
fn http_config_unknown_key_is_a_usage_error_naming_key_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typo.yml");
    std::fs::write(&path, "basic_auth:\n  username: lviz\n  passwd: x\n").expect("write");
    let file = path.to_string_lossy().into_owned();
    let run = lviz_at("http://127.0.0.1:9", &["--prometheus-http-config", &file], &["stat", "deploy"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("passwd") && run.stderr.contains(&file), "{}", run.stderr);
}

// --- bearer token, tenant header, path prefix (reverse proxy) --------------------------------

fn token_proxy() -> &'static String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let rules = ProxyRules {
            required: vec![("authorization".into(), format!("Bearer {TOKEN}"))],
            prefix: "/prometheus".into(),
        };
        auth_proxy(&common::env().prometheus_url, rules)
    })
}

fn tenant_proxy() -> &'static String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let rules = ProxyRules {
            required: vec![("x-scope-orgid".into(), "tenant1".into())],
            prefix: "/select/0/prometheus".into(),
        };
        auth_proxy(&common::env().prometheus_url, rules)
    })
}

#[test]
fn bearer_token_from_file_env_and_http_config() {
    let url = token_proxy();
    let args = ["stat", "deploy", "-n", "emojivoto"];
    let plain = lviz(&args).ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("write token");
    let token_file = token_file.to_string_lossy().into_owned();

    let by_file = lviz_at(url, &["--prometheus-bearer-token-file", &token_file], &args).ok();
    assert_eq!(by_file.stdout, plain.stdout);
    let by_default_env = lviz_env(url, &[], &args, &[("LVIZ_PROMETHEUS_TOKEN", TOKEN)]).ok();
    assert_eq!(by_default_env.stdout, plain.stdout);
    let by_env = lviz_env(url, &["--prometheus-bearer-token-env", "MY_TOKEN"], &args, &[("MY_TOKEN", TOKEN)]).ok();
    assert_eq!(by_env.stdout, plain.stdout);
    let config = dir.path().join("http.yml");
    std::fs::write(&config, format!("authorization:\n  credentials_file: {token_file}\n")).expect("write");
    let by_config = lviz_at(url, &["--prometheus-http-config", &config.to_string_lossy()], &args).ok();
    assert_eq!(by_config.stdout, plain.stdout);
}

#[test]
fn missing_token_is_one_line() {
    let url = token_proxy();
    let run = lviz_at(url, &[], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, url, "401 Unauthorized");
}

#[test]
fn tenant_header_under_a_path_prefix() {
    let url = tenant_proxy();
    for args in [
        &["stat", "deploy", "-n", "emojivoto"][..],
        &["routes", "deploy/web", "-n", "emojivoto"],
        &["edges", "deploy", "-A"],
        &["gateways"],
    ] {
        let plain = lviz(args).ok();
        let run = lviz_at(url, &["--prometheus-header", "X-Scope-OrgID: tenant1"], args).ok();
        assert_eq!(run.stdout, plain.stdout, "{args:?}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("http.yml");
    std::fs::write(&config, "http_headers:\n  X-Scope-OrgID:\n    secrets: [tenant1]\n").expect("write");
    let run = lviz_at(
        url,
        &["--prometheus-http-config", &config.to_string_lossy()],
        &["stat", "deploy/web", "-n", "emojivoto"],
    )
    .ok();
    assert!(run.stdout.contains("93.33%"));
    let missing = lviz_at(url, &[], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&missing, url, "401 Unauthorized");
}

// --- failures -----------------------------------------------------------------------------------

#[test]
fn timeout_is_one_line_naming_the_url() {
    let url = servers::silent_server();
    let started = std::time::Instant::now();
    let run = lviz_at(&url, &["--request-timeout", "1s"], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{url}/"), "no answer within 1s (--request-timeout)");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn connection_refused_is_one_line() {
    let url = servers::closed_port_url();
    let run = lviz_at(&url, &[], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{url}/"), "cannot connect");
}

#[test]
fn non_json_answer_is_one_line() {
    let url = servers::html_server();
    let run = lviz_at(&url, &[], &["stat", "deploy", "-n", "emojivoto"]);
    assert_backend_error(&run, &format!("{url}/"), "answer is not Prometheus JSON: <html>Grafana login</html>");
}

#[test]
fn credentials_in_the_url_are_redacted() {
    let url = servers::closed_port_url().replacen("http://", &format!("http://lviz:{TOKEN}@"), 1);
    let run = lviz_at(&url, &[], &["stat", "deploy", "-n", "emojivoto"]);
    let shown = format!("{}/", url.replacen(TOKEN, "***", 1));
    assert_backend_error(&run, &shown, "cannot connect");
}

// --- VictoriaMetrics ------------------------------------------------------------------------

fn victoria() -> &'static VictoriaMetricsServer {
    static VM: OnceLock<VictoriaMetricsServer> = OnceLock::new();
    VM.get_or_init(|| match VictoriaMetricsServer::start(&Mesh::emojivoto()) {
        Ok(vm) => vm,
        Err(e) => panic!("starting VictoriaMetrics: {e:#}"),
    })
}

const COMMANDS: [&[&str]; 9] = [
    &["stat", "deploy", "-n", "emojivoto", "-o", "wide"],
    &["stat", "ns/emojivoto", "-o", "json"],
    &["stat", "svc", "-n", "emojivoto"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot"],
    &["routes", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"],
    &["edges", "deploy", "-A", "-o", "json"],
    &["gateways", "-o", "json"],
    &["stat", "deploy", "-n", "ops", "--unmeshed"],
];

/// With the default 1m window (and any window of at least two scrape intervals) every command
/// prints exactly what it prints against Prometheus, directly and under VictoriaMetrics's
/// `/prometheus` path prefix.
#[test]
fn victoria_metrics_matches_prometheus_for_windows_of_two_scrapes_or_more() {
    let vm = victoria();
    let prefixed = format!("{}/prometheus", vm.url());
    for window in ["1m", "30s"] {
        for args in COMMANDS {
            let mut full = vec!["-t", window];
            full.extend(args);
            let plain = lviz(&full).ok();
            for url in [vm.url(), prefixed.clone()] {
                let run = lviz_at(&url, &[], &full).ok();
                assert_eq!(run.stdout, plain.stdout, "{url} {full:?}");
                assert_eq!(run.stderr, plain.stderr, "{url} {full:?}");
            }
        }
    }
}

/// Below two scrape intervals the engines disagree (docs/prometheus.md): MetricsQL's
/// `increase`/`irate` start from the last sample *before* the window and do not extrapolate;
/// PromQL uses only samples inside the window and extrapolates to its edges.
#[test]
fn victoria_metrics_differs_for_windows_under_two_scrapes() {
    let vm = victoria();
    let args = ["-t", "15s", "stat", "deploy/web", "-n", "emojivoto", "-o", "wide"];
    // At a sample instant: Prometheus sees 10 s of increase, extrapolated to 15 s (3.0rps, exact);
    // VictoriaMetrics counts from the sample 20 s back and divides by 15 s (4/3 too high).
    let prom = lviz(&args).ok().table();
    let victoria = lviz_at(&vm.url(), &[], &args).ok().table();
    let cells = |rows: &[std::collections::HashMap<String, String>]| {
        let r = common::row(rows, "web");
        ["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P99", "TCP_CONN", "READ_BYTES/SEC", "WRITE_BYTES/SEC"]
            .map(|c| r[c].clone())
    };
    assert_eq!(cells(&prom), ["93.33%", "3.0rps", "16ms", "47ms", "5", "470.0B/s", "6500.0B/s"]);
    assert_eq!(cells(&victoria), ["93.33%", "4.0rps", "16ms", "47ms", "5", "626.7B/s", "8666.7B/s"]);

    // Between samples only one sample is inside a 15 s window: Prometheus has no increase and no
    // irate (`-`, latency 0), VictoriaMetrics still answers from the sample before the window.
    let at = (EVAL_TIME as f64 - 3.7).to_string();
    let e = common::env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let run = |url: &str, cmd: &[&str]| {
        let mut full = vec!["--prometheus-url", url, "--at", &at, "--kubeconfig", &kubeconfig, "-t", "15s"];
        full.extend(cmd);
        lviz_raw(&full, &[]).ok()
    };
    let cmd = ["stat", "deploy/web", "-n", "emojivoto"];
    let prom = run(&e.prometheus_url, &cmd).table();
    assert_eq!(common::row(&prom, "web")["RPS"], "-");
    let victoria = run(&vm.url(), &cmd).table();
    assert_eq!(common::row(&victoria, "web")["RPS"], "2.0rps");
    let gateways = ["gateways", "-o", "json"];
    let prom = run(&e.prometheus_url, &gateways).json();
    let victoria = run(&vm.url(), &gateways).json();
    assert_eq!(prom[0]["latency_ms_p50"], 0);
    assert_eq!(victoria[0]["latency_ms_p50"], 26);
}

/// Where the TSDB status has no head statistics (VictoriaMetrics), the newest Linkerd proxy
/// sample of the 7 days before the evaluation time still tells the hint that the data ends
/// before it.
#[test]
fn victoria_metrics_names_the_newest_sample_for_an_evaluation_time_after_the_data() {
    let vm = victoria();
    let three_days_later = (EVAL_TIME + 3 * 86_400).to_string();
    let e = common::env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let run = lviz_raw(
        &["--prometheus-url", &vm.url(), "--kubeconfig", &kubeconfig, "stat", "deploy", "-n", "emojivoto"],
        &[("LVIZ_AT", &three_days_later)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hint = run.stderr.lines().find(|l| l.starts_with("hint: ")).unwrap_or_default();
    assert!(
        hint.starts_with(
            "hint: Prometheus's newest sample is at 2026-01-01T00:20:00Z, 3 days before 2026-01-04T00:20:00Z"
        ),
        "{}",
        run.stderr
    );
}
