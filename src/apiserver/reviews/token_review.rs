//! `TokenReview`: who a bearer token belongs to, by the same rules the
//! server authenticates requests with.
//!
//! Service-account tokens are checked against the audiences the review
//! names (this API's when it names none) and `status.audiences` says which
//! of them the token is good for. Other tokens (`--token-auth-file`) carry
//! no audience: upstream takes them as good for this API's audiences only,
//! so a review for other audiences does not authenticate them.

use serde_json::{Value, json};

use super::{Reviews, strings, user_info};
use crate::apiserver::authn::with_authenticated_group;
use crate::apiserver::status::{ApiError, Cause};

/// The `status` of a TokenReview with `spec`.
pub async fn review(reviews: &Reviews, spec: &Value) -> Result<Value, ApiError> {
    let token = spec
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::invalid(
            "authentication.k8s.io",
            "TokenReview",
            "",
            vec![Cause {
                reason: "FieldValueRequired".into(),
                message: "Required value: token must not be empty".into(),
                field: "spec.token".into(),
            }],
        ));
    }
    let requested = strings(spec, "audiences");
    let service_accounts = reviews.service_account_authenticator();
    match service_accounts.review(token, &requested).await {
        Some(Ok((user, audiences))) => {
            let user = with_authenticated_group(user);
            return Ok(json!({
                "authenticated": true,
                "user": user_info(&user),
                "audiences": audiences,
            }));
        }
        Some(Err(reason)) => return Ok(refused(&reason)),
        None => {}
    }
    let api_audiences = reviews.service_accounts.api_audiences();
    let audiences: Vec<String> = if requested.is_empty() {
        api_audiences.to_vec()
    } else {
        requested
            .iter()
            .filter(|a| api_audiences.contains(a))
            .cloned()
            .collect()
    };
    let user = match reviews.token_chain.get() {
        Some(chain) => chain.authenticate_token(token).await,
        None => None,
    };
    Ok(match user {
        Some(user) if !audiences.is_empty() => json!({
            "authenticated": true,
            "user": user_info(&user),
            "audiences": audiences,
        }),
        Some(_) => refused("token audiences are invalid for the target audiences"),
        None => json!({"authenticated": false, "user": {}}),
    })
}

fn refused(reason: &str) -> Value {
    json!({"authenticated": false, "user": {}, "error": reason})
}
