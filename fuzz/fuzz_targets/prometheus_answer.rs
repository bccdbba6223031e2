//! Prometheus answers as lviz decodes them (the envelope, instant vectors, bucket vectors
//! streamed into histograms, error texts): never a panic, and an error message is one line
//! with nothing a terminal would act on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz_api::hygiene;

fuzz_target!(|data: &[u8]| {
    let messages = lviz_prom::fuzzing::decode_answer(data);
    for message in messages {
        let line = hygiene::one_line(&message, hygiene::LINE_CHARS);
        assert!(!line.chars().any(hygiene::is_unsafe), "{line:?}");
        assert!(line.chars().count() <= hygiene::LINE_CHARS + 1);
    }
});
