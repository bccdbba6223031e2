//! Writes a mesh's series as timestamped samples every 10 s: OpenMetrics for `promtool tsdb
//! create-blocks-from openmetrics` (seconds, `# EOF`), or Prometheus text with millisecond
//! timestamps for VictoriaMetrics' `/api/v1/import/prometheus`.
//!
//! Counters follow `value(t) = (BASE + (t − start)/10) × per10s` (§7.5); every `le` series is
//! written from the first sample (§6.2); lines are grouped by family, then by series, with
//! ascending timestamps (the block writer rejects anything else).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::series::{Buckets, Labels};
use super::{BASE, LATENCY_BOUNDS, Mesh, STEP};

/// How sample timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    /// OpenMetrics: seconds, file ends with `# EOF`.
    Seconds,
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
        let mut t = self.start;
        while t <= self.end {
            let k = (BASE + (t - self.start) / STEP) as u64;
            let ts = match self.unit {
                TimestampUnit::Seconds => t,
                TimestampUnit::Milliseconds => t * 1000,
            };
            self.line.clear();
            let _ = writeln!(self.line, "{head} {} {ts}", value(k));
            self.out.write_all(self.line.as_bytes())?;
            t += STEP;
        }
        Ok(())
    }

    fn histogram(&mut self, family: &str, series: &std::collections::BTreeMap<Labels, Buckets>) -> io::Result<()> {
        let bucket_name = format!("{family}_bucket");
        let les: Vec<String> = LATENCY_BOUNDS.iter().map(|b| b.to_string()).chain(["+Inf".to_string()]).collect();
        for (labels, buckets) in series {
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
        for (labels, buckets) in series {
            let per10s: u64 = buckets.iter().sum();
            let head = close_series(open_series(&count_name, labels), labels, None);
            self.series(&head, |k| k * per10s)?;
        }
        // The model has no exact observations: use each bucket's upper bound (+Inf as the last
        // finite bound). Nothing in viz reads `_sum`.
        let sum_name = format!("{family}_sum");
        for (labels, buckets) in series {
            let per10s: u64 = buckets
                .iter()
                .enumerate()
                .map(|(i, n)| n * u64::from(LATENCY_BOUNDS[i.min(LATENCY_BOUNDS.len() - 1)]))
                .sum();
            let head = close_series(open_series(&sum_name, labels), labels, None);
            self.series(&head, |k| k * per10s)?;
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
        if start % STEP != 0 || end % STEP != 0 || end < start {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("start {start} and end {end} must be multiples of {STEP} with start <= end"),
            ));
        }
        let set = self.series();
        let mut w = Writer { out, start, end, unit, line: String::with_capacity(512) };
        // One ordered list of families so that names never interleave.
        let mut names: Vec<(&str, u8)> = Vec::new();
        names.extend(set.counters.keys().map(|n| (*n, 0)));
        names.extend(set.gauges.keys().map(|n| (*n, 1)));
        names.extend(set.histograms.keys().map(|n| (*n, 2)));
        names.sort();
        for (name, kind) in names {
            match kind {
                0 => {
                    for (labels, per10s) in &set.counters[name] {
                        let head = close_series(open_series(name, labels), labels, None);
                        let per10s = *per10s;
                        w.series(&head, |k| k * per10s)?;
                    }
                }
                1 => {
                    for (labels, value) in &set.gauges[name] {
                        let head = close_series(open_series(name, labels), labels, None);
                        let value = *value;
                        w.series(&head, |_| value)?;
                    }
                }
                _ => w.histogram(name, &set.histograms[name])?,
            }
        }
        if unit == TimestampUnit::Seconds {
            w.out.write_all(b"# EOF\n")?;
        }
        Ok(())
    }
}
