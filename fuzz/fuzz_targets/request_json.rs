//! Request bodies of every endpoint, as `lviz serve` decodes and validates them: never a
//! panic; a request that validates carries only names Kubernetes would accept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz_api::{Endpoint, Validated, names};

fn one<E: Endpoint>(data: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<E::Request>(data) {
        let _ = Validated::<E>::new(request);
    }
}

macro_rules! every {
    ($($e:ty),*) => { |data: &[u8]| { $(one::<$e>(data);)* } };
}

fuzz_target!(|data: &[u8]| {
    let all = lviz_api::for_each_endpoint!(every);
    all(data);
    if let Ok(request) = serde_json::from_slice::<lviz_api::StatSummaryRequest>(data)
        && let Ok(valid) = Validated::<lviz_api::Stat>::new(request.clone())
    {
        assert!(names::check_namespace("namespace", &valid.request().namespace).is_ok());
        assert_eq!(names::path_segment(&request.resource_name), request.resource_name);
    }
});
