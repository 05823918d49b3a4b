//! Service-account tokens: the JWTs `serviceaccounts/<name>/token` issues
//! and the API accepts as bearer tokens, and the OpenID Connect discovery
//! documents (`/.well-known/openid-configuration`, `/openid/v1/jwks`) that
//! let anyone else verify them.
//!
//! * [`der`], [`keys`]: signing and verification keys from PEM files, their
//!   ids and JWKs;
//! * [`jwt`]: compact JWS;
//! * [`claims`]: what a token says;
//! * [`legacy`]: the tokens of `kubernetes.io/service-account-token` Secrets.
//!
//! [`ServiceAccountTokens`] ties them together with the flags that shape
//! tokens (upstream's names): `--service-account-issuer` (the first signs,
//! all are accepted), `--api-audiences` (the audiences a token must have
//! one of to be good for this API; by default the issuers),
//! `--service-account-signing-key-file` and `--service-account-key-file`.

pub mod claims;
pub mod der;
pub mod jwt;
pub mod keys;
pub mod legacy;

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::json;

use self::claims::TokenClaims;
use self::keys::{PublicKey, SigningKey};

/// `--service-account-issuer`'s default.
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Where the discovery documents are served.
pub const OPENID_CONFIG_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/openid/v1/jwks";

/// How far clocks may disagree when checking `exp`, `nbf` and `iat`, and
/// how long a deleted object's tokens stay good (upstream's leeway).
pub const LEEWAY_SECONDS: i64 = 60;

/// The lifetime given to a pod-bound token asked for with the kubelet's
/// 3607 seconds: a year (`--service-account-max-token-expiration`'s
/// extended default), so that clients which do not reload their token
/// keep working while the stale use is visible (`warnafter`).
pub const EXTENDED_EXPIRATION_SECONDS: i64 = 365 * 24 * 60 * 60;

/// The expiration the kubelet asks for that triggers the extension.
pub const WARN_ONLY_EXPIRATION_SECONDS: i64 = 60 * 60 + 7;

/// How the API issues and checks service-account tokens.
#[derive(Clone, Debug)]
pub struct TokenSettings {
    /// The first one signs; tokens from any are accepted.
    pub issuers: Vec<String>,
    /// The audiences tokens must name to be good for this API; empty: the
    /// issuers.
    pub api_audiences: Vec<String>,
    /// The JWKS URL the discovery document names; empty: this server's
    /// `https://<external address>/openid/v1/jwks`.
    pub jwks_uri: Option<String>,
    /// `host:port` clients reach this server at.
    pub external_address: String,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            issuers: vec![DEFAULT_ISSUER.into()],
            api_audiences: Vec::new(),
            jwks_uri: None,
            external_address: "localhost:6443".into(),
        }
    }
}

/// The issuer and verifier of service-account tokens.
#[derive(Debug)]
pub struct ServiceAccountTokens {
    issuers: Vec<String>,
    api_audiences: Vec<String>,
    signing: SigningKey,
    verification: Vec<PublicKey>,
    discovery: Option<Discovery>,
}

/// The pre-rendered discovery documents.
#[derive(Debug)]
struct Discovery {
    config: Vec<u8>,
    keys: Vec<u8>,
}

#[derive(Serialize)]
struct OpenIdConfiguration<'a> {
    issuer: &'a str,
    jwks_uri: &'a str,
    response_types_supported: [&'static str; 1],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: Vec<&'static str>,
}

