//! Kubernetes label selectors (`-l`, `label_selector`): never a panic, and matching a parsed
//! selector never panics either.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use lviz_api::selector::Selector;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(selector) = Selector::parse(text) {
        let labels: BTreeMap<String, String> =
            [("app", "web"), ("tier", ""), (text, text)].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let _ = selector.matches(&labels);
        let _ = selector.matches(&BTreeMap::new());
    }
});
