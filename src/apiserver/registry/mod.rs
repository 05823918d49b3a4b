//! The registry: every resource the API serves, described by data, and the
//! generic store that implements each verb once for all of them.
//!
//! * [`resource`]: a resource as data ([`resource::ResourceDescriptor`]);
//! * [`strategy`]: what differs per kind;
//! * [`codec`]: the encoding at rest;
//! * [`filter`]: which objects a request selects;
//! * [`store`]: the verbs;
//! * [`cache`]: the watch cache that serves lists and watches.

pub mod cache;
pub mod codec;
pub mod filter;
pub mod resource;
pub mod store;
pub mod strategy;
