//! Protobuf message → JSON, field by field from the schema table.
//!
//! Go's generated marshallers write every non-pointer field, zero or not,
//! while its JSON leaves out the empty optional ones (`omitempty`). The
//! protobuf schema cannot tell a pointer from a value, so the decoder keeps
//! zero numbers and `false` (a pointer's zero is meaningful: `replicas: 0`,
//! `gracePeriodSeconds: 0`, `runAsUser: 0`) and drops empty optional
//! strings (a value field's zero, which keelson's defaulting and
//! validation, like upstream's, read as unset), and the zeros of the
//! value fields Go's JSON leaves out ([`super::value_fields`]).

use base64::Engine;
use serde_json::{Map, Number, Value};

use super::ProtobufError;
use super::wire::{Reader, WireValue, malformed};
use crate::apiserver::types::{Field, META_V1, Schema};

/// Go's zero `time.Time` in Unix seconds; JSON writes it as `null`.
const ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Decodes `bytes` as the message `name`.
pub fn message(name: &str, bytes: &[u8]) -> Result<Value, ProtobufError> {
    if let Some(value) = special(name, bytes)? {
        return Ok(value);
    }
    let schema = Schema::get();
    let fields = schema
        .message(name)
        .ok_or_else(|| malformed(&format!("no message {name}")))?;
    let mut object = Map::new();
    fields_into(name, fields, bytes, &mut object)?;
    Ok(Value::Object(object))
}

fn fields_into(
    name: &str,
    fields: &[Field],
    bytes: &[u8],
    object: &mut Map<String, Value>,
) -> Result<(), ProtobufError> {
    let mut reader = Reader::new(bytes);
    while let Some((tag, value)) = reader.next_field()? {
        // Fields this version does not know are skipped, as Go does.
        let Some(field) = fields.iter().find(|f| f.tag == tag) else {
            continue;
        };
        if field.inline {
            let WireValue::Len(inner) = value else {
                return Err(wrong_wire_type(field));
            };
            let schema = Schema::get();
            let inner_fields = schema
                .message(&field.ty)
                .ok_or_else(|| malformed(&format!("no message {}", field.ty)))?;
            fields_into(&field.ty, inner_fields, inner, object)?;
        } else if field.map {
            let WireValue::Len(entry) = value else {
                return Err(wrong_wire_type(field));
            };
            let (key, value) = map_entry(field, entry)?;
            object
                .entry(field.name.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or_else(|| malformed("a map field repeated as another type"))?
                .insert(key, value);
        } else if field.repeated {
            let items = object
                .entry(field.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let items = items
                .as_array_mut()
                .ok_or_else(|| malformed("a repeated field given twice"))?;
            match value {
                // Packed numbers: several in one length-delimited field.
                WireValue::Len(packed) if matches!(field.ty.as_str(), "int32" | "int64") => {
                    let mut reader = PackedVarints { bytes: packed };
                    while let Some(n) = reader.next()? {
                        items.push(scalar(field, WireValue::Varint(n))?);
                    }
                }
                value => items.push(one(field, value)?),
            }
        } else {
            let value = one(field, value)?;
            let unset = (value == "" && !field.required)
                || (matches!(&value, Value::Bool(false)) || value == 0)
                    && super::value_fields::omitted_when_zero(name, &field.name);
            if unset {
                object.remove(&field.name);
                continue;
            }
            object.insert(field.name.clone(), value);
        }
    }
    Ok(())
}

/// A map entry message: key (1) and value (2).
fn map_entry(field: &Field, bytes: &[u8]) -> Result<(String, Value), ProtobufError> {
    let mut key = String::new();
    let mut value = None;
    let mut reader = Reader::new(bytes);
    while let Some((tag, wire)) = reader.next_field()? {
        match tag {
            1 => {
                let WireValue::Len(k) = wire else {
                    return Err(wrong_wire_type(field));
                };
                key = utf8(k)?;
            }
            2 => value = Some(one(field, wire)?),
            _ => {}
        }
    }
    let value = match value {
        Some(v) => v,
        // An absent value is the type's zero.
        None if field.is_message() => message(&field.ty, &[])?,
        None => zero(field),
    };
    Ok((key, value))
}

fn zero(field: &Field) -> Value {
    match field.ty.as_str() {
        "string" | "bytes" => Value::String(String::new()),
        "bool" => Value::Bool(false),
        _ => Value::from(0),
    }
}

/// One value of `field`'s type.
fn one(field: &Field, value: WireValue) -> Result<Value, ProtobufError> {
    if field.is_message() {
        let WireValue::Len(bytes) = value else {
            return Err(wrong_wire_type(field));
        };
        return message(&field.ty, bytes);
    }
    scalar(field, value)
}

fn scalar(field: &Field, value: WireValue) -> Result<Value, ProtobufError> {
    Ok(match (field.ty.as_str(), value) {
        ("string", WireValue::Len(bytes)) => Value::String(utf8(bytes)?),
        ("bytes", WireValue::Len(bytes)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        // Go's int32 is sign-extended to 64 bits on the wire.
        ("int32", WireValue::Varint(n)) => Value::from(n as i64 as i32),
        ("int64", WireValue::Varint(n)) => Value::from(n as i64),
        ("bool", WireValue::Varint(n)) => Value::Bool(n != 0),
        ("double", WireValue::Fixed64(bits)) => Number::from_f64(f64::from_bits(bits))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        _ => return Err(wrong_wire_type(field)),
    })
}

fn wrong_wire_type(field: &Field) -> ProtobufError {
    malformed(&format!(
        "field {} ({}) has the wrong wire type",
        field.name, field.ty
    ))
}

fn utf8(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| malformed("a string is not UTF-8"))
}

struct PackedVarints<'a> {
    bytes: &'a [u8],
}

impl PackedVarints<'_> {
    fn next(&mut self) -> Result<Option<u64>, ProtobufError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let mut value = 0u64;
        for (i, &byte) in self.bytes.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(Some(value));
            }
        }
        Err(malformed("truncated packed varint"))
    }
}

