//! Server certificate verification as Prometheus's own (Go) client does it with `ca_file`: the
//! ordinary WebPKI path validation against the configured roots, plus Go's rule that a server
//! certificate which *is* one of the configured roots is trusted as it stands (its validity
//! period and names still checked). That is how a self-signed certificate made with
//! `openssl req -x509` (CA:TRUE) and given as its own CA works with Prometheus; rustls alone
//! refuses it as "CA used as end entity".
//!
//! The DER reading here is the few fields needed (validity), not a certificate parser.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// WebPKI, or a leaf equal to a configured root (see the module docs).
#[derive(Debug)]
pub(crate) struct AnchorOrWebPki {
    webpki: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
}

impl AnchorOrWebPki {
    pub(crate) fn new(anchors: Vec<CertificateDer<'static>>) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        for cert in &anchors {
            roots.add(cert.clone()).map_err(|e| format!("invalid CA certificate: {e}"))?;
        }
        let webpki = WebPkiServerVerifier::builder(Arc::new(roots)).build().map_err(|e| format!("invalid CA: {e}"))?;
        Ok(AnchorOrWebPki { webpki, anchors })
    }
}

impl ServerCertVerifier for AnchorOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let refused = match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        if !self.anchors.iter().any(|a| a.as_ref() == end_entity.as_ref()) {
            return Err(refused);
        }
        // A configured root presented as the server's certificate: trusted as it stands, as Go
        // does, if it is valid now and for this name.
        match validity(end_entity.as_ref()) {
            Some((from, until)) if from <= now.as_secs() && now.as_secs() <= until => {}
            Some(_) => return Err(Error::InvalidCertificate(CertificateError::Expired)),
            None => return Err(refused),
        }
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(|_| Error::InvalidCertificate(CertificateError::NotValidForName))?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// One DER element: (tag, contents, rest).
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// `notBefore` and `notAfter` of a certificate, as Unix seconds.
fn validity(der: &[u8]) -> Option<(u64, u64)> {
    let (_, cert, _) = element(der)?;
    let (_, mut tbs, _) = element(cert)?;
    if tbs.first() == Some(&0xa0) {
        tbs = element(tbs)?.2; // [0] version
    }
    let rest = element(tbs)?.2; // serial
    let rest = element(rest)?.2; // signature algorithm
    let rest = element(rest)?.2; // issuer
    let (_, validity, _) = element(rest)?;
    let (t1, from, rest) = element(validity)?;
    let (t2, until, _) = element(rest)?;
    Some((unix_time(t1, from)?, unix_time(t2, until)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as Unix seconds.
fn unix_time(tag: u8, text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) = (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times() {
        assert_eq!(unix_time(0x17, b"260101002000Z"), Some(1_767_226_800));
        assert_eq!(unix_time(0x18, b"20260101002000Z"), Some(1_767_226_800));
        assert_eq!(unix_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(unix_time(0x17, b"junk"), None);
    }
}
