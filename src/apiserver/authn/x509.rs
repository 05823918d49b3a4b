//! Users from TLS client certificates: the certificate's CN is the user
//! name and its O values are the groups, as upstream.
//!
//! The TLS layer has already verified the chain against the client CA
//! (`--client-ca-file`) and the certificate's client-auth usage; this only
//! reads the identity out of the leaf.

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::apiserver::user::UserInfo;

/// The user a verified client certificate (DER) names. `None` for a
/// certificate without a common name: upstream treats that as no
/// credential, and the request goes on to the other authenticators.
pub fn user_from_certificate(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let subject = cert.subject();
    let name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .filter(|cn| !cn.is_empty())?
        .to_owned();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok())
        .map(str::to_owned)
        .collect();
    Some(UserInfo {
        name,
        groups,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificateAuthority;

    #[test]
    fn common_name_is_the_user_and_organizations_the_groups() {
        let ca = CertificateAuthority::mint().unwrap();
        let node = ca
            .issue_client("system:node:n1", &["system:nodes"])
            .unwrap();
        let user = user_from_certificate(&node.cert_der().unwrap()).unwrap();
        assert_eq!(user.name, "system:node:n1");
        assert_eq!(user.groups, ["system:nodes"]);
        assert_eq!(user.uid, "");

        let two = ca.issue_client("bob", &["devs", "ops"]).unwrap();
        let user = user_from_certificate(&two.cert_der().unwrap()).unwrap();
        assert_eq!(user.groups, ["devs", "ops"]);
    }

    #[test]
    fn no_common_name_is_no_user() {
        let ca = CertificateAuthority::mint().unwrap();
        let nameless = ca.issue_client("", &["system:masters"]).unwrap();
        assert_eq!(user_from_certificate(&nameless.cert_der().unwrap()), None);
        assert_eq!(user_from_certificate(b"not a certificate"), None);
    }
}
