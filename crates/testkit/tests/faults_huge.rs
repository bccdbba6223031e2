//! Fault server, huge bodies: the catalog's 300 MB answer streams every promised byte while the
//! process's peak memory stays flat (its own test binary, so the peak is this test's alone).

use std::time::{Duration, Instant};

use lviz_testkit::faults::{Backend, Fault, HUGE_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Peak resident memory of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).expect("value").parse().expect("number");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_streams_every_byte_with_flat_memory() {
    let case = Fault::catalog_for(Backend::Prometheus).into_iter().find(|c| c.name == "huge-answer").expect("case");
    assert!(case.heavy);
    let server = case.start().await.expect("start");
    let before = peak_rss();
    let started = Instant::now();

    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.expect("connect");
    stream.write_all(b"GET /api/v1/query?query=up HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buf = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let mut total: u64 = 0;
    let mut first = Vec::new();
    let mut last = Vec::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("progress")
            .expect("read");
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if head.is_empty() || !head.ends_with(b"\r\n\r\n") {
            let at = chunk.windows(4).position(|w| w == b"\r\n\r\n").map_or(n, |p| p + 4);
            head.extend_from_slice(&chunk[..at]);
            chunk = &chunk[at..];
        }
        if first.len() < 128 {
            first.extend_from_slice(&chunk[..chunk.len().min(128 - first.len())]);
        }
        if !chunk.is_empty() {
            last = chunk[chunk.len().saturating_sub(8)..].to_vec();
        }
        total += chunk.len() as u64;
    }
    let head = String::from_utf8_lossy(&head);
    let declared: u64 =
        head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).expect("Content-Length").parse().expect("number");
    assert_eq!(total, declared, "every promised byte arrives");
    assert!(declared > HUGE_BYTES - 1000 && declared <= HUGE_BYTES, "{declared}");
    assert!(
        first.starts_with(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric""#),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    assert!(last.ends_with(b"\"1\"]}]}}"), "{:?}", String::from_utf8_lossy(&last));
    let grown = peak_rss().saturating_sub(before);
    eprintln!("{declared} bytes in {:?}, peak RSS grew {} KiB", started.elapsed(), grown / 1024);
    assert!(grown < 32 << 20, "peak RSS grew {grown} bytes while streaming {declared}");
}
