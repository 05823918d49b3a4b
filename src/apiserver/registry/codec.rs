//! The one place that knows how objects are encoded at rest.
//!
//! Objects are stored as JSON without `metadata.resourceVersion`, as
//! kube-apiserver does: the version of an object is the store's
//! `mod_revision` and is set on the way out. (Upstream's protobuf envelope
//! for built-in kinds can be added here without touching anything else.)

use bytes::Bytes;
use serde_json::Value;

use crate::apiserver::object::ObjectExt;
use crate::apiserver::status::ApiError;
use crate::storage::KeyValue;

/// The bytes to store for `object`.
pub fn encode(object: &Value) -> Result<Bytes, ApiError> {
    let mut object = object.clone();
    object.remove_meta("resourceVersion");
    serde_json::to_vec(&object)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("encoding object: {e}")))
}

/// The object stored in `kv`, with its resourceVersion.
pub fn decode(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut object: Value = serde_json::from_slice(&kv.value)
        .map_err(|e| ApiError::internal(format!("decoding {}: {e}", kv.key)))?;
    object.set_meta("resourceVersion", kv.mod_revision.to_string());
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_version_is_the_mod_revision() {
        let object = json!({"metadata": {"name": "a", "resourceVersion": "5"}, "data": {"k": "v"}});
        let bytes = encode(&object).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("resourceVersion"));
        let kv = KeyValue {
            key: "/registry/configmaps/default/a".into(),
            value: bytes,
            create_revision: 7,
            mod_revision: 9,
            version: 2,
        };
        let back = decode(&kv).unwrap();
        assert_eq!(back.resource_version(), Some("9"));
        assert_eq!(back["data"]["k"], "v");
    }
}
