//! JSON → protobuf message, field by field from the schema table: the
//! reverse of `decode`. JSON keys the message does not have are dropped
//! (as Go drops unknown fields when it decodes JSON into its types), and
//! `null` is an unset field.

use base64::Engine;
use serde_json::{Map, Value};

use super::ProtobufError;
use super::decode::{APIEXTENSIONS_V1, APIEXTENSIONS_V1BETA1};
use super::wire::{FIXED64, VARINT, malformed, put_len, put_tag, put_varint};
use crate::apiserver::types::{Field, META_V1, Schema};

/// Encodes `value` as the message `name`.
pub fn message(name: &str, value: &Value) -> Result<Vec<u8>, ProtobufError> {
    let mut out = Vec::new();
    if special(name, value, &mut out)? {
        return Ok(out);
    }
    let object = value
        .as_object()
        .ok_or_else(|| invalid(name, "an object", value))?;
    fields_from(name, object, &mut out)?;
    Ok(out)
}

fn fields_from(
    name: &str,
    object: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), ProtobufError> {
    let schema = Schema::get();
    let fields = schema
        .message(name)
        .ok_or_else(|| malformed(&format!("no message {name}")))?;
    for field in fields {
        if field.inline {
            // The embedded struct's fields sit in this same JSON object.
            let mut inner = Vec::new();
            fields_from(&field.ty, object, &mut inner)?;
            put_len(out, field.tag, &inner);
            continue;
        }
        let Some(value) = object.get(&field.name).filter(|v| !v.is_null()) else {
            continue;
        };
        if field.map {
            let entries = value
                .as_object()
                .ok_or_else(|| invalid(&field.name, "an object", value))?;
            for (key, item) in entries {
                let mut entry = Vec::new();
                put_len(&mut entry, 1, key.as_bytes());
                one(field, 2, item, &mut entry)?;
                put_len(out, field.tag, &entry);
            }
        } else if field.repeated {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(&field.name, "an array", value))?;
            for item in items {
                one(field, field.tag, item, out)?;
            }
        } else {
            one(field, field.tag, value, out)?;
        }
    }
    Ok(())
}

/// One value of `field`'s type as field number `tag`.
fn one(field: &Field, tag: u32, value: &Value, out: &mut Vec<u8>) -> Result<(), ProtobufError> {
    if field.is_message() {
        let bytes = message(&field.ty, value)?;
        put_len(out, tag, &bytes);
        return Ok(());
    }
    match field.ty.as_str() {
        "string" => {
            let s = value
                .as_str()
                .ok_or_else(|| invalid(&field.name, "a string", value))?;
            put_len(out, tag, s.as_bytes());
        }
        "bytes" => {
            let s = value
                .as_str()
                .ok_or_else(|| invalid(&field.name, "a base64 string", value))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| invalid(&field.name, "a base64 string", value))?;
            put_len(out, tag, &bytes);
        }
        "int32" | "int64" => {
            let n = integer(value).ok_or_else(|| invalid(&field.name, "an integer", value))?;
            put_tag(out, tag, VARINT);
            put_varint(out, n as u64);
        }
        "bool" => {
            let b = value
                .as_bool()
                .ok_or_else(|| invalid(&field.name, "a boolean", value))?;
            put_tag(out, tag, VARINT);
            put_varint(out, u64::from(b));
        }
        "double" => {
            let f = value
                .as_f64()
                .ok_or_else(|| invalid(&field.name, "a number", value))?;
            put_tag(out, tag, FIXED64);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        other => return Err(malformed(&format!("unknown scalar type {other}"))),
    }
    Ok(())
}

fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| f as i64)
    })
}

fn invalid(what: &str, expected: &str, value: &Value) -> ProtobufError {
    let mut shown = value.to_string();
    shown.truncate(80);
    malformed(&format!("{what}: expected {expected}, got {shown}"))
}

fn put_string_items(items: &[Value], tag: u32, out: &mut Vec<u8>) -> Result<(), ProtobufError> {
    for item in items {
        let s = item
            .as_str()
            .ok_or_else(|| invalid("item", "a string", item))?;
        put_len(out, tag, s.as_bytes());
    }
    Ok(())
}