/// The raw fields of a small message, by tag (last one wins, as in proto).
fn raw_fields(bytes: &[u8]) -> Result<Vec<(u32, WireValue<'_>)>, ProtobufError> {
    let mut fields = Vec::new();
    let mut reader = Reader::new(bytes);
    while let Some(field) = reader.next_field()? {
        fields.push(field);
    }
    Ok(fields)
}

fn varint_of(fields: &[(u32, WireValue)], tag: u32) -> Option<u64> {
    fields.iter().rev().find_map(|(t, v)| match v {
        WireValue::Varint(n) if *t == tag => Some(*n),
        _ => None,
    })
}

fn bytes_of<'a>(fields: &[(u32, WireValue<'a>)], tag: u32) -> Option<&'a [u8]> {
    fields.iter().rev().find_map(|(t, v)| match v {
        WireValue::Len(b) if *t == tag => Some(*b),
        _ => None,
    })
}

/// JSON embedded as bytes (`RawExtension`, `FieldsV1`, apiextensions'
/// `JSON`); a nested protobuf object (`k8s\0…`) is decoded in turn.
fn embedded_json(raw: Option<&[u8]>) -> Result<Value, ProtobufError> {
    match raw {
        None | Some([]) => Ok(Value::Null),
        Some(raw) if raw.starts_with(&super::envelope::MAGIC) => super::envelope::decode(raw),
        Some(raw) => {
            serde_json::from_slice(raw).map_err(|e| malformed(&format!("embedded JSON: {e}")))
        }
    }
}

