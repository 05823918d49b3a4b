//! Reviews: resources that answer a question and store nothing.
//!
//! * `authentication.k8s.io/v1` [`token_review`] (who is this bearer
//!   token? — what kubelets ask for their webhook authentication) and
//!   `SelfSubjectReview` (who am I? — `kubectl auth whoami`);
//! * `authorization.k8s.io/v1` [`access_review`]: `SubjectAccessReview`,
//!   `LocalSubjectAccessReview`, `SelfSubjectAccessReview` (may this user
//!   do this? — `kubectl auth can-i`, kubelets' webhook authorization) and
//!   `SelfSubjectRulesReview` (what may I do?).
//!
//! Each is a POST of the review with a `spec`; the answer is the same
//! object with a `status`, 201 Created, as upstream.

pub mod access_review;
pub mod token_review;

use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use super::authn::Authenticator;
use super::authn::service_account::ServiceAccountAuthenticator;
use super::registry::Registry;
use super::request::RequestInfo;
use super::serviceaccount::ServiceAccountTokens;
use super::status::ApiError;
use super::user::UserInfo;

/// What the reviews need from the server.
pub struct Reviews {
    /// The server's bearer-token authenticators (static tokens first), set
    /// once the server has built them; without them only service-account
    /// tokens are reviewed.
    token_chain: OnceLock<Authenticator>,
    service_accounts: Arc<ServiceAccountTokens>,
    registry: Arc<Registry>,
}

impl Reviews {
    pub fn new(service_accounts: Arc<ServiceAccountTokens>, registry: Arc<Registry>) -> Reviews {
        Reviews {
            token_chain: OnceLock::new(),
            service_accounts,
            registry,
        }
    }

    /// Makes TokenReviews consult the tokens the server itself accepts
    /// besides service-account tokens (`--token-auth-file`).
    pub fn set_token_chain(&self, chain: Authenticator) {
        let _ = self.token_chain.set(chain);
    }

    fn service_account_authenticator(&self) -> ServiceAccountAuthenticator {
        ServiceAccountAuthenticator::new(self.service_accounts.clone(), self.registry.clone())
    }

    /// Whether `kind` in `group` is a review this module answers.
    pub fn handles(group: &str, kind: &str) -> bool {
        matches!(
            (group, kind),
            ("authentication.k8s.io", "TokenReview" | "SelfSubjectReview")
                | (
                    "authorization.k8s.io",
                    "SubjectAccessReview"
                        | "LocalSubjectAccessReview"
                        | "SelfSubjectAccessReview"
                        | "SelfSubjectRulesReview"
                )
        )
    }

    /// Answers review `body` of `kind`, posted by `user` to the path
    /// `info` describes: the review with its `status`.
    pub async fn answer(
        &self,
        kind: &str,
        info: &RequestInfo,
        user: &UserInfo,
        body: Value,
    ) -> Result<Value, ApiError> {
        let mut review = body;
        if !review.is_object() {
            return Err(ApiError::bad_request(format!(
                "the body of a {kind} must be an object"
            )));
        }
        let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
        let status = match kind {
            "TokenReview" => token_review::review(self, &spec).await?,
            "SelfSubjectReview" => json!({"userInfo": user_info(user)}),
            "SelfSubjectRulesReview" => access_review::rules(user, &spec)?,
            _ => access_review::review(kind, info, user, &spec)?,
        };
        review["status"] = status;
        // Nothing is stored: the answer has no server-set metadata beyond
        // what the client sent.
        if review.get("metadata").is_none_or(Value::is_null) {
            review["metadata"] = json!({});
        }
        Ok(review)
    }
}

/// A list of strings in `value[field]` (absent: none).
pub(crate) fn strings(value: &Value, field: &str) -> Vec<String> {
    value
        .get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A user as reviews report it (`authentication.k8s.io/v1` `UserInfo`).
pub fn user_info(user: &UserInfo) -> Value {
    let mut info = json!({"username": user.name, "groups": user.groups});
    if !user.uid.is_empty() {
        info["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        info["extra"] = json!(user.extra);
    }
    info
}
