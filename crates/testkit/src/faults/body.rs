//! Response bodies that are either bytes in memory or generated as they are sent: a head, an
//! item repeated `count` times (with its index spliced in) and a tail, so a 300 MB answer costs
//! the server a few kilobytes. Also gzip, for the compressed-body faults.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// Where an item template takes its index: a zero-padded 10-digit decimal, so that every item
/// has the same length and the body's length is known before it is generated.
pub const INDEX: &str = "{i}";
const INDEX_WIDTH: u64 = 10;

/// A response body.
#[derive(Clone)]
pub enum Body {
    Bytes(Arc<[u8]>),
    Repeat(Arc<Repeat>),
}

/// `head`, then `count` items separated by `separator`, then `tail`. Each item is `item` with
/// its [`INDEX`] (if any) replaced by the item's index.
#[derive(Debug)]
pub struct Repeat {
    pub head: String,
    pub item: String,
    pub separator: String,
    pub tail: String,
    pub count: u64,
}

impl Body {
    /// A generated body of `count` items.
    pub fn repeat(head: &str, item: &str, separator: &str, tail: &str, count: u64) -> Body {
        Body::Repeat(Arc::new(Repeat {
            head: head.into(),
            item: item.into(),
            separator: separator.into(),
            tail: tail.into(),
            count,
        }))
    }

    /// A generated body of as many items as fit in `target` bytes (at least one), so at most
    /// one item and separator shorter than `target`.
    pub fn repeat_to_size(head: &str, item: &str, separator: &str, tail: &str, target: u64) -> Body {
        let per_item = Repeat::item_len(item) + separator.len() as u64;
        // n items take n × item + (n − 1) × separator.
        let room = target.saturating_sub((head.len() + tail.len()) as u64) + separator.len() as u64;
        Body::repeat(head, item, separator, tail, (room / per_item.max(1)).max(1))
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Repeat(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole body in memory (tests and small bodies only).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cursor = self.cursor();
        while cursor.fill(&mut out, usize::MAX) > 0 {}
        out
    }

    /// This body gzip-compressed (held in memory: for small bodies).
    pub fn gzip(&self) -> Body {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(&self.to_vec());
        Body::from(encoder.finish().unwrap_or_default())
    }

    /// Reads the body from the start.
    pub fn cursor(&self) -> Cursor {
        Cursor { body: self.clone(), segment: 0, pending: Vec::new(), offset: 0 }
    }
}

impl Repeat {
    fn item_len(item: &str) -> u64 {
        let splices = item.matches(INDEX).count() as u64;
        item.len() as u64 - splices * INDEX.len() as u64 + splices * INDEX_WIDTH
    }

    fn len(&self) -> u64 {
        let items = self.count * Repeat::item_len(&self.item);
        let separators = self.count.saturating_sub(1) * self.separator.len() as u64;
        (self.head.len() + self.tail.len()) as u64 + items + separators
    }

    /// Segment `n`: 0 is the head, 1..=count the items (each after its separator), then the tail.
    fn segment(&self, n: u64, out: &mut Vec<u8>) -> bool {
        if n == 0 {
            out.extend_from_slice(self.head.as_bytes());
        } else if n <= self.count {
            if n > 1 {
                out.extend_from_slice(self.separator.as_bytes());
            }
            let mut parts = self.item.split(INDEX);
            out.extend_from_slice(parts.next().unwrap_or_default().as_bytes());
            for part in parts {
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{:010}", n - 1);
                out.extend_from_slice(part.as_bytes());
            }
        } else if n == self.count + 1 {
            out.extend_from_slice(self.tail.as_bytes());
        } else {
            return false;
        }
        true
    }
}

/// A read position in a [`Body`].
pub struct Cursor {
    body: Body,
    segment: u64,
    pending: Vec<u8>,
    offset: usize,
}

impl Cursor {
    /// Appends up to `max` next bytes to `out`; returns how many (0 at the end).
    pub fn fill(&mut self, out: &mut Vec<u8>, max: usize) -> usize {
        let mut added = 0;
        while added < max {
            if self.offset < self.pending.len() {
                let n = (max - added).min(self.pending.len() - self.offset);
                out.extend_from_slice(&self.pending[self.offset..self.offset + n]);
                self.offset += n;
                added += n;
                continue;
            }
            self.pending.clear();
            self.offset = 0;
            let more = match &self.body {
                Body::Bytes(b) => {
                    self.pending.extend_from_slice(if self.segment == 0 { b } else { &[] });
                    self.segment == 0
                }
                Body::Repeat(r) => r.segment(self.segment, &mut self.pending),
            };
            self.segment += 1;
            if !more {
                break;
            }
        }
        added
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Body {
        Body::Bytes(s.as_bytes().into())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::Bytes(s.into_bytes().into())
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Body {
        Body::Bytes(b.into())
    }
}

impl fmt::Debug for Body {
    /// Length and a short escaped prefix: bodies can be megabytes of hostile bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut head = Vec::new();
        self.cursor().fill(&mut head, 60);
        write!(f, "Body({} bytes: {:?}…)", self.len(), String::from_utf8_lossy(&head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_length_matches_what_is_generated() {
        let body = Body::repeat("[", "{\"n\":\"{i}\"}", ",", "]", 3);
        let bytes = body.to_vec();
        assert_eq!(bytes.len() as u64, body.len());
        assert_eq!(
            String::from_utf8(bytes).expect("utf8"),
            r#"[{"n":"0000000000"},{"n":"0000000001"},{"n":"0000000002"}]"#
        );
        assert_eq!(Body::repeat_to_size("[", "x", ",", "]", 1001).len(), 1001);
        assert_eq!(Body::repeat_to_size("[", "x", ",", "]", 1002).len(), 1001);
        assert_eq!(Body::repeat_to_size("[", "{i}", "", "]", 1001).len(), 992);
    }

    #[test]
    fn cursor_reads_in_pieces_of_any_size() {
        let body = Body::repeat("head:", "<{i}>", "", ":tail", 5);
        let whole = body.to_vec();
        let mut cursor = body.cursor();
        let mut out = Vec::new();
        while cursor.fill(&mut out, 3) > 0 {}
        assert_eq!(out, whole);
    }
}
