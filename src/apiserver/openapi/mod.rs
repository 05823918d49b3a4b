//! OpenAPI: `/openapi/v2` (Swagger 2.0, as JSON or gnostic protobuf) and
//! `/openapi/v3` (an index of per group-version OpenAPI 3.0 documents),
//! describing every served resource as kube-apiserver 1.33 does.
//!
//! Clients depend on them: kubectl 1.27 checks the v2 document (protobuf)
//! for a `fieldValidation` parameter on the PATCH operation of an object's
//! kind before it lets the server validate, and reads strategic-merge
//! metadata and field models from it; kubectl 1.28+ do the same with the
//! v3 documents, and `kubectl explain` prints their schemas' descriptions.
//!
//! How the documents are made, in order:
//!
//! * [`builtin_kinds`]: the `k8s-openapi` type of each built-in kind;
//! * [`definitions`]: every definition, generated from those types'
//!   `schemars` impls (or runtime schemas, [`custom`]), plus [`lists`],
//!   upstream's extensions ([`merge_markers`], group-version-kinds) and
//!   upstream's shapes where `k8s-openapi` differs ([`upstream_shapes`]);
//! * [`routes`]: every operation of every served resource (with
//!   [`parameters`] and [`operation_id`]), grouped by [`path_items`];
//! * [`v2`] and [`gnostic`] write the v2 document, [`v3`] the v3 ones;
//! * [`documents`] builds and hashes them (on the [`builder_thread`]),
//!   [`service`] keeps the current generation (built lazily, kept as
//!   bytes, rebuilt when the catalog changes), and [`http`] serves them.

mod builder_thread;
mod builtin_kinds;
pub mod custom;
pub mod definitions;
mod documents;
mod gnostic;
mod http;
mod json_writer;
pub mod lists;
mod merge_markers;
mod operation_id;
mod parameters;
mod path_items;
mod routes;
mod service;
mod upstream_shapes;
mod v2;
mod v3;

pub use http::serve;
pub use service::OpenApi;

#[cfg(test)]
mod tests;
