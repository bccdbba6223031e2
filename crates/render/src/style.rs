//! Health colors for table cells (owo-colors). Whether to color at all is the CLI's decision
//! (`--color`, `NO_COLOR`, terminal); this module only knows the thresholds and never colors
//! when told not to, so colorless output stays byte-identical to linkerd's. Pure; no I/O.
//!
//! Thresholds (documented in `--help` of `--color`):
//! * success rate: at least 99% green, at least 95% yellow, otherwise red;
//! * latency (each percentile cell by its own value): under 100 ms green, under 500 ms yellow,
//!   500 ms or more red;
//! * column headers bold. Cells without data (`-`) are left plain.

use owo_colors::OwoColorize;

/// Success fraction at or above which a SUCCESS cell is green.
pub const SUCCESS_GOOD: f64 = 0.99;
/// Success fraction at or above which a SUCCESS cell is yellow (below it: red).
pub const SUCCESS_FAIR: f64 = 0.95;
/// Latency (ms) below which a latency cell is green.
pub const LATENCY_GOOD_MS: u64 = 100;
/// Latency (ms) below which a latency cell is yellow (at or above it: red).
pub const LATENCY_FAIR_MS: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Good,
    Fair,
    Poor,
}

fn paint(text: &str, health: Health) -> String {
    match health {
        Health::Good => text.green().to_string(),
        Health::Fair => text.yellow().to_string(),
        Health::Poor => text.red().to_string(),
    }
}

/// Styles cells when `on`; returns them untouched otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub on: bool,
}

impl Palette {
    pub fn header(self, text: String) -> String {
        if self.on { text.bold().to_string() } else { text }
    }

    pub fn success(self, text: String, fraction: f64) -> String {
        if !self.on {
            return text;
        }
        let health = if fraction >= SUCCESS_GOOD {
            Health::Good
        } else if fraction >= SUCCESS_FAIR {
            Health::Fair
        } else {
            Health::Poor
        };
        paint(&text, health)
    }

    pub fn latency(self, text: String, ms: u64) -> String {
        if !self.on {
            return text;
        }
        let health = if ms < LATENCY_GOOD_MS {
            Health::Good
        } else if ms < LATENCY_FAIR_MS {
            Health::Fair
        } else {
            Health::Poor
        };
        paint(&text, health)
    }
}

/// Display width of `text` in runes, with ANSI escape sequences (`ESC [ … final byte`) excluded.
pub fn display_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC '[' parameters… final byte in '@'..='~'.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        width += 1;
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_identity() {
        let p = Palette { on: false };
        assert_eq!(p.success("93.33%".into(), 0.9333), "93.33%");
        assert_eq!(p.latency("47ms".into(), 47), "47ms");
        assert_eq!(p.header("NAME".into()), "NAME");
    }

    #[test]
    fn thresholds() {
        let p = Palette { on: true };
        assert_eq!(p.success("x".into(), 0.99), "\x1b[32mx\x1b[39m");
        assert_eq!(p.success("x".into(), 0.95), "\x1b[33mx\x1b[39m");
        assert_eq!(p.success("x".into(), 0.9499), "\x1b[31mx\x1b[39m");
        assert_eq!(p.latency("x".into(), 99), "\x1b[32mx\x1b[39m");
        assert_eq!(p.latency("x".into(), 100), "\x1b[33mx\x1b[39m");
        assert_eq!(p.latency("x".into(), 500), "\x1b[31mx\x1b[39m");
        assert_eq!(p.header("NAME".into()), "\x1b[1mNAME\x1b[0m");
    }

    #[test]
    fn width_ignores_escape_sequences() {
        assert_eq!(display_width("\x1b[32m100.00%\x1b[39m"), 7);
        assert_eq!(display_width("\x1b[32;1m√\x1b[0;22m"), 1);
        assert_eq!(display_width("ñ"), 1);
    }
}
