//! Accepting a CRD's names, as upstream's naming controller does: within a
//! group, a plural, singular or short name (resource names) and a kind or
//! list kind (kind names) belong to the first CRD that was given them. A
//! CRD keeps the names it was accepted with when a change conflicts.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::definition::Names;

/// The outcome of naming one CRD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naming {
    /// The names it is served under (empty plural: none yet).
    pub accepted: Names,
    /// `True` or `False`.
    pub status: &'static str,
    pub reason: &'static str,
    pub message: String,
}

/// The names other CRDs of the group hold.
#[derive(Default)]
pub struct Taken {
    resources: BTreeSet<String>,
    kinds: BTreeSet<String>,
}

impl Taken {
    /// Records what `names` hold.
    pub fn add(&mut self, names: &Names) {
        for name in [&names.plural, &names.singular]
            .into_iter()
            .chain(names.short_names.iter())
        {
            if !name.is_empty() {
                self.resources.insert(name.clone());
            }
        }
        for kind in [&names.kind, &names.list_kind] {
            if !kind.is_empty() {
                self.kinds.insert(kind.clone());
            }
        }
    }
}

fn fresh(requested: &str, accepted: &str, used: &BTreeSet<String>) -> Result<(), String> {
    if requested == accepted || !used.contains(requested) {
        Ok(())
    } else {
        Err(format!("{requested:?} is already in use"))
    }
}

/// Decides the accepted names of a CRD that asks for `requested`, was
/// accepted with `accepted` so far, and whose group's other CRDs hold
/// `taken`.
pub fn decide(requested: &Names, accepted: &Names, taken: &Taken) -> Naming {
    let mut names = accepted.clone();
    let mut failure: Option<(&'static str, String)> = None;
    let mut fail = |reason: &'static str, message: String| failure = Some((reason, message));
    match fresh(&requested.plural, &accepted.plural, &taken.resources) {
        Ok(()) => names.plural = requested.plural.clone(),
        Err(e) => fail("PluralConflict", e),
    }
    match fresh(&requested.singular, &accepted.singular, &taken.resources) {
        Ok(()) => names.singular = requested.singular.clone(),
        Err(e) => fail("SingularConflict", e),
    }
    if requested.short_names != accepted.short_names {
        let conflicts: Vec<String> = requested
            .short_names
            .iter()
            .filter(|s| !accepted.short_names.contains(s))
            .filter_map(|s| fresh(s, "", &taken.resources).err())
            .collect();
        if conflicts.is_empty() {
            names.short_names = requested.short_names.clone();
        } else if conflicts.len() == 1 {
            fail("ShortNamesConflict", conflicts[0].clone());
        } else {
            fail("ShortNamesConflict", format!("[{}]", conflicts.join(", ")));
        }
    }
    match fresh(&requested.kind, &accepted.kind, &taken.kinds) {
        Ok(()) => names.kind = requested.kind.clone(),
        Err(e) => fail("KindConflict", e),
    }
    match fresh(&requested.list_kind, &accepted.list_kind, &taken.kinds) {
        Ok(()) => names.list_kind = requested.list_kind.clone(),
        Err(e) => fail("ListKindConflict", e),
    }
    names.categories = requested.categories.clone();
    match failure {
        Some((reason, message)) => Naming {
            accepted: names,
            status: "False",
            reason,
            message,
        },
        None => Naming {
            accepted: names,
            status: "True",
            reason: "NoConflicts",
            message: "no conflicts found".into(),
        },
    }
}

/// A CRD condition as the API writes it.
pub fn condition(kind: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": kind,
        "status": status,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

/// `conditions` with `new` in place of the condition of its type; the
/// transition time stays when the status does not change.
pub fn set_condition(conditions: &mut Vec<Value>, mut new: Value) {
    let kind = new.get("type").cloned();
    match conditions
        .iter_mut()
        .find(|c| c.get("type") == kind.as_ref())
    {
        Some(old) => {
            if old.get("status") == new.get("status")
                && let Some(time) = old.get("lastTransitionTime")
            {
                new["lastTransitionTime"] = time.clone();
            }
            *old = new;
        }
        None => conditions.push(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plural: &str, kind: &str, short: &[&str]) -> Names {
        Names {
            plural: plural.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            list_kind: format!("{kind}List"),
            short_names: short.iter().map(|s| s.to_string()).collect(),
            categories: vec![],
        }
    }

    #[test]
    fn first_come_first_served() {
        let mut taken = Taken::default();
        taken.add(&names("widgets", "Widget", &["wd"]));
        let fresh = decide(
            &names("gadgets", "Gadget", &["gd"]),
            &Names::default(),
            &taken,
        );
        assert_eq!((fresh.status, fresh.reason), ("True", "NoConflicts"));
        assert_eq!(fresh.accepted.plural, "gadgets");

        let clash = decide(&names("widgets", "Gadget", &[]), &Names::default(), &taken);
        assert_eq!(clash.status, "False");
        assert_eq!(clash.reason, "PluralConflict");
        assert_eq!(clash.message, "\"widgets\" is already in use");
        assert_eq!(clash.accepted.plural, "");

        let short = decide(
            &names("gadgets", "Gadget", &["wd"]),
            &Names::default(),
            &taken,
        );
        assert_eq!(short.reason, "ShortNamesConflict");
        assert!(short.accepted.short_names.is_empty());

        // A CRD keeps what it was accepted with.
        let accepted = names("gadgets", "Gadget", &["gd"]);
        let renamed = decide(&names("widgets", "Gadget", &["gd"]), &accepted, &taken);
        assert_eq!(renamed.accepted.plural, "gadgets");
    }

    #[test]
    fn conditions_keep_their_transition_time() {
        let mut conditions = vec![condition("Established", "True", "A", "a", "t1")];
        set_condition(
            &mut conditions,
            condition("Established", "True", "B", "b", "t2"),
        );
        assert_eq!(conditions[0]["lastTransitionTime"], "t1");
        assert_eq!(conditions[0]["reason"], "B");
        set_condition(
            &mut conditions,
            condition("Terminating", "True", "C", "c", "t3"),
        );
        assert_eq!(conditions.len(), 2);
    }
}
