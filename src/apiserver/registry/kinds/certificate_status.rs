//! A CertificateSigningRequest's status, written through its two
//! subresources as upstream separates the concerns:
//!
//! * `approval` changes only `status.conditions` (an approver adds
//!   `Approved` or `Denied`);
//! * `status` is the signer's: it sets `status.certificate` (once) and
//!   may add other conditions (`Failed`), but keeps the approval
//!   conditions as they were.
//!
//! Both fill in missing condition timestamps and check the conditions
//! (known statuses, `Approved`/`Denied`/`Failed` only `True`, approval and
//! denial mutually exclusive, no duplicate types, none of the decisive
//! conditions removed) and the certificate (PEM `CERTIFICATE` blocks
//! only).

use base64::Engine;
use serde_json::Value;

use super::fields::{elements, str_at, string};
use crate::apiserver::object::now_rfc3339;
use crate::apiserver::validation::FieldError;

const APPROVED: &str = "Approved";
const DENIED: &str = "Denied";
const FAILED: &str = "Failed";

/// Condition types whose status may only be `True`.
const TRUE_ONLY: [&str; 3] = [APPROVED, DENIED, FAILED];

fn conditions(csr: &Value) -> &[Value] {
    elements(csr.get("status").unwrap_or(&Value::Null), "conditions")
}

fn of_type<'a>(csr: &'a Value, kind: &str) -> Vec<&'a Value> {
    conditions(csr)
        .iter()
        .filter(|c| string(c, "type") == kind)
        .collect()
}

/// Keeps the stored instances of `kind` where the write kept their number
/// (a changed number is refused by validation instead).
fn preserve_instances(csr: &mut Value, old: &Value, kind: &str) {
    let old_instances: Vec<Value> = of_type(old, kind).into_iter().cloned().collect();
    let Some(list) = csr
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    let positions: Vec<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, c)| string(c, "type") == kind)
        .map(|(i, _)| i)
        .collect();
    if positions.len() == old_instances.len() {
        for (position, instance) in positions.into_iter().zip(old_instances) {
            list[position] = instance;
        }
    }
}

/// Sets missing `lastUpdateTime`s to now, and missing
/// `lastTransitionTime`s to the stored one of the same type and status, or
/// now.
fn populate_timestamps(csr: &mut Value, old: &Value) {
    let now = now_rfc3339();
    let Some(list) = csr
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for condition in list.iter_mut().filter(|c| c.is_object()) {
        if str_at(condition, "/lastUpdateTime").is_empty() {
            condition["lastUpdateTime"] = Value::String(now.clone());
        }
        if str_at(condition, "/lastTransitionTime").is_empty() {
            let previous = conditions(old).iter().find(|o| {
                string(o, "type") == string(condition, "type")
                    && string(o, "status") == string(condition, "status")
                    && !string(o, "lastTransitionTime").is_empty()
            });
            condition["lastTransitionTime"] = match previous {
                Some(previous) => previous["lastTransitionTime"].clone(),
                None => Value::String(now.clone()),
            };
        }
    }
}

/// What a write through `subresource` may change; everything but status
/// is already the stored object's.
pub fn prepare(subresource: &str, csr: &mut Value, old: &Value) {
    match subresource {
        "approval" => {
            populate_timestamps(csr, old);
            let conditions = csr.pointer("/status/conditions").cloned();
            let mut status = old.get("status").cloned().unwrap_or_default();
            match conditions {
                Some(conditions) if !status.is_null() => status["conditions"] = conditions,
                Some(conditions) => status = serde_json::json!({ "conditions": conditions }),
                None => {
                    if let Some(map) = status.as_object_mut() {
                        map.remove("conditions");
                    }
                }
            }
            csr["status"] = status;
        }
        "status" => {
            preserve_instances(csr, old, APPROVED);
            preserve_instances(csr, old, DENIED);
            populate_timestamps(csr, old);
        }
        _ => {}
    }
}

