//! A load client for `lviz serve`'s gRPC face (`bench/load.sh` with `PROTOCOL=grpc`): N
//! clients, each on its own HTTP/2 connection, send the same StatSummary back to back for a
//! fixed time; then requests/s, p50/p99 latency and failures are printed. Like wrk for the JSON
//! API, it does not parse every answer: the first is decoded and must be an `ok` answer, and
//! every later one must be the same bytes (or, when the server's answer was refreshed, decode to
//! an `ok` answer too). Bounded in time and count, loopback only (it dials the address it is
//! given).
//!
//!   cargo run --release -p lviz-grpc --example grpc_load -- \
//!       --addr 127.0.0.1:8085 --clients 50 --duration 30 \
//!       --stat '{"resource_type":"deployment","namespace":"scale-000","tcp_stats":true}'
//!
//! `--stat` is the JSON API's StatSummary request body (so both load runs send the same
//! request); it is sent as `linkerd2.viz.Api/StatSummary`.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use http::uri::PathAndQuery;
use lviz_api::{Stat, StatSummaryRequest};
use lviz_grpc::Rpc;
use lviz_grpc::proto::viz::stat_summary_response::Response;
use lviz_grpc::proto::viz::{StatSummaryRequest as Proto, StatSummaryResponse};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Request, Status};

/// Sends the request message, receives the answer's bytes undecoded.
#[derive(Default)]
struct RawAnswers(PhantomData<()>);

impl Codec for RawAnswers {
    type Encode = Proto;
    type Decode = Bytes;
    type Encoder = RawAnswers;
    type Decoder = RawAnswers;
    fn encoder(&mut self) -> RawAnswers {
        RawAnswers(PhantomData)
    }
    fn decoder(&mut self) -> RawAnswers {
        RawAnswers(PhantomData)
    }
}

impl Encoder for RawAnswers {
    type Item = Proto;
    type Error = Status;
    fn encode(&mut self, item: Proto, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst).map_err(|e| Status::internal(e.to_string()))
    }
}

impl Decoder for RawAnswers {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

fn is_ok_answer(bytes: &[u8]) -> bool {
    matches!(StatSummaryResponse::decode(bytes).map(|r| r.response), Ok(Some(Response::Ok(_))))
}

struct Args {
    addr: String,
    clients: usize,
    duration: Duration,
    request: StatSummaryRequest,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut addr, mut clients, mut duration, mut request) = (None, 50, Duration::from_secs(30), None);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = Some(value()?),
            "--clients" => clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--duration" => {
                duration = Duration::from_secs(value()?.parse().map_err(|e| format!("--duration: {e}"))?);
            }
            "--stat" => request = Some(serde_json::from_str(&value()?).map_err(|e| format!("--stat: {e}"))?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let addr = addr.ok_or("--addr HOST:PORT is required")?;
    let request = request.ok_or("--stat JSON is required")?;
    Ok(Args { addr, clients: clients.clamp(1, 1000), duration: duration.min(Duration::from_secs(600)), request })
}

/// One client: its own connection, requests back to back until `until`.
async fn client(addr: String, request: StatSummaryRequest, until: Instant) -> (Vec<u32>, u64, Option<String>) {
    let (mut latencies, mut failed, mut first_error) = (Vec::new(), 0u64, None);
    let channel = match Channel::from_shared(format!("http://{addr}")) {
        Ok(endpoint) => endpoint.connect().await,
        Err(e) => return (latencies, 1, Some(e.to_string())),
    };
    let mut grpc = match channel {
        Ok(channel) => tonic::client::Grpc::new(channel).max_decoding_message_size(256 * 1024 * 1024),
        Err(e) => return (latencies, 1, Some(e.to_string())),
    };
    let message = <Stat as Rpc>::to_proto(&request);
    let path = PathAndQuery::from_static("/linkerd2.viz.Api/StatSummary");
    let mut known: Option<Bytes> = None;
    while Instant::now() < until {
        let started = Instant::now();
        let outcome = match grpc.ready().await {
            Ok(()) => grpc.unary(Request::new(message.clone()), path.clone(), RawAnswers::default()).await,
            Err(e) => Err(Status::unavailable(e.to_string())),
        };
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let good = match outcome.map(tonic::Response::into_inner) {
            Ok(bytes) if known.as_ref() == Some(&bytes) => Ok(()),
            Ok(bytes) if is_ok_answer(&bytes) => {
                known = Some(bytes);
                Ok(())
            }
            Ok(bytes) => Err(format!("not an ok answer: {:?}", StatSummaryResponse::decode(bytes))),
            Err(status) => Err(format!("{status:?}")),
        };
        match good {
            Ok(()) => latencies.push(micros),
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.chars().take(300).collect());
            }
        }
    }
    (latencies, failed, first_error)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let until = started + args.duration;
    let tasks: Vec<_> =
        (0..args.clients).map(|_| tokio::spawn(client(args.addr.clone(), args.request.clone(), until))).collect();
    let (mut all, mut failed, mut first_error) = (Vec::new(), 0u64, None);
    for task in tasks {
        match task.await {
            Ok((latencies, f, e)) => {
                all.extend(latencies);
                failed += f;
                first_error = first_error.or(e);
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    println!("requests:                 {} in {:.1}s ({} clients)", all.len() + failed as usize, elapsed, args.clients);
    println!("requests/s:               {:.0}", all.len() as f64 / elapsed);
    println!("latency p50 / p99:        {:.2}ms / {:.2}ms", percentile(&all, 0.50), percentile(&all, 0.99));
    println!("failed:                   {failed}");
    if let Some(e) = first_error {
        println!("first failure:            {e}");
    }
}
