//! The entry point of the `prometheus_answer` fuzz target (`fuzz/`): every decoder an answer's
//! bytes go through, fed the same bytes, returning the error messages they produce. Not an API.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::StreamExt;

use crate::client::PromClient;
use crate::transport::{RawResponse, StreamedResponse, Transport};

/// Answers every call with one status and body, streamed in small chunks.
struct Canned {
    status: u16,
    body: Vec<u8>,
}

impl Transport for Canned {
    fn call<'a>(
        &'a self,
        _path: &'a str,
        _form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>> {
        let body = String::from_utf8_lossy(&self.body).into_owned();
        Box::pin(async move { Ok(RawResponse { status: self.status, body }) })
    }

    fn call_streamed<'a>(
        &'a self,
        _path: &'a str,
        _form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<StreamedResponse, String>> {
        let chunks: Vec<Result<Bytes, String>> = self.body.chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let status = self.status;
        Box::pin(async move { Ok(StreamedResponse { status, body: futures::stream::iter(chunks).boxed() }) })
    }
}

/// Decodes `data` as an instant-vector answer, a bucket-vector answer and a config answer, with
/// a 200 and with a 503; returns every error message.
pub fn decode_answer(data: &[u8]) -> Vec<String> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else { return Vec::new() };
    let mut messages = Vec::new();
    for status in [200, 503] {
        let client = PromClient::with_transport(Arc::new(Canned { status, body: data.to_vec() }), "http://p/".into());
        runtime.block_on(async {
            if let Err(e) = client.query("up", Some(1.5)).await {
                messages.push(e.to_string());
            }
            if let Err(e) = client.query_buckets("b", None).await {
                messages.push(e.to_string());
            }
            let _ = client.scrape_interval().await;
        });
    }
    messages
}
