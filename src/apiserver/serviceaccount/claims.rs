//! The claims of a service-account token, as upstream writes them: the
//! registered `iss`, `sub` (`system:serviceaccount:<ns>:<name>`), `aud`,
//! `exp`, `iat`, `nbf` and `jti`, and a private `kubernetes.io` claim
//! naming the namespace, the service account and the object the token is
//! bound to (a pod, with the node it runs on, a secret, or a node), each
//! by name and uid.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// An object a token names, by name and uid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

impl ObjectRef {
    pub fn new(name: &str, uid: &str) -> ObjectRef {
        ObjectRef {
            name: name.into(),
            uid: uid.into(),
        }
    }
}

/// The private `kubernetes.io` claim.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<ObjectRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<ObjectRef>,
    #[serde(rename = "serviceaccount", default)]
    pub service_account: ObjectRef,
    /// For the kubelet's one-hour tokens stretched to a year: when to start
    /// counting them as stale.
    #[serde(rename = "warnafter", default, skip_serializing_if = "Option::is_none")]
    pub warn_after: Option<i64>,
}

/// Every claim of a token. Field names sort as upstream's encoder writes
/// them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    #[serde(rename = "aud", default, deserialize_with = "audiences")]
    pub audiences: Vec<String>,
    #[serde(rename = "exp", default)]
    pub expiry: Option<i64>,
    #[serde(rename = "iat", default)]
    pub issued_at: Option<i64>,
    #[serde(rename = "iss", default)]
    pub issuer: String,
    #[serde(rename = "jti", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "kubernetes.io", default)]
    pub kubernetes: KubernetesClaims,
    #[serde(rename = "nbf", default)]
    pub not_before: Option<i64>,
    #[serde(rename = "sub", default)]
    pub subject: String,
}

/// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
fn audiences<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// `system:serviceaccount:<namespace>:<name>`.
pub fn user_name(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

impl TokenClaims {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The claims of a payload; `None` if they have the wrong shape.
    pub fn from_json(payload: &Value) -> Option<TokenClaims> {
        serde_json::from_value(payload.clone()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_are_written_as_upstream_writes_them() {
        let claims = TokenClaims {
            audiences: vec!["https://kubernetes.default.svc.cluster.local".into()],
            expiry: Some(1_700_003_600),
            issued_at: Some(1_700_000_000),
            issuer: "https://kubernetes.default.svc.cluster.local".into(),
            id: "6a3a0f61-9fb4-4a45-b5d5-3f1b9b5c7a10".into(),
            kubernetes: KubernetesClaims {
                namespace: "default".into(),
                node: Some(ObjectRef::new("n1", "")),
                pod: Some(ObjectRef::new("web", "pod-uid")),
                secret: None,
                service_account: ObjectRef::new("default", "sa-uid"),
                warn_after: None,
            },
            not_before: Some(1_700_000_000),
            subject: user_name("default", "default"),
        };
        let json = claims.to_json().to_string();
        assert_eq!(
            json,
            r#"{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1700003600,"iat":1700000000,"iss":"https://kubernetes.default.svc.cluster.local","jti":"6a3a0f61-9fb4-4a45-b5d5-3f1b9b5c7a10","kubernetes.io":{"namespace":"default","node":{"name":"n1"},"pod":{"name":"web","uid":"pod-uid"},"serviceaccount":{"name":"default","uid":"sa-uid"}},"nbf":1700000000,"sub":"system:serviceaccount:default:default"}"#
        );
        assert_eq!(
            TokenClaims::from_json(&claims.to_json()).as_ref(),
            Some(&claims)
        );
    }

    #[test]
    fn a_single_audience_may_be_a_string() {
        let claims = TokenClaims::from_json(&json!({"aud": "api", "iss": "x"})).unwrap();
        assert_eq!(claims.audiences, ["api"]);
        assert!(TokenClaims::from_json(&json!({"aud": 5})).is_none());
    }
}
