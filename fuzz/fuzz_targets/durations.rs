//! Go durations (`-t`, `--watch`), the PromQL range they become, `--at` and sizes: never a
//! panic, and an accepted window's PromQL text is a plain duration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz_api::limits::parse_size;
use lviz_api::window::{Window, parse_go_duration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(nanos) = parse_go_duration(text) {
        assert!(nanos <= i64::MAX as i128 && nanos >= i64::MIN as i128, "{text}: {nanos}");
    }
    if let Ok(window) = Window::parse(text)
        && let Ok(promql) = window.promql()
    {
        assert!(promql.bytes().all(|b| b.is_ascii_alphanumeric()), "{text} → {promql}");
    }
    let _ = lviz::settings::parse_at(text);
    let _ = parse_size(text);
});
