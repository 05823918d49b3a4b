//! Where a strategic merge patch is in the object's schema: the patch
//! metadata (merge key, strategies) of a map's or list's field, found as
//! upstream finds it on the Go types.

use super::error::SmpError;
use crate::apiserver::patch::schema::{Element, Shapes, Type};

/// The schema of the map being merged.
#[derive(Clone, Copy, Debug)]
pub enum Node {
    Struct(crate::apiserver::patch::schema::Struct),
    /// A `map<string, …>`: keys are not fields.
    Map,
    /// A list type where a map was expected.
    List,
    /// No schema below here (free-form JSON): merged plainly.
    Untyped,
}

impl Node {
    pub fn of(ty: Type) -> Node {
        match ty {
            Type::Struct(s) => Node::Struct(s),
            Type::Map { .. } => Node::Map,
            Type::List { .. } => Node::List,
            Type::Scalar(_) | Type::Untyped => Node::Untyped,
        }
    }

    fn of_element(element: Element) -> Node {
        Node::of(element.into())
    }

    /// The Go kind name upstream prints for a list's items.
    pub fn kind_name(self) -> &'static str {
        match self {
            Node::Struct(_) => "struct",
            Node::Map => "map",
            Node::List => "slice",
            Node::Untyped => "interface",
        }
    }

    /// The schema and patch metadata of `key` when both sides are maps.
    pub fn map_field(self, key: &str) -> Result<(Node, Meta), SmpError> {
        match self {
            Node::Struct(s) => {
                let message = Shapes::get().message(s);
                let field = message.field(key).ok_or_else(|| {
                    SmpError::Plain(format!(
                        "unable to find api field in struct {} for the json field {key:?}",
                        message.short_name()
                    ))
                })?;
                Ok((Node::of(field.ty), Meta::of(field)))
            }
            Node::Map => Err(SmpError::Plain(
                "merging an object in json but data type is not struct, instead is: map".into(),
            )),
            Node::List => Err(SmpError::Plain(
                "merging an object in json but data type is not struct, instead is: slice".into(),
            )),
            Node::Untyped => Ok((Node::Untyped, Meta::default())),
        }
    }

    /// The item schema and patch metadata of `key` when both sides are
    /// lists.
    pub fn list_field(self, key: &str) -> Result<(Node, Meta), SmpError> {
        let (_, meta) = self.map_field(key)?;
        let Node::Struct(s) = self else {
            return Ok((Node::Untyped, meta));
        };
        match Shapes::get().message(s).field(key).map(|f| f.ty) {
            Some(Type::List { item, .. }) => Ok((Node::of_element(item), meta)),
            _ => Err(SmpError::Plain(
                "expected slice or array type, but got: struct".into(),
            )),
        }
    }
}

/// A field's strategic merge markers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta {
    pub merge_key: Option<&'static str>,
    strategy: Option<&'static str>,
}

impl Meta {
    fn of(field: &crate::apiserver::patch::schema::FieldShape) -> Meta {
        Meta {
            merge_key: field.merge_key,
            strategy: field.patch_strategy,
        }
    }

    /// The strategy other than `retainKeys` (`merge`, `replace` or none),
    /// as upstream splits a field's strategies.
    pub fn strategy(&self) -> Result<&'static str, SmpError> {
        let strategies: Vec<&'static str> = self.strategy.unwrap_or("").split(',').collect();
        match strategies.as_slice() {
            [] | ["retainKeys"] => Ok(""),
            [one] => Ok(one),
            ["retainKeys", other] | [other, "retainKeys"] => Ok(other),
            many => Err(SmpError::Plain(format!(
                "unexpected patch strategy: [{}]",
                many.join(" ")
            ))),
        }
    }
}
