//! Subresources that are more than a part of their object: what each does
//! to the objects it touches, apart from HTTP (which
//! `handlers::subresource` speaks).
//!
//! * [`scale`] — `scale` of deployments, replica sets, stateful sets and
//!   replication controllers;
//! * [`binding`] — `pods/binding` and the legacy `bindings`;
//! * [`eviction`] — `pods/eviction`, with PodDisruptionBudgets;
//! * [`token_request`] — `serviceaccounts/token`;
//! * [`conditions`] — setting status conditions the way upstream does.
//!
//! `status` and `approval` are parts of their object and go through the
//! generic store ([`super::store::Part`]).

pub mod binding;
pub mod conditions;
pub mod eviction;
pub mod scale;
pub mod token_request;

use serde_json::{Value, json};

/// The `Status` a create of a binding or an eviction answers with.
pub fn success() -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    })
}
