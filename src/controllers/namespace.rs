//! The namespace controller: a namespace being deleted is emptied of every
//! namespaced resource the server serves (found through discovery, so
//! custom resources too), then released by removing the `kubernetes`
//! finalizer through the `finalize` subresource — upstream's flow, with
//! its status conditions so `kubectl describe ns` explains a namespace
//! stuck in `Terminating`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;

/// The finalizer a namespace is held by until its contents are gone.
const FINALIZER: &str = "kubernetes";
/// How soon to look again while content remains (pods finishing their
/// grace period, objects waiting on finalizers).
const RECHECK: Duration = Duration::from_secs(2);

/// Runs until the watch ends.
pub async fn run(client: Client) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    Controller::new(namespaces, watcher::Config::default())
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "namespace: will retry");
                Action::requeue(RETRY)
            },
            Arc::new(client),
        )
        .for_each(|_| async {})
        .await;
}

/// What is left in a namespace after a deletion round.
#[derive(Default)]
struct Remaining {
    /// `resource.group` → how many objects.
    objects: BTreeMap<String, usize>,
    /// finalizer → in how many objects.
    finalizers: BTreeMap<String, usize>,
    /// Deletions that failed: their messages.
    failures: Vec<String>,
}

async fn reconcile(namespace: Arc<Namespace>, client: Arc<Client>) -> Result<Action, kube::Error> {
    if namespace.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let held = namespace
        .spec
        .as_ref()
        .and_then(|s| s.finalizers.as_ref())
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
    if !held {
        return Ok(Action::await_change());
    }
    let name = namespace.name_any();
    let client = (*client).clone();
    let discovery = match Discovery::new(client.clone()).run().await {
        Ok(discovery) => discovery,
        Err(error) => {
            set_conditions(
                &client,
                &namespace,
                Some(&error.to_string()),
                &Remaining::default(),
            )
            .await?;
            return Err(error);
        }
    };
    let mut remaining = Remaining::default();
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            if capabilities.scope != Scope::Namespaced
                || !capabilities.supports_operation(verbs::LIST)
            {
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &name, &resource);
            if capabilities.supports_operation(verbs::DELETE_COLLECTION) {
                let options = DeleteParams::background();
                if let Err(error) = api
                    .delete_collection(&options, &ListParams::default())
                    .await
                {
                    remaining.failures.push(error.to_string());
                }
            }
            let left = match api.list(&ListParams::default()).await {
                Ok(list) => list.items,
                Err(error) => {
                    remaining.failures.push(error.to_string());
                    continue;
                }
            };
            if left.is_empty() {
                continue;
            }
            let key = format!("{}.{}", resource.plural, resource.group);
            remaining.objects.insert(key, left.len());
            for object in &left {
                for finalizer in object.finalizers() {
                    *remaining.finalizers.entry(finalizer.clone()).or_default() += 1;
                }
            }
        }
    }
    set_conditions(&client, &namespace, None, &remaining).await?;
    if !remaining.objects.is_empty() || !remaining.failures.is_empty() {
        return Ok(Action::requeue(RECHECK));
    }
    // Empty: release the namespace. The finalize subresource changes only
    // spec.finalizers; with none left the API server removes it.
    let namespaces: Api<Namespace> = Api::all(client);
    let mut released = namespaces.get(&name).await?;
    if let Some(finalizers) = released.spec.as_mut().and_then(|s| s.finalizers.as_mut()) {
        finalizers.retain(|f| f != FINALIZER);
    }
    match namespaces
        .replace_subresource("finalize", &name, &PostParams::default(), &released)
        .await
    {
        Ok(_) => tracing::info!(namespace = %name, "namespace emptied and released"),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
        Err(error) => return Err(error),
    }
    Ok(Action::await_change())
}

fn condition(kind: &str, status: bool, reason: &str, message: String) -> NamespaceCondition {
    NamespaceCondition {
        type_: kind.into(),
        status: if status { "True" } else { "False" }.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_transition_time: Some(Time(jiff::Timestamp::now())),
    }
}

