//! Shapes read from an OpenAPI v3 schema rather than the type table: a
//! custom resource's, from its CRD version's `openAPIV3Schema`, so that
//! server-side apply and field ownership see its structs, maps, and list
//! types (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
//! `x-kubernetes-map-type`) as upstream's structured-merge-diff does.
//!
//! Shapes are walked as `'static` data (like the type table's), so the
//! messages of a schema are kept for the life of the process, once per
//! distinct schema: rebuilding a CRD with the same schema (a restart of
//! its serving, a status change) reuses them.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, RwLock};

use serde_json::Value;

use super::{Element, FieldShape, ListKind, Message, Scalar, Shapes, Struct, Type};

/// Struct numbers from here up name messages of this module.
pub(super) const CUSTOM_BASE: u32 = 1 << 31;

/// Every message made from a schema, by number above [`CUSTOM_BASE`].
fn messages() -> &'static RwLock<Vec<&'static Message>> {
    static MESSAGES: OnceLock<RwLock<Vec<&'static Message>>> = OnceLock::new();
    MESSAGES.get_or_init(RwLock::default)
}

/// The root type of each schema seen, by the schema's text.
fn interned() -> &'static Mutex<HashMap<String, Type>> {
    static INTERNED: OnceLock<Mutex<HashMap<String, Type>>> = OnceLock::new();
    INTERNED.get_or_init(Mutex::default)
}

/// The message numbered `number` (above [`CUSTOM_BASE`]).
pub(super) fn message(number: u32) -> &'static Message {
    let messages = messages().read().unwrap_or_else(|e| e.into_inner());
    messages[(number - CUSTOM_BASE) as usize]
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn field(ty: Type, value_struct: bool, key_default: Option<&'static str>) -> FieldShape {
    FieldShape {
        ty,
        merge_key: None,
        patch_strategy: None,
        required: false,
        value_struct,
        zero: None,
        key_default,
    }
}

fn text<'a>(schema: &'a Value, key: &str) -> Option<&'a str> {
    schema.get(key).and_then(Value::as_str)
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Builds the messages of one schema.
struct Builder<'a> {
    shapes: &'a Shapes,
    made: Vec<Message>,
    next: u32,
}

