//! The catalog: which resources the API serves right now.
//!
//! Readers take a [`CatalogSnapshot`] — an immutable, indexed, ordered view
//! behind an `Arc` — so a request sees one consistent set of resources for
//! its whole life and pays one atomic increment for it. Writers (the CRD
//! controller, later) build a new snapshot and swap it in; they never block
//! a reader for longer than the swap.
//!
//! Ordering is part of the API: groups are listed the way kube-apiserver
//! lists them ([`builtin::GROUP_ORDER`], then other groups by name) and each
//! group's versions preferred-first (the listed order, then Kubernetes'
//! version ordering: `v2` before `v1` before `v1beta2` before `v1alpha1`
//! before anything that is not a Kubernetes version, by name).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, RwLock};

use super::builtin::{self, GROUP_ORDER};
use super::resource::ResourceDescriptor;

/// The resources the API serves, changeable at runtime.
#[derive(Debug)]
pub struct Catalog {
    current: RwLock<Arc<CatalogSnapshot>>,
}

impl Catalog {
    /// A catalog serving `resources`. When two descriptors name the same
    /// group, version and plural, the later one wins.
    pub fn new(resources: Vec<ResourceDescriptor>) -> Catalog {
        Catalog {
            current: RwLock::new(Arc::new(CatalogSnapshot::build(resources))),
        }
    }

    /// A catalog of the built-in Kubernetes 1.33 resources.
    pub fn builtin() -> Catalog {
        Catalog::new(builtin::builtin_resources())
    }

    /// The resources served right now. Cheap; hold it for the whole request.
    pub fn snapshot(&self) -> Arc<CatalogSnapshot> {
        // A writer that panicked left the previous snapshot in place, which
        // is still a consistent catalog: keep serving it.
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Changes the served set: `edit` gets the current descriptors and
    /// leaves the new ones. Concurrent edits are applied one after another,
    /// each seeing the result of the last.
    pub fn update(&self, edit: impl FnOnce(&mut Vec<ResourceDescriptor>)) {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut resources = current.resources.clone();
        edit(&mut resources);
        *current = Arc::new(CatalogSnapshot::build(resources));
    }

    /// Adds `resources`, replacing any with the same group, version and
    /// plural.
    pub fn upsert(&self, resources: Vec<ResourceDescriptor>) {
        self.update(|all| {
            all.retain(|old| {
                !resources
                    .iter()
                    .any(|new| same_resource(old, new) && old.version == new.version)
            });
            all.extend(resources);
        });
    }

    /// Stops serving every version of `<plural>.<group>`.
    pub fn remove(&self, group: &str, plural: &str) {
        self.update(|all| all.retain(|r| !(r.group == group && r.plural == plural)));
    }
}

fn same_resource(a: &ResourceDescriptor, b: &ResourceDescriptor) -> bool {
    a.group == b.group && a.plural == b.plural
}

/// One API group and the versions it serves, preferred first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupVersions {
    /// Empty for the core group.
    pub name: String,
    /// Never empty: a group with no resources is not served.
    pub versions: Vec<String>,
}

impl GroupVersions {
    /// The version clients should use when they have no preference.
    pub fn preferred(&self) -> &str {
        &self.versions[0]
    }
}

/// An immutable view of the catalog at one moment.
#[derive(Debug)]
pub struct CatalogSnapshot {
    /// Ordered by group (listing order), version (preference), plural, so
    /// that each group/version is one contiguous run.
    resources: Vec<ResourceDescriptor>,
    /// Every group with resources, in listing order (the core group first).
    groups: Vec<GroupVersions>,
    /// (group, version) → the run of `resources` it owns.
    runs: HashMap<(String, String), Range<usize>>,
    /// (group, version, plural) → index into `resources`.
    by_name: HashMap<(String, String, String), usize>,
}

impl CatalogSnapshot {
    fn build(resources: Vec<ResourceDescriptor>) -> CatalogSnapshot {
        // Later descriptors replace earlier ones of the same name.
        let mut latest: HashMap<(String, String, String), ResourceDescriptor> = HashMap::new();
        for r in resources {
            latest.insert((r.group.clone(), r.version.clone(), r.plural.clone()), r);
        }
        let mut resources: Vec<ResourceDescriptor> = latest.into_values().collect();

        resources.sort_by(|a, b| {
            compare_groups(&a.group, &b.group)
                .then_with(|| compare_versions(&a.group, &a.version, &b.version))
                .then_with(|| a.plural.cmp(&b.plural))
        });

        let mut groups: Vec<GroupVersions> = Vec::new();
        let mut runs = HashMap::new();
        let mut by_name = HashMap::new();
        let mut run_start = 0;
        for (i, r) in resources.iter().enumerate() {
            by_name.insert((r.group.clone(), r.version.clone(), r.plural.clone()), i);
            let next_differs = resources
                .get(i + 1)
                .is_none_or(|n| n.group != r.group || n.version != r.version);
            if next_differs {
                runs.insert((r.group.clone(), r.version.clone()), run_start..i + 1);
                run_start = i + 1;
                match groups.last_mut() {
                    Some(g) if g.name == r.group => g.versions.push(r.version.clone()),
                    _ => groups.push(GroupVersions {
                        name: r.group.clone(),
                        versions: vec![r.version.clone()],
                    }),
                }
            }
        }

        CatalogSnapshot {
            resources,
            groups,
            runs,
            by_name,
        }
    }

