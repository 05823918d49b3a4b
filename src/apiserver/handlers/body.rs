//! Request bodies: read with a size limit (413 past it, as upstream's 3 MiB)
//! and parsed by content type (JSON, YAML, or Kubernetes protobuf for
//! built-in kinds; anything else is 415).

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use serde_json::Value;

use crate::apiserver::http::RequestBody;
use crate::apiserver::protobuf::{self, ProtobufError};
use crate::apiserver::status::ApiError;

/// The largest request body the API accepts (upstream's limit).
pub const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

pub async fn read(mut body: RequestBody) -> Result<Bytes, ApiError> {
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > MAX_REQUEST_BYTES {
                return Err(ApiError::too_large(MAX_REQUEST_BYTES));
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(collected.freeze())
}

/// The media type of the request body, without parameters.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "application/json".into())
}

/// Parses an object body given as JSON, YAML or protobuf.
pub fn parse_object(bytes: &[u8], content_type: &str) -> Result<Value, ApiError> {
    let value: Value = match content_type {
        protobuf::CONTENT_TYPE => decode_protobuf(bytes)?,
        "application/json" | "" => serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?,
        "application/yaml" | "application/x-yaml" | "text/yaml" => serde_yaml::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))?,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not a JSON or YAML object",
        ));
    }
    Ok(value)
}

/// A protobuf body as JSON. A kind without a message (a custom resource)
/// is 415, as upstream answers it.
pub fn decode_protobuf(bytes: &[u8]) -> Result<Value, ApiError> {
    protobuf::decode(bytes).map_err(|e| match e {
        ProtobufError::UnknownKind { .. } => {
            ApiError::unsupported_media_type(protobuf::CONTENT_TYPE)
        }
        ProtobufError::Malformed(message) => ApiError::bad_request(message),
    })
}

/// A DELETE's body as JSON bytes, whichever way it was sent (the store
/// reads `DeleteOptions` from JSON).
pub fn delete_options_json(bytes: Bytes, content_type: &str) -> Result<Bytes, ApiError> {
    if content_type != protobuf::CONTENT_TYPE || bytes.is_empty() {
        return Ok(bytes);
    }
    let value = decode_protobuf(&bytes)?;
    Ok(Bytes::from(serde_json::to_vec(&value).unwrap_or_default()))
}
