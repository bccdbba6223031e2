//! Kubernetes label and field selectors: parsing (the `labels.Parse` grammar: `a=b`, `a==b`,
//! `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-separated) and matching
//! against an object's JSON. Hand-written because no maintained crate parses the string form
//! server-side; it is small and tested below.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<Requirement>);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Eq,
    DoubleEq,
    NotEq,
    Bang,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

fn describe(t: Option<&Token>) -> String {
    match t {
        None => "end of string".into(),
        Some(Token::Ident(s)) => format!("'{s}'"),
        Some(Token::Eq) => "'='".into(),
        Some(Token::DoubleEq) => "'=='".into(),
        Some(Token::NotEq) => "'!='".into(),
        Some(Token::Bang) => "'!'".into(),
        Some(Token::Gt) => "'>'".into(),
        Some(Token::Lt) => "'<'".into(),
        Some(Token::Open) => "'('".into(),
        Some(Token::Close) => "')'".into(),
        Some(Token::Comma) => "','".into(),
    }
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' | ')' | ',' | '>' | '<' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    '>' => Token::Gt,
                    _ => Token::Lt,
                });
            }
            '=' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    out.push(Token::DoubleEq);
                } else {
                    out.push(Token::Eq);
                }
            }
            '!' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    out.push(Token::NotEq);
                } else {
                    out.push(Token::Bang);
                }
            }
            _ => {
                let mut ident = String::new();
                while let Some(&c) = chars.peek() {
                    if " \t(),><=!".contains(c) {
                        break;
                    }
                    ident.push(c);
                    chars.next();
                }
                out.push(Token::Ident(ident));
            }
        }
    }
    out
}

/// `[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?`, at most 63 characters.
fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            })
    });
    if prefix_ok && valid_name(name) {
        Ok(())
    } else {
        Err(format!(
            "key: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

fn validate_value(v: &str) -> Result<(), String> {
    if v.is_empty() || valid_name(v) {
        Ok(())
    } else {
        Err(format!(
            "values[0]: Invalid value: \"{v}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn err(&self, expected: &str) -> String {
        format!("unable to parse requirement: found {}, expected: {expected}", describe(self.peek()))
    }
    fn ident(&mut self, expected: &str) -> Result<String, String> {
        match self.peek() {
            Some(Token::Ident(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.err(expected)),
        }
    }
    /// A value after `=`/`!=`: an identifier, or empty before `,` / end.
    fn value(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(Token::Ident(_)) => self.ident("identifier"),
            None | Some(Token::Comma) => Ok(String::new()),
            _ => Err(self.err("identifier")),
        }
    }
    fn set(&mut self) -> Result<Vec<String>, String> {
        if self.next() != Some(Token::Open) {
            self.pos -= 1;
            return Err(self.err("'('"));
        }
        let mut values = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Ident(_)) => values.push(self.ident("identifier")?),
                Some(Token::Close) | Some(Token::Comma) => values.push(String::new()),
                _ => return Err(self.err("identifier")),
            }
            match self.next() {
                Some(Token::Comma) => continue,
                Some(Token::Close) => return Ok(values),
                _ => {
                    self.pos -= 1;
                    return Err(self.err("',' or ')'"));
                }
            }
        }
    }
    fn requirement(&mut self) -> Result<Requirement, String> {
        if self.peek() == Some(&Token::Bang) {
            self.pos += 1;
            let key = self.ident("identifier")?;
            validate_key(&key)?;
            return Ok(Requirement { key, op: Op::NotExists });
        }
        let key = self.ident("identifier or '!'")?;
        validate_key(&key)?;
        let op = match self.peek().cloned() {
            None | Some(Token::Comma) => Op::Exists,
            Some(Token::Eq) | Some(Token::DoubleEq) => {
                self.pos += 1;
                Op::Eq(self.value()?)
            }
            Some(Token::NotEq) => {
                self.pos += 1;
                Op::NotEq(self.value()?)
            }
            Some(Token::Gt) | Some(Token::Lt) => {
                let gt = self.next() == Some(Token::Gt);
                let v = self.ident("integer")?;
                let n: i64 = v.parse().map_err(|_| {
                    format!("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {v}")
                })?;
                if gt { Op::Gt(n) } else { Op::Lt(n) }
            }
            Some(Token::Ident(word)) if word == "in" || word == "notin" => {
                self.pos += 1;
                let values = self.set()?;
                if word == "in" { Op::In(values) } else { Op::NotIn(values) }
            }
            _ => return Err(self.err("'=', '!=', '==', 'in', 'notin'")),
        };
        match &op {
            Op::Eq(v) | Op::NotEq(v) => validate_value(v)?,
            Op::In(vs) | Op::NotIn(vs) => vs.iter().try_for_each(|v| validate_value(v))?,
            _ => {}
        }
        Ok(Requirement { key, op })
    }
}

impl LabelSelector {
    /// Parses the string form; errors read like the API server's.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut p = Parser { tokens: tokenize(s), pos: 0 };
        let mut reqs = Vec::new();
        if p.tokens.is_empty() {
            return Ok(LabelSelector(reqs));
        }
        loop {
            reqs.push(p.requirement()?);
            match p.next() {
                None => return Ok(LabelSelector(reqs)),
                Some(Token::Comma) => continue,
                Some(_) => {
                    p.pos -= 1;
                    return Err(p.err("','"));
                }
            }
        }
    }

    /// Whether `labels` (a JSON object of strings, or null) satisfies every requirement.
    pub fn matches(&self, labels: &Value) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match &r.op {
            Op::Eq(v) => get(&r.key) == Some(v.as_str()),
            Op::NotEq(v) => get(&r.key) != Some(v.as_str()),
            Op::In(vs) => get(&r.key).is_some_and(|l| vs.iter().any(|v| v == l)),
            Op::NotIn(vs) => get(&r.key).is_none_or(|l| vs.iter().all(|v| v != l)),
            Op::Exists => get(&r.key).is_some(),
            Op::NotExists => get(&r.key).is_none(),
            Op::Gt(n) => get(&r.key).and_then(|l| l.parse::<i64>().ok()).is_some_and(|l| l > *n),
            Op::Lt(n) => get(&r.key).and_then(|l| l.parse::<i64>().ok()).is_some_and(|l| l < *n),
        })
    }
}

