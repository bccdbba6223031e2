//! URL redaction: user info and sensitive query parameters never reach output or logs.

/// `https://user:secret@host/p?token=x` → `https://user:***@host/p?token=***`.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Not a URL we can parse: cut anything that could be credentials.
        return match raw.split_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => raw.to_string(),
        };
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret =
                    ["token", "password", "secret", "key", "auth"].iter().any(|s| k.to_ascii_lowercase().contains(s));
                (k.into_owned(), if secret { "***".to_string() } else { v.into_owned() })
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("https://u:pw@h:9090/x"), "https://u:***@h:9090/x");
        assert_eq!(redact_url("http://h/?access_token=abc&x=1"), "http://h/?access_token=***&x=1");
        assert_eq!(redact_url("http://127.0.0.1:9090"), "http://127.0.0.1:9090/");
        assert_eq!(redact_url("not a url:pw@host"), "***@host");
    }
}