    /// The resource `plural` of `group`/`version`, if served.
    pub fn resource(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<&ResourceDescriptor> {
        let key = (group.to_owned(), version.to_owned(), plural.to_owned());
        self.by_name.get(&key).map(|&i| &self.resources[i])
    }

    /// Every served group in listing order, the core group (name `""`)
    /// first when it is served.
    pub fn groups(&self) -> &[GroupVersions] {
        &self.groups
    }

    /// One group, if served.
    pub fn group(&self, name: &str) -> Option<&GroupVersions> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The resources of one group/version, by plural; empty if the
    /// group/version is not served.
    pub fn resources_in(&self, group: &str, version: &str) -> &[ResourceDescriptor] {
        self.runs
            .get(&(group.to_owned(), version.to_owned()))
            .map_or(&[], |run| &self.resources[run.clone()])
    }

    /// Every served resource, grouped by group/version in listing order.
    pub fn resources(&self) -> &[ResourceDescriptor] {
        &self.resources
    }
}

/// Listing order of two groups: upstream's built-in order, then the rest
/// (CRD groups, which upstream gives the lowest priority) by name.
fn compare_groups(a: &str, b: &str) -> Ordering {
    let rank = |g: &str| GROUP_ORDER.iter().position(|(name, _)| *name == g);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Preference order of two versions of `group`: the built-in list first,
/// then Kubernetes' version ordering.
fn compare_versions(group: &str, a: &str, b: &str) -> Ordering {
    let listed = GROUP_ORDER
        .iter()
        .find(|(name, _)| *name == group)
        .map_or(&[][..], |(_, versions)| *versions);
    let rank = |v: &str| listed.iter().position(|l| *l == v);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => compare_kube_versions(a, b),
    }
}

/// A version string of the `v<major>[(alpha|beta)<minor>]` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct KubeVersion {
    major: u64,
    /// GA 2, beta 1, alpha 0: more stable sorts first.
    stability: u8,
    minor: u64,
}

fn parse_kube_version(v: &str) -> Option<KubeVersion> {
    let rest = v.strip_prefix('v')?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (major, tail) = rest.split_at(digits);
    // `v0`, `v01` are not Kubernetes versions.
    let major = parse_positive(major)?;
    let (stability, minor) = if tail.is_empty() {
        (2, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (1, parse_positive(n)?)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, parse_positive(n)?)
    } else {
        return None;
    };
    Some(KubeVersion {
        major,
        stability,
        minor,
    })
}

