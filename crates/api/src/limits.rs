//! How much of a backend's answer lviz reads: the documented defaults every client shares
//! (`--max-answer-size`), and the size parser of that flag. The clients enforce them while the
//! bytes arrive (see `lviz_prom`, `lviz_k8s`, `lviz_http::client`).

/// `--max-answer-size`'s default: an answer past this many bytes is refused, naming the limit.
/// The largest real answers (bucket rates of `stat po -A` on a 30,000-pod mesh) stay below it.
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 128 * 1024 * 1024;

/// An error answer (non-2xx) is read this far at most: the message needs its first line.
pub const ERROR_BODY_BYTES: usize = 64 * 1024;

/// The flag that sets the answer limit, for messages.
pub const MAX_ANSWER_FLAG: &str = "--max-answer-size";

/// The message of an answer over `limit` bytes.
pub fn too_large(limit: u64) -> String {
    format!("the answer is larger than {} ({MAX_ANSWER_FLAG})", show_size(limit))
}

/// `128MiB`, `64KiB`, `1500B`.
pub fn show_size(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

/// `128MiB`, `100MB`, `64KiB`, `1GiB`, `4096` (bytes): a size flag's value.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("invalid size {text:?}: expected a number of bytes with an optional unit (KiB, MiB, GiB, KB, MB, GB)")
    };
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number: u64 = text[..digits].parse().map_err(|_| bad())?;
    let unit: u64 = match text[digits..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad()),
    };
    let bytes = number.checked_mul(unit).ok_or_else(bad)?;
    if bytes == 0 {
        return Err(format!("invalid size {text:?}: must be more than 0"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("128MiB"), Ok(DEFAULT_MAX_ANSWER_BYTES));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err() && parse_size("1TB").is_err() && parse_size("-1").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err() && parse_size("µ").is_err());
        assert_eq!(show_size(DEFAULT_MAX_ANSWER_BYTES), "128MiB");
        assert_eq!(too_large(1 << 20), "the answer is larger than 1MiB (--max-answer-size)");
    }
}
