//! Authentication: who is asking.
//!
//! As in kube-apiserver, the request authenticators run in order and the
//! first that recognises a credential decides:
//!
//! 1. a verified TLS client certificate ([`x509`]): user = CN, groups = O;
//! 2. `Authorization: Bearer <token>` ([`bearer`]), checked by each token
//!    authenticator in turn: the `--token-auth-file` ([`token_file`]),
//!    service-account JWTs ([`service_account`]); bootstrap tokens plug in
//!    the same way;
//! 3. nothing presented: `system:anonymous` in `system:unauthenticated`.
//!
//! A bearer token nobody recognises is 401 `Unauthorized`: upstream never
//! downgrades a bad credential to anonymous, since that would turn a typo
//! into a silent loss of permissions that is hard to debug. Every
//! authenticated user is also in `system:authenticated`.

pub mod bearer;
pub mod csv;
pub mod service_account;
pub mod token_file;
pub mod x509;

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;

use super::status::ApiError;
use super::user::{UserInfo, wellknown};

/// Something that maps a bearer token to a user.
#[async_trait]
pub trait TokenAuthenticator: Send + Sync {
    /// The user `token` belongs to, or `None` when this authenticator does
    /// not know it.
    async fn authenticate_token(&self, token: &str) -> Option<UserInfo>;
}

/// The authentication chain of one API server.
#[derive(Clone, Default)]
pub struct Authenticator {
    token_authenticators: Vec<Arc<dyn TokenAuthenticator>>,
}

impl Authenticator {
    pub fn new() -> Authenticator {
        Authenticator::default()
    }

    /// Adds a token authenticator, consulted after those added before.
    pub fn with_token_authenticator(mut self, tokens: Arc<dyn TokenAuthenticator>) -> Self {
        self.token_authenticators.push(tokens);
        self
    }

    /// The user a bearer token belongs to, by the first token authenticator
    /// that knows it (with `system:authenticated`).
    pub async fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        for authenticator in &self.token_authenticators {
            if let Some(user) = authenticator.authenticate_token(token).await {
                return Some(with_authenticated_group(user));
            }
        }
        None
    }

    /// Decides who sent a request. `client_certificate_user` is what the TLS
    /// layer derived from a verified client certificate ([`x509::user_from_certificate`]).
    ///
    /// On success the `Authorization` header is removed, as upstream does,
    /// so that the credential never travels further (to webhooks, proxied
    /// kubelets, logs).
    pub async fn authenticate(
        &self,
        client_certificate_user: Option<&UserInfo>,
        headers: &mut HeaderMap,
    ) -> Result<UserInfo, ApiError> {
        if let Some(user) = client_certificate_user {
            return Ok(with_authenticated_group(user.clone()));
        }
        if let Some(token) = bearer::bearer_token(headers) {
            let user = self.authenticate_token(token).await;
            let user = user.ok_or_else(ApiError::unauthorized)?;
            headers.remove(http::header::AUTHORIZATION);
            return Ok(user);
        }
        Ok(UserInfo::anonymous())
    }
}

/// `user` with `system:authenticated` among its groups (once).
pub fn with_authenticated_group(mut user: UserInfo) -> UserInfo {
    if !user.in_group(wellknown::AUTHENTICATED) {
        user.groups.push(wellknown::AUTHENTICATED.to_owned());
    }
    user
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::token_file::StaticTokens;
    use super::*;

    fn chain() -> Authenticator {
        let tokens =
            StaticTokens::parse("secret,alice,uid-1,\"devs,ops\"\n", "tokens.csv").unwrap();
        Authenticator::new().with_token_authenticator(Arc::new(tokens))
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        headers
    }

    #[tokio::test]
    async fn no_credentials_is_anonymous() {
        let user = chain()
            .authenticate(None, &mut HeaderMap::new())
            .await
            .unwrap();
        assert_eq!(user, UserInfo::anonymous());
        assert!(!user.in_group(wellknown::AUTHENTICATED));
    }

    #[tokio::test]
    async fn a_known_token_is_its_user_and_the_header_is_dropped() {
        let mut headers = bearer("secret");
        let user = chain().authenticate(None, &mut headers).await.unwrap();
        assert_eq!(user.name, "alice");
        assert_eq!(user.uid, "uid-1");
        assert_eq!(user.groups, ["devs", "ops", "system:authenticated"]);
        assert!(headers.get(http::header::AUTHORIZATION).is_none());
    }

    #[tokio::test]
    async fn an_unknown_token_is_401_not_anonymous() {
        let mut headers = bearer("wrong");
        let err = chain().authenticate(None, &mut headers).await.unwrap_err();
        assert_eq!(err.code, http::StatusCode::UNAUTHORIZED);
        assert_eq!(err.reason, "Unauthorized");
        // Also with no token authenticator configured at all.
        let err = Authenticator::new()
            .authenticate(None, &mut bearer("anything"))
            .await
            .unwrap_err();
        assert_eq!(err.code, http::StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_client_certificate_wins_over_a_token() {
        let cert_user = UserInfo {
            name: "kubernetes-admin".into(),
            groups: vec!["system:masters".into()],
            ..Default::default()
        };
        let user = chain()
            .authenticate(Some(&cert_user), &mut bearer("wrong"))
            .await
            .unwrap();
        assert_eq!(user.name, "kubernetes-admin");
        assert_eq!(user.groups, ["system:masters", "system:authenticated"]);
    }

    #[test]
    fn the_authenticated_group_is_added_once() {
        let user = with_authenticated_group(UserInfo {
            name: "x".into(),
            groups: vec![wellknown::AUTHENTICATED.into()],
            ..Default::default()
        });
        assert_eq!(user.groups, [wellknown::AUTHENTICATED]);
    }
}
