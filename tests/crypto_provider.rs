//! kube and reqwest both use rustls; with two crypto providers in one binary rustls panics at the
//! first client ("Could not automatically determine the process-level CryptoProvider"). lviz
//! builds both on aws-lc-rs, and its gRPC client (tonic) is built without TLS, so it brings no
//! provider of its own (`cargo tree -i ring` prints nothing). This builds every client in one
//! process.

use std::time::Duration;

use lviz_prom::{PromClient, PromConfig};

#[tokio::test]
async fn prometheus_and_kube_clients_coexist() {
    let prom = PromClient::new(&PromConfig {
        url: "https://127.0.0.1:1/".into(),
        timeout: Duration::from_secs(1),
        ..Default::default()
    });
    assert!(prom.is_ok(), "{:?}", prom.err());

    let mut config = kube::Config::new("https://127.0.0.1:1".parse().expect("uri"));
    config.accept_invalid_certs = false;
    let client = kube::Client::try_from(config);
    assert!(client.is_ok(), "{:?}", client.err());

    // And a real TLS handshake attempt through reqwest's stack fails cleanly, not with a panic.
    let err = prom.expect("client").query("vector(1)", None).await.expect_err("nothing listens on :1");
    assert!(err.to_string().starts_with("Prometheus at https://127.0.0.1:1/: "), "{err}");

    // The gRPC client (plaintext HTTP/2, as Linkerd's metrics-api speaks it), in the same process.
    use lviz_api::Answer as _;
    let grpc = lviz_grpc::GrpcClient::new("grpc://127.0.0.1:1", Duration::from_secs(1)).expect("gRPC client");
    let request = lviz_api::StatSummaryRequest { resource_type: "deployment".into(), ..Default::default() };
    let valid = lviz_api::Validated::<lviz_api::Stat>::new(request).expect("valid");
    let err = grpc.answer(&valid).await.expect_err("nothing listens on :1");
    assert!(err.to_string().starts_with("metrics API at grpc://127.0.0.1:1: Unavailable: "), "{err}");
}
