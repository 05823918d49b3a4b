//! Walks over objects that know each value's [`Type`], as upstream's
//! structured-merge-diff does them: the set of fields a value sets
//! ([`field_set`]), what changed between two values ([`compare`]), an
//! applied configuration merged into an object ([`merge`]), fields
//! removed from an object ([`remove`]), an applied configuration checked
//! against the schema ([`validate`]) and the fields Go always writes
//! ([`zero`]).

mod compare;
mod field_set;
mod items;
mod merge;
mod named_fields;
mod remove;
mod validate;
mod zero;

use serde_json::Value;

pub use self::compare::{Comparison, compare};
pub use self::field_set::field_set;
pub use self::items::item_element;
pub use self::merge::merge;
pub use self::named_fields::with_named_fields;
pub use self::remove::remove;
pub use self::validate::validate;
pub use self::zero::{filled, zero_object};

use super::schema::{Element, ListKind, Message, Scalar, Shapes, Type};

/// How a value is walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Atom {
    Scalar(Scalar),
    List { item: Element, kind: ListKind },
    Map { shape: MapShape, atomic: bool },
}

/// What a map's keys are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MapShape {
    /// A struct's fields.
    Struct(&'static Message),
    /// Free keys with values of one type.
    Values(Element),
}

impl MapShape {
    /// The type of the value under `key`; fields a struct does not declare
    /// are untyped.
    fn child(self, key: &str) -> Type {
        match self {
            MapShape::Struct(message) => message.field(key).map_or(Type::Untyped, |f| f.ty),
            MapShape::Values(element) => element.into(),
        }
    }

    /// Whether `key` is a declared field (rather than a map key).
    fn declares(self, key: &str) -> bool {
        matches!(self, MapShape::Struct(message) if message.field(key).is_some())
    }
}

/// The atom `ty` walks `value` as; untyped values by what they are.
fn atom(ty: Type, value: Option<&Value>) -> Atom {
    match ty {
        Type::Scalar(s) => Atom::Scalar(s),
        Type::Struct(s) => Atom::Map {
            shape: MapShape::Struct(Shapes::get().message(s)),
            atomic: s.atomic,
        },
        Type::Map { value, atomic } => Atom::Map {
            shape: MapShape::Values(value),
            atomic,
        },
        Type::List { item, kind } => Atom::List { item, kind },
        Type::Untyped => match value {
            Some(Value::Object(_)) => Atom::Map {
                shape: MapShape::Values(Element::Untyped),
                atomic: false,
            },
            Some(Value::Array(_)) => Atom::List {
                item: Element::Untyped,
                kind: ListKind::Atomic,
            },
            _ => Atom::Scalar(Scalar::Untyped),
        },
    }
}

/// Whether a list or map value is absent, null or empty.
fn empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    }
}
