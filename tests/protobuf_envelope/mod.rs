//! Kubernetes protobuf bodies built independently of keelson, with
//! k8s-pb's messages: the `k8s\0` magic and a `runtime.Unknown` around an
//! encoded message, as client-go sends them.

use bytes::Bytes;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use prost::Message;

/// `raw` (an encoded message of `kind` in `api_version`) in its envelope.
pub fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Bytes {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut bytes = b"k8s\0".to_vec();
    bytes.extend(unknown.encode_to_vec());
    bytes.into()
}
