//! Prometheus 2.42's `histogram_quantile`, computed in lviz from the bucket rates Prometheus
//! returns for `sum(irate(<histogram>_bucket{…}[W])) by (le, …)`.
//!
//! Linkerd sends that same inner expression three times, wrapped in `histogram_quantile(0.5 |
//! 0.95 | 0.99, …)`; Prometheus then recomputes the (expensive) bucket rates for each. lviz's
//! query plan asks for the rates once and applies the quantile rule here. Prometheus still does
//! every sum, so the inputs are bit-for-bit the ones its own `histogram_quantile` would see; only
//! the interpolation is ours, and it follows the documented rule step by step, in the same
//! floating-point operation order, so the answers are identical, not merely close.
//!
//! Pure: no I/O, no clients. Owns nothing but the arithmetic and the grouping by labels.

use std::collections::{BTreeMap, HashMap};

use crate::Sample;

/// The label holding a bucket's upper bound.
pub const BUCKET_LABEL: &str = "le";

/// One cumulative bucket: observations less than or equal to `upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// Buckets ready for quantiles: sorted, merged by bound and made monotonic, or the reason
/// every quantile is NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    buckets: Vec<Bucket>,
    /// No `+Inf` bucket, fewer than two buckets, or no observations.
    nan: bool,
}

impl Histogram {
    /// Prepares raw buckets (any order) once, so several quantiles can be read from them.
    pub fn new(mut buckets: Vec<Bucket>) -> Self {
        // Ascending upper bounds. `total_cmp` orders every value (NaN bounds last, as no
        // Prometheus-written `le` is NaN); equal bounds are merged next, so their order only
        // decides the order of one addition.
        buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
        let has_inf = buckets.last().is_some_and(|b| b.upper_bound == f64::INFINITY);
        if !has_inf {
            return Histogram { buckets, nan: true };
        }
        let mut buckets = merge_equal_bounds(buckets);
        make_monotonic(&mut buckets);
        let nan = buckets.len() < 2 || buckets.last().is_some_and(|b| b.count == 0.0);
        Histogram { buckets, nan }
    }

    /// `histogram_quantile(q, …)` of these buckets.
    pub fn quantile(&self, q: f64) -> f64 {
        if q.is_nan() {
            return f64::NAN;
        }
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        if self.nan {
            return f64::NAN;
        }
        let b = &self.buckets;
        let n = b.len();
        let total = b[n - 1].count;
        let mut rank = q * total;
        // The first finite bucket whose cumulative count reaches the rank; `n - 1` (the +Inf
        // bucket) when none does.
        let i = search(n - 1, |i| b[i].count >= rank);
        if i == n - 1 {
            // Nothing is known about the +Inf bucket's spread: answer its lower bound.
            return b[n - 2].upper_bound;
        }
        if i == 0 && b[0].upper_bound <= 0.0 {
            return b[0].upper_bound;
        }
        let end = b[i].upper_bound;
        let mut start = 0.0;
        let mut count = b[i].count;
        if i > 0 {
            start = b[i - 1].upper_bound;
            count -= b[i - 1].count;
            rank -= b[i - 1].count;
        }
        // Same operation order as Prometheus, so the result is the same double.
        start + (end - start) * (rank / count)
    }
}

/// Adds up the counts of buckets with the same upper bound (e.g. `le="1"` and `le="1.0"`).
/// `buckets` is sorted and non-empty.
fn merge_equal_bounds(buckets: Vec<Bucket>) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets {
        match out.last_mut() {
            Some(last) if last.upper_bound == b.upper_bound => last.count += b.count,
            _ => out.push(b),
        }
    }
    out
}

/// Cumulative counts can dip when the rates of separately scraped series are summed at
/// slightly different instants; Prometheus raises each count to the largest one before it.
fn make_monotonic(buckets: &mut [Bucket]) {
    let mut max = f64::NEG_INFINITY;
    for b in buckets {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
        }
    }
}

