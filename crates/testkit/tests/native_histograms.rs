//! Native histograms: Prometheus 3.5.3 loaded by scraping with `convert_classic_histograms_to_nhcb`
//! holds the emojivoto mesh's latency histograms as native histograms with custom buckets (no
//! `_bucket` series), and every quantile equals the classic histograms' on 2.42 and 3.5.3 to a few
//! units in the last place (ulps). Not always bit for bit: a classic group sums each cumulative
//! `le` series' rate, a native one sums per-bucket rates and accumulates them while it looks for
//! the rank, and rates such as 3/10 or Δ×(60/50)/60 are not exact binary fractions, so the two
//! orders of additions can round differently. Measured on the emojivoto mesh: of 81 answers 50
//! are bit-identical, the others at most 23 ulps apart (web's p99 over `rate(…[1m])`:
//! 69.99999999999964 classic, 69.99999999999997 native; relative differences below 1e-14), so a
//! rounded table is the same while raw JSON floats may differ in their last digits. 2.42 and 3.5.3
//! differ the same way on classic data (other series order in a sum; 3.x extrapolates its
//! left-open window by 60/50).

mod common;

use common::{Labels, assert_model_answer, modern_queries, query};
use lviz_testkit::mesh::Mesh;
use lviz_testkit::prometheus::{shared_prometheus, shared_prometheus3, shared_prometheus3_native};

/// A classic-histogram quantile query in its native form: the family without `_bucket`, grouped
/// without `le`.
fn native_form(expr: &str) -> String {
    expr.replace("_bucket{", "{").replace("_bucket[", "[").replace("by (le, ", "by (").replace("by (le)", "")
}

fn sorted(mut v: Vec<(Labels, f64)>) -> Vec<(Labels, f64)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Largest relative difference two answers of the same quantile may have (see the module doc).
const TOLERANCE: f64 = 1e-12;

/// Distance in units in the last place between two finite floats of the same sign, 0 for two NaN.
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    assert!(a.is_finite() && b.is_finite() && (a >= 0.0) == (b >= 0.0), "{a} vs {b}");
    a.to_bits().abs_diff(b.to_bits())
}

/// Same groups and values within [`TOLERANCE`]; returns (answers compared, bit-identical ones, the
/// largest distance in ulps).
fn assert_agree(what: &str, want: &[(Labels, f64)], got: &[(Labels, f64)]) -> (usize, usize, u64) {
    assert_eq!(want.len(), got.len(), "{what}: {want:?} vs {got:?}");
    let (mut exact, mut worst) = (0, 0);
    for ((wl, wv), (gl, gv)) in want.iter().zip(got) {
        assert_eq!(wl, gl, "{what}");
        let d = ulps(*wv, *gv);
        let close = (wv.is_nan() && gv.is_nan()) || (wv - gv).abs() <= TOLERANCE * wv.abs();
        assert!(close, "{what}: {wl:?}: {wv} vs {gv} ({d} ulps)");
        exact += usize::from(d == 0);
        worst = worst.max(d);
    }
    (want.len(), exact, worst)
}

static TALLY: std::sync::Mutex<(usize, usize, u64)> = std::sync::Mutex::new((0, 0, 0));

fn tally((n, exact, worst): (usize, usize, u64)) {
    let mut t = TALLY.lock().expect("tally");
    *t = (t.0 + n, t.1 + exact, t.2.max(worst));
}

