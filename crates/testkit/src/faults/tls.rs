//! TLS variants of a fault server: certificates made with rcgen when the server starts, the
//! rustls server configuration (aws-lc-rs, the tree's one crypto provider), and which PEM a
//! client of each variant is told to trust.

use std::sync::Arc;

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The names every certificate but [`TlsCert::WrongHost`]'s is valid for.
const LOOPBACK: [&str; 2] = ["127.0.0.1", "localhost"];

/// A certificate variant. Each says what the server presents and what [`ca_file`] holds
/// (`FaultServer::ca_file`: the PEM a client is configured to trust).
///
/// [`ca_file`]: super::FaultServer::ca_file
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsCert {
    /// A leaf for 127.0.0.1/localhost signed by a CA; `ca_file` is that CA. The positive control.
    Valid,
    /// A self-signed leaf (CA:FALSE) for 127.0.0.1; no `ca_file`: nothing the client trusts
    /// vouches for it.
    SelfSigned,
    /// A CA-signed leaf for 127.0.0.1 valid from 2020-01-01 to 2021-01-01; `ca_file` is the CA.
    Expired,
    /// A CA-signed leaf for `prometheus.example.com` only; `ca_file` is the CA.
    WrongHost,
    /// An intermediate CA certificate (CA:TRUE, keyCertSign, names 127.0.0.1) signed by the CA
    /// and presented as the leaf; `ca_file` is the root CA.
    CaAsLeaf,
    /// What `openssl req -x509` makes: a self-signed CA:TRUE certificate for 127.0.0.1 that is
    /// its own CA; `ca_file` is the certificate itself. Go's client (Prometheus's) accepts it.
    SelfSignedCa,
    /// A self-signed CA:FALSE leaf for 127.0.0.1; `ca_file` is the certificate itself.
    SelfSignedLeafAsCa,
}

impl TlsCert {
    pub const ALL: [TlsCert; 7] = [
        TlsCert::Valid,
        TlsCert::SelfSigned,
        TlsCert::Expired,
        TlsCert::WrongHost,
        TlsCert::CaAsLeaf,
        TlsCert::SelfSignedCa,
        TlsCert::SelfSignedLeafAsCa,
    ];

    /// Short name for catalog entries.
    pub fn name(self) -> &'static str {
        match self {
            TlsCert::Valid => "tls-valid",
            TlsCert::SelfSigned => "tls-self-signed",
            TlsCert::Expired => "tls-expired",
            TlsCert::WrongHost => "tls-wrong-host",
            TlsCert::CaAsLeaf => "tls-ca-as-leaf",
            TlsCert::SelfSignedCa => "tls-self-signed-ca",
            TlsCert::SelfSignedLeafAsCa => "tls-self-signed-leaf-as-ca",
        }
    }
}

/// The aws-lc-rs provider, for servers here and for test clients (never rely on the
/// process-wide default: the tree must have one provider, but tests should not depend on it).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// What a server of one variant presents, and what its clients trust.
pub(crate) struct Material {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub trust_pem: Option<String>,
}

pub(crate) fn material(variant: TlsCert) -> Result<Material> {
    let (root_params, root_key) = ca_params("lviz fault root CA", &[])?;
    let root_cert = root_params.self_signed(&root_key)?;
    let root = Issuer::new(root_params, root_key);
    let trust_root = Some(root_cert.pem());
    let (cert, key, trust) = match variant {
        TlsCert::Valid => signed(leaf_params(&LOOPBACK)?, &root).map(|(c, k)| (c, k, trust_root))?,
        TlsCert::Expired => {
            let mut params = leaf_params(&LOOPBACK)?;
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
            signed(params, &root).map(|(c, k)| (c, k, trust_root))?
        }
        TlsCert::WrongHost => {
            signed(leaf_params(&["prometheus.example.com"])?, &root).map(|(c, k)| (c, k, trust_root))?
        }
        TlsCert::CaAsLeaf => {
            let (params, _) = ca_params("lviz fault intermediate CA", &LOOPBACK)?;
            signed(params, &root).map(|(c, k)| (c, k, trust_root))?
        }
        TlsCert::SelfSigned | TlsCert::SelfSignedLeafAsCa => {
            let key = KeyPair::generate()?;
            let cert = leaf_params(&LOOPBACK)?.self_signed(&key)?;
            let trust = (variant == TlsCert::SelfSignedLeafAsCa).then(|| cert.pem());
            (cert, key, trust)
        }
        TlsCert::SelfSignedCa => {
            let (mut params, key) = ca_params("127.0.0.1", &LOOPBACK)?;
            // `openssl req -x509` sets basicConstraints CA:TRUE and no keyUsage.
            params.key_usages.clear();
            let cert = params.self_signed(&key)?;
            let trust = Some(cert.pem());
            (cert, key, trust)
        }
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok(Material { chain: vec![cert.der().clone()], key, trust_pem: trust })
}

fn ca_params(common_name: &str, names: &[&str]) -> Result<(CertificateParams, KeyPair)> {
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok((params, KeyPair::generate()?))
}

fn leaf_params(names: &[&str]) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

fn signed(params: CertificateParams, issuer: &Issuer<'_, KeyPair>) -> Result<(Certificate, KeyPair)> {
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok((cert, key))
}

/// A TLS acceptor presenting `material` (HTTP/1.1 by ALPN).
pub(crate) fn acceptor(material: &Material) -> Result<TlsAcceptor> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(material.chain.clone(), material.key.clone_key())
        .context("TLS server certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
