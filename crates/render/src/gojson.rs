//! A tiny JSON writer that prints exactly what Go's `json.MarshalIndent(v, "", "  ")` prints.
//!
//! `serde_json` differs from Go in the places linkerd's output depends on: it prints `1.0` where
//! Go prints `1`, it never HTML-escapes `<`, `>` and `&`, and its pretty printer is not Go's. So
//! every JSON renderer builds a [`GoJson`] tree (object keys in the order given, as Go prints
//! struct fields) and turns it into text here. Pure; no I/O.

use std::fmt::Write as _;

/// A JSON value in the shape Go's `encoding/json` would print it.
#[derive(Debug, Clone, PartialEq)]
pub enum GoJson {
    Null,
    Bool(bool),
    /// Go's `uint64` fields print as plain integers.
    Uint(u64),
    /// Go's `float64` fields, printed with [`go_json_number`].
    Float(f64),
    /// Go's `float32` values, printed with [`go_json_number32`] (the shortest decimal that
    /// round-trips as a float32: `float32(0.1)` prints `0.1`, not `0.10000000149011612`).
    Float32(f32),
    Str(String),
    Array(Vec<GoJson>),
    /// Keys in the order given (struct field order, or sorted by the caller for Go maps).
    Object(Vec<(String, GoJson)>),
}

impl GoJson {
    /// An object from `(key, value)` pairs, keeping their order.
    pub fn object<K: Into<String>>(fields: impl IntoIterator<Item = (K, GoJson)>) -> Self {
        GoJson::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn str(s: &str) -> Self {
        GoJson::Str(s.to_string())
    }

    /// `Some(x)` → number, `None` → `null` (Go's nil pointer).
    pub fn opt_float(x: Option<f64>) -> Self {
        x.map_or(GoJson::Null, GoJson::Float)
    }

    pub fn opt_uint(x: Option<u64>) -> Self {
        x.map_or(GoJson::Null, GoJson::Uint)
    }
}

/// `json.MarshalIndent(v, "", "  ")` followed by the `"\n"` every linkerd command prints after it.
pub fn marshal_indent_line(value: &GoJson) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

/// The same document on one line (NDJSON for `--watch -o json`): whitespace outside strings
/// removed, every number and string kept byte for byte. Ends with one `\n`.
pub fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

fn write_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &GoJson, depth: usize) {
    match value {
        GoJson::Null => out.push_str("null"),
        GoJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        GoJson::Uint(n) => {
            let _ = write!(out, "{n}");
        }
        GoJson::Float(x) => out.push_str(&go_json_number(*x)),
        GoJson::Float32(x) => out.push_str(&go_json_number32(*x)),
        GoJson::Str(s) => out.push_str(&go_json_string(s)),
        // Go prints empty collections as `[]` / `{}` with nothing in between.
        GoJson::Array(items) if items.is_empty() => out.push_str("[]"),
        GoJson::Object(fields) if fields.is_empty() => out.push_str("{}"),
        GoJson::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_indent(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            write_indent(out, depth);
            out.push(']');
        }
        GoJson::Object(fields) => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_indent(out, depth + 1);
                out.push_str(&go_json_string(key));
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            write_indent(out, depth);
            out.push('}');
        }
    }
}

/// Go `encoding/json`'s float64 encoding: the shortest decimal that round-trips, integers without
/// `.0`, exponent form only below 1e-6 or from 1e21 up (`1e-7`, `1e+21`).
///
/// Go refuses to encode NaN and ±Inf (the whole `MarshalIndent` fails and linkerd prints
/// nothing); lviz prints `null` for them instead. They only arise from a zero-length time window,
/// which the API rejects.
pub fn go_json_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_string();
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is also shortest-round-trip; only the exponent spelling differs. Go
        // writes `e-07`/`e+21` and then trims one leading zero of a negative two-digit exponent,
        // which leaves `e-7`, `e-10`, `e+21`, `e+100`.
        let formatted = format!("{x:e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((formatted.as_str(), "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        let digits = if sign == '+' && digits.len() < 2 { format!("0{digits}") } else { digits.to_string() };
        return format!("{mantissa}e{sign}{digits}");
    }
    // Rust's `Display` for f64 is the shortest round-trip decimal without an exponent, which is
    // Go's `strconv.FormatFloat(x, 'f', -1, 64)`.
    format!("{x}")
}

