//! CustomResourceDefinitions: custom resources served like built-ins.
//!
//! A CRD is registry data added at runtime. The [`controller`] follows the
//! stored CRDs and, for each, accepts its names ([`names`]), builds one
//! resource descriptor and strategy per served version ([`serving`],
//! [`resource`]) and puts them in the catalog, the registry and the OpenAPI
//! documents; it reports `NamesAccepted`/`Established` and, when a CRD is
//! deleted, removes its objects first ([`cleanup`]).
//!
//! * [`definition`]: a CRD read into what serving needs;
//! * [`strategy`]: the CRD kind's own rules (validation, storedVersions,
//!   the cleanup finalizer);
//! * [`schema`]: structural schemas: pruning, defaulting, validation;
//! * [`formats`]: string formats schemas may require.

pub mod cel;
pub mod cleanup;
pub mod controller;
pub mod conversion;
pub mod definition;
pub mod formats;
pub mod jsonpath;
pub mod names;
pub mod openapi;
pub mod printer;
pub mod resource;
pub mod schema;
pub mod serving;
pub mod strategy;
