//! The shapes of built-in objects as merging sees them, read once from the
//! type table ([`crate::apiserver::types`]): each message's fields by JSON
//! name (embedded Go structs flattened, as JSON writes them), each field's
//! type (scalar, struct, map or list), how its lists are identified
//! (atomic, set, or map keyed by some fields) and its strategic merge
//! markers.
//!
//! Custom resources' shapes come from their CRD's schema instead
//! ([`Shapes::from_openapi`], in `custom`).
//!
//! Built once per process ([`Shapes::get`]); a request walks it with
//! [`Type`] values, which are `Copy` and name messages by index, so no
//! lookup by name happens below the root.

mod custom;
mod markers;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::apiserver::types::{Field, Schema};

/// A field's value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// A string, number or boolean (or a message JSON writes as one).
    Scalar(Scalar),
    /// JSON the table does not describe: maps merge by key, lists are
    /// atomic (upstream's "deduced" type).
    Untyped,
    Struct(Struct),
    /// A `map<string, value>`.
    Map {
        value: Element,
        atomic: bool,
    },
    List {
        item: Element,
        kind: ListKind,
    },
}

/// What a map value or list item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    Scalar(Scalar),
    Untyped,
    Struct(Struct),
}

/// What a scalar holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    String,
    Numeric,
    Boolean,
    /// Any scalar (quantities, int-or-strings).
    Untyped,
}

/// What Go writes for a field it always writes when the field is unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zero {
    Null,
    EmptyString,
    Number,
    False,
}

impl Zero {
    pub fn value(self) -> serde_json::Value {
        match self {
            Zero::Null => serde_json::Value::Null,
            Zero::EmptyString => serde_json::Value::String(String::new()),
            Zero::Number => serde_json::Value::from(0),
            Zero::False => serde_json::Value::Bool(false),
        }
    }
}

impl From<Element> for Type {
    fn from(element: Element) -> Type {
        match element {
            Element::Scalar(s) => Type::Scalar(s),
            Element::Untyped => Type::Untyped,
            Element::Struct(s) => Type::Struct(s),
        }
    }
}

/// A message, and whether values of it are owned whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Struct {
    message: u32,
    pub atomic: bool,
}

/// How a list's items are told apart (`x-kubernetes-list-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// The list is one value.
    Atomic,
    /// Scalars, identified by their value.
    Set,
    /// Structs, identified by these fields.
    Map(&'static [String]),
}

/// One field of a message.
#[derive(Clone, Copy, Debug)]
pub struct FieldShape {
    pub ty: Type,
    /// Strategic merge patch: the key of a list's items.
    pub merge_key: Option<&'static str>,
    /// Strategic merge patch: `merge`, `replace`, `retainKeys`, or two of
    /// them joined by a comma.
    pub patch_strategy: Option<&'static str>,
    /// Go writes the field even when it is empty (no `omitempty`).
    pub required: bool,
    /// A struct Go holds by value: JSON always has it.
    pub value_struct: bool,
    /// What Go writes for the field when it is unset and not `omitempty`
    /// (value structs aside).
    pub zero: Option<Zero>,
    /// The default of this field when it keys a list map.
    pub key_default: Option<&'static str>,
}

/// A message's fields by JSON name.
#[derive(Debug)]
pub struct Message {
    pub name: &'static str,
    fields: HashMap<&'static str, FieldShape>,
    /// JSON names in declaration order.
    order: Vec<&'static str>,
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Message {}

impl Message {
    pub fn field(&self, name: &str) -> Option<&FieldShape> {
        self.fields.get(name)
    }

    /// The fields in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &FieldShape)> {
        self.order.iter().map(|name| (*name, &self.fields[name]))
    }

    /// The Go type's name (the last part of the message name).
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('.').next().unwrap_or(self.name)
    }
}

/// Every message's shape.
pub struct Shapes {
    messages: Vec<Message>,
    index: HashMap<&'static str, u32>,
}

const OBJECT_META: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta";

