//! Service-account JWTs as bearer tokens (upstream's service account
//! token authenticator): a token of ours whose signature, audience and
//! lifetime hold is the service account's, as long as the service account
//! it names — and the pod, secret or node it is bound to — still exists
//! with the same uid and is not being deleted (for longer than the
//! leeway).
//!
//! The user is `system:serviceaccount:<namespace>:<name>` with the
//! service account's uid, in `system:serviceaccounts` and
//! `system:serviceaccounts:<namespace>`, with upstream's extras: the
//! credential id (`JTI=<jti>`), and the pod's and node's names and uids
//! for bound tokens.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::TokenAuthenticator;
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::Registry;
use base64::Engine;

use crate::apiserver::serviceaccount::claims::{ObjectRef, TokenClaims, user_name};
use crate::apiserver::serviceaccount::legacy::LegacyClaims;
use crate::apiserver::serviceaccount::{LEEWAY_SECONDS, Rejection, ServiceAccountTokens, unix_now};
use crate::apiserver::user::UserInfo;

/// Keys of a service account user's `extra`.
pub mod extra {
    pub const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";
    pub const POD_NAME: &str = "authentication.kubernetes.io/pod-name";
    pub const POD_UID: &str = "authentication.kubernetes.io/pod-uid";
    pub const NODE_NAME: &str = "authentication.kubernetes.io/node-name";
    pub const NODE_UID: &str = "authentication.kubernetes.io/node-uid";
}

/// Accepts the service-account tokens `tokens` issued (or verifies).
pub struct ServiceAccountAuthenticator {
    tokens: Arc<ServiceAccountTokens>,
    registry: Arc<Registry>,
}

impl ServiceAccountAuthenticator {
    pub fn new(tokens: Arc<ServiceAccountTokens>, registry: Arc<Registry>) -> Self {
        ServiceAccountAuthenticator { tokens, registry }
    }

    /// An object from the watch cache, or from storage if the cache has
    /// not seen it (yet): what upstream's informer-backed getter does.
    async fn lookup(&self, plural: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let store = self.registry.get("", "v1", plural)?;
        match store.get(namespace, name, Some("0")).await {
            Ok(found) => Some(found.object.clone()),
            Err(_) => store
                .get(namespace, name, None)
                .await
                .ok()
                .map(|found| found.object.clone()),
        }
    }

    /// Checks that the object a token names still exists as it did.
    async fn check_bound(
        &self,
        plural: &str,
        namespace: Option<&str>,
        reference: &ObjectRef,
        now: i64,
    ) -> Result<(), Rejection> {
        let object = self
            .lookup(plural, namespace, &reference.name)
            .await
            .ok_or("service account token has been invalidated")?;
        let uid = object.uid().unwrap_or_default();
        if uid != reference.uid {
            let kind = match plural {
                "secrets" => "secret",
                "pods" => "pod",
                _ => "node",
            };
            return Err(format!(
                "{kind} UID ({uid}) does not match service account {kind} ref claim ({})",
                reference.uid
            ));
        }
        if deleted_before(&object, now - LEEWAY_SECONDS) {
            return Err("service account token has been invalidated".into());
        }
        Ok(())
    }

    /// Who `claims` (already verified) identify, if everything they name
    /// still holds.
    async fn user(&self, claims: TokenClaims, now: i64) -> Result<UserInfo, Rejection> {
        let k8s = &claims.kubernetes;
        let namespace = k8s.namespace.as_str();
        let account = &k8s.service_account;
        if namespace.is_empty() || account.name.is_empty() {
            return Err("service account token names no service account".into());
        }
        let service_account = self
            .lookup("serviceaccounts", Some(namespace), &account.name)
            .await
            .ok_or_else(|| format!("serviceaccounts \"{}\" not found", account.name))?;
        let uid = service_account.uid().unwrap_or_default();
        if uid != account.uid {
            return Err(format!(
                "service account UID ({uid}) does not match claim ({})",
                account.uid
            ));
        }
        if deleted_before(&service_account, now - LEEWAY_SECONDS) {
            return Err(format!(
                "service account {namespace}/{} has been deleted",
                account.name
            ));
        }
        if let Some(secret) = &k8s.secret {
            self.check_bound("secrets", Some(namespace), secret, now)
                .await?;
        }
        if let Some(pod) = &k8s.pod {
            self.check_bound("pods", Some(namespace), pod, now).await?;
        } else if let Some(node) = &k8s.node {
            self.check_bound("nodes", None, node, now).await?;
        }

        let mut user = UserInfo {
            name: user_name(namespace, &account.name),
            uid: account.uid.clone(),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
            ],
            ..Default::default()
        };
        let mut extra = |key: &str, value: &str| {
            user.extra.insert(key.into(), vec![value.to_owned()]);
        };
        if let Some(pod) = k8s
            .pod
            .as_ref()
            .filter(|p| !p.name.is_empty() && !p.uid.is_empty())
        {
            extra(extra::POD_NAME, &pod.name);
            extra(extra::POD_UID, &pod.uid);
        }
        if !claims.id.is_empty() {
            extra(extra::CREDENTIAL_ID, &format!("JTI={}", claims.id));
        }
        if let Some(node) = k8s.node.as_ref().filter(|n| !n.name.is_empty()) {
            extra(extra::NODE_NAME, &node.name);
            if !node.uid.is_empty() {
                extra(extra::NODE_UID, &node.uid);
            }
        }
        Ok(user)
    }
}

