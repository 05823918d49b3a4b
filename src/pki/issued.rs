//! A certificate and its private key as PEM text: what gets written to
//! `pki/`, embedded in kubeconfigs and loaded into TLS configurations.

use std::path::Path;

use rcgen::KeyPair;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::files::{Durability, PRIVATE_MODE, PUBLIC_MODE, read_if_exists, write_atomically};
use super::lifetime::{RENEW_BEFORE, now_unix};
use super::{CertificateAuthority, CertificateSpec, PkiError};

#[derive(Clone, PartialEq, Eq)]
pub struct CertAndKey {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for CertAndKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("CertAndKey")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl CertAndKey {
    /// The (first) certificate, DER.
    pub fn cert_der(&self) -> Result<CertificateDer<'static>, String> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .map_err(|e| format!("no certificate: {e}"))
    }

    /// Reads `cert_path` and `key_path`; `None` when either is missing.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Option<CertAndKey>, PkiError> {
        let cert_pem = read_if_exists(cert_path)?;
        let key_pem = read_if_exists(key_path)?;
        Ok(match (cert_pem, key_pem) {
            (Some(cert_pem), Some(key_pem)) => Some(CertAndKey { cert_pem, key_pem }),
            _ => None,
        })
    }

    /// Writes the key (owner-only) and then the certificate.
    pub fn save(
        &self,
        cert_path: &Path,
        key_path: &Path,
        durability: Durability,
    ) -> Result<(), PkiError> {
        write_atomically(key_path, self.key_pem.as_bytes(), PRIVATE_MODE, durability)?;
        write_atomically(cert_path, self.cert_pem.as_bytes(), PUBLIC_MODE, durability)
    }

    /// Why this pair cannot serve as `spec` issued by `ca`; `None` when it
    /// can. A certificate with less than [`RENEW_BEFORE`] left counts as
    /// unusable, so that it is renewed at a start rather than failing later.
    pub fn problem(&self, ca: &CertificateAuthority, spec: &CertificateSpec) -> Option<String> {
        let der = match self.cert_der() {
            Ok(der) => der,
            Err(e) => return Some(e),
        };
        let cert = match X509Certificate::from_der(&der) {
            Ok((_, cert)) => cert,
            Err(e) => return Some(format!("unparsable certificate: {e}")),
        };
        let key = match KeyPair::from_pem(&self.key_pem) {
            Ok(key) => key,
            Err(e) => return Some(format!("no usable key: {e}")),
        };
        if !key_matches(&cert, &key) {
            return Some("the key does not belong to the certificate".into());
        }
        if !ca.signed(&cert) {
            return Some("not signed by the current CA".into());
        }
        let left = cert.validity().not_after.timestamp() - now_unix();
        if left < RENEW_BEFORE.as_secs() as i64 {
            return Some(format!("expires at {}", cert.validity().not_after));
        }
        spec.mismatch(&cert)
    }
}

/// Whether `key` is the private half of `cert`'s public key.
pub(crate) fn key_matches(cert: &X509Certificate<'_>, key: &KeyPair) -> bool {
    cert.public_key().subject_public_key.data.as_ref() == key.public_key_raw()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn a_fresh_leaf_has_no_problem_and_a_wrong_one_says_why() {
        let ca = CertificateAuthority::mint().unwrap();
        let spec = CertificateSpec::client("kubernetes-admin", &["system:masters"]);
        let admin = ca.issue(&spec).unwrap();
        assert_eq!(admin.problem(&ca, &spec), None);

        let other_ca = CertificateAuthority::mint().unwrap();
        assert_eq!(
            admin.problem(&other_ca, &spec).as_deref(),
            Some("not signed by the current CA")
        );

        let renamed = CertificateSpec::client("someone-else", &["system:masters"]);
        assert!(
            admin
                .problem(&ca, &renamed)
                .unwrap()
                .contains("common name")
        );

        let regrouped = CertificateSpec::client("kubernetes-admin", &["devs"]);
        assert!(
            admin
                .problem(&ca, &regrouped)
                .unwrap()
                .contains("organizations")
        );

        let swapped = CertAndKey {
            cert_pem: admin.cert_pem.clone(),
            key_pem: ca.issue(&spec).unwrap().key_pem,
        };
        assert!(swapped.problem(&ca, &spec).unwrap().contains("key"));
    }

    #[test]
    fn a_serving_cert_missing_a_name_is_a_problem() {
        let ca = CertificateAuthority::mint().unwrap();
        let localhost: IpAddr = "127.0.0.1".parse().unwrap();
        let spec =
            CertificateSpec::server("kube-apiserver", vec!["localhost".into()], vec![localhost]);
        let serving = ca.issue(&spec).unwrap();
        assert_eq!(serving.problem(&ca, &spec), None);
        let mut wider = spec.clone();
        wider.ip_addresses.push("10.96.0.1".parse().unwrap());
        assert!(serving.problem(&ca, &wider).unwrap().contains("10.96.0.1"));
        // A client certificate cannot stand in for a serving one.
        let client_spec = CertificateSpec::client("kube-apiserver", &[]);
        let client = ca.issue(&client_spec).unwrap();
        assert!(client.problem(&ca, &spec).unwrap().contains("Server"));
    }

    #[test]
    fn two_organizations_are_both_groups_and_three_are_refused() {
        let ca = CertificateAuthority::mint().unwrap();
        let spec = CertificateSpec::client("bob", &["devs", "ops"]);
        let bob = ca.issue(&spec).unwrap();
        let der = bob.cert_der().unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let groups: Vec<&str> = cert
            .subject()
            .iter_organization()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(groups, ["devs", "ops"]);
        assert!(matches!(
            ca.issue(&CertificateSpec::client("carol", &["a", "b", "c"])),
            Err(PkiError::Unsupported(_))
        ));
    }

    #[test]
    fn save_and_load_round_trip_with_private_key_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::mint().unwrap();
        let pair = ca.issue_client("alice", &[]).unwrap();
        let (cert, key) = (dir.path().join("a.crt"), dir.path().join("a.key"));
        assert_eq!(CertAndKey::load(&cert, &key).unwrap(), None);
        pair.save(&cert, &key, Durability::Synced).unwrap();
        assert_eq!(CertAndKey::load(&cert, &key).unwrap(), Some(pair));
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
