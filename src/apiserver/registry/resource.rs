//! What a resource is, as data: the description discovery publishes, the
//! request router matches, and the generic store acts on.
//!
//! A built-in kind and a CustomResourceDefinition end up as the same
//! [`ResourceDescriptor`]; nothing downstream tells them apart.

use std::fmt;

/// Whether objects live in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// The API verbs a resource can support (upstream's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Create,
    Delete,
    DeleteCollection,
    Get,
    List,
    Patch,
    Update,
    Watch,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Patch => "patch",
            Verb::Update => "update",
            Verb::Watch => "watch",
        }
    }

    /// Every verb a stored resource supports, in discovery's order.
    pub const ALL: [Verb; 8] = [
        Verb::Create,
        Verb::Delete,
        Verb::DeleteCollection,
        Verb::Get,
        Verb::List,
        Verb::Patch,
        Verb::Update,
        Verb::Watch,
    ];
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group, version and kind, e.g. `autoscaling/v1 Scale`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl GroupVersionKind {
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        GroupVersionKind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }

    /// `v1` for the core group, `<group>/<version>` otherwise: the
    /// `apiVersion` field of an object.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }
}

/// `v1` for the core group, `<group>/<version>` otherwise.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// A subresource such as `status`, `scale` or `binding`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubresourceDescriptor {
    /// The path segment after the object's name: `status`, `scale`, …
    pub name: String,
    /// What the subresource takes and returns (e.g. `autoscaling/v1 Scale`
    /// for `deployments/scale`, the parent's kind for `status`).
    pub kind: GroupVersionKind,
    pub verbs: Vec<Verb>,
}

/// Where a resource's objects are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Under `/registry/<path>/` (then `<namespace>/<name>` or `<name>`),
    /// the same keys kube-apiserver uses, so the layout of an etcd shared
    /// with upstream stays the same. Versions and groups that serve the same
    /// objects (e.g. `autoscaling/v1` and `v2`) share the path.
    Stored {
        path: String,
        /// The group/version objects are encoded in at rest.
        version: GroupVersionKind,
    },
    /// Nothing is stored: the resource answers a request and forgets it
    /// (reviews such as `selfsubjectaccessreviews`).
    Virtual,
}

/// One resource at one group/version: everything the API says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceDescriptor {
    /// The API group; empty for the core (legacy) group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The URL segment: lower-case plural (`pods`).
    pub plural: String,
    /// Lower-case singular (`pod`).
    pub singular: String,
    pub short_names: Vec<String>,
    /// E.g. `all`, which `kubectl get all` expands.
    pub categories: Vec<String>,
    pub scope: Scope,
    pub verbs: Vec<Verb>,
    pub subresources: Vec<SubresourceDescriptor>,
    pub storage: Storage,
}

impl ResourceDescriptor {
    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::new(&self.group, &self.version, &self.kind)
    }

    /// The object's `apiVersion`.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }

    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    pub fn supports(&self, verb: Verb) -> bool {
        self.verbs.contains(&verb)
    }

    pub fn subresource(&self, name: &str) -> Option<&SubresourceDescriptor> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// The storage key prefix of every object of this resource
    /// (`/registry/pods/`), if it is stored.
    pub fn key_prefix(&self) -> Option<String> {
        match &self.storage {
            Storage::Stored { path, .. } => Some(format!("/registry/{path}/")),
            Storage::Virtual => None,
        }
    }

    /// The storage key prefix of one namespace's objects, or of all objects
    /// when `namespace` is `None` or the resource is cluster-scoped.
    pub fn namespace_prefix(&self, namespace: Option<&str>) -> Option<String> {
        let prefix = self.key_prefix()?;
        Some(match (self.scope, namespace) {
            (Scope::Namespaced, Some(ns)) => format!("{prefix}{ns}/"),
            _ => prefix,
        })
    }

    /// The storage key of one object.
    pub fn object_key(&self, namespace: Option<&str>, name: &str) -> Option<String> {
        let prefix = self.key_prefix()?;
        Some(match (self.scope, namespace) {
            (Scope::Namespaced, Some(ns)) => format!("{prefix}{ns}/{name}"),
            _ => format!("{prefix}{name}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods() -> ResourceDescriptor {
        ResourceDescriptor {
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
            plural: "pods".into(),
            singular: "pod".into(),
            short_names: vec!["po".into()],
            categories: vec!["all".into()],
            scope: Scope::Namespaced,
            verbs: Verb::ALL.to_vec(),
            subresources: vec![],
            storage: Storage::Stored {
                path: "pods".into(),
                version: GroupVersionKind::new("", "v1", "Pod"),
            },
        }
    }

    #[test]
    fn keys_follow_kube_apiserver_layout() {
        let pods = pods();
        assert_eq!(pods.api_version(), "v1");
        assert_eq!(
            pods.object_key(Some("default"), "web").unwrap(),
            "/registry/pods/default/web"
        );
        assert_eq!(
            pods.namespace_prefix(Some("default")).unwrap(),
            "/registry/pods/default/"
        );
        assert_eq!(pods.namespace_prefix(None).unwrap(), "/registry/pods/");
        let mut nodes = pods;
        nodes.scope = Scope::Cluster;
        nodes.storage = Storage::Stored {
            path: "minions".into(),
            version: GroupVersionKind::new("", "v1", "Node"),
        };
        assert_eq!(
            nodes.object_key(None, "n1").unwrap(),
            "/registry/minions/n1"
        );
        assert_eq!(
            GroupVersionKind::new("apps", "v1", "Deployment").api_version(),
            "apps/v1"
        );
    }
}
