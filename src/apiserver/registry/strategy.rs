//! What is special about a kind, as upstream's REST strategies: how its
//! objects are named, normalized, defaulted, validated and selected. The
//! generic store does everything else the same way for every kind.

use serde_json::Value;

use crate::apiserver::patch::schema::Type;
use crate::apiserver::registry::subresources::scale::ReplicaPaths;
use crate::apiserver::table::Printer;
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::names::NameRule;

/// The answer to "what is this field of this object" for field selectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldLookup {
    /// The kind does not support selecting on this field.
    Unsupported,
    Value(String),
}

/// The result of reading a request body into a kind's schema.
#[derive(Clone, Debug, Default)]
pub struct Normalized {
    pub object: Value,
    /// Paths of fields the schema does not know (dropped), for
    /// `fieldValidation` Warn and Strict.
    pub unknown_fields: Vec<String>,
}

/// What a kind's objects do with their dependents when deleted without a
/// `propagationPolicy` (upstream's `DefaultGarbageCollectionPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GarbageCollection {
    /// Dependents go too (in the background, unless asked otherwise).
    #[default]
    DeleteDependents,
    /// Dependents stay: the object gets the `orphan` finalizer.
    OrphanDependents,
    /// The kind takes part in no garbage collection: no finalizer is ever
    /// added for it, whatever the request says (events).
    Unsupported,
}

/// Per-kind behaviour. Every method has the behaviour of a kind with no
/// special rules, so a strategy only says what differs.
pub trait Strategy: Send + Sync + 'static {
    /// How object names are validated.
    fn name_rule(&self) -> NameRule {
        NameRule::Subdomain
    }

    /// Whether `metadata.generation` counts changes to the desired state
    /// (everything but metadata and status), as for workloads.
    fn tracks_generation(&self) -> bool {
        false
    }

    /// Whether a create keeps the `status` its body carries. Most kinds
    /// with a status subresource start from an empty status; a Node keeps
    /// the capacity and addresses its kubelet registers with.
    fn keeps_status_on_create(&self) -> bool {
        false
    }

    /// Reads a body into the kind's schema: drops (and reports) unknown
    /// fields, rejects wrong types with a message. Untyped kinds keep
    /// everything.
    fn normalize(&self, object: Value) -> Result<Normalized, String> {
        Ok(Normalized {
            object,
            unknown_fields: Vec::new(),
        })
    }

    /// Fills in upstream's defaults.
    fn default(&self, _object: &mut Value) {}

    /// Resets what a client may not set on create (beyond status, which
    /// the store handles for kinds with a status subresource).
    fn prepare_for_create(&self, _object: &mut Value) {}

    /// Carries over what a client may not change on update.
    fn prepare_for_update(&self, _object: &mut Value, _old: &Value) {}

    /// Kind-specific validation of a new object (metadata is checked by the
    /// store).
    fn validate(&self, _object: &Value) -> Vec<FieldError> {
        Vec::new()
    }

    /// Kind-specific validation of an update (immutable fields); `validate`
    /// runs on the new object too.
    fn validate_update(&self, _object: &Value, _old: &Value) -> Vec<FieldError> {
        Vec::new()
    }

    /// Carries over what a write through `subresource` (`status`,
    /// `approval`) may not change; the store has already kept everything
    /// but `status` from `old`.
    fn prepare_for_subresource_update(
        &self,
        _subresource: &str,
        _object: &mut Value,
        _old: &Value,
    ) {
    }

    /// Validation of a write through `subresource`.
    fn validate_subresource_update(
        &self,
        _subresource: &str,
        _object: &Value,
        _old: &Value,
    ) -> Vec<FieldError> {
        Vec::new()
    }

    /// A field-selector value beyond `metadata.name`/`metadata.namespace`,
    /// which every kind supports. Whether a field is supported must depend
    /// on the field alone (an empty object is asked to check a selector);
    /// a supported field missing from an object is `Value("")`.
    fn field_value(&self, _object: &Value, _field: &str) -> FieldLookup {
        FieldLookup::Unsupported
    }

    /// Called when a DELETE finds the object: adjusts it for deletion and
    /// says whether it must stay, being deleted, until something finishes
    /// (a namespace until it is emptied). Finalizers in metadata keep any
    /// object regardless.
    fn prepare_for_delete(&self, _object: &mut Value) -> bool {
        false
    }

    /// Whether an object being deleted has nothing left holding it.
    fn finalized(&self, object: &Value) -> bool {
        use crate::apiserver::object::ObjectExt;
        object.finalizers().is_empty()
    }

    /// Graceful deletion (upstream's `CheckGracefulDelete`): `None` for
    /// kinds that are removed at once; for kinds with a grace period (pods)
    /// the seconds to wait, given the request's `gracePeriodSeconds`.
    fn deletion_grace_period(&self, _object: &Value, _requested: Option<i64>) -> Option<i64> {
        None
    }

    /// What happens to dependents when the request does not say.
    fn garbage_collection(&self) -> GarbageCollection {
        GarbageCollection::DeleteDependents
    }

    /// Whether an immediate DELETE answers with the deleted object rather
    /// than a `Status` (upstream's `ReturnDeletedObject`).
    fn returns_deleted_object(&self) -> bool {
        false
    }

    /// The table `kubectl get` prints, where the kind defines its own
    /// (custom resources' printer columns); `None`: the built-in printer.
    fn printer(&self) -> Option<Box<dyn Printer>> {
        None
    }

    /// Where the `scale` subresource reads and writes replicas, for kinds
    /// that say so themselves (custom resources); `None`: the built-in
    /// workloads' `spec.replicas`/`status.replicas`/`spec.selector`.
    fn replica_paths(&self) -> Option<&ReplicaPaths> {
        None
    }

    /// The shape server-side apply and field ownership use, for kinds the
    /// type table does not describe (custom resources).
    fn shape(&self) -> Option<Type> {
        None
    }

    /// Whether PUT of a missing object creates it.
    fn allow_create_on_update(&self) -> bool {
        false
    }

    /// Whether PUT without `metadata.resourceVersion` overwrites whatever
    /// is stored (upstream allows this for almost every kind).
    fn allow_unconditional_update(&self) -> bool {
        true
    }
}

/// A kind with no special rules.
pub struct DefaultStrategy;

impl Strategy for DefaultStrategy {}

/// A kind with no special rules but a `generation` that counts spec
/// changes (workloads, policies, …).
pub struct GenerationStrategy;

impl Strategy for GenerationStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }
}

/// The value of a field selector field for any kind: the two metadata
/// fields every kind supports, then the kind's own.
pub fn field_value(strategy: &dyn Strategy, object: &Value, field: &str) -> FieldLookup {
    use crate::apiserver::object::ObjectExt;
    match field {
        "metadata.name" => FieldLookup::Value(object.name().unwrap_or_default().into()),
        "metadata.namespace" => FieldLookup::Value(object.namespace().unwrap_or_default().into()),
        _ => strategy.field_value(object, field),
    }
}
