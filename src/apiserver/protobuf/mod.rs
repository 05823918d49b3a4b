//! Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), the
//! encoding every client-go typed client (kubectl, kubelet, kube-proxy,
//! the scheduler) prefers for built-in kinds.
//!
//! keelson keeps objects as JSON values, so this module converts between
//! that JSON and the wire format: a generic protobuf decoder and encoder
//! driven by the table of every built-in message
//! ([`crate::apiserver::types`]), the special types whose JSON is
//! a scalar (`Time`, `Quantity`, `IntOrString`, …), and the `k8s\0` +
//! `runtime.Unknown` envelope around whole objects ([`envelope`]).

mod decode;
mod encode;
pub mod envelope;
mod value_fields;
pub(crate) mod wire;

pub use envelope::{
    CONTENT_TYPE, WATCH_CONTENT_TYPE, decode, decode_watch_events, encode, encode_watch_event,
    supports,
};

/// Why a body could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtobufError {
    /// The envelope names a kind the schema has no message for (custom
    /// resources, aggregated kinds): upstream answers 415 for these.
    UnknownKind { api_version: String, kind: String },
    /// The bytes are not a well-formed message.
    Malformed(String),
}

impl std::fmt::Display for ProtobufError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtobufError::UnknownKind { api_version, kind } => {
                write!(f, "no protobuf message for {api_version}, Kind={kind}")
            }
            ProtobufError::Malformed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ProtobufError {}

#[cfg(test)]
mod tests;
