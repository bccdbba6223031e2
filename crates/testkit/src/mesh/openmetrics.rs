//! Writes a mesh's series as timestamped samples every 10 s: OpenMetrics for `promtool tsdb
//! create-blocks-from openmetrics` (seconds, `# EOF`), or Prometheus text with millisecond
//! timestamps for VictoriaMetrics' `/api/v1/import/prometheus`; and, for scraping, one time step
//! as a Prometheus text exposition ([`Exposition`]).
//!
//! Counters follow `value(t) = (BASE + (t − start)/10) × per10s` (§7.5); every `le` series is
//! written from the first sample (§6.2); lines are grouped by family, then by series, with
//! ascending timestamps (the block writer rejects anything else).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::series::{HistogramFamily, Labels, SeriesSet};
use super::{BASE, Mesh, STEP, Shard};

/// How sample timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    /// OpenMetrics: seconds, file ends with `# EOF`.
    Seconds,
    /// OpenMetrics like [`TimestampUnit::Seconds`], with a `# TYPE` line per family (`histogram`
    /// for histograms, `unknown` otherwise). Prometheus 3 then stores `le` in float form
    /// (`le="1.0"`), as it does for a scraped proxy; without the lines it keeps `le="1"`.
    SecondsTyped,
    /// Prometheus text exposition with millisecond timestamps, no `# EOF`.
    Milliseconds,
}

fn escape(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `name{a="x",b="y"` without the closing brace, so `le` can be appended.
fn open_series(name: &str, labels: &Labels) -> String {
    let mut s = String::with_capacity(64 + labels.len() * 32);
    s.push_str(name);
    s.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        escape(v, &mut s);
        s.push('"');
    }
    s
}

fn close_series(mut open: String, labels: &Labels, le: Option<&str>) -> String {
    if let Some(le) = le {
        if !labels.is_empty() {
            open.push(',');
        }
        let _ = write!(open, "le=\"{le}\"");
    }
    open.push('}');
    open
}

struct Writer<'a, W: Write> {
    out: &'a mut W,
    start: i64,
    end: i64,
    unit: TimestampUnit,
    line: String,
}

impl<W: Write> Writer<'_, W> {
    /// One series: `value(k)` for k = BASE, BASE+1, … at start, start+10, …
    fn series(&mut self, head: &str, value: impl Fn(u64) -> u64) -> io::Result<()> {
        self.series_text(head, |k, line| {
            let _ = write!(line, "{}", value(k));
        })
    }

    /// Like [`Writer::series`], with the value written by `value` (for decimal `_sum`s).
    fn series_text(&mut self, head: &str, value: impl Fn(u64, &mut String)) -> io::Result<()> {
        let mut t = self.start;
        while t <= self.end {
            let k = (BASE + (t - self.start) / STEP) as u64;
            let ts = match self.unit {
                TimestampUnit::Seconds | TimestampUnit::SecondsTyped => t,
                TimestampUnit::Milliseconds => t * 1000,
            };
            self.line.clear();
            self.line.push_str(head);
            self.line.push(' ');
            value(k, &mut self.line);
            let _ = writeln!(self.line, " {ts}");
            self.out.write_all(self.line.as_bytes())?;
            t += STEP;
        }
        Ok(())
    }

    fn type_line(&mut self, family: &str, kind: &str) -> io::Result<()> {
        if self.unit == TimestampUnit::SecondsTyped {
            writeln!(self.out, "# TYPE {family} {kind}")?;
        }
        Ok(())
    }

    fn histogram(&mut self, family: &str, hist: &HistogramFamily) -> io::Result<()> {
        self.type_line(family, "histogram")?;
        let bucket_name = format!("{family}_bucket");
        let les = hist.layout.les();
        for (labels, buckets) in &hist.series {
            let open = open_series(&bucket_name, labels);
            let mut cumulative = 0;
            for (i, le) in les.iter().enumerate() {
                cumulative += buckets[i];
                let per10s = cumulative;
                let head = close_series(open.clone(), labels, Some(le));
                self.series(&head, |k| k * per10s)?;
            }
        }
        let count_name = format!("{family}_count");
        for (labels, buckets) in &hist.series {
            let per10s: u64 = buckets.iter().sum();
            let head = close_series(open_series(&count_name, labels), labels, None);
            self.series(&head, |k| k * per10s)?;
        }
        // Nothing in viz reads `_sum`; see `Layout::sum_ms` for the values.
        let sum_name = format!("{family}_sum");
        for (labels, buckets) in &hist.series {
            let per10s = hist.layout.sum_ms(buckets);
            let head = close_series(open_series(&sum_name, labels), labels, None);
            let layout = hist.layout;
            self.series_text(&head, |k, line| line.push_str(&layout.sum_text(k * per10s)))?;
        }
        Ok(())
    }
}