/// Whether `object` has been being deleted since before `cutoff`.
fn deleted_before(object: &Value, cutoff: i64) -> bool {
    object
        .deletion_timestamp()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .is_some_and(|t| t.as_second() < cutoff)
}

impl ServiceAccountAuthenticator {
    /// What a TokenReview learns of `token` for `audiences` (this API's
    /// when empty): `None` if it is not a service-account token of ours,
    /// else its user and the audiences it is good for, or why it is not.
    pub async fn review(
        &self,
        token: &str,
        audiences: &[String],
    ) -> Option<Result<(UserInfo, Vec<String>), Rejection>> {
        let now = unix_now();
        let targets = if audiences.is_empty() {
            self.tokens.api_audiences()
        } else {
            audiences
        };
        let claims = match self.tokens.verify_for(token, now, targets) {
            Ok(None) => return None,
            Ok(Some(claims)) => claims,
            Err(rejection) => return Some(Err(rejection)),
        };
        // A legacy token without audiences is good for the targets.
        let good_for: Vec<String> = if claims.audiences.is_empty() {
            targets.to_vec()
        } else {
            targets
                .iter()
                .filter(|a| claims.audiences.contains(a))
                .cloned()
                .collect()
        };
        Some(self.user(claims, now).await.map(|user| (user, good_for)))
    }
}

impl ServiceAccountAuthenticator {
    /// Who a legacy (Secret) token identifies, while its Secret still holds
    /// exactly this token and its account still has the uid it names.
    async fn legacy_user(&self, token: &str, claims: LegacyClaims) -> Result<UserInfo, Rejection> {
        let namespace = claims.namespace.as_str();
        let secret = self
            .lookup("secrets", Some(namespace), &claims.secret_name)
            .await
            .ok_or_else(|| format!("secrets \"{}\" not found", claims.secret_name))?;
        let stored = secret
            .pointer("/data/token")
            .and_then(Value::as_str)
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
        if stored.as_deref() != Some(token.as_bytes()) {
            return Err("token does not match the one its secret holds".into());
        }
        if secret.deletion_timestamp().is_some() {
            return Err(format!(
                "secret {namespace}/{} is being deleted",
                claims.secret_name
            ));
        }
        let account = self
            .lookup(
                "serviceaccounts",
                Some(namespace),
                &claims.service_account_name,
            )
            .await
            .ok_or_else(|| {
                format!(
                    "serviceaccounts \"{}\" not found",
                    claims.service_account_name
                )
            })?;
        let uid = account.uid().unwrap_or_default();
        if uid != claims.service_account_uid {
            return Err(format!(
                "service account UID ({uid}) does not match claim ({})",
                claims.service_account_uid
            ));
        }
        Ok(UserInfo {
            name: user_name(namespace, &claims.service_account_name),
            uid: uid.to_owned(),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
            ],
            ..Default::default()
        })
    }
}

#[async_trait]
impl TokenAuthenticator for ServiceAccountAuthenticator {
    async fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        match self.tokens.verify_legacy(token) {
            Ok(None) => {}
            Ok(Some(claims)) => {
                return self
                    .legacy_user(token, claims)
                    .await
                    .map_err(|reason| tracing::debug!(%reason, "legacy token refused"))
                    .ok();
            }
            Err(reason) => {
                tracing::debug!(%reason, "legacy token refused");
                return None;
            }
        }
        let now = unix_now();
        let result = match self.tokens.verify(token, now) {
            Ok(None) => return None,
            Ok(Some(claims)) => self.user(claims, now).await,
            Err(rejection) => Err(rejection),
        };
        result
            .map_err(|reason| tracing::debug!(%reason, "service account token refused"))
            .ok()
    }
}
