//! A test certificate authority and a server certificate signed by it, made at run time.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one test run, and a server certificate it signed for
/// `localhost` and `127.0.0.1`. Clients trust [`TestCa::ca_der`] (or [`TestCa::ca_pem`]) to
/// talk to a TLS [`FakeServer`](super::FakeServer).
#[derive(Debug, Clone)]
pub struct TestCa {
    ca_der: CertificateDer<'static>,
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl TestCa {
    /// Generates a CA and a server certificate (ECDSA P-256). Panics if key generation
    /// fails, which only a broken crypto provider does.
    pub fn new() -> TestCa {
        TestCa::with(Certificate::Valid)
    }

    /// A CA and a server certificate of the given kind: valid, for another host, or
    /// expired (to test that clients refuse them).
    pub fn with(kind: Certificate) -> TestCa {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "mastostream test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("generate server key");
        let hosts = match kind {
            Certificate::WrongHost => vec!["wrong.example".to_owned()],
            _ => vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
        };
        let mut params = CertificateParams::new(hosts).expect("server params");
        if kind == Certificate::Expired {
            params.not_before = date_time_ymd(2001, 1, 1);
            params.not_after = date_time_ymd(2002, 1, 1);
        }
        params
            .distinguished_name
            .push(DnType::CommonName, "mastostream fake server");
        let cert = params.signed_by(&key, &issuer).expect("sign server cert");
        TestCa {
            ca_der: ca_cert.der().clone(),
            ca_pem: ca_cert.pem(),
            chain: vec![cert.der().clone(), ca_cert.der().clone()],
            key_der: key.serialize_der(),
        }
    }

    /// The CA certificate, DER-encoded: add it to a client's root store.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// The CA certificate, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A rustls server configuration presenting the server certificate (HTTP/1.1 only).
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// What server certificate a [`TestCa`] issues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Certificate {
    /// For `localhost` and `127.0.0.1`, valid now.
    #[default]
    Valid,
    /// For `wrong.example` only: a client connecting to 127.0.0.1 must refuse it.
    WrongHost,
    /// For `localhost` and `127.0.0.1`, but valid only in 2001.
    Expired,
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}
