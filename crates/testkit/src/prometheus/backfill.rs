//! Loading a mesh into a TSDB by backfill: the mesh's OpenMetrics, shard by shard, through
//! `promtool tsdb create-blocks-from openmetrics`.
//!
//! A large mesh is backfilled in shards ([`Mesh::shards`]): promtool holds its whole input in
//! memory (mmapped) plus every series of it in a head, so one file of the 10× benchmark mesh
//! (≈ 40 GB for 3 minutes) fits neither the disk nor the memory of a test machine.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::process::{log_tail, run_sampled};
use super::{Flavor, PrometheusOptions};
use crate::mesh::{Mesh, STEP, TimestampUnit};

/// Most OpenMetrics bytes one shard's file may hold when the shard count is chosen
/// ([`auto_shards`]). promtool mmaps its whole input and reads it twice, so this bounds the disk
/// the loader needs besides the TSDB and the file-backed part of promtool's memory. 2 GB keeps a
/// promtool run at 2–3 GB of RSS (measured, 1× mesh × 3 minutes: 3 shards of ≈ 1.4 GB peaked at
/// 2.2 GB, one 4.1 GB file at 6.6 GB) and gives the 10× mesh × 3 minutes ≈ 23 shards: enough
/// that Prometheus opens and compacts the overlapping blocks in about a minute.
const SHARD_BYTES: u64 = 2_000_000_000;

/// Most series one shard may hold when the shard count is chosen: promtool keeps every series of
/// its input in an in-memory head (≈ 8 kB per series, measured as above) and the generator holds
/// the shard's label sets, whatever the number of samples; this bounds both (≈ 2 GB of head) when
/// few samples make the files small.
const SHARD_SERIES: u64 = 250_000;

/// Average bytes of one OpenMetrics sample line, for sizing shards: ≈ 660 for the scaled mesh
/// (13.3 GB for 330,900 series × 61 samples), less for emojivoto; rounded up so that the
/// estimate errs towards more shards.
const LINE_BYTES: u64 = 700;

/// The number of shards a backfill of `mesh` over `start..=end` uses unless
/// [`PrometheusOptions::shards`] says otherwise: the fewest that keep every shard under
/// [`SHARD_BYTES`] of OpenMetrics and [`SHARD_SERIES`] series, by the mesh's upper-bound series
/// estimate. Small meshes (emojivoto, the tests' scaled ones) get one.
pub fn auto_shards(mesh: &Mesh, start: i64, end: i64) -> usize {
    let series = mesh.series_estimate();
    let samples = ((end - start) / STEP + 1).max(1) as u64;
    let by_bytes = (series * samples * LINE_BYTES).div_ceil(SHARD_BYTES);
    let by_series = series.div_ceil(SHARD_SERIES);
    by_bytes.max(by_series).max(1) as usize
}

/// What loading the mesh took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backfill {
    /// Shards written, one OpenMetrics file and one promtool run each.
    pub shards: usize,
    /// Series written, over all shards.
    pub series: u64,
    /// OpenMetrics bytes written, over all shards.
    pub bytes: u64,
    /// The largest shard's OpenMetrics file, the most disk the loader held at once.
    pub largest_file: u64,
    /// Peak resident memory of the largest promtool run, in kB, sampled from `/proc` every 50 ms
    /// (so possibly a little low); it counts the pages of the mmapped input file. `None` when
    /// `/proc` did not tell.
    pub promtool_peak_rss_kb: Option<u64>,
}

