//! Kubernetes label selectors: the `-l` grammar (parsed locally so a bad selector is a usage
//! error naming it) and matching of object selectors against pod labels.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Checks `-l` text with the Kubernetes grammar: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, comma separated.
pub fn validate(selector: &str) -> Result<(), String> {
    let fail = |why: &str| format!("invalid label selector {selector:?}: {why}");
    let mut rest = selector.trim();
    if rest.is_empty() {
        return Ok(());
    }
    loop {
        rest = rest.trim_start();
        let negated = rest.starts_with('!');
        if negated {
            rest = rest[1..].trim_start();
        }
        let key_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_./".contains(c))).unwrap_or(rest.len());
        let key = &rest[..key_len];
        if key.is_empty() {
            return Err(fail("expected a label key"));
        }
        rest = rest[key_len..].trim_start();
        if !negated {
            if let Some(r) = rest.strip_prefix("==").or(rest.strip_prefix("!=")).or(rest.strip_prefix('=')) {
                let r = r.trim_start();
                let n = r.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(r.len());
                rest = &r[n..];
            } else if let Some(r) = rest.strip_prefix("in ").or(rest.strip_prefix("notin ")) {
                let r = r.trim_start();
                let Some(r) = r.strip_prefix('(') else { return Err(fail("expected '(' after in/notin")) };
                let Some(end) = r.find(')') else { return Err(fail("unclosed '('")) };
                for v in r[..end].split(',') {
                    let v = v.trim();
                    if !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                        return Err(fail(&format!("invalid value {v:?}")));
                    }
                }
                rest = &r[end + 1..];
            }
        }
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(());
        }
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None => return Err(fail(&format!("unexpected {:?}", rest.chars().next().unwrap_or(' ')))),
        }
    }
}

/// Whether an object's selector selects these labels. An empty selector selects everything,
/// as in linkerd's `labels.Set(...).AsSelector()`.
pub fn matches(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(selector) = selector else { return true };
    let by_labels = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// A plain `map[string]string` selector (Services, ReplicationControllers). linkerd treats an
/// empty one as selecting everything for RCs; Services without a selector select nothing.
pub fn map_matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_grammar() {
        for ok in ["", "app=web", "app==web,tier!=db", "env in (a, b)", "!legacy", "app", "x notin (y)"] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate("app=(").unwrap_err(), r#"invalid label selector "app=(": unexpected '('"#);
        assert!(validate("env in a").is_err());
        assert!(validate("=x").is_err());
    }
}
