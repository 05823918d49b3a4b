//! The registry: every resource the API serves, described by data, and the
//! generic store that implements each verb once for all of them.
//!
//! * [`resource`]: what one resource is;
//! * [`builtin`]: the built-in Kubernetes resources as such descriptions;
//! * [`catalog`]: the set served right now, which CRDs change at runtime.

pub mod builtin;
pub mod catalog;
pub mod resource;