impl Shapes {
    /// The shapes of the table keelson ships, built on first use.
    pub fn get() -> &'static Shapes {
        static SHAPES: OnceLock<Shapes> = OnceLock::new();
        SHAPES.get_or_init(|| Shapes::build(Schema::get()))
    }

    /// The type of objects of `apiVersion` and `kind`, if the table has it.
    pub fn root(&self, api_version: &str, kind: &str) -> Option<Type> {
        let name = Schema::get().message_for(api_version, kind)?;
        let message = *self.index.get(name.as_str())?;
        Some(Type::Struct(Struct {
            message,
            atomic: false,
        }))
    }

    pub fn message(&self, s: Struct) -> &Message {
        if s.message >= custom::CUSTOM_BASE {
            return custom::message(s.message);
        }
        &self.messages[s.message as usize]
    }

    /// A message's shape by full name.
    pub fn named(&self, name: &str) -> Option<&Message> {
        self.index.get(name).map(|i| &self.messages[*i as usize])
    }

    fn build(schema: &'static Schema) -> Shapes {
        let mut names: Vec<&'static str> = schema
            .messages()
            .map(|(name, _)| name)
            .filter(|name| special(name).is_none())
            .collect();
        names.sort_unstable();
        let index: HashMap<&'static str, u32> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, i as u32))
            .collect();
        let element = |ty: &str| -> Element {
            if !ty.contains('.') {
                return Element::Scalar(scalar_kind(ty));
            }
            if let Some(special) = special(ty) {
                return special;
            }
            match index.get(ty) {
                Some(message) => Element::Struct(Struct {
                    message: *message,
                    atomic: markers::ATOMIC_STRUCTS.contains(&ty),
                }),
                None => Element::Untyped,
            }
        };
        let messages = names
            .iter()
            .map(|name| {
                let mut message = Message {
                    name,
                    fields: HashMap::new(),
                    order: Vec::new(),
                };
                let fields = schema.message(name).unwrap_or_default();
                let is_object = fields
                    .iter()
                    .any(|f| f.name == "metadata" && f.ty == OBJECT_META);
                if is_object {
                    for type_meta in ["apiVersion", "kind"] {
                        message.add(type_meta, scalar_field());
                    }
                }
                add_fields(schema, &mut message, name, fields, is_object, &element);
                message
            })
            .collect();
        Shapes { messages, index }
    }
}

impl Message {
    fn add(&mut self, name: &'static str, shape: FieldShape) {
        if self.fields.insert(name, shape).is_none() {
            self.order.push(name);
        }
    }
}

fn scalar_field() -> FieldShape {
    FieldShape {
        ty: Type::Scalar(Scalar::String),
        merge_key: None,
        patch_strategy: None,
        required: false,
        value_struct: false,
        zero: None,
        key_default: None,
    }
}

/// The kind of a protobuf scalar type.
fn scalar_kind(ty: &str) -> Scalar {
    match ty {
        "string" | "bytes" => Scalar::String,
        "bool" => Scalar::Boolean,
        _ => Scalar::Numeric,
    }
}

/// What Go writes for an unset field without `omitempty`.
fn zero_of(field: &Field, ty: Type) -> Option<Zero> {
    if !field.required {
        return None;
    }
    Some(match ty {
        Type::Scalar(_) if field.ty.contains('.') => Zero::Null,
        Type::Scalar(Scalar::String) => Zero::EmptyString,
        Type::Scalar(Scalar::Numeric) => Zero::Number,
        Type::Scalar(Scalar::Boolean) => Zero::False,
        _ => Zero::Null,
    })
}