/// Upstream's deletion conditions for what this round found.
fn conditions(discovery_error: Option<&str>, remaining: &Remaining) -> Vec<NamespaceCondition> {
    let listed = |counts: &BTreeMap<String, usize>, unit: &str| {
        counts
            .iter()
            .map(|(what, n)| format!("{what} has {n} {unit}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        match discovery_error {
            Some(error) => condition(
                "NamespaceDeletionDiscoveryFailure",
                true,
                "DiscoveryFailed",
                format!("Discovery failed for some groups: {error}"),
            ),
            None => condition(
                "NamespaceDeletionDiscoveryFailure",
                false,
                "ResourcesDiscovered",
                "All resources successfully discovered".into(),
            ),
        },
        condition(
            "NamespaceDeletionGroupVersionParsingFailure",
            false,
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".into(),
        ),
        if remaining.failures.is_empty() {
            condition(
                "NamespaceDeletionContentFailure",
                false,
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".into(),
            )
        } else {
            condition(
                "NamespaceDeletionContentFailure",
                true,
                "ContentDeletionFailed",
                format!(
                    "Failed to delete all resource types, {} remaining: {}",
                    remaining.failures.len(),
                    remaining.failures.join(", ")
                ),
            )
        },
        if remaining.objects.is_empty() {
            condition(
                "NamespaceContentRemaining",
                false,
                "ContentRemoved",
                "All content successfully removed".into(),
            )
        } else {
            condition(
                "NamespaceContentRemaining",
                true,
                "SomeResourcesRemain",
                format!(
                    "Some resources are remaining: {}",
                    listed(&remaining.objects, "resource instances")
                ),
            )
        },
        if remaining.finalizers.is_empty() {
            condition(
                "NamespaceFinalizersRemaining",
                false,
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".into(),
            )
        } else {
            condition(
                "NamespaceFinalizersRemaining",
                true,
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    remaining
                        .finalizers
                        .iter()
                        .map(|(f, n)| format!("{f} in {n} resource instances"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        },
    ]
}

/// Writes the conditions if they changed (keeping each one's transition
/// time while its status holds).
async fn set_conditions(
    client: &Client,
    namespace: &Namespace,
    discovery_error: Option<&str>,
    remaining: &Remaining,
) -> Result<(), kube::Error> {
    let old = namespace
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let mut new = conditions(discovery_error, remaining);
    for condition in &mut new {
        if let Some(before) = old.iter().find(|c| c.type_ == condition.type_)
            && before.status == condition.status
        {
            condition.last_transition_time = before.last_transition_time.clone();
        }
    }
    let same = new.len() == old.len()
        && new.iter().all(|c| {
            old.iter().any(|o| {
                o.type_ == c.type_
                    && o.status == c.status
                    && o.reason == c.reason
                    && o.message == c.message
            })
        });
    if same {
        return Ok(());
    }
    let mut updated = namespace.clone();
    updated
        .status
        .get_or_insert_with(Default::default)
        .conditions = Some(new);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    match namespaces
        .replace_status(&namespace.name_any(), &PostParams::default(), &updated)
        .await
    {
        Ok(_) => Ok(()),
        // Changed meanwhile: the next round writes them.
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_say_what_remains_as_upstream() {
        let mut remaining = Remaining::default();
        remaining.objects.insert("pods.".into(), 2);
        remaining.finalizers.insert("example.com/hold".into(), 1);
        let found = conditions(None, &remaining);
        let content = found
            .iter()
            .find(|c| c.type_ == "NamespaceContentRemaining")
            .unwrap();
        assert_eq!(content.status, "True");
        assert_eq!(
            content.message.as_deref(),
            Some("Some resources are remaining: pods. has 2 resource instances")
        );
        let finalizers = found
            .iter()
            .find(|c| c.type_ == "NamespaceFinalizersRemaining")
            .unwrap();
        assert_eq!(
            finalizers.message.as_deref(),
            Some(
                "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
            )
        );
        let clean = conditions(None, &Remaining::default());
        assert!(clean.iter().all(|c| c.status == "False"));
        assert_eq!(clean.len(), 5);
    }
}
