//! Admission: checks and changes applied to writes after authorization
//! and before the store. One module per plugin, named as upstream's.

pub mod namespace_lifecycle;
pub mod resource_quota;
