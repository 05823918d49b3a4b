//! The cluster certificate authority: one ECDSA P-256 key and a
//! self-signed CA certificate. It signs the serving certificate and every
//! client certificate (admin, scheduler, controller-manager, nodes), and the
//! API server trusts client certificates it signed.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::issued::key_matches;
use super::lifetime::{CA_LIFETIME, now_unix, random_serial, validity};
use super::{CertAndKey, CertificateSpec, PkiError};

/// A CA that can issue certificates.
pub struct CertificateAuthority {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("CertificateAuthority")
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// Mints a new CA. Its common name carries the minting time
    /// (`keelson-ca@<unix seconds>`) so that two clusters' CAs, or an old
    /// and a new one, are told apart at a glance.
    pub fn mint() -> Result<CertificateAuthority, PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let (not_before, not_after) = validity(CA_LIFETIME);
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(random_serial());
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, format!("keelson-ca@{}", now_unix()));
        params.distinguished_name = subject;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key)?;
        let issuer = Issuer::new(params, key);
        Ok(CertificateAuthority {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer,
        })
    }

    /// Loads a CA from its certificate and key, checking that the
    /// certificate is a CA, is still valid, and belongs to the key. The
    /// error says what is wrong.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<CertificateAuthority, String> {
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| format!("no certificate: {e}"))?;
        let key = KeyPair::from_pem(key_pem).map_err(|e| format!("no usable key: {e}"))?;
        {
            let (_, cert) = X509Certificate::from_der(&cert_der)
                .map_err(|e| format!("unparsable certificate: {e}"))?;
            if !cert.is_ca() {
                return Err("the certificate is not a CA".into());
            }
            if cert.validity().not_after.timestamp() <= now_unix() {
                return Err(format!("the CA expired at {}", cert.validity().not_after));
            }
            if !key_matches(&cert, &key) {
                return Err("the key does not belong to the certificate".into());
            }
        }
        let issuer = Issuer::from_ca_cert_der(&cert_der, key)
            .map_err(|e| format!("cannot sign with it: {e}"))?;
        Ok(CertificateAuthority {
            cert_pem: cert_pem.to_owned(),
            cert_der,
            issuer,
        })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The CA's private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// Mints a fresh key and a certificate for `spec`, signed by this CA.
    pub fn issue(&self, spec: &CertificateSpec) -> Result<CertAndKey, PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let cert = spec.params()?.signed_by(&key, &self.issuer)?;
        Ok(CertAndKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A client certificate for user `common_name` in groups
    /// `organizations`: node credentials are
    /// `issue_client("system:node:<name>", &["system:nodes"])`.
    pub fn issue_client(
        &self,
        common_name: &str,
        organizations: &[&str],
    ) -> Result<CertAndKey, PkiError> {
        self.issue(&CertificateSpec::client(common_name, organizations))
    }

    /// A certificate (PEM) for the key and parameters of a certificate
    /// request, signed by this CA: the CSR signer's issuing step.
    pub fn sign_request(
        &self,
        request: &rcgen::CertificateSigningRequestParams,
    ) -> Result<String, PkiError> {
        Ok(request.signed_by(&self.issuer)?.pem())
    }

    /// Whether this CA's key signed `cert`.
    pub fn signed(&self, cert: &X509Certificate<'_>) -> bool {
        match X509Certificate::from_der(&self.cert_der) {
            Ok((_, ca)) => cert.verify_signature(Some(ca.public_key())).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_ca_signs_like_the_minted_one() {
        let minted = CertificateAuthority::mint().unwrap();
        let loaded = CertificateAuthority::from_pem(minted.cert_pem(), &minted.key_pem()).unwrap();
        let leaf = loaded.issue_client("alice", &["devs"]).unwrap();
        let der = leaf.cert_der().unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(minted.signed(&cert));
        let other = CertificateAuthority::mint().unwrap();
        assert!(!other.signed(&cert), "another CA's key did not sign it");
    }

    #[test]
    fn a_key_from_another_ca_is_refused() {
        let one = CertificateAuthority::mint().unwrap();
        let two = CertificateAuthority::mint().unwrap();
        let err = CertificateAuthority::from_pem(one.cert_pem(), &two.key_pem()).unwrap_err();
        assert!(err.contains("does not belong"), "{err}");
    }

    #[test]
    fn a_leaf_is_not_accepted_as_a_ca() {
        let ca = CertificateAuthority::mint().unwrap();
        let leaf = ca.issue_client("alice", &[]).unwrap();
        let err = CertificateAuthority::from_pem(&leaf.cert_pem, &leaf.key_pem).unwrap_err();
        assert!(err.contains("not a CA"), "{err}");
    }
}
