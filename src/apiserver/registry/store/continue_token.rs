//! `continue` tokens, in upstream's format: base64 of
//! `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the list prefix>"}`,
//! so a token names the revision every page is read at and where the next
//! page starts.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::apiserver::status::ApiError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueToken {
    #[serde(rename = "v")]
    pub version: String,
    #[serde(rename = "rv")]
    pub revision: i64,
    /// The key to start at, relative to the list's prefix.
    pub start: String,
}

const TOKEN_VERSION: &str = "meta.k8s.io/v1";

impl ContinueToken {
    pub fn new(revision: u64, start: String) -> ContinueToken {
        ContinueToken {
            version: TOKEN_VERSION.into(),
            revision: revision as i64,
            start,
        }
    }

    /// A token that goes on from `start` at whatever revision is latest:
    /// what an expired list offers to continue inconsistently.
    pub fn latest(start: String) -> ContinueToken {
        ContinueToken {
            version: TOKEN_VERSION.into(),
            revision: -1,
            start,
        }
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes a token; malformed tokens are a 400 as upstream.
    pub fn decode(token: &str) -> Result<ContinueToken, ApiError> {
        let invalid =
            |why: &str| ApiError::bad_request(format!("continue key is not valid: {why}"));
        let bytes = STANDARD.decode(token).map_err(|_| {
            invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        })?;
        let token: ContinueToken =
            serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))?;
        if token.version != TOKEN_VERSION {
            return Err(invalid(&format!(
                "server does not recognize this encoded key version {:?}",
                token.version
            )));
        }
        if token.start.is_empty() || token.start.starts_with('/') || token.start.contains("..") {
            return Err(invalid(
                "continue key must not be empty, absolute or escape the list",
            ));
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let token = ContinueToken::new(42, "default/web\u{0}".into());
        assert_eq!(ContinueToken::decode(&token.encode()).unwrap(), token);
        assert_eq!(ContinueToken::decode("not base64!").unwrap_err().code, 400);
        let escape = ContinueToken::new(1, "../secrets/x".into()).encode();
        assert!(ContinueToken::decode(&escape).is_err());
    }
}
