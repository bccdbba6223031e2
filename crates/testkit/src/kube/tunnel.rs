//! One port-forward session after the upgrade: Kubernetes' v4 channel framing over a WebSocket,
//! piped to plain TCP connections (so HTTP/2 works through it). Knows nothing of HTTP routes.
//!
//! The framing, as the kubelet's WebSocket port-forward handler writes it and kube's
//! `Portforwarder` (kube-client `src/api/portforward.rs`) reads it:
//! - every binary message starts with one channel byte; port `i` of the request owns channel
//!   `2i` (data, both ways) and `2i + 1` (errors, server to client only);
//! - the server's first message on each of the two channels is the port number, 2 bytes
//!   little-endian and nothing else; the client sends no such prefix;
//! - an error is one UTF-8 message on the error channel, after which the port is dead;
//! - v4 has no per-channel close: a port whose pod side ends just goes quiet, and the server
//!   closes the WebSocket once every port has ended. The client closing the WebSocket (or just
//!   the connection) ends every port.
//!
//! As on a node, each port's connection is dialled when the session starts, not on first use.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Bytes, Message};

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// How long a dial to a loopback target may take before it counts as failed.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from a pod connection per WebSocket message.
const READ_CHUNK: usize = 32 * 1024;
/// Messages queued per direction; bounds a session's memory whatever the peers do.
const QUEUE: usize = 16;

/// One requested port and where it really listens (`None`: nothing does).
pub(crate) struct Forward {
    pub port: u16,
    pub target: Option<String>,
}

/// The pod sandbox as the container runtime names it in its error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sandbox {
    pub id: String,
    pub netns: String,
}

fn data_channel(index: usize) -> u8 {
    // At most 128 ports per request (kube enforces it too), so the channel fits a byte.
    u8::try_from(2 * index).unwrap_or(u8::MAX - 1)
}

fn error_channel(index: usize) -> u8 {
    data_channel(index).saturating_add(1)
}