/// Kubernetes' types whose JSON is not their message's shape; `true` if
/// `name` is one (and was written).
fn special(name: &str, value: &Value, out: &mut Vec<u8>) -> Result<bool, ProtobufError> {
    let Some(short) = name.rsplit('.').next() else {
        return Ok(false);
    };
    let package = &name[..name.len() - short.len() - 1];
    match (package, short) {
        (META_V1, "Time" | "MicroTime") => {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(short, "an RFC 3339 time", value))?;
            let time: jiff::Timestamp = text
                .parse()
                .map_err(|_| invalid(short, "an RFC 3339 time", value))?;
            put_tag(out, 1, VARINT);
            put_varint(out, time.as_second() as u64);
            let nanos = if short == "Time" {
                0
            } else {
                time.subsec_nanosecond()
            };
            if nanos != 0 {
                put_tag(out, 2, VARINT);
                put_varint(out, i64::from(nanos) as u64);
            }
        }
        (META_V1, "Duration") => {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(short, "a duration", value))?;
            let nanos =
                parse_go_duration(text).ok_or_else(|| invalid(short, "a duration", value))?;
            put_tag(out, 1, VARINT);
            put_varint(out, nanos as u64);
        }
        (META_V1, "FieldsV1") | ("k8s.io.apimachinery.pkg.runtime", "RawExtension") => {
            put_len(out, 1, &serde_json::to_vec(value).unwrap_or_default());
        }
        (META_V1, "Verbs") | (_, "ExtraValue") => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(short, "an array", value))?;
            put_string_items(items, 1, out)?;
        }
        ("k8s.io.apimachinery.pkg.api.resource", "Quantity") => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => return Err(invalid(short, "a quantity", other)),
            };
            put_len(out, 1, text.as_bytes());
        }
        ("k8s.io.apimachinery.pkg.util.intstr", "IntOrString") => match value {
            Value::String(s) => {
                put_tag(out, 1, VARINT);
                put_varint(out, 1);
                put_len(out, 3, s.as_bytes());
            }
            other => {
                let n = integer(other).ok_or_else(|| invalid(short, "an int or string", other))?;
                put_tag(out, 1, VARINT);
                put_varint(out, 0);
                put_tag(out, 2, VARINT);
                put_varint(out, n as u64);
            }
        },
        (APIEXTENSIONS_V1 | APIEXTENSIONS_V1BETA1, _) => {
            let props = format!("{package}.JSONSchemaProps");
            match (short, value) {
                ("JSON", value) => put_len(out, 1, &serde_json::to_vec(value).unwrap_or_default()),
                ("JSONSchemaPropsOrArray", Value::Array(items)) => {
                    for item in items {
                        put_len(out, 2, &message(&props, item)?);
                    }
                }
                ("JSONSchemaPropsOrArray", value) => put_len(out, 1, &message(&props, value)?),
                ("JSONSchemaPropsOrBool", Value::Bool(b)) => {
                    put_tag(out, 1, VARINT);
                    put_varint(out, u64::from(*b));
                }
                ("JSONSchemaPropsOrBool", value) => {
                    put_tag(out, 1, VARINT);
                    put_varint(out, 1);
                    put_len(out, 2, &message(&props, value)?);
                }
                ("JSONSchemaPropsOrStringArray", Value::Array(items)) => {
                    put_string_items(items, 2, out)?;
                }
                ("JSONSchemaPropsOrStringArray", value) => {
                    put_len(out, 1, &message(&props, value)?)
                }
                _ => return Ok(false),
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Go's `time.ParseDuration`: a sequence of decimal numbers with units
/// (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), optionally signed.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * scale;
    }
    let nanos = total.round() as i64;
    Some(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("1h0m0s"), Some(3_600_000_000_000));
        assert_eq!(parse_go_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("-2s"), Some(-2_000_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("5x"), None);
        assert_eq!(parse_go_duration(""), None);
    }
}
