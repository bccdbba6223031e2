//! Text hygiene for everything a backend or a user can put into a message: one line, a bounded
//! excerpt of backend text, credentials scrubbed, and every character a terminal would act on
//! (C0/C1 controls, DEL, bidi embeddings, overrides and isolates) escaped. The CLI's reporter and
//! the servers' error bodies call these; so does every client that quotes a backend's body.
//!
//! Pure text functions: no I/O, no knowledge of where the text came from.

/// How many characters of a backend's own text (an error body, a Kubernetes `Status` message, a
/// remote API's error) a message quotes at most.
pub const BACKEND_TEXT_CHARS: usize = 300;

/// How many characters a whole error line may have at most (the backend, its URL, the cause).
pub const LINE_CHARS: usize = 1000;

/// Whether a terminal would act on `c` instead of showing it: a control character (C0, DEL,
/// C1) or a bidi embedding, override, isolate or mark, or a line/paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every unsafe character but newline and tab escaped (`\x1b`, `\u{202e}`): safe to
/// write to a terminal, line structure kept.
pub fn escape_unsafe(text: &str) -> String {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_escaped(&mut out, c, true);
    }
    out
}

fn push_escaped(out: &mut String, c: char, keep_lines: bool) {
    match c {
        '\n' | '\t' if keep_lines => out.push(c),
        c if is_unsafe(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// `text` as one safe line: runs of whitespace with line breaks become one space, every other
/// unsafe character is escaped, and at most `max_chars` characters are kept (then `…`).
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    let mut kept = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if kept >= max_chars {
            out.push('…');
            break;
        }
        if c == '\n' || c == '\r' {
            while chars.peek().is_some_and(|n| *n == '\n' || *n == '\r' || *n == ' ' || *n == '\t') {
                chars.next();
            }
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
        } else if c == '\t' {
            out.push(' ');
        } else {
            push_escaped(&mut out, c, false);
        }
        kept += 1;
    }
    out.trim_end().to_string()
}

/// A backend's own text as a message quotes it: credentials scrubbed, one line, at most
/// [`BACKEND_TEXT_CHARS`] characters, unsafe characters escaped.
pub fn backend_text(text: &str) -> String {
    // Scrub a bounded prefix only: the rest is cut anyway.
    let head: String = text.chars().take(BACKEND_TEXT_CHARS * 4).collect();
    one_line(&scrub_credentials(&head), BACKEND_TEXT_CHARS)
}

/// Words after which a value is a credential (`token=…`, `"password": "…"`, `api-key: …`).
const SECRET_KEYS: &[&str] =
    &["authorization", "token", "password", "passwd", "secret", "api-key", "api_key", "apikey", "cookie"];
/// Authentication schemes whose next word is a credential.
const SCHEMES: &[&str] = &["bearer", "basic", "negotiate", "digest"];

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=:%".contains(&b)
}

/// Replaces what looks like a credential with `***`: the word after an authentication scheme
/// (`Bearer abc` → `Bearer ***`) and the value after a secret-looking key (`token=abc`,
/// `"password":"abc"`, `Authorization: xyz`). Backends that echo a request (a proxy's error
/// page quoting headers, a Status quoting a URL) must not make lviz print its credentials.
pub fn scrub_credentials(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for scheme in SCHEMES {
        for (at, _) in lower.match_indices(scheme) {
            let mut i = at + scheme.len();
            if bytes.get(i) != Some(&b' ') || (at > 0 && bytes[at - 1].is_ascii_alphanumeric()) {
                continue;
            }
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            let end = (i..bytes.len()).find(|&j| !is_token_char(bytes[j])).unwrap_or(bytes.len());
            if end > i {
                cuts.push((i, end));
            }
        }
    }
    for key in SECRET_KEYS {
        for (at, _) in lower.match_indices(key) {
            let mut i = at + key.len();
            // The key may go on (`access_token`, `tokens`) but must be followed by a separator.
            while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-') {
                i += 1;
            }
            while bytes.get(i).is_some_and(|b| matches!(b, b'"' | b'\'' | b' ' | b'\\')) {
                i += 1;
            }
            if !bytes.get(i).is_some_and(|b| *b == b':' || *b == b'=') {
                continue;
            }
            i += 1;
            while bytes.get(i).is_some_and(|b| matches!(b, b'"' | b'\'' | b' ' | b'\\')) {
                i += 1;
            }
            // `Authorization: Bearer x`: the scheme rule cuts the credential; keep the scheme.
            if SCHEMES.iter().any(|s| lower[i..].starts_with(&format!("{s} "))) {
                continue;
            }
            let end = (i..bytes.len()).find(|&j| !is_token_char(bytes[j])).unwrap_or(bytes.len());
            if end > i {
                cuts.push((i, end));
            }
        }
    }
    if cuts.is_empty() {
        return text.to_string();
    }
    cuts.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end) in cuts {
        if start < pos {
            pos = pos.max(end);
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str("***");
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// `text` with each of `secrets` (values lviz itself sent: tokens, passwords, header values)
/// replaced by `***`. Values shorter than 4 characters are left alone: they are not secrets
/// worth hiding, and replacing them would mangle ordinary words.
pub fn scrub_known(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.chars().count() >= 4) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_escaped() {
        let hostile = "\u{1b}[31mred\u{7}\rX\u{0} \u{202e}rev\u{202c} \u{2067}i\u{2069} \u{85}";
        let escaped = escape_unsafe(hostile);
        assert_eq!(escaped, r"\x1b[31mred\x07\x0dX\x00 \u{202e}rev\u{202c} \u{2067}i\u{2069} \x85");
        assert!(!escaped.chars().any(is_unsafe));
        assert_eq!(escape_unsafe("a\n\tb naïve — 日本"), "a\n\tb naïve — 日本");
    }

    #[test]
    fn one_line_joins_lines_and_cuts() {
        assert_eq!(one_line("a\r\n\r\n  b\nc\u{1b}", 100), r"a b c\x1b");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("日本語テキスト", 2), "日本…");
        assert_eq!(one_line("", 3), "");
    }

    #[test]
    fn credentials_are_scrubbed() {
        let echo = "denied with headers [authorization: Basic bHZpejpz; host: x; user-agent: lviz]";
        assert_eq!(
            scrub_credentials(echo),
            "denied with headers [authorization: Basic ***; host: x; user-agent: lviz]"
        );
        assert_eq!(scrub_credentials("Authorization: Bearer abc.def-ghi"), "Authorization: Bearer ***");
        assert_eq!(scrub_credentials(r#"{"token":"s3cr3t","x":1}"#), r#"{"token":"***","x":1}"#);
        assert_eq!(scrub_credentials("GET /x?access_token=abc&y=2"), "GET /x?access_token=***&y=2");
        assert_eq!(scrub_credentials("password = hunter2"), "password = ***");
        assert_eq!(
            scrub_credentials("the tokenizer failed: basically broken"),
            "the tokenizer failed: basically broken"
        );
        assert_eq!(scrub_known("tenant t3nant-42 denied", &["t3nant-42".into(), "ab".into()]), "tenant *** denied");
    }

    #[test]
    fn backend_text_is_bounded() {
        let long = "x".repeat(10_000);
        let cut = backend_text(&long);
        assert_eq!(cut.chars().count(), BACKEND_TEXT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
