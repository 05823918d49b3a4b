//! What serving a CRD means for the registry: one resource descriptor, one
//! strategy and one versioning per served version, all built from the
//! definition and its accepted names.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::cel::Rules;
use super::conversion::webhook::Webhook;
use super::conversion::{Converter, CrdVersioning};
use super::definition::{Conversion, Definition, Names, Version};
use super::resource::CustomResourceStrategy;
use crate::apiserver::patch::schema::Shapes;
use crate::apiserver::registry::resource::{
    GroupVersionKind, ResourceDescriptor, Storage, SubresourceDescriptor, Verb, api_version,
};
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::registry::versioning::Versioning;

/// One served version, ready for the registry.
pub struct ServedVersion {
    pub descriptor: ResourceDescriptor,
    pub strategy: Arc<dyn Strategy>,
    pub versioning: Arc<dyn Versioning>,
    pub version: Version,
}

/// A digest of what serving depends on: when it changes, the CRD's stores
/// are rebuilt (and their caches with them).
pub fn fingerprint(crd: &serde_json::Value, accepted: &Names, deleting: bool) -> u64 {
    let mut hasher = DefaultHasher::new();
    crd.get("spec")
        .map(|s| s.to_string())
        .unwrap_or_default()
        .hash(&mut hasher);
    accepted.hash(&mut hasher);
    deleting.hash(&mut hasher);
    hasher.finish()
}

/// The descriptor of `version` of `definition` under `names`.
pub fn descriptor(definition: &Definition, names: &Names, version: &Version) -> ResourceDescriptor {
    let storage_version = definition
        .storage_version()
        .map_or(version.name.as_str(), |v| v.name.as_str());
    let gvk = GroupVersionKind::new(&definition.group, &version.name, &names.kind);
    let mut subresources = Vec::new();
    let get_patch_update = vec![Verb::Get, Verb::Patch, Verb::Update];
    if version.status {
        subresources.push(SubresourceDescriptor {
            name: "status".into(),
            kind: gvk.clone(),
            verbs: get_patch_update.clone(),
        });
    }
    if version.scale.is_some() {
        subresources.push(SubresourceDescriptor {
            name: "scale".into(),
            kind: GroupVersionKind::new("autoscaling", "v1", "Scale"),
            verbs: get_patch_update,
        });
    }
    // A CRD being deleted takes no new objects (upstream answers 405).
    let verbs = Verb::ALL
        .iter()
        .copied()
        .filter(|v| !(definition.deleting && *v == Verb::Create))
        .collect();
    ResourceDescriptor {
        group: definition.group.clone(),
        version: version.name.clone(),
        kind: names.kind.clone(),
        plural: names.plural.clone(),
        singular: names.singular.clone(),
        short_names: names.short_names.clone(),
        categories: names.categories.clone(),
        scope: definition.scope,
        verbs,
        subresources,
        storage: Storage::Stored {
            path: format!("{}/{}", definition.group, names.plural),
            version: GroupVersionKind::new(&definition.group, storage_version, &names.kind),
        },
    }
}

/// Every served version of `definition`, named `names`; `key` identifies
/// this build of the CRD (its caches).
pub fn served_versions(
    definition: &Definition,
    names: &Names,
    key: u64,
) -> Result<Vec<ServedVersion>, String> {
    let converter = Arc::new(match &definition.conversion {
        Conversion::None => Converter::None,
        Conversion::Webhook {
            client_config,
            review_versions,
        } => Converter::Webhook(Webhook::new(
            &definition.name,
            client_config,
            review_versions,
        )?),
    });
    let storage = definition
        .storage_version()
        .ok_or("no storage version")?
        .name
        .clone();
    let mut served = Vec::new();
    for version in definition.versions.iter().filter(|v| v.served) {
        let rules = match version.schema.as_deref().map(Rules::compile).transpose() {
            Ok(rules) => rules.flatten().map(Arc::new),
            Err(errors) => {
                return Err(errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "));
            }
        };
        let shape = version.raw_schema.as_ref().map(Shapes::from_openapi);
        let strategy: Arc<dyn Strategy> =
            Arc::new(CustomResourceStrategy::new(version, rules, shape));
        let versioning: Arc<dyn Versioning> = Arc::new(CrdVersioning::new(
            format!("{}/{}/{key:x}", definition.uid, version.name),
            api_version(&definition.group, &version.name),
            api_version(&definition.group, &storage),
            version.schema.clone(),
            converter.clone(),
        ));
        served.push(ServedVersion {
            descriptor: descriptor(definition, names, version),
            strategy,
            versioning,
            version: version.clone(),
        });
    }
    Ok(served)
}