/// Go `encoding/json`'s float32 encoding: like [`go_json_number`], with the shortest decimal
/// that round-trips as a float32 (Rust's `f32` `Display` and `{:e}` give exactly those digits).
pub fn go_json_number32(x: f32) -> String {
    if !x.is_finite() {
        return "null".to_string();
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let formatted = format!("{x:e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((formatted.as_str(), "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        let digits = if sign == '+' && digits.len() < 2 { format!("0{digits}") } else { digits.to_string() };
        return format!("{mantissa}e{sign}{digits}");
    }
    format!("{x}")
}

/// A JSON string literal as Go's `encoding/json` writes it with HTML escaping on (the default of
/// `Marshal`/`MarshalIndent`): `<`, `>`, `&`, U+2028 and U+2029 become `\u…` escapes.
pub fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go 1.22+ uses the short forms for these two.
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_go() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (0.0, "0"),
            (2.05, "2.05"),
            (0.9333333333333333, "0.9333333333333333"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.0, "123456789"),
            (1500.0, "1500"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (1e-6, "0.000001"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (-2.5, "-2.5"),
            (-1e-7, "-1e-7"),
            (f64::INFINITY, "null"),
            (f64::NAN, "null"),
        ];
        for (x, want) in cases {
            assert_eq!(go_json_number(*x), *want, "formatting {x:?}");
        }
    }

    #[test]
    fn float32_numbers_match_go() {
        let cases: &[(f32, &str)] =
            &[(0.1, "0.1"), (5.0, "5"), (0.96, "0.96"), (93.33 / 100.0, "0.9333"), (1e-7, "1e-7"), (0.0, "0")];
        for (x, want) in cases {
            assert_eq!(go_json_number32(*x), *want, "formatting {x:?}");
        }
    }

    #[test]
    fn strings_are_html_escaped_like_go() {
        assert_eq!(go_json_string("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(go_json_string("q\"\\\n\t\r"), r#""q\"\\\n\t\r""#);
        assert_eq!(go_json_string("\u{1}\u{8}\u{c}\u{1f}"), r#""\u0001\b\f\u001f""#);
        assert_eq!(go_json_string("\u{2028}√é"), "\"\\u2028√é\"");
    }

    #[test]
    fn compact_keeps_strings_and_numbers() {
        let v = GoJson::Array(vec![GoJson::object([
            ("a b", GoJson::str("x \" y\\")),
            ("n", GoJson::Float(0.9333333333333333)),
            ("e", GoJson::Array(vec![])),
        ])]);
        let pretty = marshal_indent_line(&v);
        assert_eq!(compact_json(&pretty), "[{\"a b\":\"x \\\" y\\\\\",\"n\":0.9333333333333333,\"e\":[]}]\n");
    }

    #[test]
    fn marshal_indent_layout() {
        let v = GoJson::Array(vec![
            GoJson::object([
                ("a", GoJson::Uint(1)),
                ("b", GoJson::Null),
                ("c", GoJson::Array(vec![])),
                ("d", GoJson::Object(vec![])),
                ("e", GoJson::Array(vec![GoJson::Bool(true), GoJson::Float(0.5)])),
            ]),
            GoJson::str("x"),
        ]);
        let want = "[\n  {\n    \"a\": 1,\n    \"b\": null,\n    \"c\": [],\n    \"d\": {},\n    \"e\": [\n      true,\n      0.5\n    ]\n  },\n  \"x\"\n]\n";
        assert_eq!(marshal_indent_line(&v), want);
        assert_eq!(marshal_indent_line(&GoJson::Array(vec![])), "[]\n");
    }
}