#[tokio::test]
async fn native_quantiles_equal_classic_ones() {
    let Some(native) = shared_prometheus3_native("native_quantiles_equal_classic_ones") else { return };
    let classic3 = shared_prometheus3("native_quantiles_equal_classic_ones").expect("Prometheus 3 is there");
    let classic2 = shared_prometheus();
    for q in ["0.5", "0.95", "0.99"] {
        let classic_expr =
            format!("histogram_quantile({q}, sum by (le, deployment) (rate(response_latency_ms_bucket[1m])))");
        let native_expr = format!("histogram_quantile({q}, sum by (deployment) (rate(response_latency_ms[1m])))");
        let want = sorted(query(&classic3.url(), &classic_expr).await);
        assert_eq!(want.len(), 5, "emoji, traffic, vote-bot, voting, web: {want:?}");
        tally(assert_agree(&native_expr, &want, &sorted(query(&native.url(), &native_expr).await)));
        // 2.42's closed window holds 7 samples, 3.x's left-open one 6 extrapolated by 60/50: the
        // rates, so the quantiles, may differ in the last bits there too.
        assert_agree(&classic_expr, &want, &sorted(query(&classic2.url(), &classic_expr).await));
    }
    // Linkerd's own quantile queries (irate: the last two samples, whatever the window's edges).
    // 2.42 and 3.5.3 may still sum a group's series in another order.
    for expr in modern_queries().iter().filter(|e| e.starts_with("histogram_quantile")) {
        let want = sorted(query(&classic3.url(), expr).await);
        assert_agree(expr, &want, &sorted(query(&classic2.url(), expr).await));
        tally(assert_agree(expr, &want, &sorted(query(&native.url(), &native_form(expr)).await)));
    }
    let (n, exact, worst) = *TALLY.lock().expect("tally");
    eprintln!("classic vs native quantiles: {n} answers, {exact} bit-identical, at most {worst} ulps apart");
    assert!(exact * 2 > n, "most answers are bit-identical: {exact} of {n}");
}

#[tokio::test]
async fn native_server_has_no_classic_series_and_the_same_counts() {
    let Some(native) = shared_prometheus3_native("native_server_has_no_classic_series_and_the_same_counts") else {
        return;
    };
    let url = native.url();
    assert!(query(&url, r#"count({__name__=~".+_bucket|.+_ms_count|.+_seconds_sum"})"#).await.is_empty());
    // Histogram families only: the proxies' `process_start_time_seconds` gauge also ends in `_seconds`.
    let families =
        query(&url, r#"count by (__name__) ({__name__=~".+_(ms|seconds)", __name__!="process_start_time_seconds"})"#)
            .await;
    assert_eq!(families.len(), 7, "3 legacy latency and 4 route histograms: {families:?}");
    // Loaded step by step: every series has every 10 s sample of the data (121).
    let samples = query(&url, "count_over_time(response_total[30m])").await;
    assert!(!samples.is_empty() && samples.iter().all(|(_, v)| *v == 121.0), "{samples:?}");
    let mesh = Mesh::emojivoto();
    for expr in modern_queries().iter().filter(|e| e.starts_with("sum(")) {
        assert_model_answer(&mesh, expr, &query(&url, expr).await);
    }
}

/// What each Prometheus stores as `le` (recorded in the README): 2.42 keeps the proxy's `"1"`;
/// 3.5.3 writes float form (`"1.0"`, `"10.0"`) for histograms typed as such, backfilled or
/// scraped. The route families are written `"1.0"` by the proxy itself.
#[tokio::test]
async fn le_spelling_by_version() {
    let les =
        |answer: Vec<(Labels, f64)>| -> Vec<String> { answer.into_iter().map(|(l, _)| l["le"].clone()).collect() };
    let expr = r#"count by (le) (response_latency_ms_bucket{le=~"1|1\\.0|10|10\\.0|\\+Inf"})"#;
    let mut v2 = les(query(&shared_prometheus().url(), expr).await);
    v2.sort();
    assert_eq!(v2, ["+Inf", "1", "10"]);
    let route = r#"count by (le) (outbound_http_route_request_duration_seconds_bucket)"#;
    let mut v2_route = les(query(&shared_prometheus().url(), route).await);
    v2_route.sort();
    assert_eq!(v2_route, ["+Inf", "0.05", "0.5", "1.0", "10.0"]);
    let Some(v3) = shared_prometheus3("le_spelling_by_version") else { return };
    let mut v3 = les(query(&v3.url(), expr).await);
    v3.sort();
    assert_eq!(v3, ["+Inf", "1.0", "10.0"]);
}
