//! The 409 a server-side apply gets when it would change fields other
//! managers own, worded as upstream words it (kubectl prints it and adds
//! its advice on `--force-conflicts`).

use http::StatusCode;

use crate::apiserver::patch::fieldpath::{Path, Set, display};
use crate::apiserver::patch::managed_fields::ManagerId;
use crate::apiserver::status::{ApiError, Cause, Details};

/// Fields owned by other managers that an apply would change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conflicts {
    /// Per manager (ordered by upstream's identifier), the fields.
    by_manager: Vec<(ManagerId, Set)>,
}

impl Conflicts {
    pub fn new(mut by_manager: Vec<(ManagerId, Set)>) -> Conflicts {
        by_manager.retain(|(_, set)| !set.is_empty());
        by_manager.sort_by_cached_key(|(id, _)| id.identifier());
        Conflicts { by_manager }
    }

    pub fn is_empty(&self) -> bool {
        self.by_manager.is_empty()
    }

    /// These conflicts without the fields in `allowed`.
    pub fn without(&self, allowed: &Set) -> Conflicts {
        let by_manager = self
            .by_manager
            .iter()
            .map(|(id, set)| {
                let mut kept = Set::new();
                for path in set.paths().into_iter().filter(|p| !allowed.has(p)) {
                    kept.insert(&path);
                }
                (id.clone(), kept)
            })
            .collect();
        Conflicts::new(by_manager)
    }

    fn paths(&self) -> Vec<(&ManagerId, Path)> {
        self.by_manager
            .iter()
            .flat_map(|(id, set)| set.paths().into_iter().map(move |p| (id, p)))
            .collect()
    }

    pub fn into_error(self) -> ApiError {
        let paths = self.paths();
        let message = match paths.as_slice() {
            [(id, path)] => format!(
                "Apply failed with 1 conflict: conflict with {id}: {}",
                display(path)
            ),
            many => {
                let mut lines = Vec::new();
                for (id, set) in &self.by_manager {
                    lines.push(format!("conflicts with {id}:"));
                    lines.extend(set.paths().iter().map(|p| format!("- {}", display(p))));
                }
                format!(
                    "Apply failed with {} conflicts: {}",
                    many.len(),
                    lines.join("\n")
                )
            }
        };
        let causes = paths
            .iter()
            .map(|(id, path)| Cause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with {id}"),
                field: display(path),
            })
            .collect();
        ApiError::new(StatusCode::CONFLICT, "Conflict", message).with_details(Details {
            causes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::fieldpath::PathElement;
    use crate::apiserver::patch::managed_fields::Operation;

    fn set(paths: &[&[&str]]) -> Set {
        let mut set = Set::new();
        for p in paths {
            let path: Path = p.iter().map(|f| PathElement::field(f)).collect();
            set.insert(&path);
        }
        set
    }

    #[test]
    fn messages_match_upstream() {
        let csa = ManagerId::new(
            "kubectl-client-side-apply",
            Operation::Update,
            "apps/v1",
            "",
        );
        let one = Conflicts::new(vec![(csa.clone(), set(&[&["spec", "replicas"]]))]).into_error();
        assert_eq!(one.code, StatusCode::CONFLICT);
        assert_eq!(
            one.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        let status = one.to_status();
        assert_eq!(
            status["details"]["causes"][0]["reason"],
            "FieldManagerConflict"
        );
        assert_eq!(status["details"]["causes"][0]["field"], ".spec.replicas");
        assert_eq!(
            status["details"]["causes"][0]["message"],
            "conflict with \"kubectl-client-side-apply\" using apps/v1"
        );
        let other = ManagerId::new("other", Operation::Apply, "apps/v1", "");
        let two = Conflicts::new(vec![
            (other, set(&[&["data", "b"]])),
            (csa, set(&[&["data", "a"], &["data", "c"]])),
        ])
        .into_error();
        assert_eq!(
            two.message,
            "Apply failed with 3 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .data.a\n- .data.c\nconflicts with \"other\":\n- .data.b"
        );
    }
}
