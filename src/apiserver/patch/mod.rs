//! PATCH and server-side apply: strategic merge patch ([`strategic`]),
//! field ownership and `metadata.managedFields` ([`managed_fields`],
//! [`apply`]), over the shapes of built-in types ([`schema`]).

pub mod go_format;
pub mod schema;
pub mod strategic;
pub mod fieldpath;
pub mod typed;
pub mod managed_fields;
pub mod apply;
