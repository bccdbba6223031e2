//! What the bench reports about where it ran: the machine, this process's peak memory, the
//! size of Prometheus's data.

use std::path::Path;
use std::process::Command;

fn shell_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The machine, as BENCHMARKS.md lists it under each table.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_default();
    let prom = shell_output("prometheus", &["--version"]);
    format!(
        "- nproc: {}\n- CPU: {cpu}\n- memory (`free -h`):\n```\n{}\n```\n- Prometheus: {}\n",
        shell_output("nproc", &[]),
        shell_output("free", &["-h"]),
        prom.lines().next().unwrap_or_default()
    )
}

/// This process's peak resident set (`VmHWM`) in kB: the mesh model, the shard being generated
/// and the Kubernetes objects.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
