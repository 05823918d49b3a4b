//! A StatefulSet pod's stable identity, as upstream gives it: the name
//! `<set>-<ordinal>`, the labels `statefulset.kubernetes.io/pod-name` and
//! `apps.kubernetes.io/pod-index`, hostname and subdomain (the governing
//! Service) for its DNS name, and its own PersistentVolumeClaims
//! `<claim>-<set>-<ordinal>` made from `volumeClaimTemplates`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::ResourceExt;

use crate::controllers::history::REVISION_HASH_LABEL;
use crate::controllers::pods;

pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The ordinal in a pod's name, if it is one of `set`'s (`<set>-<n>`).
pub fn ordinal_of(set: &str, pod: &str) -> Option<i32> {
    let suffix = pod.strip_prefix(set)?.strip_prefix('-')?;
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok()
}

/// The template a revision holds (its data less the `$patch` directive).
pub fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = revision.data.as_ref()?.0.pointer("/spec/template")?.clone();
    if let Some(object) = template.as_object_mut() {
        object.remove("$patch");
    }
    serde_json::from_value::<PodTemplateSpec>(template).ok()
}

/// The name of the claim for `template` of `set`'s pod `ordinal`.
pub fn claim_name(claim_template: &PersistentVolumeClaim, set: &str, ordinal: i32) -> String {
    format!("{}-{set}-{ordinal}", claim_template.name_any())
}

/// The claims pod `ordinal` uses, as `set`'s templates make them.
pub fn claims(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let spec = set.spec.clone().unwrap_or_default();
    let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
    // A plain (not controlling) reference, for the garbage collector.
    let owner = deleted_with_set(set).then(|| OwnerReference {
        controller: None,
        block_owner_deletion: None,
        ..pods::controller_reference(set)
    });
    spec.volume_claim_templates
        .unwrap_or_default()
        .into_iter()
        .map(|template| {
            let mut labels = template.labels().clone();
            labels.extend(selector_labels.clone());
            PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(claim_name(&template, &set.name_any(), ordinal)),
                    namespace: set.namespace(),
                    labels: Some(labels),
                    annotations: template.metadata.annotations.clone(),
                    owner_references: owner.clone().map(|o| vec![o]),
                    ..ObjectMeta::default()
                },
                spec: template.spec.clone(),
                status: None,
            }
        })
        .collect()
}

/// Whether the set's claims go when the set does
/// (`persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`).
fn deleted_with_set(set: &StatefulSet) -> bool {
    set.spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref())
        .and_then(|p| p.when_deleted.as_deref())
        == Some("Delete")
}

/// Pod `ordinal` of `set` made from `template` at `revision`.
pub fn pod_for(set: &StatefulSet, template: &PodTemplateSpec, ordinal: i32, revision: &str) -> Pod {
    let name = format!("{}-{ordinal}", set.name_any());
    let namespace = set.namespace().unwrap_or_default();
    let mut pod = pods::from_template(
        template,
        &namespace,
        &set.name_any(),
        pods::controller_reference(set),
    );
    pod.metadata.generate_name = None;
    pod.metadata.name = Some(name.clone());
    let labels: &mut BTreeMap<String, String> =
        pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(REVISION_HASH_LABEL.into(), revision.into());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.hostname = Some(name);
    spec.subdomain = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty());
    let claims = set
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.clone())
        .unwrap_or_default();
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    for claim in &claims {
        let volume = Volume {
            name: claim.name_any(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(claim, &set.name_any(), ordinal),
                read_only: None,
            }),
            ..Volume::default()
        };
        match volumes.iter_mut().find(|v| v.name == volume.name) {
            Some(existing) => *existing = volume,
            None => volumes.push(volume),
        }
    }
    if volumes.is_empty() {
        spec.volumes = None;
    }
    pod
}

/// The revision a pod was made from (`controller-revision-hash`).
pub fn revision_of(pod: &Pod) -> Option<&str> {
    pods::labels(&pod.metadata)
        .get(REVISION_HASH_LABEL)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn text(value: &Value, pointer: &str) -> String {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn ordinals_come_from_names_of_the_set_only() {
        assert_eq!(ordinal_of("web", "web-0"), Some(0));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-x"), None);
        assert_eq!(ordinal_of("web", "webby-1"), None);
        assert_eq!(ordinal_of("web", "web-"), None);
    }

    #[test]
    fn pods_get_their_identity_and_claims() {
        let set: StatefulSet = serde_json::from_value(json!({
            "metadata": {"name": "db", "namespace": "ns", "uid": "u1"},
            "spec": {
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {"metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "db", "image": "db:1"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
            }
        }))
        .unwrap();
        let template = set.spec.clone().unwrap().template;
        let pod = serde_json::to_value(pod_for(&set, &template, 2, "db-abc")).unwrap();
        assert_eq!(text(&pod, "/metadata/name"), "db-2");
        assert_eq!(
            text(&pod, "/metadata/labels/statefulset.kubernetes.io~1pod-name"),
            "db-2"
        );
        assert_eq!(
            text(&pod, "/metadata/labels/apps.kubernetes.io~1pod-index"),
            "2"
        );
        assert_eq!(
            text(&pod, "/metadata/labels/controller-revision-hash"),
            "db-abc"
        );
        assert_eq!(text(&pod, "/spec/hostname"), "db-2");
        assert_eq!(text(&pod, "/spec/subdomain"), "db");
        assert_eq!(
            text(&pod, "/spec/volumes/0/persistentVolumeClaim/claimName"),
            "data-db-2"
        );
        let claims = claims(&set, 2);
        assert_eq!(claims[0].name_any(), "data-db-2");
        assert_eq!(claims[0].labels()["app"], "db");
        assert!(claims[0].metadata.owner_references.is_none());
    }
}
