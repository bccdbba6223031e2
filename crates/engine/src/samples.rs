//! From Prometheus samples to the integers viz reports (`stat_summary.go:550-644`).

use std::collections::HashMap;

use lviz_prom::Sample;

/// linkerd's `extractSampleValue`: NaN → 0, otherwise rounded half away from zero. Rust's
/// saturating cast keeps +Inf at u64::MAX and negatives at 0, where Go's conversion is
/// platform-dependent garbage.
pub fn round_sample(v: f64) -> u64 {
    if v.is_nan() { 0 } else { v.round() as u64 }
}

/// A row key: (namespace, name).
pub type Key = (String, String);

/// linkerd's `metricToKey`: the name is the last group-by label, the namespace the one before.
pub fn key_of(sample: &Sample, group_by: &[String]) -> Key {
    let name = group_by.last().map(|l| sample.label(l)).unwrap_or_default();
    let namespace = if group_by.len() >= 2 { sample.label(&group_by[group_by.len() - 2]) } else { "" };
    (namespace.to_string(), name.to_string())
}

/// Success and failure counts per key, rounding each sample before summing, as linkerd does.
pub fn count_by_classification(samples: &[Sample], group_by: &[String]) -> HashMap<Key, (u64, u64)> {
    let mut out: HashMap<Key, (u64, u64)> = HashMap::new();
    for s in samples {
        let entry = out.entry(key_of(s, group_by)).or_default();
        match s.label("classification") {
            "success" => entry.0 += round_sample(s.value),
            "failure" => entry.1 += round_sample(s.value),
            _ => {}
        }
    }
    out
}

/// One rounded value per key; when several samples share a key, the last one wins.
pub fn value_by_key(samples: &[Sample], group_by: &[String]) -> HashMap<Key, u64> {
    samples.iter().map(|s| (key_of(s, group_by), round_sample(s.value))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    #[test]
    fn rounds_per_sample_before_summing() {
        let g = vec!["namespace".to_string(), "pod".to_string()];
        let samples = [
            sample(&[("namespace", "a"), ("pod", "p"), ("classification", "success"), ("tls", "true")], 0.5),
            sample(&[("namespace", "a"), ("pod", "p"), ("classification", "success"), ("tls", "no_identity")], 0.5),
            sample(&[("namespace", "a"), ("pod", "p"), ("classification", "failure")], 2.4),
            sample(&[("namespace", "a"), ("pod", "p"), ("classification", "other")], 9.0),
        ];
        let counts = count_by_classification(&samples, &g);
        assert_eq!(counts[&("a".into(), "p".into())], (2, 2));
        assert_eq!(round_sample(f64::NAN), 0);
        assert_eq!(round_sample(2.5), 3);
        assert_eq!(round_sample(-1.0), 0);
    }

    #[test]
    fn keys_from_group_by() {
        let s = sample(&[("dst_namespace", "x"), ("dst_service", "web")], 1.0);
        let g = vec!["dst_namespace".to_string(), "dst_service".to_string()];
        assert_eq!(key_of(&s, &g), ("x".into(), "web".into()));
        let g = vec!["namespace".to_string()];
        let s = sample(&[("namespace", "emojivoto")], 1.0);
        assert_eq!(key_of(&s, &g), ("".into(), "emojivoto".into()));
    }
}
