//! The Swagger 2.0 document as protobuf: gnostic's `openapi.v2.Document`
//! (`OpenAPIv2.proto`), which client-go asks `/openapi/v2` for
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and
//! kubectl reads its models, field-validation support and patch metadata
//! from.
//!
//! gnostic turns each JSON object into its message field by field, and
//! keeps what the message has no field for — vendor extensions, defaults,
//! enum values — as `Any { yaml }`: the value written as YAML. The field
//! numbers below are gnostic's.

use serde_json::{Map, Value};

use super::v2::Document;
use crate::apiserver::protobuf::wire::{FIXED64, VARINT, put_len, put_tag, put_varint};

fn string(out: &mut Vec<u8>, field: u32, value: &str) {
    if !value.is_empty() {
        put_len(out, field, value.as_bytes());
    }
}

fn boolean(out: &mut Vec<u8>, field: u32, value: bool) {
    if value {
        put_tag(out, field, VARINT);
        put_varint(out, 1);
    }
}

fn int64(out: &mut Vec<u8>, field: u32, value: i64) {
    if value != 0 {
        put_tag(out, field, VARINT);
        put_varint(out, value as u64);
    }
}

fn double(out: &mut Vec<u8>, field: u32, value: f64) {
    if value != 0.0 {
        put_tag(out, field, FIXED64);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn message(out: &mut Vec<u8>, field: u32, body: &[u8]) {
    put_len(out, field, body);
}

fn strings(out: &mut Vec<u8>, field: u32, values: &Value) {
    match values {
        Value::Array(items) => {
            for item in items.iter().filter_map(Value::as_str) {
                put_len(out, field, item.as_bytes());
            }
        }
        Value::String(one) => put_len(out, field, one.as_bytes()),
        _ => {}
    }
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `Any { yaml = 2 }`.
fn any(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let yaml = serde_yaml::to_string(value).unwrap_or_default();
    string(&mut out, 2, &yaml);
    out
}

/// `NamedAny { name = 1; value = 2 }` for each `x-` key of `object`.
fn vendor_extensions(out: &mut Vec<u8>, field: u32, object: &Map<String, Value>) {
    for (name, value) in object.iter().filter(|(k, _)| k.starts_with("x-")) {
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &any(value));
        message(out, field, &named);
    }
}

/// `Schema`.
fn schema(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    for (key, v) in object {
        match key.as_str() {
            "$ref" => string(&mut out, 1, str_of(v)),
            "format" => string(&mut out, 2, str_of(v)),
            "title" => string(&mut out, 3, str_of(v)),
            "description" => string(&mut out, 4, str_of(v)),
            "default" => message(&mut out, 5, &any(v)),
            "multipleOf" => double(&mut out, 6, v.as_f64().unwrap_or_default()),
            "maximum" => double(&mut out, 7, v.as_f64().unwrap_or_default()),
            "exclusiveMaximum" => boolean(&mut out, 8, v.as_bool().unwrap_or_default()),
            "minimum" => double(&mut out, 9, v.as_f64().unwrap_or_default()),
            "exclusiveMinimum" => boolean(&mut out, 10, v.as_bool().unwrap_or_default()),
            "maxLength" => int64(&mut out, 11, v.as_i64().unwrap_or_default()),
            "minLength" => int64(&mut out, 12, v.as_i64().unwrap_or_default()),
            "pattern" => string(&mut out, 13, str_of(v)),
            "maxItems" => int64(&mut out, 14, v.as_i64().unwrap_or_default()),
            "minItems" => int64(&mut out, 15, v.as_i64().unwrap_or_default()),
            "uniqueItems" => boolean(&mut out, 16, v.as_bool().unwrap_or_default()),
            "maxProperties" => int64(&mut out, 17, v.as_i64().unwrap_or_default()),
            "minProperties" => int64(&mut out, 18, v.as_i64().unwrap_or_default()),
            "required" => strings(&mut out, 19, v),
            "enum" => {
                for item in v.as_array().into_iter().flatten() {
                    message(&mut out, 20, &any(item));
                }
            }
            "additionalProperties" => {
                // AdditionalPropertiesItem { schema = 1 | boolean = 2 }
                let mut item = Vec::new();
                match v {
                    Value::Bool(b) => {
                        put_tag(&mut item, 2, VARINT);
                        put_varint(&mut item, u64::from(*b));
                    }
                    other => message(&mut item, 1, &schema(other)),
                }
                message(&mut out, 21, &item);
            }
            "type" => {
                // TypeItem { repeated string value = 1 }
                let mut item = Vec::new();
                strings(&mut item, 1, v);
                message(&mut out, 22, &item);
            }
            "items" => {
                // ItemsItem { repeated Schema schema = 1 }
                let mut item = Vec::new();
                match v {
                    Value::Array(all) => {
                        for one in all {
                            message(&mut item, 1, &schema(one));
                        }
                    }
                    one => message(&mut item, 1, &schema(one)),
                }
                message(&mut out, 23, &item);
            }
            "allOf" => {
                for one in v.as_array().into_iter().flatten() {
                    message(&mut out, 24, &schema(one));
                }
            }
            "properties" => {
                // Properties { repeated NamedSchema additional_properties = 1 }
                let mut properties = Vec::new();
                named_schemas(&mut properties, v.as_object().into_iter().flatten());
                message(&mut out, 25, &properties);
            }
            "discriminator" => string(&mut out, 26, str_of(v)),
            "readOnly" => boolean(&mut out, 27, v.as_bool().unwrap_or_default()),
            "example" => message(&mut out, 30, &any(v)),
            _ => {}
        }
    }
    vendor_extensions(&mut out, 31, object);
    out
}

/// `repeated NamedSchema { name = 1; value = 2 }` as field 1.
fn named_schemas<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a String, &'a Value)>) {
    for (name, value) in entries {
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &schema(value));
        message(out, 1, &named);
    }
}

