//! Exact-bytes tests of the renderers. Expected output lives in `tests/golden/*.golden`, written
//! from the semantics reference (not from this code); `LVIZ_UPDATE_GOLDENS=1` rewrites them.

mod edges;
mod gateways;
mod options;
mod routes;
mod stat;

/// Compare `actual` with the golden file `tests/golden/<name>`, embedded at compile time.
macro_rules! assert_golden {
    ($name:literal, $actual:expr) => {
        $crate::tests::check_golden(
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/", $name)),
            &$actual,
        )
    };
}
pub(crate) use assert_golden;

/// With `LVIZ_UPDATE_GOLDENS=1`, write `actual` to the golden file instead of comparing.
/// Otherwise panic with a line diff in which whitespace and escapes are visible.
pub(crate) fn check_golden(name: &str, expected: &str, actual: &str) {
    if std::env::var("LVIZ_UPDATE_GOLDENS").as_deref() == Ok("1") {
        let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
        if let Err(err) = std::fs::write(&path, actual) {
            panic!("cannot update {path}: {err}");
        }
        return;
    }
    assert_same(name, expected, actual);
}

/// Panic with a readable diff unless `expected == actual`.
pub(crate) fn assert_same(what: &str, expected: &str, actual: &str) {
    if expected == actual {
        return;
    }
    let exp: Vec<&str> = expected.split_inclusive('\n').collect();
    let act: Vec<&str> = actual.split_inclusive('\n').collect();
    let mut report = format!("{what}: output differs (- expected, + actual; lines shown escaped)\n");
    for i in 0..exp.len().max(act.len()) {
        match (exp.get(i), act.get(i)) {
            (Some(e), Some(a)) if e == a => report.push_str(&format!("  {e:?}\n")),
            (e, a) => {
                if let Some(e) = e {
                    report.push_str(&format!("- {e:?}\n"));
                }
                if let Some(a) = a {
                    report.push_str(&format!("+ {a:?}\n"));
                }
            }
        }
    }
    panic!("{report}");
}
