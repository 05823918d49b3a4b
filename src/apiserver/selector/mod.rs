//! Label and field selectors, parsed once per request and matched against
//! every candidate object.

pub mod field;
pub mod label;

pub use field::FieldSelector;
pub use label::LabelSelector;
