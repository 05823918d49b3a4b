//! Access reviews: may a user do something (`SubjectAccessReview`,
//! `LocalSubjectAccessReview`, `SelfSubjectAccessReview`), and what may I
//! do (`SelfSubjectRulesReview`) — answered by the server's own authorizer.

use serde_json::{Value, json};

use super::strings;
use crate::apiserver::authz;
use crate::apiserver::request::RequestInfo;
use crate::apiserver::status::{ApiError, Cause};
use crate::apiserver::user::UserInfo;

const GROUP: &str = "authorization.k8s.io";

fn invalid(kind: &str, field: &str, reason: &str, message: String) -> ApiError {
    ApiError::invalid(
        GROUP,
        kind,
        "",
        vec![Cause {
            reason: reason.into(),
            message,
            field: field.into(),
        }],
    )
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The user a SubjectAccessReview's `spec` describes.
fn subject(spec: &Value) -> UserInfo {
    let extra = spec
        .get("extra")
        .and_then(Value::as_object)
        .map(|e| {
            e.iter()
                .map(|(k, v)| (k.clone(), strings(&json!({"v": v}), "v")))
                .collect()
        })
        .unwrap_or_default();
    UserInfo {
        name: text(spec, "user").to_owned(),
        uid: text(spec, "uid").to_owned(),
        groups: strings(spec, "groups"),
        extra,
    }
}

/// The request `spec`'s attributes describe, as the authorizer sees one.
fn attributes(kind: &str, spec: &Value) -> Result<RequestInfo, ApiError> {
    let resource = spec.get("resourceAttributes").filter(|v| !v.is_null());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| !v.is_null());
    match (resource, non_resource) {
        (Some(attributes), None) => Ok(RequestInfo {
            is_resource: true,
            verb: text(attributes, "verb").to_owned(),
            group: text(attributes, "group").to_owned(),
            version: text(attributes, "version").to_owned(),
            namespace: Some(text(attributes, "namespace"))
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            resource: text(attributes, "resource").to_owned(),
            subresource: Some(text(attributes, "subresource"))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            name: Some(text(attributes, "name"))
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            ..Default::default()
        }),
        (None, Some(attributes)) => Ok(RequestInfo {
            is_resource: false,
            path: text(attributes, "path").to_owned(),
            verb: text(attributes, "verb").to_owned(),
            ..Default::default()
        }),
        (Some(_), Some(_)) => Err(invalid(
            kind,
            "spec.resourceAttributes",
            "FieldValueInvalid",
            "Invalid value: \"resourceAttributes\": cannot be specified in combination with nonResourceAttributes".into(),
        )),
        (None, None) => Err(invalid(
            kind,
            "spec.resourceAttributes",
            "FieldValueInvalid",
            "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified".into(),
        )),
    }
}

/// The `status` of an access review of `kind`, posted by `requester` to
/// the path `path_info` describes.
pub fn review(
    kind: &str,
    path_info: &RequestInfo,
    requester: &UserInfo,
    spec: &Value,
) -> Result<Value, ApiError> {
    let request = attributes(kind, spec)?;
    let user = match kind {
        "SelfSubjectAccessReview" => requester.clone(),
        _ => {
            let user = subject(spec);
            if user.name.is_empty() && user.groups.is_empty() {
                return Err(invalid(
                    kind,
                    "spec.user",
                    "FieldValueInvalid",
                    "Invalid value: \"\": at least one of user or group must be specified".into(),
                ));
            }
            user
        }
    };
    if kind == "LocalSubjectAccessReview" {
        let namespace = path_info.namespace.as_deref().unwrap_or_default();
        let asked = request.namespace.as_deref().unwrap_or_default();
        if !request.is_resource || asked != namespace {
            return Err(invalid(
                kind,
                "spec.resourceAttributes.namespace",
                "FieldValueInvalid",
                format!("Invalid value: {asked:?}: must match metadata.namespace"),
            ));
        }
    }
    Ok(match authz::authorize(&user, &request) {
        Ok(()) => json!({"allowed": true}),
        Err(_) => json!({"allowed": false}),
    })
}

/// The `status` of a SelfSubjectRulesReview for `requester`.
pub fn rules(requester: &UserInfo, spec: &Value) -> Result<Value, ApiError> {
    if text(spec, "namespace").is_empty() {
        return Err(ApiError::invalid(
            GROUP,
            "SelfSubjectRulesReview",
            "",
            vec![Cause {
                reason: "FieldValueRequired".into(),
                message: "Required value".into(),
                field: "spec.namespace".into(),
            }],
        ));
    }
    let (resource_rules, non_resource_rules) = authz::rules_for(requester);
    Ok(json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::user::wellknown;

    fn someone() -> UserInfo {
        UserInfo {
            name: "jane".into(),
            groups: vec![wellknown::AUTHENTICATED.into()],
            ..Default::default()
        }
    }

    #[test]
    fn subject_access_reviews_ask_the_authorizer() {
        let spec = json!({"user": "admin", "groups": ["system:masters"],
            "resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "x"}});
        let none = RequestInfo::default();
        let status = review("SubjectAccessReview", &none, &someone(), &spec).unwrap();
        assert_eq!(status, json!({"allowed": true}));
        let spec = json!({"user": "jane",
            "resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "x"}});
        let status = review("SubjectAccessReview", &none, &someone(), &spec).unwrap();
        assert_eq!(status, json!({"allowed": false}));
        let health = json!({"nonResourceAttributes": {"verb": "get", "path": "/healthz"}});
        let status = review("SelfSubjectAccessReview", &none, &someone(), &health).unwrap();
        assert_eq!(status, json!({"allowed": true}));
    }

    #[test]
    fn malformed_reviews_are_invalid() {
        let none = RequestInfo::default();
        let error = review("SubjectAccessReview", &none, &someone(), &json!({})).unwrap_err();
        assert_eq!(error.code, 422);
        let anonymous_subject = json!({"resourceAttributes": {"verb": "get"}});
        let error =
            review("SubjectAccessReview", &none, &someone(), &anonymous_subject).unwrap_err();
        assert!(
            error.message.contains("at least one of user or group"),
            "{error}"
        );
        let local = RequestInfo {
            namespace: Some("a".into()),
            ..Default::default()
        };
        let elsewhere =
            json!({"user": "x", "resourceAttributes": {"verb": "get", "namespace": "b"}});
        let error = review("LocalSubjectAccessReview", &local, &someone(), &elsewhere).unwrap_err();
        assert!(
            error.message.contains("must match metadata.namespace"),
            "{error}"
        );
    }

    #[test]
    fn rules_list_what_the_user_may_do() {
        let status = rules(&someone(), &json!({"namespace": "default"})).unwrap();
        assert_eq!(status["incomplete"], false);
        let resources = status["resourceRules"].as_array().unwrap();
        assert!(
            resources
                .iter()
                .any(|r| r["resources"][0] == "selfsubjectaccessreviews")
        );
        assert!(rules(&someone(), &json!({})).is_err());
    }
}