/// `ParametersItem { Parameter parameter = 1 }`.
fn parameter(value: &Value) -> Vec<u8> {
    let empty = Map::new();
    let object = value.as_object().unwrap_or(&empty);
    let location = object.get("in").map(str_of).unwrap_or_default();
    let text = |out: &mut Vec<u8>, field: u32, key: &str| {
        string(out, field, object.get(key).map(str_of).unwrap_or_default());
    };
    let flag = |out: &mut Vec<u8>, field: u32, key: &str| {
        boolean(
            out,
            field,
            object.get(key).and_then(Value::as_bool).unwrap_or_default(),
        );
    };
    let mut parameter = Vec::new();
    if location == "body" {
        // BodyParameter: description 1, name 2, in 3, required 4, schema 5.
        let mut body = Vec::new();
        text(&mut body, 1, "description");
        text(&mut body, 2, "name");
        text(&mut body, 3, "in");
        flag(&mut body, 4, "required");
        if let Some(s) = object.get("schema") {
            message(&mut body, 5, &schema(s));
        }
        vendor_extensions(&mut body, 6, object);
        message(&mut parameter, 1, &body);
    } else {
        // Query (and form) sub-schemas have allowEmptyValue at 5, which
        // shifts their later fields by one against path and header ones.
        let (which, shifted) = match location {
            "header" => (1, false),
            "formData" => (2, true),
            "query" => (3, true),
            _ => (4, false),
        };
        let after = |n: u32| if shifted { n + 1 } else { n };
        let mut sub = Vec::new();
        flag(&mut sub, 1, "required");
        text(&mut sub, 2, "in");
        text(&mut sub, 3, "description");
        text(&mut sub, 4, "name");
        if shifted {
            flag(&mut sub, 5, "allowEmptyValue");
        }
        text(&mut sub, after(5), "type");
        text(&mut sub, after(6), "format");
        flag(&mut sub, after(19), "uniqueItems");
        vendor_extensions(&mut sub, after(22), object);
        let mut non_body = Vec::new();
        message(&mut non_body, which, &sub);
        message(&mut parameter, 2, &non_body);
    }
    let mut item = Vec::new();
    message(&mut item, 1, &parameter);
    item
}

/// `Responses { repeated NamedResponseValue response_code = 1 }`.
fn responses(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for (code, response) in value.as_object().into_iter().flatten() {
        // Response { description = 1; SchemaItem schema = 2 }
        let mut body = Vec::new();
        string(
            &mut body,
            1,
            response.get("description").map(str_of).unwrap_or_default(),
        );
        if let Some(s) = response.get("schema") {
            let mut item = Vec::new();
            message(&mut item, 1, &schema(s));
            message(&mut body, 2, &item);
        }
        let mut response_value = Vec::new();
        message(&mut response_value, 1, &body);
        let mut named = Vec::new();
        string(&mut named, 1, code);
        message(&mut named, 2, &response_value);
        message(&mut out, 1, &named);
    }
    out
}

