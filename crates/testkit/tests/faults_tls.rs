//! Fault server, TLS: what an ordinary rustls client (aws-lc-rs, webpki verification, the
//! server's `ca_file` as its only root) and reqwest configured as lviz configures it
//! (`tls_certs_only` with the CA file) make of each certificate variant.

mod fault_client;

use std::sync::Arc;

use lviz_testkit::faults::{Backend, Fault, FaultServer, Plan, TlsCert, provider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn server(cert: TlsCert) -> FaultServer {
    FaultServer::start(Plan::new(Fault::Healthy(Backend::Prometheus)).tls(cert)).await.expect("start")
}

fn roots(server: &FaultServer) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    if let Some(path) = server.ca_file() {
        for cert in CertificateDer::pem_file_iter(path).expect("CA file") {
            roots.add(cert.expect("PEM")).expect("a usable trust anchor");
        }
    }
    roots
}

/// A rustls handshake to 127.0.0.1 and one request: the response's status line, or the
/// handshake's rustls error.
async fn rustls_get(server: &FaultServer) -> Result<String, rustls::Error> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots(server))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("IP name");
    let mut tls = match connector.connect(name, tcp).await {
        Ok(tls) => tls,
        Err(e) => {
            let inner = e.into_inner().expect("an error from rustls");
            return Err(*inner.downcast::<rustls::Error>().expect("a rustls::Error"));
        }
    };
    tls.write_all(fault_client::get("/api/v1/status/buildinfo").as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await.expect("read");
    Ok(String::from_utf8_lossy(&response).lines().next().unwrap_or_default().to_string())
}

fn certificate_error(result: Result<String, rustls::Error>) -> CertificateError {
    match result {
        Err(rustls::Error::InvalidCertificate(e)) => e,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[tokio::test]
async fn rustls_accepts_the_valid_chain_and_rejects_each_bad_certificate() {
    assert_eq!(rustls_get(&server(TlsCert::Valid).await).await.expect("handshake"), "HTTP/1.1 200 OK");

    let self_signed = server(TlsCert::SelfSigned).await;
    assert!(self_signed.ca_file().is_none());
    assert_eq!(certificate_error(rustls_get(&self_signed).await), CertificateError::UnknownIssuer);

    let expired = certificate_error(rustls_get(&server(TlsCert::Expired).await).await);
    assert!(matches!(expired, CertificateError::ExpiredContext { .. }), "{expired:?}");

    let wrong_host = certificate_error(rustls_get(&server(TlsCert::WrongHost).await).await);
    assert!(matches!(wrong_host, CertificateError::NotValidForNameContext { .. }), "{wrong_host:?}");

    let ca_as_leaf = certificate_error(rustls_get(&server(TlsCert::CaAsLeaf).await).await);
    assert!(format!("{ca_as_leaf:?}").contains("CaUsedAsEndEntity"), "{ca_as_leaf:?}");
}

/// Go's crypto/x509 (Prometheus's client) accepts both; webpki rejects the CA:TRUE one.
#[tokio::test]
async fn rustls_on_self_signed_certificates_given_as_their_own_ca() {
    let openssl_style = certificate_error(rustls_get(&server(TlsCert::SelfSignedCa).await).await);
    assert!(format!("{openssl_style:?}").contains("CaUsedAsEndEntity"), "{openssl_style:?}");

    let leaf = server(TlsCert::SelfSignedLeafAsCa).await;
    assert_eq!(
        rustls_get(&leaf).await.expect("a CA:FALSE self-signed leaf is its own trust anchor"),
        "HTTP/1.1 200 OK"
    );
}

/// reqwest as lviz builds it for `tls_config.ca_file`: the CA file replaces the system roots.
async fn reqwest_get(server: &FaultServer) -> Result<u16, String> {
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(path) = server.ca_file() {
        let pem = std::fs::read(path).expect("CA file");
        builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("PEM"));
    }
    let client = builder.build().expect("client");
    match client.get(format!("{}/api/v1/status/buildinfo", server.url())).send().await {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(format!("{:?}", std::error::Error::source(&e))),
    }
}

#[tokio::test]
async fn reqwest_configured_like_lviz_agrees_with_rustls() {
    for cert in TlsCert::ALL {
        let server = server(cert).await;
        let result = reqwest_get(&server).await;
        let expected_ok = matches!(cert, TlsCert::Valid | TlsCert::SelfSignedLeafAsCa);
        assert_eq!(result.is_ok(), expected_ok, "{cert:?}: {result:?}");
        if expected_ok {
            assert_eq!(result, Ok(200));
        }
    }
}

#[tokio::test]
async fn the_prometheus_http_config_names_the_ca_file_and_the_credentials() {
    let server = server(TlsCert::Valid).await;
    let text = std::fs::read_to_string(server.prometheus_http_config_path()).expect("read");
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    let ca = config["tls_config"]["ca_file"].as_str().expect("ca_file");
    assert_eq!(Some(std::path::Path::new(ca)), server.ca_file());
    assert_eq!(config["basic_auth"]["password"].as_str(), Some(lviz_testkit::faults::SECRET));

    let plain = FaultServer::start(Fault::Hangup).await.expect("start");
    assert!(!plain.prometheus_http_config_yaml().contains("tls_config"));
}
