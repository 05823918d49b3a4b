//! What a DELETE does to the object it finds, decided without touching
//! storage (upstream's `BeforeDelete` and the finalizer handling of its
//! generic store's `Delete`):
//!
//! * kinds with graceful deletion (pods) get `deletionTimestamp` = now +
//!   grace and `deletionGracePeriodSeconds`; a later DELETE may shorten the
//!   grace, never lengthen it, and one that ends at 0 removes the object
//!   (after storing it marked, so watchers see MODIFIED then DELETED);
//! * `propagationPolicy` (or the legacy `orphanDependents`, or the kind's
//!   default) puts the `orphan` or `foregroundDeletion` finalizer on the
//!   object;
//! * an object with finalizers is marked (`deletionTimestamp` = now, grace
//!   0) and kept until the last finalizer is removed;
//! * anything else is removed at once.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::delete_options::{DeleteOptions, Propagation};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::{GarbageCollection, Strategy};

/// Holds an object until the garbage collector has orphaned its dependents.
pub const ORPHAN_FINALIZER: &str = "orphan";
/// Holds an object until the garbage collector has deleted its dependents.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// What to do with the object a DELETE found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Its deletion is under way and this request changes nothing: answer
    /// with the object as it is.
    Unchanged,
    /// Remove it now.
    Remove,
    /// Store it marked for deletion and keep it (finalizers, or a grace
    /// period to wait out).
    Keep,
    /// Store it marked for deletion, then remove it: a graceful deletion
    /// with no time left.
    MarkThenRemove,
}

