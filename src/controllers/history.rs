//! ControllerRevisions: the template history of DaemonSets and
//! StatefulSets, as upstream keeps it. Each distinct template is one
//! revision, named `<owner>-<hash>`, holding the patch that restores it
//! (`{"spec":{"template":{…,"$patch":"replace"}}}`, what `kubectl rollout
//! undo` applies) and a number; making an old template current again
//! renumbers its revision rather than copying it. Revisions beyond
//! `revisionHistoryLimit` that no pod runs are deleted, oldest first.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};
use serde_json::{Value, json};

use super::pods::{self, controller_reference};

/// The pod label naming the revision a pod was made from.
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";

/// The characters upstream renders names with (no vowels, no look-alikes).
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// An FNV-1a hash of `bytes` (and of `collisions`, after name clashes),
/// rendered in the safe alphabet: what names revisions and pod templates.
pub fn safe_hash(bytes: &[u8], collisions: i32) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(bytes);
    if collisions > 0 {
        feed(&(collisions as u32).to_le_bytes());
    }
    hash.to_string()
        .bytes()
        .map(|digit| SAFE_ALPHABET[usize::from(digit) % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// The revision data for `template`: a patch replacing the owner's.
pub fn data_of(template: &PodTemplateSpec) -> Value {
    let mut template = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(object) = template.as_object_mut() {
        object.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": template}})
}

/// The hash naming the revision of `data`.
pub fn hash_of(data: &Value, collisions: i32) -> String {
    safe_hash(data.to_string().as_bytes(), collisions)
}

/// The revisions `owner_uid` controls, in `namespace`, oldest first.
pub fn owned(
    store: &Store<ControllerRevision>,
    namespace: &str,
    owner_uid: &str,
) -> Vec<Arc<ControllerRevision>> {
    let mut revisions: Vec<Arc<ControllerRevision>> = store
        .state()
        .into_iter()
        .filter(|r| r.namespace().as_deref() == Some(namespace))
        .filter(|r| pods::controller_of(&r.metadata).is_some_and(|o| o.uid == owner_uid))
        .collect();
    revisions.sort_by_key(|r| (r.revision, r.name_any()));
    revisions
}

/// The current revision of `owner`'s `template`, created (or an old one
/// renumbered) when it has none; `collisions` counts name clashes with
/// revisions of other templates, as the owner's `status.collisionCount`.
pub async fn current<K>(
    client: &Client,
    owner: &K,
    template: &PodTemplateSpec,
    revisions: &[Arc<ControllerRevision>],
    collisions: &mut i32,
) -> Result<ControllerRevision, kube::Error>
where
    K: Resource<DynamicType = ()>,
{
    let namespace = owner.namespace().unwrap_or_default();
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), &namespace);
    let data = data_of(template);
    let latest = revisions.iter().map(|r| r.revision).max().unwrap_or(0);
    let same = |r: &ControllerRevision| r.data.as_ref().map(|d| &d.0) == Some(&data);
    if let Some(existing) = revisions.iter().rev().find(|r| same(r)) {
        if existing.revision == latest {
            return Ok(existing.as_ref().clone());
        }
        let patch = json!({"revision": latest + 1});
        return api
            .patch(
                &existing.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await;
    }
    loop {
        let hash = hash_of(&data, *collisions);
        let mut labels: BTreeMap<String, String> = template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        labels.insert(REVISION_HASH_LABEL.into(), hash.clone());
        let revision = ControllerRevision {
            metadata: ObjectMeta {
                name: Some(format!("{}-{hash}", owner.name_any())),
                namespace: Some(namespace.clone()),
                labels: Some(labels),
                owner_references: Some(vec![controller_reference(owner)]),
                ..ObjectMeta::default()
            },
            data: Some(RawExtension(data.clone())),
            revision: latest + 1,
        };
        match api.create(&PostParams::default(), &revision).await {
            Ok(created) => return Ok(created),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                // Ours already (a cache behind), or another template's.
                let found = api.get(&revision.name_any()).await?;
                let mine = pods::controller_of(&found.metadata)
                    .is_some_and(|o| Some(&o.uid) == owner.meta().uid.as_ref());
                if mine && same(&found) {
                    return Ok(found);
                }
                *collisions += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Deletes the oldest revisions beyond `limit` that none of `pods` runs
/// (by `controller-revision-hash`: a revision's hash or, for
/// StatefulSets, its name), never those in `keep`.
pub async fn truncate<'a>(
    client: &Client,
    revisions: &[Arc<ControllerRevision>],
    keep: &[&str],
    pods: impl IntoIterator<Item = &'a Pod>,
    limit: i32,
) {
    let in_use: HashSet<&str> = pods
        .into_iter()
        .filter_map(|p| p.labels().get(REVISION_HASH_LABEL).map(String::as_str))
        .collect();
    let unused: Vec<&Arc<ControllerRevision>> = revisions
        .iter()
        .filter(|r| !keep.contains(&r.name_any().as_str()))
        .filter(|r| {
            !r.labels()
                .get(REVISION_HASH_LABEL)
                .is_some_and(|h| in_use.contains(h.as_str()))
                && !in_use.contains(r.name_any().as_str())
        })
        .collect();
    let surplus = unused.len().saturating_sub(limit.max(0) as usize);
    for revision in unused.into_iter().take(surplus) {
        let api: Api<ControllerRevision> =
            Api::namespaced(client.clone(), &revision.namespace().unwrap_or_default());
        if let Err(error) = api
            .delete(&revision.name_any(), &DeleteParams::default())
            .await
        {
            tracing::debug!(%error, "revision history: not truncated");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_data_replaces_the_template_and_hashes_stably() {
        let template: PodTemplateSpec = serde_json::from_value(json!({
            "metadata": {"labels": {"app": "agent"}},
            "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}
        }))
        .unwrap();
        let data = data_of(&template);
        assert_eq!(data["spec"]["template"]["$patch"], "replace");
        assert_eq!(
            data["spec"]["template"]["spec"]["containers"][0]["image"],
            "agent:1"
        );
        let hash = hash_of(&data, 0);
        assert_eq!(hash, hash_of(&data_of(&template), 0));
        assert_ne!(hash, hash_of(&data, 1));
        assert!(hash.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
    }
}
