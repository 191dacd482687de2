//! HTTPS for the sandbox, with a CA made at start-up.
//!
//! Why not plain HTTP: kubectl (client-go) only sends a kubeconfig's credentials over TLS, so
//! an `http://` sandbox that requires its token could never be used by kubectl. The sandbox
//! therefore makes a throw-away CA and a server certificate for `127.0.0.1`/`localhost`,
//! writes the CA into the kubeconfig (`certificate-authority-data`), and serves HTTPS. The
//! same port still answers plain HTTP (the first byte tells a TLS ClientHello from a request
//! line), for curl and simple test clients; every path needs the token either way.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA (PEM, for kubeconfigs) and the server's TLS configuration.
pub struct Tls {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The rustls server configuration (HTTP/1.1).
    pub config: Arc<ServerConfig>,
}

/// Makes a CA and a server certificate valid for 127.0.0.1, ::1 and localhost.
pub fn generate() -> Result<Tls, String> {
    let err = |e: rcgen::Error| format!("cannot make the sandbox's TLS certificate: {e}");
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fluxdeck-sandbox-ca");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "fluxdeck-sandbox");
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([
            0u16, 0, 0, 0, 0, 0, 0, 1,
        ])));
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &ca).map_err(err)?;
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| format!("cannot configure TLS: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        ca_pem: ca.pem(),
        config: Arc::new(config),
    })
}
