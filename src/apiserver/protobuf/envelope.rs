//! Whole objects on the wire: the 4 bytes `k8s\0`, then a
//! `runtime.Unknown` message (1 `typeMeta` {1 apiVersion, 2 kind}, 2 `raw`
//! = the object's own message, 3 `contentEncoding`, 4 `contentType`); and
//! watch streams: each event a 4-byte big-endian length, then a raw
//! `meta.v1.WatchEvent` whose `object.raw` is an enveloped object (upstream
//! streams with its raw serializer and `LengthDelimitedFramer`).

use serde_json::{Map, Value};

use super::wire::{Reader, WireValue, malformed, put_len};
use super::{ProtobufError, decode as decoder, encode as encoder};
use crate::apiserver::types::{META_V1, Schema};

/// The prefix of every enveloped object.
pub const MAGIC: [u8; 4] = *b"k8s\0";

pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
pub const WATCH_CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf;stream=watch";

/// Whether objects of `api_version`/`kind` have a protobuf message.
pub fn supports(api_version: &str, kind: &str) -> bool {
    Schema::get().message_for(api_version, kind).is_some()
}

/// An enveloped object as JSON, with `apiVersion` and `kind` set.
pub fn decode(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let body = bytes
        .strip_prefix(&MAGIC)
        .ok_or_else(|| malformed("the body does not start with the k8s protobuf prefix"))?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    let mut content_encoding = String::new();
    let mut reader = Reader::new(body);
    while let Some((tag, value)) = reader.next_field()? {
        match (tag, value) {
            (1, WireValue::Len(type_meta)) => {
                let mut fields = Reader::new(type_meta);
                while let Some((tag, value)) = fields.next_field()? {
                    if let WireValue::Len(s) = value {
                        let s = String::from_utf8_lossy(s).into_owned();
                        match tag {
                            1 => api_version = s,
                            2 => kind = s,
                            _ => {}
                        }
                    }
                }
            }
            (2, WireValue::Len(bytes)) => raw = bytes,
            (3, WireValue::Len(bytes)) => {
                content_encoding = String::from_utf8_lossy(bytes).into_owned();
            }
            _ => {}
        }
    }
    if !content_encoding.is_empty() {
        return Err(malformed(&format!(
            "unsupported content encoding {content_encoding:?}"
        )));
    }
    let message = Schema::get()
        .message_for(&api_version, &kind)
        .ok_or_else(|| ProtobufError::UnknownKind {
            api_version: api_version.clone(),
            kind: kind.clone(),
        })?;
    let mut value = decoder::message(&message, raw)?;
    if let Value::Object(object) = &mut value {
        object.insert("apiVersion".into(), Value::String(api_version));
        object.insert("kind".into(), Value::String(kind));
    }
    Ok(value)
}

/// `value` (with `apiVersion` and `kind`) enveloped.
pub fn encode(value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let text = |field: &str| value.get(field).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    let message = Schema::get()
        .message_for(api_version, kind)
        .ok_or_else(|| ProtobufError::UnknownKind {
            api_version: api_version.into(),
            kind: kind.into(),
        })?;
    let raw = encoder::message(&message, value)?;
    let mut type_meta = Vec::new();
    put_len(&mut type_meta, 1, api_version.as_bytes());
    put_len(&mut type_meta, 2, kind.as_bytes());
    let mut out = Vec::with_capacity(raw.len() + type_meta.len() + 16);
    out.extend_from_slice(&MAGIC);
    put_len(&mut out, 1, &type_meta);
    put_len(&mut out, 2, &raw);
    // Go writes its empty strings; readers ignore them either way.
    put_len(&mut out, 3, b"");
    put_len(&mut out, 4, b"");
    Ok(out)
}

/// One watch event as a frame: length, then `WatchEvent{type, object}`.
pub fn encode_watch_event(event_type: &str, object: &Value) -> Result<Vec<u8>, ProtobufError> {
    let enveloped = encode(object)?;
    let mut raw_extension = Vec::new();
    put_len(&mut raw_extension, 1, &enveloped);
    let mut event = Vec::new();
    put_len(&mut event, 1, event_type.as_bytes());
    put_len(&mut event, 2, &raw_extension);
    let mut frame = Vec::with_capacity(event.len() + 4);
    frame.extend_from_slice(&(event.len() as u32).to_be_bytes());
    frame.extend_from_slice(&event);
    Ok(frame)
}

/// The events of a protobuf watch stream, as JSON `{type, object}` (for
/// tests and clients of keelson's own).
pub fn decode_watch_events(mut stream: &[u8]) -> Result<Vec<Value>, ProtobufError> {
    let mut events = Vec::new();
    while !stream.is_empty() {
        if stream.len() < 4 {
            return Err(malformed("truncated watch frame length"));
        }
        let (length, rest) = stream.split_at(4);
        let length = u32::from_be_bytes(length.try_into().expect("4 bytes")) as usize;
        if rest.len() < length {
            return Err(malformed("truncated watch frame"));
        }
        let (frame, rest) = rest.split_at(length);
        stream = rest;
        let event = decoder::message(&format!("{META_V1}.WatchEvent"), frame)?;
        let mut object = Map::new();
        object.insert(
            "type".into(),
            event.get("type").cloned().unwrap_or_default(),
        );
        object.insert(
            "object".into(),
            event.get("object").cloned().unwrap_or_default(),
        );
        events.push(Value::Object(object));
    }
    Ok(events)
}