/// A parsed field selector over `metadata.name`, `metadata.namespace` and (pods) `status.phase`.
#[derive(Debug, Clone, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// `allow_phase`: whether `status.phase` is a supported field (pods only, as in the API).
    pub fn parse(s: &str, allow_phase: bool) -> Result<FieldSelector, String> {
        let mut out = Vec::new();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (key, eq, value) = if let Some((k, v)) = term.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = term.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = term.split_once('=') {
                (k, true, v)
            } else {
                return Err(format!("invalid selector: '{s}'; can't understand '{term}'"));
            };
            let key = key.trim();
            let supported =
                matches!(key, "metadata.name" | "metadata.namespace") || (allow_phase && key == "status.phase");
            if !supported {
                return Err(format!("field label not supported: {key}"));
            }
            out.push((key.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(key, eq, value)| {
            let mut v = obj;
            for part in key.split('.') {
                v = &v[part];
            }
            let actual = v.as_str().unwrap_or("");
            (actual == value) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(sel: &str, labels: Value) -> bool {
        LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}")).matches(&labels)
    }

    #[test]
    fn grammar() {
        let l = json!({"app": "web", "tier": "front", "n": "5"});
        assert!(m("", l.clone()));
        assert!(m("app=web", l.clone()));
        assert!(m("app==web", l.clone()));
        assert!(!m("app!=web", l.clone()));
        assert!(m("app in (web, emoji)", l.clone()));
        assert!(!m("app notin (web)", l.clone()));
        assert!(m("missing notin (web)", l.clone()));
        assert!(m("app,tier", l.clone()));
        assert!(m("!missing", l.clone()));
        assert!(!m("!app", l.clone()));
        assert!(m("app=web, tier in (front,back), !x", l.clone()));
        assert!(m("n>4,n<6", l.clone()));
        assert!(m("linkerd.io/control-plane-ns!=linkerd", l.clone()));
        assert!(m("x=", json!({"x": ""})));
        assert!(!m("app=web", Value::Null));
    }

    #[test]
    fn errors() {
        for bad in ["app=", "a b", "app in web", "app in (a", "=x", "app=we b", "a,,b", "x>y", "-a=b"] {
            if bad == "app=" {
                assert!(LabelSelector::parse(bad).is_ok());
                continue;
            }
            assert!(LabelSelector::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn fields() {
        let pod = json!({"metadata": {"name": "a", "namespace": "n"}, "status": {"phase": "Running"}});
        let f = |s| FieldSelector::parse(s, true).expect("parses");
        assert!(f("metadata.name=a").matches(&pod));
        assert!(f("status.phase!=Failed,metadata.namespace==n").matches(&pod));
        assert!(!f("status.phase=Failed").matches(&pod));
        assert!(FieldSelector::parse("spec.nodeName=x", true).is_err());
        assert!(FieldSelector::parse("status.phase=Running", false).is_err());
    }
}
