//! linkerd's resource grammar (`TYPE`, `TYPE/NAME`, `TYPE NAME…`) and the name checks that
//! follow it: never a panic, and a name that passes is one path segment as it stands.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz_api::{Target, names};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let args: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    let namespace = args.first().cloned().unwrap_or_default();
    if let Ok(targets) = Target::parse_many(&namespace, &args) {
        for t in targets {
            if names::check_name("name", Some(t.kind), &t.name).is_ok() {
                assert_eq!(names::path_segment(&t.name), t.name, "a valid name is its own path segment");
            }
        }
    }
    let segment = names::path_segment(text);
    assert!(!segment.contains('/') && !segment.contains('#') && !segment.contains('?'), "{segment}");
});