/// `Operation`.
fn operation(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    for (key, v) in object {
        match key.as_str() {
            "tags" => strings(&mut out, 1, v),
            "summary" => string(&mut out, 2, str_of(v)),
            "description" => string(&mut out, 3, str_of(v)),
            "operationId" => string(&mut out, 5, str_of(v)),
            "produces" => strings(&mut out, 6, v),
            "consumes" => strings(&mut out, 7, v),
            "parameters" => {
                for p in v.as_array().into_iter().flatten() {
                    message(&mut out, 8, &parameter(p));
                }
            }
            "responses" => message(&mut out, 9, &responses(v)),
            "schemes" => strings(&mut out, 10, v),
            "deprecated" => boolean(&mut out, 11, v.as_bool().unwrap_or_default()),
            _ => {}
        }
    }
    vendor_extensions(&mut out, 13, object);
    out
}

/// `PathItem`.
fn path_item(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(object) = value.as_object() else {
        return out;
    };
    for (key, v) in object {
        let field = match key.as_str() {
            "get" => 2,
            "put" => 3,
            "post" => 4,
            "delete" => 5,
            "options" => 6,
            "head" => 7,
            "patch" => 8,
            "parameters" => {
                for p in v.as_array().into_iter().flatten() {
                    message(&mut out, 9, &parameter(p));
                }
                continue;
            }
            _ => continue,
        };
        message(&mut out, field, &operation(v));
    }
    vendor_extensions(&mut out, 10, object);
    out
}

/// The whole `Document`.
pub fn encode(document: &Document<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, 1, Document::SWAGGER);
    // Info { title = 1; version = 2 }
    let info = document.info();
    let mut info_message = Vec::new();
    string(
        &mut info_message,
        1,
        info.get("title").map(str_of).unwrap_or_default(),
    );
    string(
        &mut info_message,
        2,
        info.get("version").map(str_of).unwrap_or_default(),
    );
    message(&mut out, 2, &info_message);
    // Paths { repeated NamedPathItem path = 2 }
    let mut paths = Vec::new();
    for (name, item) in document.paths() {
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &path_item(&item));
        message(&mut paths, 2, &named);
    }
    message(&mut out, 8, &paths);
    drop(paths);
    // Definitions { repeated NamedSchema additional_properties = 1 }, one
    // definition parsed at a time.
    let mut definitions = Vec::new();
    for name in document.definitions.all().keys() {
        let value = document.definitions.value(name).unwrap_or_default();
        named_schemas(&mut definitions, std::iter::once((name, &value)));
    }
    message(&mut out, 9, &definitions);
    drop(definitions);
    // SecurityRequirement { repeated NamedStringArray additional_properties = 1 }
    for requirement in Document::security().as_array().into_iter().flatten() {
        let mut body = Vec::new();
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            let mut array = Vec::new();
            strings(&mut array, 1, scopes);
            let mut named = Vec::new();
            string(&mut named, 1, name);
            message(&mut named, 2, &array);
            message(&mut body, 1, &named);
        }
        message(&mut out, 12, &body);
    }
    // SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1 },
    // each an ApiKeySecurity (field 2 of the item): type 1, name 2, in 3, description 4.
    let mut schemes = Vec::new();
    for (name, scheme) in Document::security_definitions()
        .as_object()
        .into_iter()
        .flatten()
    {
        let mut api_key = Vec::new();
        for (field, key) in [(1, "type"), (2, "name"), (3, "in"), (4, "description")] {
            string(
                &mut api_key,
                field,
                scheme.get(key).map(str_of).unwrap_or_default(),
            );
        }
        let mut item = Vec::new();
        message(&mut item, 2, &api_key);
        let mut named = Vec::new();
        string(&mut named, 1, name);
        message(&mut named, 2, &item);
        message(&mut schemes, 1, &named);
    }
    message(&mut out, 13, &schemes);
    out
}