fn frame(channel: u8, payload: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(payload.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(payload);
    Message::binary(bytes)
}

/// Runs a session until every port has ended, the client leaves, or `shutdown` turns true.
pub(crate) async fn run(socket: Socket, forwards: Vec<Forward>, sandbox: Sandbox, mut shutdown: watch::Receiver<bool>) {
    let (mut sink, mut stream) = socket.split();
    tokio::select! {
        _ = session(&mut sink, &mut stream, &forwards, &sandbox) => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    // Best effort: finish the close handshake (or start it), without waiting on a dead peer.
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

async fn session(
    sink: &mut SplitSink<Socket, Message>,
    stream: &mut SplitStream<Socket>,
    forwards: &[Forward],
    sandbox: &Sandbox,
) {
    for (i, f) in forwards.iter().enumerate() {
        let prefix = f.port.to_le_bytes();
        if sink.send(frame(data_channel(i), &prefix)).await.is_err()
            || sink.send(frame(error_channel(i), &prefix)).await.is_err()
        {
            return;
        }
    }
    let dialled = futures_util::future::join_all(forwards.iter().map(|f| dial(f.target.as_deref()))).await;
    let (out_tx, out_rx) = mpsc::channel::<Message>(QUEUE);
    let mut to_pods = Vec::with_capacity(forwards.len());
    let mut pumps = Vec::new();
    for (i, (f, conn)) in forwards.iter().zip(dialled).enumerate() {
        let prefix = format!("error forwarding port {} to pod {}, uid : ", f.port, sandbox.id);
        match conn {
            Ok(tcp) => {
                let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
                to_pods.push(Some(tx));
                pumps.push(pump(i, tcp, rx, out_tx.clone(), prefix));
            }
            Err(cause) => {
                to_pods.push(None);
                let message = format!("{prefix}{}", refused(f.port, sandbox, &cause));
                if sink.send(frame(error_channel(i), message.as_bytes())).await.is_err() {
                    return;
                }
            }
        }
    }
    // From here the pumps hold the only senders: the queue ends when the last port has ended.
    drop(out_tx);
    let all_ports = async {
        tokio::join!(futures_util::future::join_all(pumps), from_pods(sink, out_rx));
    };
    tokio::select! {
        _ = all_ports => {}
        _ = to_pods_loop(stream, to_pods) => {}
    }
}

/// Connects to a port's target; the error text is what Go's dialer would say.
async fn dial(target: Option<&str>) -> Result<TcpStream, String> {
    let Some(target) = target else {
        return Err("connect: connection refused".into());
    };
    match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(target)).await {
        Ok(Ok(tcp)) => Ok(tcp),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err("connect: connection refused".into()),
        Ok(Err(e)) => Err(format!("connect: {e}")),
        Err(_) => Err("i/o timeout".into()),
    }
}

/// containerd's message when nothing answers on the port inside the pod's network namespace
/// (`sandbox_portforward_linux.go`; it tries IPv4 then IPv6 localhost).
fn refused(port: u16, sandbox: &Sandbox, cause: &str) -> String {
    format!(
        "failed to execute portforward in network namespace \"{netns}\": failed to connect to localhost:{port} \
         inside namespace \"{id}\", IPv4: dial tcp4 127.0.0.1:{port}: {cause} \
         IPv6 dial tcp6: address localhost: no suitable address found",
        netns = sandbox.netns,
        id = sandbox.id,
    )
}

/// Sends the pods' frames to the client, then closes the WebSocket once every port has ended.
async fn from_pods(sink: &mut SplitSink<Socket, Message>, mut out: mpsc::Receiver<Message>) {
    while let Some(message) = out.recv().await {
        if sink.send(message).await.is_err() {
            return;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}

/// Routes the client's data frames to their ports until the client closes.
async fn to_pods_loop(stream: &mut SplitStream<Socket>, mut to_pods: Vec<Option<mpsc::Sender<Bytes>>>) {
    while let Some(Ok(message)) = stream.next().await {
        match message {
            Message::Binary(data) if data.len() > 1 => {
                let channel = usize::from(data[0]);
                // Odd channels are the server's to write; a frame for another port is ignored,
                // as the kubelet's wsstream does.
                if channel % 2 != 0 {
                    continue;
                }
                if let Some(slot) = to_pods.get_mut(channel / 2)
                    && let Some(tx) = slot
                    && tx.send(data.slice(1..)).await.is_err()
                {
                    *slot = None;
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

/// Pipes one port both ways until either side ends; then the TCP connection is dropped.
async fn pump(
    index: usize,
    tcp: TcpStream,
    mut to_pod: mpsc::Receiver<Bytes>,
    out: mpsc::Sender<Message>,
    error_prefix: String,
) {
    let (mut reader, mut writer) = tcp.into_split();
    let upstream = async {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => {
                    if out.send(frame(data_channel(index), &buf[..n])).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let message = format!("{error_prefix}read: {e}");
                    let _ = out.send(frame(error_channel(index), message.as_bytes())).await;
                    return;
                }
            }
        }
    };
    let downstream = async {
        while let Some(bytes) = to_pod.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_pair_up_per_port() {
        assert_eq!((data_channel(0), error_channel(0)), (0, 1));
        assert_eq!((data_channel(3), error_channel(3)), (6, 7));
        assert_eq!(frame(2, &8085u16.to_le_bytes()), Message::binary(vec![2, 0x95, 0x1f]));
    }

    #[test]
    fn refused_reads_like_containerd() {
        let sandbox = Sandbox { id: "abc".into(), netns: "/var/run/netns/cni-1".into() };
        assert_eq!(
            refused(8085, &sandbox, "connect: connection refused"),
            "failed to execute portforward in network namespace \"/var/run/netns/cni-1\": failed to connect to \
             localhost:8085 inside namespace \"abc\", IPv4: dial tcp4 127.0.0.1:8085: connect: connection refused \
             IPv6 dial tcp6: address localhost: no suitable address found"
        );
    }
}
