//! The Kubernetes API server.
//!
//! A request flows TLS → authentication → authorization → admission →
//! registry → store, as in kube-apiserver:
//!
//! * [`http`]: the body types every handler speaks;
//! * [`user`]: who is asking, as authentication decided;
//! * [`status`]: errors as upstream `Status` objects;
//! * [`registry`]: what resources exist ([`registry::resource`]) and the
//!   generic store that serves every verb for all of them.
//!
//! The server, authentication, discovery and the per-kind strategies are
//! built on these.

pub mod admission;
pub mod authz;
pub mod bootstrap;
pub mod handlers;
pub mod http;
pub mod object;
pub mod registry;
pub mod request;
pub mod selector;
pub mod status;
pub mod table;
pub mod user;
pub mod validation;
