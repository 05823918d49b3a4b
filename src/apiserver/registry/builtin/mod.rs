//! The built-in resources: every GA resource of Kubernetes 1.33, described
//! as kube-apiserver 1.33 serves it with its default configuration.
//!
//! Each API group's facts live in one file (the group, version, kind and
//! plural come from `k8s-openapi`'s [`Resource`] constants, so they cannot
//! drift from the types the rest of keelson decodes with); this module holds
//! the small builder those files use, the `/apis` ordering of the groups, and
//! the tests that pin the facts clients depend on.
//!
//! Facts that are not obvious from the types, and where they come from:
//!
//! * storage paths are kube-apiserver's etcd key prefixes: the plural,
//!   except `services/specs`, `services/endpoints`, `minions` (nodes),
//!   `controllers` (replication controllers) and `ingress` (ingresses), and
//!   `<group>/<plural>` for the two groups served by their own apiservers
//!   (apiextensions.k8s.io, apiregistration.k8s.io);
//! * storage versions are the group's preferred version, except where
//!   upstream stores elsewhere: both autoscaling versions as
//!   `autoscaling/v2`, `events.k8s.io/v1` events as core `v1` Event (they
//!   share the core key space), and ServiceCIDR/IPAddress as
//!   `networking.k8s.io/v1beta1` because 1.33 is the release they went GA and
//!   the storage version must be one a 1.32 apiserver can read;
//! * optional subresources that 1.33 turns on by default (`pods/resize`,
//!   feature gate `InPlacePodVerticalScaling`, beta and on in 1.33) are
//!   included; alpha and beta-off-by-default APIs are not.

mod access;
mod core;
mod extensions;
mod networking;
mod platform;
mod workloads;

use k8s_openapi::Resource;

use super::resource::{
    GroupVersionKind, ResourceDescriptor, Scope, Storage, SubresourceDescriptor, Verb,
};

/// Every built-in resource of Kubernetes 1.33 (GA APIs only), one
/// descriptor per group/version/resource.
pub fn builtin_resources() -> Vec<ResourceDescriptor> {
    let mut all = Vec::new();
    all.extend(core::resources());
    all.extend(workloads::resources());
    all.extend(networking::resources());
    all.extend(access::resources());
    all.extend(platform::resources());
    all.extend(extensions::resources());
    all
}

/// The order kube-apiserver lists API groups in (`/apis`, aggregated
/// discovery), each with its served versions, preferred first.
///
/// Upstream derives this from each group's APIService priority (highest
/// first; equal priorities by name): the aggregator's own group always
/// comes first, then apps (17800), events.k8s.io (17750), … ,
/// flowcontrol.apiserver.k8s.io (16100). The core group is not part of
/// `/apis`; it leads here so that one list orders every group. Groups
/// missing from the list (CRDs) come after all of these.
pub const GROUP_ORDER: &[(&str, &[&str])] = &[
    ("", &["v1"]),
    ("apiregistration.k8s.io", &["v1"]),
    ("apps", &["v1"]),
    ("events.k8s.io", &["v1"]),
    ("authentication.k8s.io", &["v1"]),
    ("authorization.k8s.io", &["v1"]),
    ("autoscaling", &["v2", "v1"]),
    ("batch", &["v1"]),
    ("certificates.k8s.io", &["v1"]),
    ("networking.k8s.io", &["v1"]),
    ("policy", &["v1"]),
    ("rbac.authorization.k8s.io", &["v1"]),
    ("storage.k8s.io", &["v1"]),
    ("admissionregistration.k8s.io", &["v1"]),
    ("apiextensions.k8s.io", &["v1"]),
    ("scheduling.k8s.io", &["v1"]),
    ("coordination.k8s.io", &["v1"]),
    ("node.k8s.io", &["v1"]),
    ("discovery.k8s.io", &["v1"]),
    ("flowcontrol.apiserver.k8s.io", &["v1"]),
];

/// The verbs of a `status`-like subresource (also `approval`, `resize`,
/// `ephemeralcontainers`, `scale`): read it, replace it, patch it.
const GET_PATCH_UPDATE: &[Verb] = &[Verb::Get, Verb::Patch, Verb::Update];

/// The verbs of the proxy subresources (`pods/proxy`, `services/proxy`,
/// `nodes/proxy`): every HTTP method the proxied server may want.
const PROXY_VERBS: &[Verb] = &[
    Verb::Create,
    Verb::Delete,
    Verb::Get,
    Verb::Patch,
    Verb::Update,
];

