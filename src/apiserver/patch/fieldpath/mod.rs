//! Field paths and sets of them: what a manager owns, what changed between
//! two objects, and their `FieldsV1` form in `managedFields`.

pub mod element;
pub mod fields_v1;
pub mod set;

pub use self::element::{Path, PathElement, display};
pub use self::set::Set;
