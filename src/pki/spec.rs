//! What a certificate must say: its subject, what it is for, and (for
//! serving certificates) the names it answers to.
//!
//! A spec both builds the parameters for minting and judges an existing
//! certificate, so that "mint" and "is what we have still right?" can never
//! disagree.

use std::collections::BTreeSet;
use std::net::IpAddr;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    SanType,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::PkiError;
use super::lifetime::{LEAF_LIFETIME, random_serial, validity};

/// The OID of the X.520 organizationName attribute (`O`).
const ORGANIZATION_OID: [u64; 4] = [2, 5, 4, 10];

/// What the key of a certificate may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// TLS client authentication: a user (CN) and its groups (O).
    Client,
    /// TLS server authentication: the names in the SANs.
    Server,
}

/// The content of a leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateSpec {
    /// For client certificates, the user name the API server sees.
    pub common_name: String,
    /// For client certificates, the groups the API server sees.
    pub organizations: Vec<String>,
    pub usage: Usage,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
}

impl CertificateSpec {
    /// A client certificate for user `common_name` in groups `organizations`,
    /// e.g. `system:node:n1` in `system:nodes`.
    pub fn client(common_name: impl Into<String>, organizations: &[&str]) -> CertificateSpec {
        CertificateSpec {
            common_name: common_name.into(),
            organizations: organizations.iter().map(|o| (*o).to_owned()).collect(),
            usage: Usage::Client,
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
        }
    }

    /// A serving certificate answering to `dns_names` and `ip_addresses`.
    pub fn server(
        common_name: impl Into<String>,
        dns_names: Vec<String>,
        ip_addresses: Vec<IpAddr>,
    ) -> CertificateSpec {
        CertificateSpec {
            common_name: common_name.into(),
            organizations: Vec::new(),
            usage: Usage::Server,
            dns_names,
            ip_addresses,
        }
    }

    /// Parameters to mint a certificate of this spec, valid from now.
    pub fn params(&self) -> Result<CertificateParams, PkiError> {
        let mut params = CertificateParams::default();
        let (not_before, not_after) = validity(LEAF_LIFETIME);
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(random_serial());
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        params.distinguished_name = self.subject()?;
        // ECDSA keys sign; they never encipher keys, so DigitalSignature is
        // the one key usage they need for TLS.
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match self.usage {
            Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
            Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
        }];
        for name in &self.dns_names {
            let name = name.clone().try_into().map_err(|e| {
                PkiError::Unsupported(format!(
                    "{name:?} cannot be a DNS name in a certificate: {e}"
                ))
            })?;
            params.subject_alt_names.push(SanType::DnsName(name));
        }
        for ip in &self.ip_addresses {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        Ok(params)
    }

    fn subject(&self) -> Result<DistinguishedName, PkiError> {
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, self.common_name.as_str());
        // rcgen keeps one value per attribute type. A second `O` goes in under
        // the same OID spelled as a custom type (a distinct key for rcgen, the
        // same attribute on the wire). Kubernetes reads every `O` as a group;
        // more than two is not expressible with rcgen and is refused rather
        // than silently dropped.
        match self.organizations.as_slice() {
            [] => {}
            [first] => subject.push(DnType::OrganizationName, first.as_str()),
            [first, second] => {
                subject.push(DnType::OrganizationName, first.as_str());
                subject.push(
                    DnType::CustomDnType(ORGANIZATION_OID.to_vec()),
                    second.as_str(),
                );
            }
            more => {
                return Err(PkiError::Unsupported(format!(
                    "a certificate can carry at most two organizations (groups), not {}",
                    more.len()
                )));
            }
        }
        Ok(subject)
    }

    /// Why `cert` does not satisfy this spec, or `None` when it does. A
    /// serving certificate may carry more names than asked for.
    pub fn mismatch(&self, cert: &X509Certificate<'_>) -> Option<String> {
        let subject = cert.subject();
        let common_names: Vec<&str> = subject
            .iter_common_name()
            .filter_map(|a| a.as_str().ok())
            .collect();
        if common_names != [self.common_name.as_str()] {
            return Some(format!(
                "common name is {common_names:?}, want {:?}",
                self.common_name
            ));
        }
        let organizations: BTreeSet<&str> = subject
            .iter_organization()
            .filter_map(|a| a.as_str().ok())
            .collect();
        let wanted: BTreeSet<&str> = self.organizations.iter().map(String::as_str).collect();
        if organizations != wanted {
            return Some(format!(
                "organizations are {organizations:?}, want {wanted:?}"
            ));
        }
        let purpose_ok = match cert.extended_key_usage() {
            Ok(Some(eku)) => match self.usage {
                Usage::Client => eku.value.client_auth,
                Usage::Server => eku.value.server_auth,
            },
            _ => false,
        };
        if !purpose_ok {
            return Some(format!("not a TLS {:?} certificate", self.usage));
        }
        let (dns_names, ips) = subject_alt_names(cert);
        for name in &self.dns_names {
            if !dns_names.iter().any(|have| have.eq_ignore_ascii_case(name)) {
                return Some(format!("has no DNS name {name}"));
            }
        }
        for ip in &self.ip_addresses {
            if !ips.contains(ip) {
                return Some(format!("has no IP address {ip}"));
            }
        }
        None
    }
}

/// The DNS names and IP addresses in `cert`'s subjectAltName.
pub fn subject_alt_names(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => ips.push(IpAddr::from(
                        <[u8; 4]>::try_from(*bytes).unwrap_or_default(),
                    )),
                    16 => ips.push(IpAddr::from(
                        <[u8; 16]>::try_from(*bytes).unwrap_or_default(),
                    )),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    (dns_names, ips)
}