/// Kubernetes' types whose JSON is not their message's shape.
fn special(name: &str, bytes: &[u8]) -> Result<Option<Value>, ProtobufError> {
    let Some(short) = name.rsplit('.').next() else {
        return Ok(None);
    };
    let package = &name[..name.len() - short.len() - 1];
    let value = match (package, short) {
        (META_V1, "Time" | "MicroTime") => {
            let fields = raw_fields(bytes)?;
            let seconds = varint_of(&fields, 1).unwrap_or(0) as i64;
            let nanos = varint_of(&fields, 2).unwrap_or(0) as i64 as i32;
            if bytes.is_empty() || (seconds == ZERO_TIME_SECONDS && nanos == 0) {
                Value::Null
            } else {
                let time = jiff::Timestamp::new(seconds, if short == "Time" { 0 } else { nanos })
                    .map_err(|e| malformed(&format!("time: {e}")))?;
                let format = if short == "Time" {
                    "%Y-%m-%dT%H:%M:%SZ"
                } else {
                    "%Y-%m-%dT%H:%M:%S%.6fZ"
                };
                Value::String(time.strftime(format).to_string())
            }
        }
        (META_V1, "Duration") => {
            let nanos = varint_of(&raw_fields(bytes)?, 1).unwrap_or(0) as i64;
            Value::String(go_duration(nanos))
        }
        (META_V1, "FieldsV1") | ("k8s.io.apimachinery.pkg.runtime", "RawExtension") => {
            embedded_json(bytes_of(&raw_fields(bytes)?, 1))?
        }
        (META_V1, "Verbs") | (_, "ExtraValue") => {
            let items = raw_fields(bytes)?
                .into_iter()
                .filter(|(tag, _)| *tag == 1)
                .map(|(_, v)| match v {
                    WireValue::Len(s) => utf8(s).map(Value::String),
                    _ => Err(malformed("a string list item is not a string")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Value::Array(items)
        }
        ("k8s.io.apimachinery.pkg.api.resource", "Quantity") => {
            let raw = bytes_of(&raw_fields(bytes)?, 1).unwrap_or_default();
            Value::String(utf8(raw)?)
        }
        ("k8s.io.apimachinery.pkg.util.intstr", "IntOrString") => {
            let fields = raw_fields(bytes)?;
            if varint_of(&fields, 1) == Some(1) {
                Value::String(utf8(bytes_of(&fields, 3).unwrap_or_default())?)
            } else {
                Value::from(varint_of(&fields, 2).unwrap_or(0) as i64 as i32)
            }
        }
        (APIEXTENSIONS_V1 | APIEXTENSIONS_V1BETA1, _) => match short {
            "JSON" => embedded_json(bytes_of(&raw_fields(bytes)?, 1))?,
            "JSONSchemaPropsOrArray" => {
                let props = format!("{package}.JSONSchemaProps");
                let fields = raw_fields(bytes)?;
                let array: Vec<&[u8]> = fields
                    .iter()
                    .filter_map(|(t, v)| match v {
                        WireValue::Len(b) if *t == 2 => Some(*b),
                        _ => None,
                    })
                    .collect();
                if array.is_empty() {
                    match bytes_of(&fields, 1) {
                        Some(schema) => message(&props, schema)?,
                        None => Value::Null,
                    }
                } else {
                    Value::Array(
                        array
                            .into_iter()
                            .map(|b| message(&props, b))
                            .collect::<Result<_, _>>()?,
                    )
                }
            }
            "JSONSchemaPropsOrBool" => {
                let fields = raw_fields(bytes)?;
                match bytes_of(&fields, 2) {
                    Some(schema) => message(&format!("{package}.JSONSchemaProps"), schema)?,
                    None => Value::Bool(varint_of(&fields, 1).unwrap_or(0) != 0),
                }
            }
            "JSONSchemaPropsOrStringArray" => {
                let fields = raw_fields(bytes)?;
                let strings: Vec<Value> = fields
                    .iter()
                    .filter_map(|(t, v)| match v {
                        WireValue::Len(b) if *t == 2 => Some(utf8(b).map(Value::String)),
                        _ => None,
                    })
                    .collect::<Result<_, _>>()?;
                match bytes_of(&fields, 1) {
                    Some(schema) if strings.is_empty() => {
                        message(&format!("{package}.JSONSchemaProps"), schema)?
                    }
                    _ => Value::Array(strings),
                }
            }
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(value))
}

pub const APIEXTENSIONS_V1: &str = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";
pub const APIEXTENSIONS_V1BETA1: &str =
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1beta1";

/// Go's `time.Duration.String()`: `1h0m0s`, `1m30s`, `1.5s`, `300ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        // Below a second Go picks the largest unit that keeps an integer
        // part: ns, µs or ms, with a trimmed fraction.
        let (unit, scale) = if n < 1_000 {
            ("ns", 1)
        } else if n < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", fraction(n, scale));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = n / 60_000_000_000 % 60;
    let seconds = fraction(n % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

/// `n / scale` with the fraction's trailing zeros trimmed.
fn fraction(n: u64, scale: u64) -> String {
    let whole = n / scale;
    let rest = n % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let digits = scale.to_string().len() - 1;
    let fraction = format!("{rest:0digits$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(300_000_000), "300ms");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
    }
}