/// Maps `k8s-openapi`'s scope marker types onto [`Scope`]. Subresource-only
/// types (Scale, Eviction, TokenRequest) deliberately have no mapping: they
/// are never top-level resources.
trait ScopeOf {
    const SCOPE: Scope;
}

impl ScopeOf for k8s_openapi::NamespaceResourceScope {
    const SCOPE: Scope = Scope::Namespaced;
}

impl ScopeOf for k8s_openapi::ClusterResourceScope {
    const SCOPE: Scope = Scope::Cluster;
}

/// The group/version/kind of a `k8s-openapi` type.
fn gvk<T: Resource>() -> GroupVersionKind {
    GroupVersionKind::new(T::GROUP, T::VERSION, T::KIND)
}

/// A core/v1 kind that is not a resource of its own (the `*Options` kinds
/// the connect subresources answer with).
fn core_kind(kind: &str) -> GroupVersionKind {
    GroupVersionKind::new("", "v1", kind)
}

/// Starts describing the resource served as `T`: stored at its plural under
/// its own group/version, every verb, no names beyond the plural and the
/// lower-cased kind (upstream's default singular).
fn resource<T>() -> Builder
where
    T: Resource,
    T::Scope: ScopeOf,
{
    let plural = T::URL_PATH_SEGMENT.to_owned();
    Builder(ResourceDescriptor {
        group: T::GROUP.into(),
        version: T::VERSION.into(),
        kind: T::KIND.into(),
        singular: T::KIND.to_ascii_lowercase(),
        short_names: Vec::new(),
        categories: Vec::new(),
        scope: <T::Scope as ScopeOf>::SCOPE,
        verbs: Verb::ALL.to_vec(),
        subresources: Vec::new(),
        storage: Storage::Stored {
            path: plural.clone(),
            version: gvk::<T>(),
        },
        plural,
    })
}

/// A [`ResourceDescriptor`] under construction.
struct Builder(ResourceDescriptor);

impl Builder {
    fn short_names(mut self, names: &[&str]) -> Self {
        self.0.short_names = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    fn categories(mut self, categories: &[&str]) -> Self {
        self.0.categories = categories.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    fn verbs(mut self, verbs: &[Verb]) -> Self {
        self.0.verbs = verbs.to_vec();
        self
    }

    fn subresource(mut self, name: &str, kind: GroupVersionKind, verbs: &[Verb]) -> Self {
        self.0.subresources.push(SubresourceDescriptor {
            name: name.into(),
            kind,
            verbs: verbs.to_vec(),
        });
        self
    }

    /// A subresource that reads and writes the parent object itself
    /// (`status`, `approval`, `resize`, `ephemeralcontainers`).
    fn own_kind_subresource(self, name: &str) -> Self {
        let kind = self.0.gvk();
        self.subresource(name, kind, GET_PATCH_UPDATE)
    }

    fn status(self) -> Self {
        self.own_kind_subresource("status")
    }

    /// `scale`, answered as `autoscaling/v1 Scale` whatever the parent's
    /// group.
    fn scale(self) -> Self {
        self.subresource(
            "scale",
            gvk::<k8s_openapi::api::autoscaling::v1::Scale>(),
            GET_PATCH_UPDATE,
        )
    }

    /// Objects live under `/registry/<path>/` rather than the plural.
    fn stored_at(mut self, path: &str) -> Self {
        if let Storage::Stored { path: p, .. } = &mut self.0.storage {
            *p = path.into();
        }
        self
    }

    /// Objects are encoded at rest as `S` rather than as the served type.
    fn stored_as<S: Resource>(mut self) -> Self {
        if let Storage::Stored { version, .. } = &mut self.0.storage {
            *version = gvk::<S>();
        }
        self
    }

    /// Nothing is stored: the resource answers and forgets (reviews,
    /// bindings) or computes its answer (componentstatuses).
    fn not_stored(mut self) -> Self {
        self.0.storage = Storage::Virtual;
        self
    }

    /// A review: `create` is the only verb and nothing is kept.
    fn review(self) -> Self {
        self.verbs(&[Verb::Create]).not_stored()
    }

    fn build(mut self) -> ResourceDescriptor {
        // Discovery lists subresources by name, as upstream's sorted paths do.
        self.0.subresources.sort_by(|a, b| a.name.cmp(&b.name));
        self.0
    }
}

#[cfg(test)]
mod tests;