impl Builder<'_> {
    fn element(&mut self, schema: &Value, name: &str) -> Element {
        match self.ty(schema, name, false) {
            Type::Scalar(s) => Element::Scalar(s),
            Type::Struct(s) => Element::Struct(s),
            _ => Element::Untyped,
        }
    }

    fn ty(&mut self, schema: &Value, name: &str, root: bool) -> Type {
        if flag(schema, "x-kubernetes-int-or-string") {
            return Type::Scalar(Scalar::Untyped);
        }
        match text(schema, "type") {
            Some("string") => Type::Scalar(Scalar::String),
            Some("integer" | "number") => Type::Scalar(Scalar::Numeric),
            Some("boolean") => Type::Scalar(Scalar::Boolean),
            Some("array") => {
                let item = schema.get("items").map_or(Element::Untyped, |items| {
                    self.element(items, &format!("{name}.items"))
                });
                let kind = match text(schema, "x-kubernetes-list-type") {
                    Some("set") => ListKind::Set,
                    Some("map") => {
                        let keys: Vec<String> = schema
                            .get("x-kubernetes-list-map-keys")
                            .and_then(Value::as_array)
                            .map(|k| {
                                k.iter()
                                    .filter_map(|k| k.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        if keys.is_empty() {
                            ListKind::Atomic
                        } else {
                            ListKind::Map(Box::leak(keys.into_boxed_slice()))
                        }
                    }
                    _ => ListKind::Atomic,
                };
                Type::List { item, kind }
            }
            Some("object") | None => {
                let atomic = text(schema, "x-kubernetes-map-type") == Some("atomic");
                let properties = schema.get("properties").and_then(Value::as_object);
                match (properties, schema.get("additionalProperties")) {
                    (Some(properties), _) => {
                        Type::Struct(self.message(properties, schema, name, root, atomic))
                    }
                    (None, Some(values @ Value::Object(_))) => Type::Map {
                        value: self.element(values, &format!("{name}.values")),
                        atomic,
                    },
                    _ if root => {
                        Type::Struct(self.message(&Default::default(), schema, name, root, atomic))
                    }
                    _ => Type::Untyped,
                }
            }
            Some(_) => Type::Untyped,
        }
    }

    fn message(
        &mut self,
        properties: &serde_json::Map<String, Value>,
        schema: &Value,
        name: &str,
        root: bool,
        atomic: bool,
    ) -> Struct {
        let number = self.next;
        self.next += 1;
        // Reserve the slot, so nested messages get later numbers.
        let slot = self.made.len();
        self.made.push(Message {
            name: "",
            fields: HashMap::new(),
            order: Vec::new(),
        });
        let mut message = Message {
            name: leak(name),
            fields: HashMap::new(),
            order: Vec::new(),
        };
        if root || flag(schema, "x-kubernetes-embedded-resource") {
            message.add(
                "apiVersion",
                field(Type::Scalar(Scalar::String), false, None),
            );
            message.add("kind", field(Type::Scalar(Scalar::String), false, None));
            if let Some(meta) = self.shapes.named(super::OBJECT_META) {
                let meta = self.shapes.index[meta.name];
                message.add(
                    "metadata",
                    field(
                        Type::Struct(Struct {
                            message: meta,
                            atomic: false,
                        }),
                        true,
                        None,
                    ),
                );
            }
        }
        for (key, property) in properties {
            let ty = self.ty(property, &format!("{name}.{key}"), false);
            let key_default = property.get("default").and_then(Value::as_str).map(leak);
            message.add(leak(key), field(ty, false, key_default));
        }
        self.made[slot] = message;
        Struct {
            message: number,
            atomic,
        }
    }
}

impl Shapes {
    /// The type of objects whose OpenAPI v3 schema is `schema` (a CRD
    /// version's `openAPIV3Schema`).
    pub fn from_openapi(schema: &Value) -> Type {
        let text = schema.to_string();
        let mut interned = interned().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ty) = interned.get(&text) {
            return *ty;
        }
        let mut all = messages().write().unwrap_or_else(|e| e.into_inner());
        let mut builder = Builder {
            shapes: Shapes::get(),
            made: Vec::new(),
            next: CUSTOM_BASE + all.len() as u32,
        };
        let ty = builder.ty(schema, "custom", true);
        for message in builder.made {
            all.push(Box::leak(Box::new(message)));
        }
        interned.insert(text, ty);
        ty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crd_schema_as_shapes() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "size": {"type": "integer"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                              "x-kubernetes-list-map-keys": ["name"],
                              "items": {"type": "object", "properties": {
                                  "name": {"type": "string"}, "protocol": {"type": "string", "default": "TCP"}}}},
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                }}
            }
        });
        let shapes = Shapes::get();
        let Type::Struct(root) = Shapes::from_openapi(&schema) else {
            panic!("not a struct");
        };
        let root = shapes.message(root);
        assert!(root.field("metadata").unwrap().value_struct);
        let Type::Struct(spec) = root.field("spec").unwrap().ty else {
            panic!("spec");
        };
        let spec = shapes.message(spec);
        assert_eq!(
            spec.field("size").unwrap().ty,
            Type::Scalar(Scalar::Numeric)
        );
        assert!(matches!(spec.field("labels").unwrap().ty, Type::Map { .. }));
        let Type::List {
            kind: ListKind::Map(keys),
            item: Element::Struct(port),
        } = spec.field("ports").unwrap().ty
        else {
            panic!("ports");
        };
        assert_eq!(keys, ["name"]);
        assert_eq!(
            shapes.message(port).field("protocol").unwrap().key_default,
            Some("TCP")
        );
        assert!(matches!(
            spec.field("tags").unwrap().ty,
            Type::List {
                kind: ListKind::Set,
                ..
            }
        ));
        assert_eq!(spec.field("free").unwrap().ty, Type::Untyped);
        // The same schema again: the same shapes.
        assert_eq!(
            Shapes::from_openapi(&schema),
            Shapes::from_openapi(&schema.clone())
        );
    }
}
