//! A Deployment's ReplicaSets as revisions: which one runs the current
//! template (the new one) and which are old, their revision numbers and
//! annotations, and the name and `pod-template-hash` of a new one.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::ResourceExt;
use serde_json::Value;

use crate::controllers::history::safe_hash;
use crate::controllers::pods::controller_reference;

pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations of the Deployment that are not copied to its ReplicaSets.
const NOT_COPIED: [&str; 5] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    DESIRED_REPLICAS,
    MAX_REPLICAS,
];

/// The `pod-template-hash` of `template` after `collisions` name clashes:
/// an FNV-1a hash of the template, rendered in the safe alphabet.
pub fn template_hash(template: &PodTemplateSpec, collisions: i32) -> String {
    let json = serde_json::to_string(template).unwrap_or_default();
    safe_hash(json.as_bytes(), collisions)
}

/// Whether two templates are the same but for `pod-template-hash`.
pub fn same_template(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let without_hash = |template: &PodTemplateSpec| {
        let mut value = serde_json::to_value(template).unwrap_or(Value::Null);
        if let Some(labels) = value
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove(HASH_LABEL);
        }
        value
    };
    without_hash(a) == without_hash(b)
}

pub fn revision(rs: &ReplicaSet) -> i64 {
    rs.annotations()
        .get(REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

pub fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

/// The ReplicaSet whose template is the Deployment's, if any (the oldest,
/// should there be several), and the rest.
pub fn split<'a>(
    deployment: &Deployment,
    sets: &'a [ReplicaSet],
) -> (Option<&'a ReplicaSet>, Vec<&'a ReplicaSet>) {
    let template = &deployment
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let mut sorted: Vec<&ReplicaSet> = sets.iter().collect();
    sorted.sort_by_key(|rs| (rs.creation_timestamp().map(|t| t.0), rs.name_any()));
    let new = sorted.iter().copied().find(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| same_template(t, template))
    });
    let old = sorted
        .into_iter()
        .filter(|rs| new.is_none_or(|n| n.uid() != rs.uid()))
        .collect();
    (new, old)
}

/// The annotations a Deployment's ReplicaSet carries: the Deployment's
/// own (but for those about revisions), its revision, and the replica
/// counts the rollout was sized for.
pub fn annotations(
    deployment: &Deployment,
    revision: i64,
    desired: i32,
    max: i32,
) -> BTreeMap<String, String> {
    let mut annotations: BTreeMap<String, String> = deployment
        .annotations()
        .iter()
        .filter(|(key, _)| !NOT_COPIED.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    annotations.insert(REVISION.into(), revision.to_string());
    annotations.insert(DESIRED_REPLICAS.into(), desired.to_string());
    annotations.insert(MAX_REPLICAS.into(), max.to_string());
    annotations
}

/// A new ReplicaSet for the Deployment's template: `<deployment>-<hash>`,
/// its selector and pods labelled with the hash.
pub fn new_replica_set(
    deployment: &Deployment,
    hash: &str,
    replicas: i32,
    annotations: BTreeMap<String, String>,
) -> ReplicaSet {
    let spec = deployment.spec.clone().unwrap_or_default();
    let mut template = spec.template.clone();
    let template_meta = template.metadata.get_or_insert_with(ObjectMeta::default);
    template_meta
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash.into());
    let labels = template_meta.labels.clone();
    let mut selector: LabelSelector = spec.selector.clone();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash.into());
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", deployment.name_any())),
            namespace: deployment.namespace(),
            labels,
            annotations: Some(annotations),
            owner_references: Some(vec![controller_reference(deployment)]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controllers::history::SAFE_ALPHABET;

    #[test]
    fn hashes_are_stable_safe_and_change_with_collisions() {
        let template: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}
        }))
        .unwrap();
        let hash = template_hash(&template, 0);
        assert_eq!(hash, template_hash(&template.clone(), 0));
        assert!(hash.bytes().all(|b| SAFE_ALPHABET.contains(&b)), "{hash}");
        assert_ne!(hash, template_hash(&template, 1));
        let mut labelled = template.clone();
        labelled
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap()
            .insert(HASH_LABEL.into(), hash.clone());
        assert!(same_template(&template, &labelled));
    }
}
