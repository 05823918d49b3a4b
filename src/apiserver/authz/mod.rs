//! Authorization: may this user do this verb on this resource or path?
//!
//! For now one authorizer: `system:masters` may do everything, the control
//! plane's own components (scheduler, controller-manager) may do
//! everything, everyone — anonymous included — may read the health and
//! version endpoints, and every authenticated user API discovery, OpenAPI
//! and the service-account issuer's discovery documents (upstream's default
//! `system:discovery` and `system:service-account-issuer-discovery`
//! bindings), and every authenticated user may ask about itself
//! (`SelfSubjectAccessReview`, `SelfSubjectRulesReview`,
//! `SelfSubjectReview`: upstream's `system:basic-user`). RBAC and the Node
//! authorizer replace the middle rule.

use serde_json::{Value, json};

use super::request::RequestInfo;
use super::status::ApiError;
use super::user::{UserInfo, wellknown};

/// Paths anyone may read (upstream's `system:public-info-viewer`).
const PUBLIC_PATHS: [&str; 4] = ["/healthz", "/livez", "/readyz", "/version"];

/// Paths (and what is below them) every authenticated user may read:
/// API discovery and OpenAPI (upstream's `system:discovery`) and the
/// service-account issuer's discovery documents
/// (`system:service-account-issuer-discovery`).
const AUTHENTICATED_PATHS: [&str; 5] = [
    "/api",
    "/apis",
    "/openapi",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

/// Upstream's forbidden message for `info`.
pub fn forbidden(user: &UserInfo, info: &RequestInfo) -> ApiError {
    if !info.is_resource {
        return ApiError::forbidden(
            "",
            "",
            "",
            format!(
                "forbidden: User \"{}\" cannot {} path \"{}\"",
                user.name, info.verb, info.path
            ),
        );
    }
    let resource = match &info.subresource {
        Some(sub) => format!("{}/{sub}", info.resource),
        None => info.resource.clone(),
    };
    let qualified = crate::apiserver::status::qualified_resource(&info.group, &info.resource);
    let subject = match &info.name {
        Some(name) => format!("{qualified} \"{name}\" is forbidden"),
        None => format!("{qualified} is forbidden"),
    };
    let scope = match &info.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_owned(),
    };
    ApiError::forbidden(
        &info.group,
        &info.resource,
        info.name.as_deref().unwrap_or_default(),
        format!(
            "{subject}: User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
            user.name, info.verb, info.group
        ),
    )
}

/// Reviews about oneself every authenticated user may create (upstream's
/// `system:basic-user`): (group, resource).
const SELF_REVIEWS: [(&str, &str); 3] = [
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
];

/// Whether `user` may do everything.
fn unrestricted(user: &UserInfo) -> bool {
    user.in_group(wellknown::MASTERS)
        || user.name == wellknown::SCHEDULER
        || user.name == wellknown::CONTROLLER_MANAGER
}

/// What `user` may do, as a `SelfSubjectRulesReview` lists it:
/// (resource rules, non-resource rules) in `authorization.k8s.io/v1` form.
pub fn rules_for(user: &UserInfo) -> (Vec<Value>, Vec<Value>) {
    if unrestricted(user) {
        return (
            vec![json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})],
            vec![json!({"verbs": ["*"], "nonResourceURLs": ["*"]})],
        );
    }
    let mut resource_rules = Vec::new();
    let mut paths: Vec<String> = PUBLIC_PATHS
        .iter()
        .flat_map(|p| [p.to_string(), format!("{p}/*")])
        .collect();
    if user.in_group(wellknown::AUTHENTICATED) {
        for (group, resource) in SELF_REVIEWS {
            resource_rules
                .push(json!({"verbs": ["create"], "apiGroups": [group], "resources": [resource]}));
        }
        paths.extend(
            AUTHENTICATED_PATHS
                .iter()
                .flat_map(|p| [p.to_string(), format!("{p}/*")]),
        );
    }
    (
        resource_rules,
        vec![json!({"verbs": ["get"], "nonResourceURLs": paths})],
    )
}

/// Allows or forbids a request.
pub fn authorize(user: &UserInfo, info: &RequestInfo) -> Result<(), ApiError> {
    if unrestricted(user) {
        return Ok(());
    }
    if info.is_resource
        && info.verb == "create"
        && user.in_group(wellknown::AUTHENTICATED)
        && SELF_REVIEWS
            .iter()
            .any(|(group, resource)| info.group == *group && info.resource == *resource)
    {
        return Ok(());
    }
    let path = info.path.trim_end_matches('/');
    if !info.is_resource
        && info.verb == "get"
        && PUBLIC_PATHS
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return Ok(());
    }
    if !info.is_resource
        && info.verb == "get"
        && user.in_group(wellknown::AUTHENTICATED)
        && AUTHENTICATED_PATHS
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return Ok(());
    }
    Err(forbidden(user, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn masters_everything_anonymous_health_only() {
        let list = RequestInfo::parse(&Method::GET, "/api/v1/namespaces/default/configmaps", None);
        let admin = UserInfo {
            name: "kubernetes-admin".into(),
            groups: vec![wellknown::MASTERS.into()],
            ..Default::default()
        };
        assert!(authorize(&admin, &list).is_ok());
        let err = authorize(&UserInfo::anonymous(), &list).unwrap_err();
        assert_eq!(err.code, 403);
        assert_eq!(
            err.message,
            "configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        );
        let health = RequestInfo::parse(&Method::GET, "/readyz", Some("verbose"));
        assert!(authorize(&UserInfo::anonymous(), &health).is_ok());
        let jwks = RequestInfo::parse(&Method::GET, "/openid/v1/jwks", None);
        assert!(authorize(&UserInfo::anonymous(), &jwks).is_err());
        let service_account = UserInfo {
            name: "system:serviceaccount:default:default".into(),
            groups: vec![wellknown::AUTHENTICATED.into()],
            ..Default::default()
        };
        assert!(authorize(&service_account, &jwks).is_ok());
        let groups = RequestInfo::parse(&Method::GET, "/apis/apps/v1", None);
        assert!(authorize(&service_account, &groups).is_ok());
        assert!(authorize(&UserInfo::anonymous(), &groups).is_err());
        assert!(authorize(&service_account, &list).is_err());
        let root = RequestInfo::parse(&Method::GET, "/", None);
        assert_eq!(
            authorize(&UserInfo::anonymous(), &root)
                .unwrap_err()
                .message,
            "forbidden: User \"system:anonymous\" cannot get path \"/\""
        );
    }
}
