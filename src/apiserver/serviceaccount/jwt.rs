//! Compact JWS (RFC 7515) as service-account tokens use it: a JSON header
//! naming the algorithm and key (`{"alg":…,"kid":…}`, nothing else, as
//! upstream writes), a JSON claims payload, and the signature, each
//! base64url without padding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::keys::{PublicKey, SigningKey};

/// Signs `claims` with `key`.
pub fn sign(key: &SigningKey, claims: &Value) -> Result<String, String> {
    let header = json!({"alg": key.public().algorithm.name(), "kid": key.public().kid});
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let signing_input = format!("{}.{}", encode(&header), encode(claims));
    let signature = key.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A token taken apart but not yet trusted.
#[derive(Debug)]
pub struct Unverified {
    pub algorithm: String,
    /// The `kid` header, if any.
    pub key_id: Option<String>,
    /// The payload. Nothing in it may be trusted before [`Self::verify`].
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl Unverified {
    /// Splits a compact JWS; `None` if `token` is not one (then it is some
    /// other kind of bearer token).
    pub fn parse(token: &str) -> Option<Unverified> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok();
        let header: Value = serde_json::from_slice(&decode(header)?).ok()?;
        let claims: Value = serde_json::from_slice(&decode(payload)?).ok()?;
        if !claims.is_object() {
            return None;
        }
        Some(Unverified {
            algorithm: header.get("alg")?.as_str()?.to_owned(),
            key_id: header
                .get("kid")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
            claims,
            signing_input: token[..token.rfind('.')?].to_owned(),
            signature: decode(signature)?,
        })
    }

    /// Whether `key` signed this token (with the algorithm the header
    /// names: a token cannot talk a key into another algorithm).
    pub fn verify(&self, key: &PublicKey) -> bool {
        self.algorithm == key.algorithm.name()
            && key.verify(self.signing_input.as_bytes(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_tampered_ones_do_not() {
        let (key, _) = SigningKey::generate().unwrap();
        let token = sign(&key, &json!({"sub": "me", "exp": 5})).unwrap();
        let header = token.split('.').next().unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": key.public().kid}));
        assert_eq!(
            token
                .split('.')
                .next()
                .map(|h| URL_SAFE_NO_PAD.decode(h).unwrap()),
            Some(format!(r#"{{"alg":"ES256","kid":"{}"}}"#, key.public().kid).into_bytes()),
            "upstream's header, byte for byte"
        );
        let parsed = Unverified::parse(&token).unwrap();
        assert_eq!(parsed.claims["sub"], "me");
        assert_eq!(parsed.key_id.as_deref(), Some(key.public().kid.as_str()));
        assert!(parsed.verify(key.public()));

        let (other, _) = SigningKey::generate().unwrap();
        assert!(!parsed.verify(other.public()));

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","exp":5}"#);
        parts[1] = &forged;
        let tampered = Unverified::parse(&parts.join(".")).unwrap();
        assert!(!tampered.verify(key.public()));
    }

    #[test]
    fn other_bearer_tokens_are_not_jws() {
        assert!(Unverified::parse("abcdef").is_none());
        assert!(Unverified::parse("a.b").is_none());
        assert!(Unverified::parse("a.b.c.d").is_none());
        assert!(Unverified::parse("bm90IGpzb24.bm90IGpzb24.c2ln").is_none());
    }
}
