//! A set with every struct field it reaches into made a member too: when
//! fields an applier dropped are removed, a struct nobody owns anything in
//! any more goes with them (upstream's `EnsureNamedFieldsAreMembers`).

use super::super::fieldpath::{PathElement, Set};
use super::super::schema::{Shapes, Type};

pub fn with_named_fields(set: &Set, ty: Type) -> Set {
    let message = match ty {
        Type::Struct(s) => Some(Shapes::get().message(s)),
        _ => None,
    };
    let mut out = Set::new();
    for member in set.members() {
        out.insert_member(member.clone());
    }
    for (element, below) in set.children() {
        let child_ty = match (element, ty) {
            (PathElement::Field(name), Type::Struct(_)) => {
                let field = message.and_then(|m| m.field(name));
                if field.is_some() {
                    out.insert_member(element.clone());
                }
                field.map_or(Type::Untyped, |f| f.ty)
            }
            (PathElement::Field(_), Type::Map { value, .. }) => value.into(),
            (PathElement::Key(_), Type::List { item, .. }) => item.into(),
            _ => Type::Untyped,
        };
        out.insert_child(element.clone(), with_named_fields(below, child_ty));
    }
    out
}
