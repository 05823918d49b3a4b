//! The csrsigning controller: approved CertificateSigningRequests for the
//! Kubernetes signers are issued a certificate by the cluster CA
//! (upstream's `--cluster-signing-cert-file`/`--cluster-signing-key-file`):
//!
//! * `kubernetes.io/kube-apiserver-client-kubelet`: a kubelet's client
//!   certificate (`system:node:<name>` in `system:nodes`, no SANs);
//! * `kubernetes.io/kubelet-serving`: a kubelet's serving certificate (the
//!   same subject, DNS or IP SANs);
//! * `kubernetes.io/kube-apiserver-client`: any client certificate.
//!
//! A request a signer does not accept gets the `Failed` condition
//! (`SignerValidationFailure`) with the reason, as upstream. The
//! certificate lasts the signer's duration, or less if the request asks
//! (`spec.expirationSeconds`).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use rcgen::{CertificateSigningRequestParams, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose};
use serde_json::json;

use super::RETRY;
use crate::pki::CertificateAuthority;

/// The signers this controller issues for.
pub const SIGNERS: [&str; 3] = [
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving",
    "kubernetes.io/kube-apiserver-client",
];

/// How certificates are issued.
#[derive(Clone, Debug)]
pub struct Signing {
    pub authority: Arc<CertificateAuthority>,
    /// The longest a certificate lasts (`--cluster-signing-duration`).
    pub duration: Duration,
}

struct Context {
    client: Client,
    signing: Signing,
}

/// Runs until the watch ends.
pub async fn run(client: Client, signing: Signing) {
    let requests: Api<CertificateSigningRequest> = Api::all(client.clone());
    let context = Arc::new(Context { client, signing });
    Controller::new(requests, watcher::Config::default())
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "csrsigning: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

async fn reconcile(
    request: Arc<CertificateSigningRequest>,
    context: Arc<Context>,
) -> Result<Action, kube::Error> {
    let signer = request.spec.signer_name.as_str();
    let status = request.status.as_ref();
    let has = |kind: &str| {
        status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c.type_ == kind && c.status == "True")
            })
    };
    let issued = status.is_some_and(|s| s.certificate.as_ref().is_some_and(|c| !c.0.is_empty()));
    if !SIGNERS.contains(&signer) || issued || !has("Approved") || has("Denied") || has("Failed") {
        return Ok(Action::await_change());
    }
    let api: Api<CertificateSigningRequest> = Api::all(context.client.clone());
    let status = match issue(&request, &context.signing) {
        Ok(pem) => json!({"certificate": base64::engine::general_purpose::STANDARD.encode(pem)}),
        Err(reason) => {
            // Approval conditions stay; Failed is added next to them.
            let mut conditions = request
                .status
                .as_ref()
                .and_then(|s| s.conditions.clone())
                .unwrap_or_default();
            let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now());
            conditions.push(
                k8s_openapi::api::certificates::v1::CertificateSigningRequestCondition {
                    type_: "Failed".into(),
                    status: "True".into(),
                    reason: Some("SignerValidationFailure".into()),
                    message: Some(reason),
                    last_update_time: Some(now.clone()),
                    last_transition_time: Some(now),
                },
            );
            json!({"conditions": conditions})
        }
    };
    let patch = json!({
        "metadata": {"resourceVersion": request.resource_version()},
        "status": status,
    });
    match api
        .patch_status(
            &request.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => {}
        // Changed or gone meanwhile: the watch brings what is next.
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
        Err(error) => return Err(error),
    }
    Ok(Action::await_change())
}

/// A PEM certificate for `request`, or why its signer refuses it.
fn issue(request: &CertificateSigningRequest, signing: &Signing) -> Result<String, String> {
    let pem = String::from_utf8(request.spec.request.0.clone())
        .map_err(|_| "the request is not PEM".to_owned())?;
    let parsed = CertificateSigningRequestParams::from_pem(&pem)
        .map_err(|e| format!("unable to parse the certificate request: {e}"))?;
    let usages = &request.spec.usages.clone().unwrap_or_default();
    check(&request.spec.signer_name, &pem, usages)?;

    let mut params = parsed.params.clone();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = usages.iter().filter_map(|u| key_usage(u)).collect();
    params.extended_key_usages = usages
        .iter()
        .filter_map(|u| extended_key_usage(u))
        .collect();
    params.use_authority_key_identifier_extension = true;
    let requested = request
        .spec
        .expiration_seconds
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs);
    let lifetime = requested.map_or(signing.duration, |r| r.min(signing.duration));
    (params.not_before, params.not_after) = crate::pki::lifetime::validity(lifetime);
    params.serial_number = Some(crate::pki::lifetime::random_serial());
    let request = CertificateSigningRequestParams {
        params,
        public_key: parsed.public_key,
    };
    signing
        .authority
        .sign_request(&request)
        .map_err(|e| format!("signing failed: {e}"))
}

