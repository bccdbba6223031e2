//! Decoding Prometheus answers: the JSON envelope and instant vectors, and the streaming
//! decoder that reads a bucket-rate vector chunk by chunk straight into [`BucketGroups`], so a
//! big answer is never held whole. No I/O: bytes come in through a blocking [`Read`].

use std::collections::BTreeMap;
use std::io::{BufReader, Read};

use bytes::{Buf, Bytes};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::quantile::{BucketGroups, group_labels};

/// The first bytes of an answer kept for the message when it is not JSON.
pub(crate) const HEAD_BYTES: usize = 256;

#[derive(Deserialize)]
pub(crate) struct Envelope<'a> {
    pub(crate) status: String,
    #[serde(default, borrow)]
    pub(crate) data: Option<Data<'a>>,
    #[serde(default, rename = "errorType")]
    pub(crate) error_type: String,
    #[serde(default)]
    pub(crate) error: String,
}

#[derive(Deserialize)]
pub(crate) struct Data<'a> {
    #[serde(rename = "resultType")]
    pub(crate) result_type: String,
    /// Kept raw (borrowed from the body, not copied) and decoded straight into samples, or
    /// into histograms: a `Value` tree of a big vector costs many times the size of the JSON.
    #[serde(borrow)]
    pub(crate) result: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
pub(crate) struct RawSample {
    #[serde(default)]
    pub(crate) metric: BTreeMap<String, String>,
    pub(crate) value: (f64, String),
}

/// A blocking reader over body chunks sent by the task reading the socket; keeps the first
/// [`HEAD_BYTES`] for error messages.
pub(crate) struct ChunkReader {
    pub(crate) chunks: tokio::sync::mpsc::Receiver<Bytes>,
    pub(crate) current: Bytes,
    pub(crate) head: Vec<u8>,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        if self.head.len() < HEAD_BYTES {
            let take = n.min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&buf[..take]);
        }
        Ok(n)
    }
}

/// What a bucket query's answer said, decoded in one pass.
#[derive(Default)]
pub(crate) struct BucketEnvelope {
    pub(crate) status: String,
    pub(crate) error_type: String,
    pub(crate) error: String,
    pub(crate) result_type: Option<String>,
    /// None when there was no `result`, or it was skipped because the type is not a vector.
    pub(crate) groups: Option<BucketGroups>,
}

/// Decodes a whole answer (`{"status":…,"data":{"resultType":…,"result":[…]}}`) from a reader,
/// the `result` elements straight into [`BucketGroups`] as they are read.
pub(crate) fn decode_bucket_envelope(reader: impl Read) -> Result<BucketEnvelope, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, reader));
    let mut envelope = BucketEnvelope::default();
    EnvelopeSeed(&mut envelope).deserialize(&mut de)?;
    de.end()?;
    Ok(envelope)
}

pub(crate) struct EnvelopeSeed<'e>(&'e mut BucketEnvelope);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Prometheus API answer")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "status" => self.0.status = map.next_value()?,
                "errorType" => self.0.error_type = map.next_value()?,
                "error" => self.0.error = map.next_value()?,
                "data" => map.next_value_seed(DataSeed(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) struct DataSeed<'e>(&'e mut BucketEnvelope);

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the answer's data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resultType" => self.0.result_type = Some(map.next_value()?),
                // Prometheus names the type first; a result of another type is skipped, and the
                // type reported.
                "result" if self.0.result_type.as_deref().is_none_or(|t| t == "vector") => {
                    let mut groups = BucketGroups::new();
                    map.next_value_seed(GroupBuckets(&mut groups))?;
                    self.0.groups = Some(groups);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Decodes an instant vector of histogram buckets (the JSON array of `result`) straight into
/// [`BucketGroups`]: each element is read into a transient sample, its `le` taken out of its
/// labels, and its count added to its group's histogram before the next element is read.
#[cfg(test)]
pub(crate) fn decode_buckets(result: &str) -> Result<BucketGroups, serde_json::Error> {
    let mut groups = BucketGroups::new();
    let mut de = serde_json::Deserializer::from_str(result);
    GroupBuckets(&mut groups).deserialize(&mut de)?;
    de.end()?;
    Ok(groups)
}

/// The seed that feeds the elements of a bucket vector to a [`BucketGroups`].
struct GroupBuckets<'g>(&'g mut BucketGroups);

impl<'de> DeserializeSeed<'de> for GroupBuckets<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupBuckets<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an instant vector (an array of samples)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(RawSample { mut metric, value: (_, value) }) = seq.next_element::<RawSample>()? {
            let count =
                parse_value(&value).ok_or_else(|| de::Error::custom(format!("malformed sample value {value:?}")))?;
            let le = group_labels(&mut metric);
            self.0.push(metric, le.as_deref(), count);
        }
        Ok(())
    }
}

pub(crate) fn parse_value(v: &str) -> Option<f64> {
    match v {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}
