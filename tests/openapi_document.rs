//! The project's OpenAPI document (`docs/openapi.yml`) is the seed contract plus lviz's
//! extensions: everything the seed says of its paths and schemas is there unchanged (lviz only
//! adds: new paths, new schemas, more documented statuses), and every endpoint lviz serves (the
//! endpoint list of `lviz_api`) is documented.

use serde_yaml_ng::Value;

const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yml");
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/metrics-api.openapi.yml");

fn load(path: &str) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
}

#[test]
fn every_served_endpoint_is_documented() {
    let doc = load(DOCUMENT).expect("docs/openapi.yml");
    for (name, path) in lviz_api::ENDPOINTS {
        assert!(doc["paths"][*path]["post"].is_mapping(), "{name}: {path} is not in docs/openapi.yml");
    }
}

#[test]
fn seed_paths_and_schemas_are_unchanged() {
    let Some(seed) = load(SEED) else {
        assert!(std::env::var("LVIZ_REQUIRE_CONFORMANCE").as_deref() != Ok("1"), "{SEED} is missing");
        eprintln!("note: {SEED} not found; the seed comparison is skipped");
        return;
    };
    let doc = load(DOCUMENT).expect("docs/openapi.yml");
    for section in ["paths", "components"] {
        if let Err(at) = contains(&doc[section], &seed[section], section) {
            panic!("docs/openapi.yml changes the seed at {at}");
        }
    }
}

/// Whether `doc` says everything `seed` says: mappings may gain keys, nothing else may differ.
fn contains(doc: &Value, seed: &Value, at: &str) -> Result<(), String> {
    match (doc, seed) {
        (Value::Mapping(d), Value::Mapping(s)) => {
            for (key, value) in s {
                let here = format!("{at}.{}", key.as_str().unwrap_or("?"));
                contains(d.get(key).ok_or_else(|| here.clone())?, value, &here)?;
            }
            Ok(())
        }
        _ if doc == seed => Ok(()),
        _ => Err(at.to_string()),
    }
}

#[test]
fn additions_are_allowed_and_changes_are_not() {
    let seed: Value = serde_yaml_ng::from_str("a: {b: 1, c: [x]}").expect("yaml");
    let added: Value = serde_yaml_ng::from_str("a: {b: 1, c: [x], d: 2}").expect("yaml");
    let changed: Value = serde_yaml_ng::from_str("a: {b: 2, c: [x]}").expect("yaml");
    assert_eq!(contains(&added, &seed, "doc"), Ok(()));
    assert_eq!(contains(&changed, &seed, "doc"), Err("doc.a.b".to_string()));
}