/// A decimal number without a leading zero, as Kubernetes versions write
/// them.
fn parse_positive(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Kubernetes' version ordering, most preferred first: GA before beta
/// before alpha, higher numbers first within each, and strings that are not
/// Kubernetes versions last, by name.
pub fn compare_kube_versions(a: &str, b: &str) -> Ordering {
    match (parse_kube_version(a), parse_kube_version(b)) {
        (Some(x), Some(y)) => y
            .stability
            .cmp(&x.stability)
            .then(y.major.cmp(&x.major))
            .then(y.minor.cmp(&x.minor)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::resource::{GroupVersionKind, Scope, Storage, Verb};

    fn custom(group: &str, version: &str, plural: &str, kind: &str) -> ResourceDescriptor {
        ResourceDescriptor {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            short_names: vec![],
            categories: vec![],
            scope: Scope::Namespaced,
            verbs: Verb::ALL.to_vec(),
            subresources: vec![],
            storage: Storage::Stored {
                path: format!("{group}/{plural}"),
                version: GroupVersionKind::new(group, "v1", kind),
            },
        }
    }

    #[test]
    fn kube_version_order() {
        let mut versions = vec![
            "foo10",
            "v1alpha1",
            "v1",
            "v11alpha2",
            "v2",
            "v10beta3",
            "v3beta1",
            "foo1",
            "v12alpha1",
            "v11beta2",
            "v10",
        ];
        versions.sort_by(|a, b| compare_kube_versions(a, b));
        assert_eq!(
            versions,
            vec![
                "v10",
                "v2",
                "v1",
                "v11beta2",
                "v10beta3",
                "v3beta1",
                "v12alpha1",
                "v11alpha2",
                "v1alpha1",
                "foo1",
                "foo10",
            ]
        );
        assert!(parse_kube_version("v0").is_none());
        assert!(parse_kube_version("v1beta").is_none());
        assert!(parse_kube_version("v1gamma1").is_none());
    }

    #[test]
    fn builtin_groups_are_listed_in_upstream_order() {
        let snapshot = Catalog::builtin().snapshot();
        let names: Vec<&str> = snapshot.groups().iter().map(|g| g.name.as_str()).collect();
        let expected: Vec<&str> = GROUP_ORDER.iter().map(|(g, _)| *g).collect();
        assert_eq!(names, expected);
        let autoscaling = snapshot.group("autoscaling").unwrap();
        assert_eq!(autoscaling.versions, vec!["v2", "v1"]);
        assert_eq!(autoscaling.preferred(), "v2");
        assert_eq!(snapshot.group("").unwrap().preferred(), "v1");
        assert!(snapshot.group("extensions").is_none());
    }

    #[test]
    fn lookups() {
        let snapshot = Catalog::builtin().snapshot();
        let deployments = snapshot.resource("apps", "v1", "deployments").unwrap();
        assert_eq!(deployments.kind, "Deployment");
        assert!(
            snapshot
                .resource("apps", "v1beta1", "deployments")
                .is_none()
        );
        assert!(snapshot.resource("", "v1", "deployments").is_none());

        let apps: Vec<&str> = snapshot
            .resources_in("apps", "v1")
            .iter()
            .map(|r| r.plural.as_str())
            .collect();
        assert_eq!(
            apps,
            vec![
                "controllerrevisions",
                "daemonsets",
                "deployments",
                "replicasets",
                "statefulsets"
            ]
        );
        assert!(snapshot.resources_in("apps", "v2").is_empty());
        assert!(snapshot.resources_in("nope", "v1").is_empty());
        // Every resource is reachable both ways.
        for r in snapshot.resources() {
            assert_eq!(snapshot.resource(&r.group, &r.version, &r.plural), Some(r));
            assert!(snapshot.resources_in(&r.group, &r.version).contains(r));
        }
    }

    #[test]
    fn updates_publish_new_snapshots_and_leave_old_ones_alone() {
        let catalog = Catalog::builtin();
        let before = catalog.snapshot();

        catalog.upsert(vec![
            custom("stable.example.com", "v1", "crontabs", "CronTab"),
            custom("stable.example.com", "v1beta1", "crontabs", "CronTab"),
            custom("stable.example.com", "v2", "crontabs", "CronTab"),
            custom("a.example.com", "v1", "widgets", "Widget"),
        ]);
        let after = catalog.snapshot();
        assert!(before.group("stable.example.com").is_none());
        let group = after.group("stable.example.com").unwrap();
        assert_eq!(group.versions, vec!["v2", "v1", "v1beta1"]);
        // Custom groups follow every built-in group, by name.
        let names: Vec<&str> = after.groups().iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            &names[names.len() - 3..],
            &[
                "flowcontrol.apiserver.k8s.io",
                "a.example.com",
                "stable.example.com"
            ]
        );

        // Replacing one version keeps the others.
        let mut changed = custom("stable.example.com", "v1", "crontabs", "CronTab");
        changed.short_names = vec!["ct".into()];
        catalog.upsert(vec![changed]);
        let snapshot = catalog.snapshot();
        assert_eq!(
            snapshot
                .resource("stable.example.com", "v1", "crontabs")
                .unwrap()
                .short_names,
            vec!["ct"]
        );
        assert_eq!(snapshot.resources_in("stable.example.com", "v1").len(), 1);
        assert!(
            snapshot
                .resource("stable.example.com", "v2", "crontabs")
                .is_some()
        );

        catalog.remove("stable.example.com", "crontabs");
        let snapshot = catalog.snapshot();
        assert!(snapshot.group("stable.example.com").is_none());
        assert!(
            snapshot
                .resource("stable.example.com", "v2", "crontabs")
                .is_none()
        );
        assert!(snapshot.group("a.example.com").is_some());
        assert_eq!(snapshot.resources().len(), before.resources().len() + 1);
    }

    #[test]
    fn later_duplicates_win() {
        let mut second = custom("x.io", "v1", "things", "Thing");
        second.short_names = vec!["th".into()];
        let catalog = Catalog::new(vec![custom("x.io", "v1", "things", "Thing"), second]);
        let snapshot = catalog.snapshot();
        assert_eq!(snapshot.resources().len(), 1);
        assert_eq!(snapshot.resources()[0].short_names, vec!["th"]);
    }
}