/// What the request asks for, as the signer's rules see it.
struct Subject {
    common_name: String,
    organizations: Vec<String>,
    dns_or_ip: bool,
    email_or_uri: bool,
}

fn subject(pem: &str) -> Result<Subject, String> {
    use rustls_pki_types::pem::PemObject;
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    use x509_parser::prelude::FromDer;
    let der = rustls_pki_types::CertificateSigningRequestDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| format!("not a PEM certificate request: {e}"))?;
    let (_, request) =
        x509_parser::certification_request::X509CertificationRequest::from_der(der.as_ref())
            .map_err(|e| format!("unable to parse the certificate request: {e}"))?;
    let name = &request.certification_request_info.subject;
    let text = |attribute: &x509_parser::x509::AttributeTypeAndValue<'_>| {
        attribute.as_str().unwrap_or_default().to_owned()
    };
    let mut subject = Subject {
        common_name: name.iter_common_name().next().map(text).unwrap_or_default(),
        organizations: name.iter_organization().map(text).collect(),
        dns_or_ip: false,
        email_or_uri: false,
    };
    for extension in request.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(names) = extension {
            for general in &names.general_names {
                match general {
                    GeneralName::DNSName(_) | GeneralName::IPAddress(_) => subject.dns_or_ip = true,
                    GeneralName::RFC822Name(_) | GeneralName::URI(_) => subject.email_or_uri = true,
                    _ => {}
                }
            }
        }
    }
    Ok(subject)
}

/// The signer's rules on subject, names and usages (upstream's messages).
fn check(signer: &str, pem: &str, usages: &[String]) -> Result<(), String> {
    let subject = subject(pem)?;
    let (required, permitted): (&[&str], &[&str]) = match signer {
        "kubernetes.io/kubelet-serving" => (
            &["server auth"],
            &["digital signature", "key encipherment", "server auth"],
        ),
        _ => (
            &["client auth"],
            &["digital signature", "key encipherment", "client auth"],
        ),
    };
    if signer != "kubernetes.io/kube-apiserver-client" {
        if subject.organizations != ["system:nodes"] {
            return Err("subject organization is not system:nodes".into());
        }
        if !subject.common_name.starts_with("system:node:") {
            return Err("subject common name does not begin with system:node:".into());
        }
        if signer == "kubernetes.io/kubelet-serving" {
            if subject.email_or_uri {
                return Err("email and URI subjectAltNames are not allowed".into());
            }
            if !subject.dns_or_ip {
                return Err("DNS or IP subjectAltName is required".into());
            }
        } else if subject.email_or_uri || subject.dns_or_ip {
            return Err("DNS, IP, email and URI subjectAltNames are not allowed".into());
        }
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !usages.iter().any(|u| u == r))
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing required usages: {}", missing.join(", ")));
    }
    let extra: Vec<&str> = usages
        .iter()
        .map(String::as_str)
        .filter(|u| !permitted.contains(u))
        .collect();
    if !extra.is_empty() {
        return Err(format!("usages not allowed: {}", extra.join(", ")));
    }
    Ok(())
}

fn key_usage(usage: &str) -> Option<KeyUsagePurpose> {
    Some(match usage {
        "digital signature" => KeyUsagePurpose::DigitalSignature,
        "content commitment" => KeyUsagePurpose::ContentCommitment,
        "key encipherment" => KeyUsagePurpose::KeyEncipherment,
        "key agreement" => KeyUsagePurpose::KeyAgreement,
        "data encipherment" => KeyUsagePurpose::DataEncipherment,
        "cert sign" => KeyUsagePurpose::KeyCertSign,
        "crl sign" => KeyUsagePurpose::CrlSign,
        "encipher only" => KeyUsagePurpose::EncipherOnly,
        "decipher only" => KeyUsagePurpose::DecipherOnly,
        _ => return None,
    })
}

fn extended_key_usage(usage: &str) -> Option<ExtendedKeyUsagePurpose> {
    Some(match usage {
        "any" => ExtendedKeyUsagePurpose::Any,
        "server auth" => ExtendedKeyUsagePurpose::ServerAuth,
        "client auth" => ExtendedKeyUsagePurpose::ClientAuth,
        "code signing" => ExtendedKeyUsagePurpose::CodeSigning,
        "email protection" => ExtendedKeyUsagePurpose::EmailProtection,
        "timestamping" => ExtendedKeyUsagePurpose::TimeStamping,
        "ocsp signing" => ExtendedKeyUsagePurpose::OcspSigning,
        _ => return None,
    })
}