/// Kubernetes' timestamp form (RFC 3339, whole seconds, UTC).
fn format(timestamp: Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn grace_of(object: &Value) -> Option<i64> {
    object
        .metadata()
        .and_then(|m| m.get("deletionGracePeriodSeconds"))
        .and_then(Value::as_i64)
}

fn bump_generation(object: &mut Value) {
    let generation = object
        .metadata()
        .and_then(|m| m.get("generation"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if generation > 0 {
        object.set_meta("generation", generation + 1);
    }
}

/// The outcome of the graceful-deletion step.
enum Graceful {
    /// The kind has none, or the object's grace is used up.
    No,
    /// Already being deleted gracefully; nothing to shorten.
    Pending,
    /// Marked (or re-marked) with this grace period.
    Marked(i64),
}

fn graceful(
    strategy: &dyn Strategy,
    object: &mut Value,
    requested: Option<i64>,
    now: Timestamp,
) -> Graceful {
    if let Some(current) = object.deletion_timestamp().map(str::to_owned) {
        if strategy.deletion_grace_period(object, requested).is_none() {
            return Graceful::No;
        }
        // A negative stored grace counts as one second, as upstream.
        let existing = match grace_of(object) {
            None | Some(0) => return Graceful::No,
            Some(g) if g < 0 => 1,
            Some(g) => g,
        };
        let Some(shorter) = requested.filter(|r| *r < existing) else {
            return Graceful::Pending;
        };
        // Keep the moment the deletion started; end it sooner.
        let started = current
            .parse::<Timestamp>()
            .ok()
            .and_then(|t| t.checked_sub(SignedDuration::from_secs(existing)).ok())
            .unwrap_or(now);
        let ends = started
            .checked_add(SignedDuration::from_secs(shorter))
            .unwrap_or(now);
        object.set_meta("deletionTimestamp", format(ends));
        object.set_meta("deletionGracePeriodSeconds", shorter);
        return Graceful::Marked(shorter);
    }
    let Some(period) = strategy.deletion_grace_period(object, requested) else {
        return Graceful::No;
    };
    let ends = now
        .checked_add(SignedDuration::from_secs(period))
        .unwrap_or(now);
    object.set_meta("deletionTimestamp", format(ends));
    object.set_meta("deletionGracePeriodSeconds", period);
    bump_generation(object);
    Graceful::Marked(period)
}

/// Whether dependents are to be orphaned, and whether to be deleted in the
/// foreground: the request, else the finalizers already there, else the
/// kind's default.
fn dependents_policy(
    strategy: &dyn Strategy,
    finalizers: &[String],
    options: &DeleteOptions,
) -> (bool, bool) {
    let default = strategy.garbage_collection();
    if default == GarbageCollection::Unsupported {
        return (false, false);
    }
    if let Some(orphan) = options.orphan_dependents {
        return (orphan, false);
    }
    match options.propagation {
        Some(Propagation::Orphan) => return (true, false),
        Some(Propagation::Foreground) => return (false, true),
        Some(Propagation::Background) => return (false, false),
        None => {}
    }
    for finalizer in finalizers {
        match finalizer.as_str() {
            ORPHAN_FINALIZER => return (true, false),
            FOREGROUND_FINALIZER => return (false, true),
            _ => {}
        }
    }
    (default == GarbageCollection::OrphanDependents, false)
}

/// Puts the garbage collection finalizers the request asks for on the
/// object (and takes off the ones it does not).
fn set_gc_finalizers(strategy: &dyn Strategy, object: &mut Value, options: &DeleteOptions) {
    let current = object.finalizers();
    let (orphan, foreground) = dependents_policy(strategy, &current, options);
    if strategy.garbage_collection() == GarbageCollection::Unsupported {
        return;
    }
    let mut wanted: Vec<String> = current
        .iter()
        .filter(|f| *f != ORPHAN_FINALIZER && *f != FOREGROUND_FINALIZER)
        .cloned()
        .collect();
    if orphan {
        wanted.push(ORPHAN_FINALIZER.into());
    }
    if foreground {
        wanted.push(FOREGROUND_FINALIZER.into());
    }
    let same = wanted.len() == current.len() && wanted.iter().all(|f| current.contains(f));
    if !same {
        object.set_meta("finalizers", wanted);
    }
}

/// Marks an object that finalizers hold (upstream's `markAsDeleting`).
fn mark_as_deleting(object: &mut Value, now: Timestamp) {
    let current = object
        .deletion_timestamp()
        .and_then(|t| t.parse::<Timestamp>().ok());
    if object.deletion_timestamp().is_none() {
        bump_generation(object);
    }
    if current.is_none_or(|t| t > now) {
        object.set_meta("deletionTimestamp", format(now));
    }
    object.set_meta("deletionGracePeriodSeconds", 0);
}

/// Decides what a DELETE with `options` does to `object` (as found in
/// storage) at `now`, and changes `object` to what is to be stored.
pub fn plan(
    strategy: &dyn Strategy,
    object: &mut Value,
    options: &DeleteOptions,
    now: Timestamp,
) -> Plan {
    let graceful = match graceful(strategy, object, options.grace_period_seconds, now) {
        // Finalizers cannot change through DeleteOptions once a graceful
        // deletion is under way.
        Graceful::Pending => return Plan::Unchanged,
        Graceful::No => None,
        Graceful::Marked(period) => Some(period),
    };
    set_gc_finalizers(strategy, object, options);
    // A kind may hold its objects while it winds them down (a namespace
    // until it is emptied).
    let held = strategy.prepare_for_delete(object) || !object.finalizers().is_empty();
    match graceful {
        None if held => {
            mark_as_deleting(object, now);
            Plan::Keep
        }
        None => Plan::Remove,
        Some(period) if held || period > 0 => Plan::Keep,
        Some(_) => Plan::MarkThenRemove,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::apiserver::registry::kinds::{JobStrategy, NamespaceStrategy, PodStrategy};
    use crate::apiserver::registry::strategy::DefaultStrategy;

    fn now() -> Timestamp {
        "2025-01-01T00:00:00Z".parse().unwrap()
    }

    fn options(grace: Option<i64>, propagation: Option<Propagation>) -> DeleteOptions {
        DeleteOptions {
            grace_period_seconds: grace,
            propagation,
            ..Default::default()
        }
    }

    fn bound_pod() -> Value {
        json!({"metadata": {"name": "p"},
               "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30}})
    }

    #[test]
    fn a_bound_pod_gets_its_grace_period_then_can_only_shorten_it() {
        let mut pod = bound_pod();
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(None, None), now()),
            Plan::Keep
        );
        assert_eq!(pod["metadata"]["deletionTimestamp"], "2025-01-01T00:00:30Z");
        assert_eq!(pod["metadata"]["deletionGracePeriodSeconds"], 30);

        let later = now().checked_add(SignedDuration::from_secs(5)).unwrap();
        let before = pod.clone();
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(Some(60), None), later),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(None, None), later),
            Plan::Unchanged
        );
        assert_eq!(pod, before);

        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(Some(10), None), later),
            Plan::Keep
        );
        assert_eq!(pod["metadata"]["deletionTimestamp"], "2025-01-01T00:00:10Z");
        assert_eq!(pod["metadata"]["deletionGracePeriodSeconds"], 10);

        // The kubelet's final word.
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(Some(0), None), later),
            Plan::MarkThenRemove
        );
        assert_eq!(pod["metadata"]["deletionGracePeriodSeconds"], 0);
        // A pod left marked with no grace goes on the next DELETE.
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(None, None), later),
            Plan::Remove
        );
    }

    #[test]
    fn pods_without_a_kubelet_go_at_once_but_are_marked_first() {
        let mut pod =
            json!({"metadata": {"name": "p"}, "spec": {"terminationGracePeriodSeconds": 30}});
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(None, None), now()),
            Plan::MarkThenRemove
        );
        assert_eq!(pod["metadata"]["deletionTimestamp"], "2025-01-01T00:00:00Z");
        let mut forced = bound_pod();
        assert_eq!(
            plan(&PodStrategy, &mut forced, &options(Some(0), None), now()),
            Plan::MarkThenRemove
        );
    }

    #[test]
    fn finalizers_hold_objects_and_a_graceful_pod() {
        let mut map =
            json!({"metadata": {"name": "c", "finalizers": ["example.com/x"], "generation": 2}});
        assert_eq!(
            plan(&DefaultStrategy, &mut map, &options(None, None), now()),
            Plan::Keep
        );
        assert_eq!(map["metadata"]["deletionTimestamp"], "2025-01-01T00:00:00Z");
        assert_eq!(map["metadata"]["deletionGracePeriodSeconds"], 0);
        assert_eq!(map["metadata"]["generation"], 3);
        // Again: still held, nothing moves.
        let later = now().checked_add(SignedDuration::from_secs(9)).unwrap();
        assert_eq!(
            plan(&DefaultStrategy, &mut map, &options(None, None), later),
            Plan::Keep
        );
        assert_eq!(map["metadata"]["deletionTimestamp"], "2025-01-01T00:00:00Z");
        assert_eq!(map["metadata"]["generation"], 3);

        let mut pod = bound_pod();
        pod["metadata"]["finalizers"] = json!(["example.com/x"]);
        assert_eq!(
            plan(&PodStrategy, &mut pod, &options(Some(0), None), now()),
            Plan::Keep
        );
    }

    #[test]
    fn propagation_policies_set_finalizers() {
        let mut orphaned = json!({"metadata": {"name": "c"}});
        assert_eq!(
            plan(
                &DefaultStrategy,
                &mut orphaned,
                &options(None, Some(Propagation::Orphan)),
                now()
            ),
            Plan::Keep
        );
        assert_eq!(orphaned["metadata"]["finalizers"], json!(["orphan"]));
        let mut foreground = json!({"metadata": {"name": "c", "finalizers": ["orphan"]}});
        assert_eq!(
            plan(
                &DefaultStrategy,
                &mut foreground,
                &options(None, Some(Propagation::Foreground)),
                now()
            ),
            Plan::Keep
        );
        assert_eq!(
            foreground["metadata"]["finalizers"],
            json!(["foregroundDeletion"])
        );
        // Background drops a pending orphan finalizer and deletes.
        let mut background = json!({"metadata": {"name": "c", "finalizers": ["orphan"]}});
        assert_eq!(
            plan(
                &DefaultStrategy,
                &mut background,
                &options(None, Some(Propagation::Background)),
                now()
            ),
            Plan::Remove
        );
        let mut legacy = json!({"metadata": {"name": "c"}});
        let orphan = DeleteOptions {
            orphan_dependents: Some(true),
            ..Default::default()
        };
        assert_eq!(
            plan(&DefaultStrategy, &mut legacy, &orphan, now()),
            Plan::Keep
        );
        assert_eq!(legacy["metadata"]["finalizers"], json!(["orphan"]));
    }

    #[test]
    fn kinds_choose_their_default() {
        let mut job = json!({"metadata": {"name": "j"}});
        assert_eq!(
            plan(&JobStrategy, &mut job, &options(None, None), now()),
            Plan::Keep
        );
        assert_eq!(job["metadata"]["finalizers"], json!(["orphan"]));
        let mut job = json!({"metadata": {"name": "j"}});
        assert_eq!(
            plan(
                &JobStrategy,
                &mut job,
                &options(None, Some(Propagation::Background)),
                now()
            ),
            Plan::Remove
        );
        let mut event = json!({"metadata": {"name": "e"}});
        let events = crate::apiserver::registry::kinds::EventStrategy;
        assert_eq!(
            plan(
                &events,
                &mut event,
                &options(None, Some(Propagation::Orphan)),
                now()
            ),
            Plan::Remove
        );
    }

    #[test]
    fn a_namespace_waits_for_its_spec_finalizers() {
        let mut namespace =
            json!({"metadata": {"name": "n"}, "spec": {"finalizers": ["kubernetes"]}});
        assert_eq!(
            plan(
                &NamespaceStrategy,
                &mut namespace,
                &options(None, None),
                now()
            ),
            Plan::Keep
        );
        assert_eq!(namespace["status"]["phase"], "Terminating");
        let mut empty = json!({"metadata": {"name": "n"}, "spec": {}});
        assert_eq!(
            plan(&NamespaceStrategy, &mut empty, &options(None, None), now()),
            Plan::Remove
        );
    }
}