impl Mesh {
    /// Writes OpenMetrics text with a sample every 10 s from `start` to `end` inclusive
    /// (timestamps in seconds, ending with `# EOF`). Both must be multiples of 10.
    pub fn write_openmetrics(&self, start: i64, end: i64, out: &mut impl Write) -> io::Result<()> {
        self.write_samples(start, end, TimestampUnit::Seconds, out)
    }

    /// Writes every series with a sample every 10 s from `start` to `end` inclusive.
    pub fn write_samples(&self, start: i64, end: i64, unit: TimestampUnit, out: &mut impl Write) -> io::Result<()> {
        self.write_shard(&self.whole(), start, end, unit, out).map(|_| ())
    }

    /// Writes the series of one shard like [`Mesh::write_samples`] (a complete document: with
    /// [`TimestampUnit::Seconds`] it ends with `# EOF`) and returns how many series it wrote. Only
    /// the shard's series are held in memory meanwhile.
    pub fn write_shard(
        &self,
        shard: &Shard,
        start: i64,
        end: i64,
        unit: TimestampUnit,
        out: &mut impl Write,
    ) -> io::Result<u64> {
        if start % STEP != 0 || end % STEP != 0 || end < start {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("start {start} and end {end} must be multiples of {STEP} with start <= end"),
            ));
        }
        let set = self.series(shard);
        let mut w = Writer { out, start, end, unit, line: String::with_capacity(512) };
        // One ordered list of families so that names never interleave.
        let mut names: Vec<(&str, u8)> = Vec::new();
        names.extend(set.counters.keys().map(|n| (*n, 0)));
        names.extend(set.gauges.keys().map(|n| (*n, 1)));
        names.extend(set.histograms.keys().map(|n| (*n, 2)));
        names.sort();
        let mut written = 0;
        for (name, kind) in names {
            match kind {
                0 => {
                    w.type_line(name, "unknown")?;
                    for (labels, per10s) in &set.counters[name] {
                        let head = close_series(open_series(name, labels), labels, None);
                        let per10s = *per10s;
                        w.series(&head, |k| k * per10s)?;
                    }
                    written += set.counters[name].len() as u64;
                }
                1 => {
                    w.type_line(name, "gauge")?;
                    for (labels, value) in &set.gauges[name] {
                        let head = close_series(open_series(name, labels), labels, None);
                        let value = *value;
                        w.series(&head, |_| value)?;
                    }
                    written += set.gauges[name].len() as u64;
                }
                _ => {
                    let hist = &set.histograms[name];
                    w.histogram(name, hist)?;
                    written += hist.series.len() as u64 * hist.layout.series_count();
                }
            }
        }
        if unit != TimestampUnit::Milliseconds {
            w.out.write_all(b"# EOF\n")?;
        }
        Ok(written)
    }
}

/// A mesh's series served one time step at a time, as a Prometheus text exposition (format
/// 0.0.4) with explicit millisecond timestamps, for a Prometheus that scrapes instead of
/// backfilling (native histograms, see `prometheus::native`). Every family carries its `# TYPE`
/// and each histogram's series are grouped by label set (buckets, `_sum`, `_count`), as
/// Prometheus needs to convert classic histograms to native ones.
pub struct Exposition {
    set: SeriesSet,
    start: i64,
}

impl Mesh {
    /// Every series of the mesh, to be written at steps of the data starting at `start` (so that
    /// the values equal those of a backfill over `start..`).
    pub fn exposition(&self, start: i64) -> Exposition {
        Exposition { set: self.series(&self.whole()), start }
    }
}

impl Exposition {
    /// The samples at `t` (a multiple of 10 s, not before the start).
    pub fn write_step(&self, t: i64, out: &mut String) {
        let k = (BASE + (t - self.start) / STEP) as u64;
        let ts = t * 1000;
        let mut names: Vec<(&str, u8)> = Vec::new();
        names.extend(self.set.counters.keys().map(|n| (*n, 0)));
        names.extend(self.set.gauges.keys().map(|n| (*n, 1)));
        names.extend(self.set.histograms.keys().map(|n| (*n, 2)));
        names.sort();
        let sample = |out: &mut String, name: &str, labels: &Labels, le: Option<&str>, value: &str| {
            let _ = writeln!(out, "{} {value} {ts}", close_series(open_series(name, labels), labels, le));
        };
        for (name, kind) in names {
            match kind {
                0 => {
                    let _ = writeln!(out, "# TYPE {name} counter");
                    for (labels, per10s) in &self.set.counters[name] {
                        sample(out, name, labels, None, &(k * per10s).to_string());
                    }
                }
                1 => {
                    let _ = writeln!(out, "# TYPE {name} gauge");
                    for (labels, value) in &self.set.gauges[name] {
                        sample(out, name, labels, None, &value.to_string());
                    }
                }
                _ => write_histogram_step(out, name, &self.set.histograms[name], k, &sample),
            }
        }
    }