/// Adds `fields` (of message `declared_in`) to `message`, flattening the
/// structs Go embeds inline.
fn add_fields(
    schema: &'static Schema,
    message: &mut Message,
    declared_in: &'static str,
    fields: &'static [Field],
    is_object: bool,
    element: &dyn Fn(&str) -> Element,
) {
    for field in fields {
        if field.inline {
            let inner_name = field.ty.as_str();
            let inner = schema.message(inner_name).unwrap_or_default();
            add_fields(schema, message, inner_name, inner, false, element);
            continue;
        }
        let name = field.name.as_str();
        let mut item = element(&field.ty);
        if markers::GRANULAR_FIELDS.contains(&(declared_in, name))
            && let Element::Struct(s) = &mut item
        {
            s.atomic = false;
        }
        let ty = if field.map {
            Type::Map {
                value: item,
                atomic: field.map_type.as_deref() == Some("atomic"),
            }
        } else if field.repeated {
            Type::List {
                item,
                kind: list_kind(field),
            }
        } else {
            item.into()
        };
        let value_struct = matches!(ty, Type::Struct(_))
            && ((name == "metadata" && field.ty == OBJECT_META)
                || (is_object && (name == "spec" || name == "status"))
                || markers::VALUE_STRUCTS.contains(&(declared_in, name)));
        let key_default = markers::KEY_DEFAULTS
            .iter()
            .find(|(m, f, _)| *m == declared_in && *f == name)
            .map(|(_, _, default)| *default);
        message.add(
            name,
            FieldShape {
                ty,
                merge_key: field.patch_merge_key.as_deref(),
                patch_strategy: field.patch_strategy.as_deref(),
                required: field.required,
                value_struct,
                zero: zero_of(field, ty),
                key_default,
            },
        );
    }
}

/// A list's kind from its `listType`, else as upstream derives it for
/// built-in types from the strategic merge markers: merged by a key is a
/// map, merged without one a set, anything else atomic.
fn list_kind(field: &'static Field) -> ListKind {
    let merge_key = field.patch_merge_key.as_ref().map(std::slice::from_ref);
    match field.list_type.as_deref() {
        Some("atomic") => ListKind::Atomic,
        Some("set") => ListKind::Set,
        Some("map") if field.list_map_keys.is_empty() => {
            merge_key.map_or(ListKind::Atomic, ListKind::Map)
        }
        Some("map") => ListKind::Map(field.list_map_keys.as_slice()),
        _ => {
            let merges = field
                .patch_strategy
                .as_deref()
                .is_some_and(|s| s.split(',').any(|s| s == "merge"));
            match (merges, merge_key) {
                (true, Some(keys)) => ListKind::Map(keys),
                (true, None) => ListKind::Set,
                (false, _) => ListKind::Atomic,
            }
        }
    }
}

