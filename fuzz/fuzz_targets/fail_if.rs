//! `--fail-if` expressions for both scopes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz::gate::{GateScope, parse_gate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_gate(text, GateScope::Stat);
    let _ = parse_gate(text, GateScope::Routes);
});
