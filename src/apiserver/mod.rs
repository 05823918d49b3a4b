//! The Kubernetes API server.
//!
//! A request flows TLS → authentication → authorization → admission →
//! registry → store, as in kube-apiserver:
//!
//! * [`http`]: the body types every handler speaks;
//! * [`user`]: who is asking, as authentication decided;
//! * [`status`]: errors as upstream `Status` objects;
//! * [`registry`]: what resources exist ([`registry::resource`],
//!   [`registry::catalog`]) and the generic store that serves every verb
//!   for all of them;
//! * [`discovery`]: `/api`, `/apis` and below, classic and aggregated;
//! * [`serve`]: the TLS listener (HTTP/1.1 and HTTP/2) that authenticates
//!   each request ([`authn`]) and hands it to the [`http::Handler`];
//! * [`router`]: [`build_handler`], the handler for a store;
//! * [`handlers`]: the API's request handling, health, readiness and
//!   version endpoints;
//! * [`patch`]: strategic merge patch, server-side apply and
//!   `metadata.managedFields`;
//! * [`services`]: Service cluster IPs, node ports and the `kubernetes`
//!   Service;
//! * [`serviceaccount`]: service-account tokens (JWTs) and their OIDC
//!   discovery documents;
//! * [`reviews`]: token and access reviews (answered, never stored);
//! * [`lifecycle`]: graceful shutdown as handlers see it.

pub mod accept;
pub mod admission;
pub mod authn;
pub mod authz;
pub mod bootstrap;
pub mod crd;
pub mod discovery;
pub mod handlers;
pub mod http;
pub mod lifecycle;
pub mod object;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod request;
pub mod reviews;
pub mod router;
pub mod selector;
pub mod serve;
pub mod serviceaccount;
pub mod services;
pub mod status;
pub mod table;
pub mod types;
pub mod user;
pub mod validation;

pub use router::build_handler;