/// The smallest `i` in `0..n` for which `found(i)` holds, or `n`, by bisection. The probe
/// order is that of Go's `sort.Search`, so a NaN count (which breaks monotonicity) still lands
/// on the bucket Prometheus would pick.
fn search(n: usize, found: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if found(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Bucket samples grouped into histograms by their labels other than `le` (and `__name__`),
/// fed one sample at a time so a big vector never has to be held whole: the streaming decoder
/// of the Prometheus client pushes each element as it reads it.
#[derive(Debug, Default)]
pub struct BucketGroups {
    groups: HashMap<BTreeMap<String, String>, Vec<Bucket>>,
}

impl BucketGroups {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one bucket sample. `labels` must not hold `le` or `__name__` (see
    /// [`group_labels`]); `le` is the bucket label's value, if the sample has one. Samples
    /// whose `le` is missing or not a number are skipped, as Prometheus skips them.
    pub fn push(&mut self, labels: BTreeMap<String, String>, le: Option<&str>, count: f64) {
        let Some(upper_bound) = le.and_then(parse_bound) else {
            return;
        };
        let bucket = Bucket { upper_bound, count };
        match self.groups.get_mut(&labels) {
            Some(buckets) => buckets.push(bucket),
            None => {
                self.groups.insert(labels, vec![bucket]);
            }
        }
    }

    /// Adds every bucket of `other` (another part of the same vector) to this one.
    pub fn merge(&mut self, other: BucketGroups) {
        if self.groups.is_empty() {
            self.groups = other.groups;
            return;
        }
        for (labels, buckets) in other.groups {
            self.groups.entry(labels).or_default().extend(buckets);
        }
    }

    /// How many histograms (groups) have been seen.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// One output vector per entry of `qs`, each with one sample per group.
    pub fn quantiles(self, qs: &[f64]) -> Vec<Vec<Sample>> {
        let mut out: Vec<Vec<Sample>> = qs.iter().map(|_| Vec::with_capacity(self.groups.len())).collect();
        for (labels, buckets) in self.groups {
            let histogram = Histogram::new(buckets);
            let last = qs.len().saturating_sub(1);
            let mut labels = Some(labels);
            for (i, (vector, q)) in out.iter_mut().zip(qs).enumerate() {
                // The last quantile takes the labels; the others copy them.
                let labels = if i == last { labels.take() } else { labels.clone() };
                vector.push(Sample { labels: labels.unwrap_or_default(), value: histogram.quantile(*q) });
            }
        }
        out
    }
}

/// Splits a bucket sample's labels into the group's labels and its `le` value: removes `le`
/// and `__name__` (which `histogram_quantile` drops) in place.
pub fn group_labels(labels: &mut BTreeMap<String, String>) -> Option<String> {
    labels.remove("__name__");
    labels.remove(BUCKET_LABEL)
}

/// `histogram_quantile` over an instant vector of buckets: samples are grouped by their labels
/// other than `le` (and `__name__`), samples whose `le` is not a number are skipped, and one
/// output vector per entry of `qs` is returned, each with one sample per group.
pub fn histogram_quantiles(samples: &[Sample], qs: &[f64]) -> Vec<Vec<Sample>> {
    let mut groups = BucketGroups::new();
    for s in samples {
        let mut labels = s.labels.clone();
        let le = group_labels(&mut labels);
        groups.push(labels, le.as_deref(), s.value);
    }
    groups.quantiles(qs)
}

/// Linkerd's three latency percentiles (p50, p95, p99): the `q` text of its queries and its value.
pub const QUANTILES: [(&str, f64); 3] = [("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99)];

/// The `q` values of Linkerd's three latency queries (p50, p95, p99).
pub fn latency_quantiles() -> [f64; 3] {
    QUANTILES.map(|(_, q)| q)
}

/// An `le` value as Go's `strconv.ParseFloat` reads the ones Prometheus stores (`"0.5"`,
/// `"50000"`, `"+Inf"`, `"1e+06"`).
fn parse_bound(le: &str) -> Option<f64> {
    le.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(pairs: &[(f64, f64)]) -> Histogram {
        Histogram::new(pairs.iter().map(|&(upper_bound, count)| Bucket { upper_bound, count }).collect())
    }

    fn q(pairs: &[(f64, f64)], q: f64) -> f64 {
        hist(pairs).quantile(q)
    }

    const INF: f64 = f64::INFINITY;

    #[test]
    fn interpolates_inside_the_bucket() {
        // 10 observations ≤ 10, 20 more ≤ 20: p50 = rank 15, 5 of the 20 in (10, 20].
        let b = [(10.0, 10.0), (20.0, 30.0), (INF, 30.0)];
        assert_eq!(q(&b, 0.5), 10.0 + 10.0 * (5.0 / 20.0));
        assert_eq!(q(&b, 0.95), 10.0 + 10.0 * ((0.95 * 30.0 - 10.0) / 20.0));
        assert_eq!(q(&b, 1.0), 20.0);
        // First bucket: from 0.
        assert_eq!(q(&b, 0.1), 10.0 * (3.0 / 10.0));
        assert_eq!(q(&b, 0.0), 0.0);
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let sorted = hist(&[(1.0, 1.0), (5.0, 4.0), (10.0, 9.0), (INF, 10.0)]);
        let shuffled = hist(&[(INF, 10.0), (5.0, 4.0), (1.0, 1.0), (10.0, 9.0)]);
        assert_eq!(sorted, shuffled);
        assert_eq!(sorted.quantile(0.5), 5.0 + 5.0 * (1.0 / 5.0));
    }

    #[test]
    fn rank_in_inf_bucket_is_largest_finite_bound() {
        let b = [(10.0, 1.0), (50_000.0, 2.0), (INF, 10.0)];
        assert_eq!(q(&b, 0.5), 50_000.0);
        assert_eq!(q(&b, 0.99), 50_000.0);
    }

    #[test]
    fn nan_cases() {
        // No +Inf bucket.
        assert!(q(&[(10.0, 1.0), (20.0, 2.0)], 0.5).is_nan());
        // Only the +Inf bucket.
        assert!(q(&[(INF, 5.0)], 0.5).is_nan());
        // No observations.
        assert!(q(&[(10.0, 0.0), (INF, 0.0)], 0.5).is_nan());
        // Empty.
        assert!(q(&[], 0.5).is_nan());
        assert!(q(&[(10.0, 1.0), (INF, 2.0)], f64::NAN).is_nan());
    }

    #[test]
    fn out_of_range_q_is_infinite_even_without_data() {
        assert_eq!(q(&[], -0.1), f64::NEG_INFINITY);
        assert_eq!(q(&[], 1.1), INF);
        assert_eq!(q(&[(10.0, 1.0), (INF, 2.0)], -1.0), f64::NEG_INFINITY);
        assert_eq!(q(&[(10.0, 1.0), (INF, 2.0)], 2.0), INF);
    }

    #[test]
    fn non_monotonic_counts_are_raised() {
        // 20 → 15 dips: raised to 20, so p50 (rank 15) is inside the first bucket.
        let b = [(10.0, 20.0), (20.0, 15.0), (INF, 30.0)];
        let h = hist(&b);
        assert_eq!(h.buckets[1].count, 20.0);
        assert_eq!(h.quantile(0.5), 10.0 * (15.0 / 20.0));
        // p90: rank 27 is past every finite bucket.
        assert_eq!(h.quantile(0.9), 20.0);
    }

    #[test]
    fn equal_bounds_are_merged() {
        let h = hist(&[(1.0, 1.0), (1.0, 2.0), (INF, 6.0)]);
        assert_eq!(h.buckets, vec![Bucket { upper_bound: 1.0, count: 3.0 }, Bucket { upper_bound: INF, count: 6.0 }]);
        assert_eq!(h.quantile(0.25), 1.0 * (1.5 / 3.0));
    }

    #[test]
    fn non_positive_first_bound_is_returned_as_is() {
        let b = [(-5.0, 2.0), (10.0, 4.0), (INF, 4.0)];
        assert_eq!(q(&b, 0.25), -5.0);
        // Past the first bucket: interpolated from its bound.
        assert_eq!(q(&b, 0.75), -5.0 + 15.0 * (1.0 / 2.0));
        assert_eq!(q(&[(0.0, 1.0), (INF, 1.0)], 0.5), 0.0);
    }

    #[test]
    fn empty_buckets_are_skipped_by_the_search() {
        // Nothing in (1, 100]: any rank above 5 lands in (100, 200].
        let b = [(1.0, 5.0), (50.0, 5.0), (100.0, 5.0), (200.0, 10.0), (INF, 10.0)];
        assert_eq!(q(&b, 0.5), 1.0 * (5.0 / 5.0));
        assert_eq!(q(&b, 0.6), 100.0 + 100.0 * (1.0 / 5.0));
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    #[test]
    fn groups_by_labels_other_than_le() {
        let samples = vec![
            sample(&[("le", "10"), ("pod", "a")], 1.0),
            sample(&[("le", "+Inf"), ("pod", "a")], 2.0),
            sample(&[("le", "10"), ("pod", "b")], 4.0),
            sample(&[("le", "1e+06"), ("pod", "b")], 4.0),
            sample(&[("le", "+Inf"), ("pod", "b")], 4.0),
            // No +Inf bucket: NaN, but still a sample, as Prometheus answers.
            sample(&[("le", "10"), ("pod", "c")], 4.0),
            // Not a bucket at all: skipped.
            sample(&[("le", "ten"), ("pod", "d")], 4.0),
            sample(&[("pod", "e")], 4.0),
        ];
        let out = histogram_quantiles(&samples, &[0.5, 1.0]);
        assert_eq!(out.len(), 2);
        let by_pod = |v: &Vec<Sample>| -> BTreeMap<String, f64> {
            v.iter().map(|s| (s.label("pod").to_string(), s.value)).collect()
        };
        let p50 = by_pod(&out[0]);
        assert_eq!(p50.len(), 3);
        assert_eq!(p50["a"], 10.0);
        assert_eq!(p50["b"], 5.0);
        assert!(p50["c"].is_nan());
        assert_eq!(by_pod(&out[1])["a"], 10.0);
        assert!(out[0].iter().all(|s| !s.labels.contains_key("le")));
    }

    #[test]
    fn bucket_groups_accumulate_one_sample_at_a_time() {
        let labels = |pod: &str| -> BTreeMap<String, String> { [("pod".to_string(), pod.to_string())].into() };
        let mut groups = BucketGroups::new();
        assert!(groups.is_empty());
        groups.push(labels("a"), Some("+Inf"), 4.0);
        groups.push(labels("b"), Some("1"), 1.0);
        groups.push(labels("a"), Some("2"), 2.0);
        groups.push(labels("a"), None, 100.0);
        groups.push(labels("c"), Some("x"), 100.0);
        assert_eq!(groups.len(), 2);
        let out = groups.quantiles(&[0.25, 0.5, 2.0]);
        let a: Vec<f64> =
            out.iter().map(|v| v.iter().find(|s| s.label("pod") == "a").map_or(-1.0, |s| s.value)).collect();
        assert_eq!(a, [1.0, 2.0, INF]);
        // `b` has no +Inf bucket.
        assert!(out[0].iter().find(|s| s.label("pod") == "b").is_some_and(|s| s.value.is_nan()));
    }

    #[test]
    fn group_labels_takes_out_le_and_name() {
        let mut labels: BTreeMap<String, String> = [("__name__", "x"), ("le", "0.5"), ("pod", "a")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(group_labels(&mut labels).as_deref(), Some("0.5"));
        assert_eq!(labels.keys().collect::<Vec<_>>(), ["pod"]);
        assert_eq!(group_labels(&mut labels), None);
    }
}