/// The checks of a write through `subresource`.
pub fn validate(subresource: &str, csr: &Value, old: &Value) -> Vec<FieldError> {
    let mut errors = validate_conditions(csr, old);
    let certificate = str_at(csr, "/status/certificate");
    let old_certificate = str_at(old, "/status/certificate");
    if certificate != old_certificate
        && validate_certificate(old_certificate).is_ok()
        && let Err(e) = validate_certificate(certificate)
    {
        errors.push(FieldError::invalid(
            "status.certificate",
            "<certificate data>",
            e,
        ));
    }
    for kind in [APPROVED, DENIED, FAILED] {
        if of_type(csr, kind).len() < of_type(old, kind).len() {
            errors.push(FieldError::forbidden(
                "status.conditions",
                format!("updates may not remove a condition of type {kind:?}"),
            ));
        }
    }
    if subresource != "approval" {
        for kind in [APPROVED, DENIED] {
            let (new, old) = (of_type(csr, kind), of_type(old, kind));
            if new.len() > old.len() {
                errors.push(FieldError::forbidden(
                    "status.conditions",
                    format!("updates may not add a condition of type {kind:?}"),
                ));
            } else if new.len() == old.len() && new != old {
                errors.push(FieldError::forbidden(
                    "status.conditions",
                    format!("updates may not modify a condition of type {kind:?}"),
                ));
            }
        }
    }
    if certificate != old_certificate {
        if subresource != "status" {
            errors.push(FieldError::forbidden(
                "status.certificate",
                "updates may not set certificate content",
            ));
        } else if !old_certificate.is_empty() {
            errors.push(FieldError::forbidden(
                "status.certificate",
                "updates may not modify existing certificate content",
            ));
        }
    }
    errors
}

/// Upstream's condition rules, relaxed where the stored object already
/// breaks them (compatibility with old data).
fn validate_conditions(csr: &Value, old: &Value) -> Vec<FieldError> {
    let old_types: Vec<&str> = conditions(old).iter().map(|c| string(c, "type")).collect();
    let allow_both = old_types.contains(&APPROVED) && old_types.contains(&DENIED);
    let allow_duplicates = (1..old_types.len()).any(|i| old_types[..i].contains(&old_types[i]));
    let allow_empty_type = old_types.contains(&"");

    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let (mut approved, mut denied) = (false, false);
    for (i, condition) in conditions(csr).iter().enumerate() {
        let path = format!("status.conditions[{i}]");
        let kind = string(condition, "type");
        if kind.is_empty() && !allow_empty_type {
            errors.push(FieldError::required(format!("{path}.type"), ""));
        }
        let status = string(condition, "status");
        let allowed: &[&str] = if TRUE_ONLY.contains(&kind) {
            &["True"]
        } else {
            &["False", "True", "Unknown"]
        };
        if status.is_empty() {
            errors.push(FieldError::required(format!("{path}.status"), ""));
        } else if !allowed.contains(&status) {
            errors.push(FieldError::not_supported(
                format!("{path}.status"),
                status,
                allowed,
            ));
        }
        if !allow_both {
            let exclusive = match kind {
                APPROVED => {
                    approved = true;
                    denied
                }
                DENIED => {
                    denied = true;
                    approved
                }
                _ => false,
            };
            if exclusive {
                errors.push(FieldError::invalid(
                    format!("{path}.type"),
                    kind,
                    "Approved and Denied conditions are mutually exclusive",
                ));
            }
        }
        if !allow_duplicates {
            if seen.contains(&kind) {
                errors.push(FieldError::duplicate(format!("{path}.type"), kind));
            }
            seen.push(kind);
        }
    }
    errors
}

