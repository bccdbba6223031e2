//! Which Prometheus a test runs: Debian 12's 2.42 from `PATH` (the default), or Debian sid's 3.5.3
//! unpacked by `scripts/fetch-prometheus3` (`LVIZ_PROMETHEUS3_DIR`, else the script's default
//! cache folder). Owns finding the binaries and the skip-or-fail rule for absent 3.x binaries.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::process::find_binary;

/// A Prometheus release line, with the behaviours tests care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Debian 12's `prometheus` 2.42 (`apt-get install prometheus`), found on `PATH`: range
    /// selectors include both ends; `le` kept as written.
    #[default]
    V2,
    /// Debian sid's 3.5.3 (`scripts/fetch-prometheus3`): left-open range selectors; `le` of a typed
    /// histogram stored in float form (`"1.0"`); native histograms, including classic ones
    /// converted to custom buckets (NHCB).
    V3,
}

/// Environment variable naming the folder that holds the 3.x `prometheus` and `promtool`.
pub const PROMETHEUS3_DIR_ENV: &str = "LVIZ_PROMETHEUS3_DIR";
/// Set to `1` to make tests fail, instead of skip, when Prometheus 3 is absent.
pub const REQUIRE_PROMETHEUS3_ENV: &str = "LVIZ_REQUIRE_PROMETHEUS3";

/// Where `scripts/fetch-prometheus3` puts the binaries by default:
/// `${XDG_CACHE_HOME:-$HOME/.cache}/lviz/prometheus-3.5.3/bin`.
pub fn default_prometheus3_dir() -> Option<PathBuf> {
    let cache = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(cache.join("lviz").join("prometheus-3.5.3").join("bin"))
}

/// The folder to take Prometheus 3 from: `LVIZ_PROMETHEUS3_DIR`, else the default cache folder.
pub fn prometheus3_dir() -> Option<PathBuf> {
    match std::env::var_os(PROMETHEUS3_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => default_prometheus3_dir(),
    }
}

/// Whether both 3.x binaries are there.
pub fn prometheus3_available() -> bool {
    prometheus3_dir().is_some_and(|d| d.join("prometheus").is_file() && d.join("promtool").is_file())
}

/// `(prometheus, promtool)` of a flavor, or how to get them.
pub(crate) fn binaries(flavor: Flavor) -> Result<(PathBuf, PathBuf)> {
    match flavor {
        Flavor::V2 => Ok((find_binary("prometheus", "prometheus")?, find_binary("promtool", "prometheus")?)),
        Flavor::V3 => {
            let Some(dir) = prometheus3_dir() else {
                bail!("no folder for Prometheus 3: set {PROMETHEUS3_DIR_ENV} or HOME");
            };
            let (prometheus, promtool) = (dir.join("prometheus"), dir.join("promtool"));
            if !prometheus.is_file() || !promtool.is_file() {
                bail!(
                    "Prometheus 3.5.3 not found in {}: run scripts/fetch-prometheus3 (or set {PROMETHEUS3_DIR_ENV})",
                    dir.display()
                );
            }
            Ok((prometheus, promtool))
        }
    }
}

/// Whether a test needing Prometheus 3 should run: true when the binaries are there; otherwise
/// a note on stderr and false, or a panic when `LVIZ_REQUIRE_PROMETHEUS3=1`.
pub fn require_prometheus3(test: &str) -> bool {
    if prometheus3_available() {
        return true;
    }
    let dir = prometheus3_dir().map(|d| d.display().to_string()).unwrap_or_else(|| "(no HOME)".into());
    let why =
        format!("Prometheus 3.5.3 not found in {dir}: run scripts/fetch-prometheus3 or set {PROMETHEUS3_DIR_ENV}");
    if std::env::var(REQUIRE_PROMETHEUS3_ENV).as_deref() == Ok("1") {
        panic!("{test}: {why} ({REQUIRE_PROMETHEUS3_ENV}=1)");
    }
    eprintln!("note: skipping {test}: {why}");
    false
}