    /// A selector of one counter series present at every step: how a loader sees a step stored.
    pub fn sentinel(&self) -> Option<String> {
        let (name, series) = self.set.counters.iter().find(|(_, s)| !s.is_empty())?;
        let (labels, _) = series.iter().next()?;
        Some(close_series(open_series(name, labels), labels, None))
    }

    /// Number of series in the exposition (classic histograms counted bucket by bucket).
    pub fn series(&self) -> u64 {
        let count = |m: &BTreeMap<&'static str, BTreeMap<Labels, u64>>| m.values().map(|s| s.len() as u64).sum::<u64>();
        let hist: u64 = self.set.histograms.values().map(|h| h.series.len() as u64 * h.layout.series_count()).sum();
        count(&self.set.counters) + count(&self.set.gauges) + hist
    }
}

fn write_histogram_step(
    out: &mut String,
    name: &str,
    hist: &HistogramFamily,
    k: u64,
    sample: &impl Fn(&mut String, &str, &Labels, Option<&str>, &str),
) {
    let _ = writeln!(out, "# TYPE {name} histogram");
    let les = hist.layout.les();
    let (bucket, sum, count) = (format!("{name}_bucket"), format!("{name}_sum"), format!("{name}_count"));
    for (labels, buckets) in &hist.series {
        let mut cumulative = 0;
        for (i, le) in les.iter().enumerate() {
            cumulative += buckets[i];
            sample(out, &bucket, labels, Some(le), &(k * cumulative).to_string());
        }
        sample(out, &sum, labels, None, &hist.layout.sum_text(k * hist.layout.sum_ms(buckets)));
        sample(out, &count, labels, None, &(k * cumulative).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DATA_START, Mesh, Shard};
    use super::TimestampUnit;

    /// The sample lines of `shard` (without `# EOF`) and the series count it reports.
    fn lines(mesh: &Mesh, shard: &Shard) -> (Vec<String>, u64) {
        let mut out = Vec::new();
        let series =
            mesh.write_shard(shard, DATA_START, DATA_START + 20, TimestampUnit::Seconds, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.ends_with("# EOF\n"), "each shard is a complete OpenMetrics document");
        let lines: Vec<String> = text.lines().filter(|l| !l.starts_with('#')).map(str::to_string).collect();
        assert_eq!(lines.len() as u64, series * 3, "three samples per series");
        (lines, series)
    }

    /// Every series in exactly one shard: the shards' lines, as a multiset, are the whole mesh's.
    fn assert_partition(mesh: &Mesh, count: usize) -> usize {
        let (mut whole, whole_series) = lines(mesh, &mesh.whole());
        assert!(!whole.is_empty());
        let shards = mesh.shards(count);
        assert!(!shards.is_empty() && shards.len() <= count, "{count} → {shards:?}");
        assert_eq!(shards[0].pods.start, 0);
        assert_eq!(shards.last().expect("a shard").pods.end, mesh.pod_count());
        assert!(shards.windows(2).all(|w| w[0].pods.end == w[1].pods.start && !w[1].pods.is_empty()), "{shards:?}");
        assert_eq!(shards.iter().filter(|s| s.global).count(), 1, "mesh-wide series in exactly one shard");
        let mut union = Vec::new();
        let mut union_series = 0;
        for shard in &shards {
            let (lines, series) = lines(mesh, shard);
            union.extend(lines);
            union_series += series;
        }
        assert_eq!(union_series, whole_series);
        whole.sort_unstable();
        union.sort_unstable();
        assert!(union == whole, "{count} shards: {} lines against {} for the whole mesh", union.len(), whole.len());
        shards.len()
    }

    #[test]
    fn shards_partition_the_series() {
        // emojivoto: gateways (no pod), unmeshed pods, ServiceProfile routes.
        let emojivoto = Mesh::emojivoto();
        assert!(!emojivoto.gateways.is_empty());
        for count in [1, 2, 3, 5, 8, 1000] {
            assert_partition(&emojivoto, count);
        }
        let scaled = Mesh::scaled(4, 3, 2);
        for count in [1, 2, 3, 4, 7] {
            assert_eq!(assert_partition(&scaled, count), count, "shards of similar size");
        }
        assert_partition(&scaled, 1000);
    }

    #[test]
    fn series_estimate_bounds_the_series() {
        for mesh in [Mesh::emojivoto(), Mesh::scaled(4, 3, 2), Mesh::scaled(3, 10, 3)] {
            let mut sink = std::io::sink();
            let series = mesh.write_shard(&mesh.whole(), DATA_START, DATA_START, TimestampUnit::Seconds, &mut sink);
            let series = series.expect("write");
            let estimate = mesh.series_estimate();
            // An upper bound, and a close one: flows rarely share a label set.
            assert!(estimate >= series && estimate <= series + series / 4, "estimate {estimate}, series {series}");
        }
    }
}