/// The element of a message JSON does not write as its fields.
fn special(name: &str) -> Option<Element> {
    if markers::SCALARS.contains(&name) {
        let times = [".Time", ".MicroTime", ".Duration"];
        Some(Element::Scalar(
            if times.iter().any(|t| name.ends_with(t)) {
                Scalar::String
            } else {
                Scalar::Untyped
            },
        ))
    } else if markers::UNTYPED.contains(&name) || markers::is_string_list(name) {
        Some(Element::Untyped)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(shapes: &'a Shapes, message: &str, name: &str) -> &'a FieldShape {
        shapes
            .named(message)
            .unwrap_or_else(|| panic!("{message}"))
            .field(name)
            .unwrap_or_else(|| panic!("{message}.{name}"))
    }

    #[test]
    fn every_marker_names_a_known_message() {
        let schema = Schema::get();
        for name in markers::SCALARS
            .iter()
            .chain(markers::UNTYPED)
            .chain(markers::ATOMIC_STRUCTS)
        {
            assert!(schema.message(name).is_some(), "{name}");
        }
        for (message, name) in markers::VALUE_STRUCTS
            .iter()
            .chain(markers::GRANULAR_FIELDS)
        {
            let fields = schema
                .message(message)
                .unwrap_or_else(|| panic!("{message}"));
            assert!(fields.iter().any(|f| f.name == *name), "{message}.{name}");
        }
        for (message, name, _) in markers::KEY_DEFAULTS {
            let fields = schema
                .message(message)
                .unwrap_or_else(|| panic!("{message}"));
            assert!(fields.iter().any(|f| f.name == *name), "{message}.{name}");
        }
    }

    #[test]
    fn objects_have_type_meta_and_value_structs() {
        let shapes = Shapes::get();
        let Some(Type::Struct(pod)) = shapes.root("v1", "Pod") else {
            panic!("no Pod");
        };
        let pod = shapes.message(pod);
        assert_eq!(pod.field("kind").unwrap().ty, Type::Scalar(Scalar::String));
        assert!(pod.field("spec").unwrap().value_struct);
        assert!(pod.field("metadata").unwrap().value_struct);
        let containers = field(shapes, "k8s.io.api.core.v1.PodSpec", "containers");
        assert!(containers.required);
        let Type::List {
            item: Element::Struct(container),
            kind: ListKind::Map(keys),
        } = containers.ty
        else {
            panic!("{containers:?}");
        };
        assert_eq!(keys, ["name"]);
        assert!(
            shapes
                .message(container)
                .field("resources")
                .unwrap()
                .value_struct
        );
        assert!(!field(shapes, "k8s.io.api.core.v1.PodSpec", "securityContext").value_struct);
    }

    #[test]
    fn inline_structs_are_flattened() {
        let shapes = Shapes::get();
        let volume = shapes.named("k8s.io.api.core.v1.Volume").unwrap();
        assert!(volume.field("configMap").is_some());
        assert!(volume.field("volumeSource").is_none());
        let ephemeral = shapes
            .named("k8s.io.api.core.v1.EphemeralContainer")
            .unwrap();
        assert!(ephemeral.field("resources").unwrap().value_struct);
        let env_source = shapes
            .named("k8s.io.api.core.v1.ConfigMapEnvSource")
            .unwrap();
        assert_eq!(
            env_source.field("name").unwrap().ty,
            Type::Scalar(Scalar::String)
        );
    }

    #[test]
    fn special_messages_are_scalars_or_untyped() {
        let shapes = Shapes::get();
        let requests = field(
            shapes,
            "k8s.io.api.core.v1.ResourceRequirements",
            "requests",
        );
        assert_eq!(
            requests.ty,
            Type::Map {
                value: Element::Scalar(Scalar::Untyped),
                atomic: false
            }
        );
        let created = field(shapes, OBJECT_META, "creationTimestamp");
        assert_eq!(created.ty, Type::Scalar(Scalar::String));
        let port = field(shapes, "k8s.io.api.core.v1.ContainerPort", "containerPort");
        assert_eq!(port.ty, Type::Scalar(Scalar::Numeric));
        assert_eq!(port.zero, Some(Zero::Number));
        let data = field(shapes, "k8s.io.api.apps.v1.ControllerRevision", "data");
        assert_eq!(data.ty, Type::Untyped);
    }

    #[test]
    fn list_kinds_come_from_markers_then_strategies() {
        let shapes = Shapes::get();
        let ports = field(shapes, "k8s.io.api.core.v1.ServiceSpec", "ports");
        assert!(
            matches!(ports.ty, Type::List { kind: ListKind::Map(k), .. } if k == ["port", "protocol"])
        );
        let finalizers = field(shapes, OBJECT_META, "finalizers");
        assert!(matches!(
            finalizers.ty,
            Type::List {
                kind: ListKind::Set,
                ..
            }
        ));
        let args = field(shapes, "k8s.io.api.core.v1.Container", "args");
        assert!(matches!(
            args.ty,
            Type::List {
                kind: ListKind::Atomic,
                ..
            }
        ));
        let protocol = field(shapes, "k8s.io.api.core.v1.ContainerPort", "protocol");
        assert_eq!(protocol.key_default, Some("TCP"));
        let selector = field(shapes, "k8s.io.api.apps.v1.DeploymentSpec", "selector");
        assert!(matches!(selector.ty, Type::Struct(s) if s.atomic));
        let claim_ref = field(
            shapes,
            "k8s.io.api.core.v1.PersistentVolumeSpec",
            "claimRef",
        );
        assert!(matches!(claim_ref.ty, Type::Struct(s) if !s.atomic));
        let node_selector = field(shapes, "k8s.io.api.core.v1.PodSpec", "nodeSelector");
        assert!(matches!(node_selector.ty, Type::Map { atomic: true, .. }));
    }
}
