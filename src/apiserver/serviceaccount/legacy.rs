//! Legacy service-account tokens: the never-expiring JWTs Kubernetes kept
//! in `kubernetes.io/service-account-token` Secrets (issuer
//! `kubernetes/serviceaccount`). Upstream still fills such Secrets when
//! users create them and still accepts their tokens while the Secret and
//! the account last; before 1.24 it also created one for every account.

use serde_json::{Value, json};

/// The issuer legacy tokens name.
pub const ISSUER: &str = "kubernetes/serviceaccount";
/// The Secret type that holds one.
pub const SECRET_TYPE: &str = "kubernetes.io/service-account-token";
/// The annotations that tie such a Secret to its account.
pub const NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
pub const UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";

const NAMESPACE_CLAIM: &str = "kubernetes.io/serviceaccount/namespace";
const SECRET_CLAIM: &str = "kubernetes.io/serviceaccount/secret.name";
const NAME_CLAIM: &str = "kubernetes.io/serviceaccount/service-account.name";
const UID_CLAIM: &str = "kubernetes.io/serviceaccount/service-account.uid";

/// What a legacy token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyClaims {
    pub namespace: String,
    pub secret_name: String,
    pub service_account_name: String,
    pub service_account_uid: String,
}

impl LegacyClaims {
    pub fn to_json(&self) -> Value {
        json!({
            "iss": ISSUER,
            "sub": super::claims::user_name(&self.namespace, &self.service_account_name),
            NAMESPACE_CLAIM: self.namespace,
            SECRET_CLAIM: self.secret_name,
            NAME_CLAIM: self.service_account_name,
            UID_CLAIM: self.service_account_uid,
        })
    }

    pub fn from_json(claims: &Value) -> Option<LegacyClaims> {
        let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
        let parsed = LegacyClaims {
            namespace: text(NAMESPACE_CLAIM)?,
            secret_name: text(SECRET_CLAIM)?,
            service_account_name: text(NAME_CLAIM)?,
            service_account_uid: text(UID_CLAIM)?,
        };
        (text("sub")? == super::claims::user_name(&parsed.namespace, &parsed.service_account_name))
            .then_some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_must_agree_with_the_subject() {
        let claims = LegacyClaims {
            namespace: "ns".into(),
            secret_name: "sa-token-abcde".into(),
            service_account_name: "sa".into(),
            service_account_uid: "u".into(),
        };
        let json = claims.to_json();
        assert_eq!(json["sub"], "system:serviceaccount:ns:sa");
        assert_eq!(LegacyClaims::from_json(&json), Some(claims));
        let mut forged = json.clone();
        forged["sub"] = json!("system:serviceaccount:kube-system:admin");
        assert_eq!(LegacyClaims::from_json(&forged), None);
    }
}