/// Loads `mesh` over `opts.start..=opts.end` into the TSDB at `tsdb`, shard by shard: each
/// shard's OpenMetrics file is written to `dir`, turned into blocks by promtool and deleted before
/// the next one is written, so disk and memory hold one shard at a time (the mesh model aside).
///
/// Blocks of different shards cover the same time range with disjoint series. Prometheus 2.42
/// opens such overlapping blocks without any flag (`--storage.tsdb.allow-overlapping-blocks` is
/// a no-op since 2.39), merges them at query time, and compacts them into one block in the
/// background about a minute after starting ([`PrometheusServer::wait_compacted`]).
pub(crate) fn backfill(
    mesh: &Mesh,
    opts: &PrometheusOptions,
    promtool: &Path,
    dir: &Path,
    tsdb: &Path,
) -> Result<Backfill> {
    let count = opts.shards.unwrap_or_else(|| auto_shards(mesh, opts.start, opts.end));
    // Prometheus 3 normalises `le` of typed histograms only: type them, as a proxy's scrape is.
    let unit = match opts.flavor {
        Flavor::V2 => TimestampUnit::Seconds,
        Flavor::V3 => TimestampUnit::SecondsTyped,
    };
    let data = dir.join("data.om");
    let log = dir.join("promtool.log");
    let mut report = Backfill::default();
    for shard in mesh.shards(count) {
        let series = {
            let file = fs::File::create(&data).with_context(|| format!("creating {}", data.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let series =
                mesh.write_shard(&shard, opts.start, opts.end, unit, &mut w).context("writing OpenMetrics data")?;
            w.flush()?;
            series
        };
        let bytes = fs::metadata(&data)?.len();
        let mut command = Command::new(promtool);
        command.args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&data).arg(tsdb);
        let (status, peak) =
            run_sampled(&mut command, &log).with_context(|| format!("running {}", promtool.display()))?;
        if !status.success() {
            bail!("promtool tsdb create-blocks-from openmetrics failed ({status}):\n{}", log_tail(&log));
        }
        // The OpenMetrics file is large and no longer needed.
        let _ = fs::remove_file(&data);
        report.shards += 1;
        report.series += series;
        report.bytes += bytes;
        report.largest_file = report.largest_file.max(bytes);
        report.promtool_peak_rss_kb = report.promtool_peak_rss_kb.max(peak);
    }
    Ok(report)
}

/// Time ranges (`minTime`, `maxTime`) of the blocks in a TSDB directory.
pub(crate) fn block_ranges(tsdb: &Path) -> Result<Vec<(i64, i64)>> {
    let mut ranges = Vec::new();
    for entry in fs::read_dir(tsdb).with_context(|| format!("listing {}", tsdb.display()))? {
        let entry = entry?;
        // Blocks being written or deleted have a temporary directory name, or no meta.json yet.
        if entry.file_name().to_string_lossy().contains(".tmp") {
            continue;
        }
        let meta = entry.path().join("meta.json");
        let Ok(text) = fs::read_to_string(&meta) else { continue };
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", meta.display()))?;
        if let (Some(min), Some(max)) = (v["minTime"].as_i64(), v["maxTime"].as_i64()) {
            ranges.push((min, max));
        }
    }
    ranges.sort();
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{DATA_END, DATA_START, EVAL_TIME};

    #[test]
    fn only_large_meshes_are_sharded() {
        assert_eq!(auto_shards(&Mesh::emojivoto(), DATA_START, DATA_END), 1);
        assert_eq!(auto_shards(&Mesh::scaled(4, 3, 2), DATA_START, DATA_END), 1);
        assert_eq!(auto_shards(&Mesh::scaled(10, 10, 3), EVAL_TIME - 600, EVAL_TIME), 1);
        // 1×: 387,900 series (330,900 without the route families), ≈ 5.2 GB for 3 minutes,
        // ≈ 16.6 GB for 10.
        let one_x = Mesh::scaled(100, 10, 3);
        assert_eq!(auto_shards(&one_x, EVAL_TIME - 180, EVAL_TIME), 3);
        assert_eq!(auto_shards(&one_x, EVAL_TIME - 600, EVAL_TIME), 9);
        // Few samples: the series bound decides.
        assert_eq!(auto_shards(&one_x, EVAL_TIME, EVAL_TIME), 2);
    }
}