/// `status.certificate` (base64 of PEM): empty, or only `CERTIFICATE`
/// blocks without headers, each a certificate.
fn validate_certificate(encoded: &str) -> Result<(), String> {
    if encoded.is_empty() {
        return Ok(());
    }
    let pem = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&pem);
    if text.contains("Proc-Type:") || text.contains("DEK-Info:") {
        return Err("no PEM block headers are permitted".into());
    }
    let mut blocks = 0;
    for block in x509_parser::pem::Pem::iter_from_buffer(&pem) {
        let block = block.map_err(|e| e.to_string())?;
        if block.label != "CERTIFICATE" {
            return Err(format!(
                "only CERTIFICATE PEM blocks are allowed, found {:?}",
                block.label
            ));
        }
        x509_parser::parse_x509_certificate(&block.contents).map_err(|e| e.to_string())?;
        blocks += 1;
    }
    if blocks == 0 {
        return Err("must contain at least one CERTIFICATE PEM block".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn csr(conditions: Value) -> Value {
        json!({"spec": {"signerName": "example.com/s"}, "status": {"conditions": conditions}})
    }

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    #[test]
    fn approval_keeps_only_conditions_and_stamps_them() {
        let old = json!({"status": {"certificate": "Y2VydA=="}});
        let mut new = json!({"status": {"certificate": "b3RoZXI=", "conditions": [
            {"type": "Approved", "status": "True", "reason": "KubectlApprove"}]}});
        prepare("approval", &mut new, &old);
        assert_eq!(new["status"]["certificate"], "Y2VydA==");
        let condition = &new["status"]["conditions"][0];
        assert_eq!(condition["reason"], "KubectlApprove");
        assert_eq!(condition["lastUpdateTime"], condition["lastTransitionTime"]);
        assert!(validate("approval", &new, &old).is_empty());
    }

    #[test]
    fn the_signer_cannot_approve_or_undo_a_decision() {
        let approved = csr(json!([{"type": "Approved", "status": "True"}]));
        let mut rewritten = csr(json!([{"type": "Approved", "status": "True", "reason": "Mine"}]));
        prepare("status", &mut rewritten, &approved);
        assert_eq!(rewritten["status"]["conditions"][0].get("reason"), None);

        let pending = csr(json!([]));
        let mut self_approved = csr(json!([{"type": "Approved", "status": "True"}]));
        prepare("status", &mut self_approved, &pending);
        assert_eq!(
            lines(&validate("status", &self_approved, &pending)),
            ["status.conditions: Forbidden: updates may not add a condition of type \"Approved\""]
        );
        assert_eq!(
            lines(&validate("approval", &pending, &approved)),
            [
                "status.conditions: Forbidden: updates may not remove a condition of type \"Approved\""
            ]
        );
    }

    #[test]
    fn conditions_follow_upstreams_rules() {
        let old = csr(json!([]));
        let new = csr(json!([
            {"type": "Approved", "status": "True"},
            {"type": "Denied", "status": "False"},
            {"type": "Approved", "status": "True"},
            {"type": "", "status": ""},
        ]));
        assert_eq!(
            lines(&validate("approval", &new, &old)),
            [
                "status.conditions[1].status: Unsupported value: \"False\": supported values: \"True\"",
                "status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive",
                "status.conditions[2].type: Invalid value: \"Approved\": Approved and Denied conditions are mutually exclusive",
                "status.conditions[2].type: Duplicate value: \"Approved\"",
                "status.conditions[3].type: Required value",
                "status.conditions[3].status: Required value",
            ]
        );
    }

    #[test]
    fn certificates_are_pem_certificates_set_once_by_the_signer() {
        let pair = rcgen::KeyPair::generate().unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&pair)
            .unwrap()
            .pem();
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let old = csr(json!([{"type": "Approved", "status": "True"}]));
        let mut issued = old.clone();
        issued["status"]["certificate"] = json!(encode(&certificate));
        assert!(validate("status", &issued, &old).is_empty());
        assert_eq!(
            lines(&validate("approval", &issued, &old)),
            ["status.certificate: Forbidden: updates may not set certificate content"]
        );
        let mut reissued = issued.clone();
        reissued["status"]["certificate"] = json!(encode(&certificate.replace("\n", "\n\n")));
        assert_eq!(
            lines(&validate("status", &reissued, &issued)),
            ["status.certificate: Forbidden: updates may not modify existing certificate content"]
        );
        let mut key = old.clone();
        key["status"]["certificate"] = json!(encode(&pair.serialize_pem()));
        assert_eq!(
            lines(&validate("status", &key, &old)),
            [
                "status.certificate: Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, found \"PRIVATE KEY\""
            ]
        );
    }
}
