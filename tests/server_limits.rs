//! `lviz serve` under hostile clients (issue 17, item 5), over raw TCP against the real binary:
//! the HTTP layer's own refusals (malformed request, long request line, huge headers, a
//! stalled body) answer the spec's error object; slow-header connections are closed after
//! `--header-read-timeout`; connections past `--max-connections` get 503; and SIGTERM ends the
//! server at once when only idle or half-open connections remain.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env, lviz_bin};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut child = Command::new(lviz_bin())
        .args(["--prometheus-url", &e.prometheus_url, "--kubeconfig", &kubeconfig, "serve", "--addr", "127.0.0.1:0"])
        .args(["--grpc-addr", "off", "--admin-addr", "off"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .env("HOME", e.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lviz serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let addr = first.strip_prefix("lviz serve: listening on http://").map(|a| a.trim().to_string());
    Server { child, addr: addr.unwrap_or_else(|| panic!("lviz serve did not start: {first:?}")) }
}

/// Sends `bytes` and reads the answer until the server closes (or 10 s pass).
fn exchange(addr: &str, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.write_all(bytes).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Asserts `answer` is `status` with exactly the spec's error object; returns the message.
fn error_object(answer: &str, status: u16) -> String {
    assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no body: {answer}"));
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    let message = json["error"]["error"].as_str().unwrap_or_else(|| panic!("no error object: {json}")).to_string();
    assert_eq!(json, serde_json::json!({"error": {"error": message}}));
    message
}

#[test]
fn the_http_layer_answers_with_error_objects() {
    let server = start(&["--header-read-timeout", "1s"]);
    let addr = &server.addr;
    error_object(&exchange(addr, b"GARBAGE\x01 / HTTP/1.1\r\n\r\n"), 400);
    let long = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(10_000));
    error_object(&exchange(addr, long.as_bytes()), 414);
    let huge = format!("GET /ready HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "b".repeat(40_000));
    error_object(&exchange(addr, huge.as_bytes()), 431);
    let enormous = format!("GET /ready HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "b".repeat(400_000));
    error_object(&exchange(addr, enormous.as_bytes()), 431);
    // A body that stalls after 10 of its 100 bytes: 408 once the read timeout passes.
    let started = Instant::now();
    let stalled = b"POST /api/v1/stat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"resource";
    let message = error_object(&exchange(addr, stalled), 408);
    assert!(message.contains("--header-read-timeout"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn slow_clients_are_bounded_and_do_not_hold_shutdown() {
    let mut server = start(&["--header-read-timeout", "1s", "--max-connections", "3"]);
    let addr = server.addr.clone();
    // Three connections that never finish their headers hold every slot.
    let mut slow: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(b"GET /ready HTTP/1.1\r\nhost: x\r\n").expect("send");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let refused = exchange(&addr, b"GET /ready HTTP/1.1\r\nhost: x\r\n\r\n");
    let message = error_object(&refused, 503);
    assert!(message.contains("--max-connections 3"), "{message}");
    // The server closes them once the header read timeout passes.
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let started = Instant::now();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
        assert!(started.elapsed() < Duration::from_secs(3), "held for {:?}", started.elapsed());
    }
    // A half-open connection and an idle keep-alive one do not delay SIGTERM.
    let mut half = TcpStream::connect(&addr).expect("connect");
    half.write_all(b"GET /ready HTTP/1.1\r\nho").expect("send");
    let mut idle = TcpStream::connect(&addr).expect("connect");
    idle.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n").expect("send");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).expect("an answer");
    let started = Instant::now();
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(3), "SIGTERM took longer than 3 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

/// A request's names, namespaces and label selector are the caller's input: 400 with the
/// Kubernetes wording, before any backend is asked (a bad selector used to be a 502).
#[test]
fn invalid_names_and_selectors_are_400() {
    let server = start(&[]);
    let post = |body: &str| {
        let request = format!(
            "POST /api/v1/stat HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        exchange(&server.addr, request.as_bytes())
    };
    let message =
        error_object(&post(r#"{"resource_type":"deployment","resource_name":"web#x","namespace":"emojivoto"}"#), 400);
    assert!(
        message.starts_with(r#"resource_name: Invalid value: "web#x": a lowercase RFC 1123 subdomain"#),
        "{message}"
    );
    let message = error_object(&post(r#"{"resource_type":"deployment","namespace":"../../api"}"#), 400);
    assert!(message.starts_with(r#"namespace: Invalid value: "../../api""#), "{message}");
    let message =
        error_object(&post(r#"{"resource_type":"deployment","namespace":"emojivoto","label_selector":"app=("}"#), 400);
    assert!(message.starts_with(r#"invalid label selector "app=(""#), "{message}");
}
