//! The rustls configuration of the API server's listener.
//!
//! * the serving certificate: minted under `pki/`, or the operator's
//!   `--tls-cert-file`/`--tls-private-key-file` (any PEM key format);
//! * client certificates are optional (anonymous and token clients connect
//!   without one) but, when presented, must chain to `--client-ca-file`
//!   (default: the minted CA) and be meant for client auth, or the
//!   handshake fails;
//! * ALPN offers `h2` and `http/1.1`: client-go speaks HTTP/2 when offered.
//!
//! The crypto provider is always *ring*, named explicitly rather than
//! taken from a process-wide default.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN protocols offered, most preferred first.
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The crypto provider every TLS configuration in keelson uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain (leaf first) and its private key.
#[derive(Debug)]
pub struct ServingCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ServingCertificate {
    /// From PEM text; `source` names it in errors.
    pub fn from_pem(cert_pem: &str, key_pem: &str, source: &str) -> Result<Self, String> {
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{source}: reading certificates: {e}"))?;
        if chain.is_empty() {
            return Err(format!("{source}: no certificate found"));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("{source}: reading the private key: {e}"))?;
        Ok(ServingCertificate { chain, key })
    }

    /// From `--tls-cert-file` and `--tls-private-key-file`.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<Self, String> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
        };
        ServingCertificate::from_pem(
            &read(cert_path)?,
            &read(key_path)?,
            &cert_path.display().to_string(),
        )
    }
}

/// The certificates in a CA bundle file (`--client-ca-file`).
pub fn load_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

/// The server configuration for `serving`, accepting client certificates
/// signed by any of `client_cas`.
pub fn server_config(
    serving: ServingCertificate,
    client_cas: &[CertificateDer<'static>],
) -> Result<Arc<ServerConfig>, String> {
    let provider = crypto_provider();
    let mut roots = RootCertStore::empty();
    for ca in client_cas {
        roots
            .add(ca.clone())
            .map_err(|e| format!("client CA: {e}"))?;
    }
    let client_verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(|e| format!("client CA: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(serving.chain, serving.key)
        .map_err(|e| format!("serving certificate: {e}"))?;
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificateAuthority;

    #[test]
    fn a_config_builds_from_minted_material_and_refuses_a_mismatched_key() {
        let ca = CertificateAuthority::mint().unwrap();
        let serving = ca
            .issue(&crate::pki::CertificateSpec::server(
                "kube-apiserver",
                vec!["localhost".into()],
                vec![],
            ))
            .unwrap();
        let cert =
            ServingCertificate::from_pem(&serving.cert_pem, &serving.key_pem, "test").unwrap();
        let config = server_config(cert, &[ca.cert_der().clone()]).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );

        let other = ca.issue_client("x", &[]).unwrap();
        let mismatched =
            ServingCertificate::from_pem(&serving.cert_pem, &other.key_pem, "test").unwrap();
        let err = server_config(mismatched, &[ca.cert_der().clone()]).unwrap_err();
        assert!(err.starts_with("serving certificate"), "{err}");
    }

    #[test]
    fn pem_without_certificates_is_an_error() {
        let err = ServingCertificate::from_pem("", "", "x.crt").unwrap_err();
        assert!(err.contains("x.crt"), "{err}");
    }
}