/// Why a token that claims to be ours was refused.
pub type Rejection = String;

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl ServiceAccountTokens {
    /// Tokens signed with `signing` and also verified with `extra_keys`.
    pub fn new(
        settings: TokenSettings,
        signing: SigningKey,
        extra_keys: Vec<PublicKey>,
    ) -> Result<ServiceAccountTokens, String> {
        let mut issuers: Vec<String> = settings
            .issuers
            .into_iter()
            .filter(|i| !i.is_empty())
            .collect();
        if issuers.is_empty() {
            issuers.push(DEFAULT_ISSUER.into());
        }
        let api_audiences = if settings.api_audiences.is_empty() {
            issuers.clone()
        } else {
            settings.api_audiences
        };
        let mut verification = vec![signing.public().clone()];
        for key in extra_keys {
            if !verification.iter().any(|k| k.kid == key.kid) {
                verification.push(key);
            }
        }
        let discovery = discovery_documents(
            &issuers[0],
            settings.jwks_uri.as_deref(),
            &settings.external_address,
            &verification,
        )
        .map_err(|e| tracing::warn!("not serving service account issuer discovery: {e}"))
        .ok();
        Ok(ServiceAccountTokens {
            issuers,
            api_audiences,
            signing,
            verification,
            discovery,
        })
    }

    /// Settings' defaults with a key minted now (tests, in-process APIs).
    pub fn ephemeral() -> ServiceAccountTokens {
        let (key, _) = SigningKey::generate().expect("minting a key");
        ServiceAccountTokens::new(TokenSettings::default(), key, Vec::new())
            .expect("default token settings are valid")
    }

    /// The issuer new tokens name.
    pub fn issuer(&self) -> &str {
        &self.issuers[0]
    }

    /// The audiences a token must have one of to be good for this API.
    pub fn api_audiences(&self) -> &[String] {
        &self.api_audiences
    }

    /// Signs `claims` (its `iss` set to this issuer).
    pub fn sign(&self, mut claims: TokenClaims) -> Result<String, String> {
        claims.issuer = self.issuer().to_owned();
        jwt::sign(&self.signing, &claims.to_json())
    }

    /// The claims of `token` if it is a service-account token of ours whose
    /// signature, audience and times hold (the objects it names are the
    /// caller's to check). `Ok(None)`: not one of ours at all.
    pub fn verify(&self, token: &str, now: i64) -> Result<Option<TokenClaims>, Rejection> {
        self.verify_for(token, now, &self.api_audiences)
    }

    /// [`Self::verify`] for `audiences` rather than this API's (what a
    /// TokenReview with `spec.audiences` asks).
    pub fn verify_for(
        &self,
        token: &str,
        now: i64,
        audiences: &[String],
    ) -> Result<Option<TokenClaims>, Rejection> {
        let Some(unverified) = jwt::Unverified::parse(token) else {
            return Ok(None);
        };
        let issuer = unverified.claims.get("iss").and_then(|i| i.as_str());
        if !issuer.is_some_and(|i| self.issuers.iter().any(|mine| mine == i)) {
            return Ok(None);
        }
        let candidates: Vec<&PublicKey> = match &unverified.key_id {
            Some(kid) => self.verification.iter().filter(|k| &k.kid == kid).collect(),
            None => self.verification.iter().collect(),
        };
        if candidates.is_empty() {
            return Err("invalid signature, no keys found".into());
        }
        if !candidates.iter().any(|key| unverified.verify(key)) {
            return Err("invalid signature".into());
        }
        let claims = TokenClaims::from_json(&unverified.claims)
            .ok_or("service account token claims could not be read")?;
        // A token without audiences is a legacy one, good for this API.
        if !claims.audiences.is_empty() && !claims.audiences.iter().any(|a| audiences.contains(a)) {
            return Err(format!(
                "token audiences {:?} is invalid for the target audiences {:?}",
                claims.audiences, audiences
            ));
        }
        match claims.expiry {
            Some(exp) if now <= exp + LEEWAY_SECONDS => {}
            _ => return Err("service account token has expired".into()),
        }
        if claims
            .not_before
            .is_some_and(|nbf| now + LEEWAY_SECONDS < nbf)
        {
            return Err("service account token is not valid yet".into());
        }
        if claims
            .issued_at
            .is_some_and(|iat| now + LEEWAY_SECONDS < iat)
        {
            return Err("service account token is issued in the future".into());
        }
        Ok(Some(claims))
    }

    /// The claims of `token` if it is a legacy (Secret) token signed by one
    /// of this API's keys; `Ok(None)`: not a legacy token. Whether its
    /// Secret and account still exist is the caller's to check.
    pub fn verify_legacy(&self, token: &str) -> Result<Option<legacy::LegacyClaims>, Rejection> {
        let Some(unverified) = jwt::Unverified::parse(token) else {
            return Ok(None);
        };
        if unverified.claims.get("iss").and_then(|i| i.as_str()) != Some(legacy::ISSUER) {
            return Ok(None);
        }
        if !self.verification.iter().any(|key| unverified.verify(key)) {
            return Err("invalid signature".into());
        }
        legacy::LegacyClaims::from_json(&unverified.claims)
            .map(Some)
            .ok_or_else(|| "legacy service account token claims could not be read".into())
    }

    /// `/.well-known/openid-configuration`, if the issuer allows discovery
    /// (an `https` URL).
    pub fn openid_configuration(&self) -> Option<&[u8]> {
        self.discovery.as_ref().map(|d| d.config.as_slice())
    }

    /// `/openid/v1/jwks`, with the discovery document.
    pub fn jwks(&self) -> Option<&[u8]> {
        self.discovery.as_ref().map(|d| d.keys.as_slice())
    }
}

/// The discovery documents, or why they cannot be served (upstream's
/// rules: an `https` issuer without query or fragment, an `https` JWKS URL).
fn discovery_documents(
    issuer: &str,
    jwks_uri: Option<&str>,
    external_address: &str,
    keys: &[PublicKey],
) -> Result<Discovery, String> {
    let parsed = http::Uri::try_from(issuer).map_err(|e| format!("issuer URL {issuer}: {e}"))?;
    if parsed.scheme_str() != Some("https") {
        return Err(format!("issuer URL must use https scheme, got: {issuer}"));
    }
    if parsed.query().is_some() || issuer.contains('#') {
        return Err(format!(
            "issuer URL may not include a query or fragment, got: {issuer}"
        ));
    }
    let jwks_uri = match jwks_uri.filter(|u| !u.is_empty()) {
        Some(uri) => {
            if !uri.starts_with("https://") {
                return Err(format!("jwksURI requires https scheme, parsed as: {uri}"));
            }
            uri.to_owned()
        }
        None => format!("https://{external_address}{JWKS_PATH}"),
    };
    let mut algorithms: Vec<&'static str> = keys.iter().map(|k| k.algorithm.name()).collect();
    algorithms.sort_unstable();
    algorithms.dedup();
    let config = OpenIdConfiguration {
        issuer,
        jwks_uri: &jwks_uri,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: algorithms,
    };
    let keys: Vec<keys::Jwk> = keys.iter().map(PublicKey::jwk).collect();
    Ok(Discovery {
        config: serde_json::to_vec(&config).map_err(|e| e.to_string())?,
        keys: serde_json::to_vec(&json!({ "keys": keys })).map_err(|e| e.to_string())?,
    })
}

