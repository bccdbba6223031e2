//! Kubernetes object names and namespaces, checked as the API server checks them when the
//! objects are created (apimachinery's `IsDNS1123Label` and `IsDNS1123Subdomain`, with their
//! words), so a value that no object can have is refused before any request is built: in a
//! Kubernetes URL path it could cut or redirect the path (`web#x`, `../../api/v1/secrets`).

use crate::resource::ResourceKind;
use crate::window::go_quote;

const LABEL_MAX: usize = 63;
const SUBDOMAIN_MAX: usize = 253;

const LABEL_WORDS: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_WORDS: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && b.iter().all(inner) && b.first().is_some_and(edge) && b.last().is_some_and(edge)
}

/// apimachinery's `IsDNS1123Label`: the problems, in its words (empty when valid).
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if value.len() > LABEL_MAX {
        problems.push(format!("must be no more than {LABEL_MAX} characters"));
    }
    if !is_label(value) {
        problems.push(LABEL_WORDS.to_string());
    }
    problems
}

/// apimachinery's `IsDNS1123Subdomain`: the problems, in its words (empty when valid).
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if value.len() > SUBDOMAIN_MAX {
        problems.push(format!("must be no more than {SUBDOMAIN_MAX} characters"));
    }
    if !value.split('.').all(is_label) {
        problems.push(SUBDOMAIN_WORDS.to_string());
    }
    problems
}

/// The rule the API server applies to names of `kind`: namespaces and Services are DNS-1123
/// labels, every other kind viz reads is a DNS-1123 subdomain.
fn rule(kind: Option<ResourceKind>) -> fn(&str) -> Vec<String> {
    match kind {
        Some(ResourceKind::Namespace | ResourceKind::Service) => dns1123_label,
        _ => dns1123_subdomain,
    }
}

/// kubectl's shape of a validation failure: `<field>: Invalid value: "<value>": <problems>`.
fn invalid(field: &str, value: &str, problems: &[String]) -> String {
    format!("{field}: Invalid value: {}: {}", go_quote(value), problems.join(", "))
}

/// A namespace (empty means "all" or "the default" and is accepted).
pub fn check_namespace(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let problems = dns1123_label(value);
    if problems.is_empty() { Ok(()) } else { Err(invalid(field, value, &problems)) }
}

/// The name of an object of `kind` (empty means "all of that kind" and is accepted).
pub fn check_name(field: &str, kind: Option<ResourceKind>, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let problems = rule(kind)(value);
    if problems.is_empty() { Ok(()) } else { Err(invalid(field, value, &problems)) }
}

/// Percent-encodes one URL path segment: everything but RFC 3986's unreserved characters. A
/// validated name is returned unchanged; anything else cannot leave its segment.
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    // `.` and `..` alone are dot-segments that a URL parser would resolve.
    match out.as_str() {
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_api_server() {
        assert!(check_name("resource_name", Some(ResourceKind::Deployment), "web-1.v2").is_ok());
        assert!(check_name("resource_name", Some(ResourceKind::Service), "").is_ok());
        assert_eq!(
            check_name("resource_name", Some(ResourceKind::Deployment), "web#x").unwrap_err(),
            format!("resource_name: Invalid value: \"web#x\": {SUBDOMAIN_WORDS}")
        );
        assert!(check_name("resource_name", Some(ResourceKind::Service), "a.b").is_err(), "services are labels");
        assert!(check_name("n", Some(ResourceKind::Pod), "../../api/v1/secrets").is_err());
        assert!(check_name("n", Some(ResourceKind::Pod), "Web").is_err());
        assert!(check_name("n", Some(ResourceKind::Pod), &"a".repeat(254)).unwrap_err().contains("no more than 253"));
        assert!(check_namespace("namespace", "emojiv.to").is_err());
        assert!(check_namespace("namespace", &"a".repeat(63)).is_ok());
        let e = check_namespace("namespace", "\u{1b}[2J").unwrap_err();
        assert!(e.starts_with(r#"namespace: Invalid value: "\x1b[2J": a lowercase RFC 1123 label"#), "{e}");
    }

    #[test]
    fn path_segments_stay_segments() {
        assert_eq!(path_segment("web-1.v2"), "web-1.v2");
        assert_eq!(path_segment("../x#y z/é"), "..%2Fx%23y%20z%2F%C3%A9");
        assert_eq!(path_segment(".."), "%2E%2E");
    }
}
