//! CertificateSigningRequests: the request is fixed once made (only the
//! approval and status subresources change a CSR, see
//! [`super::certificate_status`]), a signer and usages are required, and
//! `spec.signerName` is a field selector.

use serde_json::Value;

use super::fields::{elements, get, selectable, string};
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::metadata::qualified_name_errors;

pub struct CertificateSigningRequestStrategy;

impl Strategy for CertificateSigningRequestStrategy {
    fn prepare_for_update(&self, csr: &mut Value, old: &Value) {
        // The main resource cannot change the request.
        if let Some(spec) = old.get("spec") {
            csr["spec"] = spec.clone();
        }
    }

    fn prepare_for_subresource_update(&self, subresource: &str, csr: &mut Value, old: &Value) {
        super::certificate_status::prepare(subresource, csr, old);
    }

    fn validate_subresource_update(
        &self,
        subresource: &str,
        csr: &Value,
        old: &Value,
    ) -> Vec<FieldError> {
        super::certificate_status::validate(subresource, csr, old)
    }

    fn validate(&self, csr: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let spec = get(csr, "spec");
        let signer = string(spec, "signerName");
        if signer.is_empty() {
            errors.push(FieldError::required("spec.signerName", ""));
        } else if !signer.contains('/') {
            errors.push(FieldError::invalid(
                "spec.signerName",
                signer,
                "must be a fully qualified domain and path of the form 'example.com/signer-name'",
            ));
        } else {
            for e in qualified_name_errors(signer.split('/').next().unwrap_or_default()) {
                errors.push(FieldError::invalid("spec.signerName", signer, e));
            }
        }
        if elements(spec, "usages").is_empty() {
            errors.push(FieldError::required("spec.usages", ""));
        }
        if string(spec, "request").is_empty() {
            errors.push(FieldError::required("spec.request", ""));
        }
        errors
    }

    fn field_value(&self, csr: &Value, field: &str) -> FieldLookup {
        match field {
            "spec.signerName" => selectable(csr, "/spec/signerName"),
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csrs() {
        let csr = json!({"spec": {"signerName": "kubernetes.io/kube-apiserver-client",
            "usages": ["client auth"], "request": "LS0t"}});
        assert!(CertificateSigningRequestStrategy.validate(&csr).is_empty());
        assert_eq!(
            CertificateSigningRequestStrategy.field_value(&csr, "spec.signerName"),
            FieldLookup::Value("kubernetes.io/kube-apiserver-client".into())
        );
        assert_eq!(
            CertificateSigningRequestStrategy
                .validate(&json!({"spec": {"usages": ["x"], "request": "x"}}))[0]
                .line(),
            "spec.signerName: Required value"
        );
        let mut changed = json!({"spec": {"signerName": "other.io/x"}});
        CertificateSigningRequestStrategy.prepare_for_update(&mut changed, &csr);
        assert_eq!(changed["spec"], csr["spec"]);
    }
}
