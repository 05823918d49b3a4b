//! The Kubernetes API server.
//!
//! A request flows TLS → authentication → authorization → admission →
//! registry → store, as in kube-apiserver:
//!
//! * [`http`]: the body types every handler speaks;
//! * [`user`]: who is asking, as authentication decided;
//! * [`status`]: errors as upstream `Status` objects;
//! * [`registry`]: what resources exist ([`registry::resource`]) and the
//!   generic store that serves every verb for all of them;
//! * [`serve`]: the TLS listener (HTTP/1.1 and HTTP/2) that authenticates
//!   each request ([`authn`]) and hands it to the [`http::Handler`];
//! * [`router`]: [`build_handler`], the handler for a store;
//! * [`handlers`]: health, readiness and version endpoints;
//! * [`lifecycle`]: graceful shutdown as handlers see it.
//!
//! Discovery and the per-kind strategies are built on these.

pub mod authn;
pub mod handlers;
pub mod http;
pub mod lifecycle;
pub mod registry;
pub mod router;
pub mod serve;
pub mod status;
pub mod user;

pub use router::build_handler;