#[cfg(test)]
mod tests {
    use super::claims::{KubernetesClaims, ObjectRef};
    use super::*;

    fn claims(audiences: &[&str], now: i64, lifetime: i64) -> TokenClaims {
        TokenClaims {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            expiry: Some(now + lifetime),
            issued_at: Some(now),
            not_before: Some(now),
            id: "jti".into(),
            subject: claims::user_name("ns", "sa"),
            kubernetes: KubernetesClaims {
                namespace: "ns".into(),
                service_account: ObjectRef::new("sa", "uid"),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn tokens_verify_within_their_audience_and_lifetime() {
        let tokens = ServiceAccountTokens::ephemeral();
        let now = 1_700_000_000;
        let token = tokens.sign(claims(&[DEFAULT_ISSUER], now, 600)).unwrap();
        let verified = tokens.verify(&token, now).unwrap().unwrap();
        assert_eq!(verified.issuer, DEFAULT_ISSUER);
        assert_eq!(verified.kubernetes.service_account.name, "sa");
        assert!(tokens.verify(&token, now + 600 + LEEWAY_SECONDS).is_ok());
        assert_eq!(
            tokens
                .verify(&token, now + 601 + LEEWAY_SECONDS)
                .unwrap_err(),
            "service account token has expired"
        );
        assert_eq!(
            tokens.verify(&token, now - 61).unwrap_err(),
            "service account token is not valid yet"
        );
        let elsewhere = tokens.sign(claims(&["vault"], now, 600)).unwrap();
        assert!(
            tokens
                .verify(&elsewhere, now)
                .unwrap_err()
                .starts_with("token audiences [\"vault\"] is invalid")
        );
    }

    #[test]
    fn other_issuers_and_keys_are_not_ours() {
        let ours = ServiceAccountTokens::ephemeral();
        let theirs = ServiceAccountTokens::ephemeral();
        let now = 1_700_000_000;
        let forged = theirs.sign(claims(&[DEFAULT_ISSUER], now, 600)).unwrap();
        assert_eq!(
            ours.verify(&forged, now).unwrap_err(),
            "invalid signature, no keys found"
        );
        let (key, _) = SigningKey::generate().unwrap();
        let other_issuer = ServiceAccountTokens::new(
            TokenSettings {
                issuers: vec!["https://elsewhere".into()],
                ..Default::default()
            },
            key,
            Vec::new(),
        )
        .unwrap();
        let token = other_issuer
            .sign(claims(&[DEFAULT_ISSUER], now, 600))
            .unwrap();
        assert_eq!(ours.verify(&token, now), Ok(None));
        assert_eq!(ours.verify("static-token", now), Ok(None));
    }

    #[test]
    fn discovery_lists_every_verification_key() {
        let (extra, _) = SigningKey::generate().unwrap();
        let (signing, _) = SigningKey::generate().unwrap();
        let tokens = ServiceAccountTokens::new(
            TokenSettings {
                external_address: "10.0.0.1:6443".into(),
                ..Default::default()
            },
            signing,
            vec![extra.public().clone()],
        )
        .unwrap();
        let config: serde_json::Value =
            serde_json::from_slice(tokens.openid_configuration().unwrap()).unwrap();
        assert_eq!(
            config,
            json!({
                "issuer": DEFAULT_ISSUER,
                "jwks_uri": "https://10.0.0.1:6443/openid/v1/jwks",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
            })
        );
        let keys: serde_json::Value = serde_json::from_slice(tokens.jwks().unwrap()).unwrap();
        assert_eq!(keys["keys"].as_array().unwrap().len(), 2);
        assert_eq!(keys["keys"][1]["kid"], extra.public().kid.as_str());
    }

    #[test]
    fn issuers_that_are_not_https_urls_have_no_discovery() {
        let (key, _) = SigningKey::generate().unwrap();
        let tokens = ServiceAccountTokens::new(
            TokenSettings {
                issuers: vec!["kubernetes/serviceaccount".into()],
                ..Default::default()
            },
            key,
            Vec::new(),
        )
        .unwrap();
        assert!(tokens.openid_configuration().is_none());
        assert_eq!(tokens.api_audiences(), ["kubernetes/serviceaccount"]);
    }
}
