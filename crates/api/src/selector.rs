//! Kubernetes label selectors: the `-l` grammar, parsed locally so a bad selector is a usage
//! error naming it (in the CLI and in the server), and so a watch-backed cache can apply it
//! itself.

use std::collections::BTreeMap;

/// One requirement of a `-l` selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            // As in Kubernetes, `a!=b` also selects objects without the label.
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

/// A parsed `-l` selector, matched locally by the watch-backed inventory of `lviz serve` (the
/// per-request lister sends the text to the API server instead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./".contains(c)
}

fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.".contains(c)
}

impl Selector {
    /// Parses `-l` text with the Kubernetes grammar: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x)`, `a`, `!a`, comma separated. Empty text selects everything.
    pub fn parse(selector: &str) -> Result<Selector, String> {
        let fail = |why: &str| format!("invalid label selector {selector:?}: {why}");
        let mut requirements = Vec::new();
        let mut rest = selector.trim();
        if rest.is_empty() {
            return Ok(Selector(requirements));
        }
        loop {
            rest = rest.trim_start();
            let negated = rest.starts_with('!');
            if negated {
                rest = rest[1..].trim_start();
            }
            let key_len = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
            let key = rest[..key_len].to_string();
            if key.is_empty() {
                return Err(fail("expected a label key"));
            }
            rest = rest[key_len..].trim_start();
            let requirement = if negated {
                Requirement::DoesNotExist(key)
            } else if let Some((r, equal)) = rest
                .strip_prefix("==")
                .map(|r| (r, true))
                .or(rest.strip_prefix("!=").map(|r| (r, false)))
                .or(rest.strip_prefix('=').map(|r| (r, true)))
            {
                let r = r.trim_start();
                let n = r.find(|c: char| !is_value_char(c)).unwrap_or(r.len());
                rest = &r[n..];
                let value = r[..n].to_string();
                if equal { Requirement::Equals(key, value) } else { Requirement::NotEquals(key, value) }
            } else if let Some((r, within)) =
                rest.strip_prefix("in ").map(|r| (r, true)).or(rest.strip_prefix("notin ").map(|r| (r, false)))
            {
                let r = r.trim_start();
                let Some(r) = r.strip_prefix('(') else { return Err(fail("expected '(' after in/notin")) };
                let Some(end) = r.find(')') else { return Err(fail("unclosed '('")) };
                let mut values = Vec::new();
                for v in r[..end].split(',') {
                    let v = v.trim();
                    if !v.chars().all(is_value_char) {
                        return Err(fail(&format!("invalid value {v:?}")));
                    }
                    values.push(v.to_string());
                }
                rest = &r[end + 1..];
                if within { Requirement::In(key, values) } else { Requirement::NotIn(key, values) }
            } else {
                Requirement::Exists(key)
            };
            requirements.push(requirement);
            rest = rest.trim_start();
            if rest.is_empty() {
                return Ok(Selector(requirements));
            }
            match rest.strip_prefix(',') {
                Some(r) => rest = r,
                None => return Err(fail(&format!("unexpected {:?}", rest.chars().next().unwrap_or(' ')))),
            }
        }
    }

    /// Whether these labels satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| r.matches(labels))
    }
}

/// Checks `-l` text with the Kubernetes grammar (see [`Selector::parse`]), so a bad selector is
/// a usage error naming it.
pub fn validate(selector: &str) -> Result<(), String> {
    Selector::parse(selector).map(|_| ())
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

    #[test]
    fn parsed_selectors_match_like_kubernetes() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "front"), ("empty", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let yes = |s: &str| Selector::parse(s).map(|sel| sel.matches(&labels));
        for s in ["", "app=web", "app==web", "app!=db", "missing!=x", "tier in (front, back)", "tier notin (back)"] {
            assert_eq!(yes(s), Ok(true), "{s}");
        }
        for s in ["app", "!missing", "empty=", "app=web,tier=front", "missing notin (a)"] {
            assert_eq!(yes(s), Ok(true), "{s}");
        }
        for s in ["app=db", "app!=web", "tier in (back)", "tier notin (front)", "missing", "!app", "app=web,tier=x"] {
            assert_eq!(yes(s), Ok(false), "{s}");
        }
        assert!(Selector::parse("app=(").is_err());
    }
}
