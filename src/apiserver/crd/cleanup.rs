//! Deleting a CRD deletes its custom resources first, as upstream's CRD
//! finalizer does: the CRD says `Terminating: InstanceDeletionInProgress`,
//! every object is deleted (objects with finalizers of their own are waited
//! for), then it says `InstanceDeletionCompleted` and gives up the
//! `customresourcecleanup.apiextensions.k8s.io` finalizer, which lets the
//! CRD go.

use std::time::Duration;

use serde_json::{Value, json};

use super::definition::{CLEANUP_FINALIZER, Definition};
use super::names;
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::store::{DeleteOptions, Part, ResourceStore, WriteOptions};
use crate::apiserver::request::query::ReadOptions;
use crate::apiserver::status::ApiError;

/// Longest pause between checks for objects still being deleted.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// Runs the cleanup of `crd` to the end (or until the CRD is gone).
pub async fn run(crds: &ResourceStore, registry: &Registry, crd: &Value, definition: &Definition) {
    let name = definition.name.as_str();
    let result = if definition.established {
        remove_instances(crds, registry, name, definition).await
    } else {
        set_terminating(
            crds,
            name,
            "False",
            "NeverEstablished",
            "resource was never established",
        )
        .await
    };
    if let Err(e) = result {
        tracing::warn!(crd = %name, error = %e.message, "custom resource cleanup failed");
        let _ = set_terminating(
            crds,
            name,
            "True",
            "InstanceDeletionFailed",
            &format!("could not issue all deletes: {}", e.message),
        )
        .await;
        return;
    }
    let uid = crd.uid().unwrap_or_default().to_owned();
    let released = crds
        .guaranteed_update(
            None,
            name,
            Part::Main,
            &WriteOptions::default(),
            |current| {
                if current.uid() != Some(uid.as_str()) {
                    return Err(ApiError::conflict(
                        "apiextensions.k8s.io",
                        "customresourcedefinitions",
                        name,
                        "the CustomResourceDefinition was replaced",
                    ));
                }
                let mut new = current.clone();
                let finalizers: Vec<String> = current
                    .finalizers()
                    .into_iter()
                    .filter(|f| f != CLEANUP_FINALIZER)
                    .collect();
                new.set_meta("finalizers", json!(finalizers));
                Ok(new)
            },
        )
        .await;
    if let Err(e) = released
        && e.reason != "NotFound"
    {
        tracing::warn!(crd = %name, error = %e.message, "CRD finalizer not removed");
    }
}

async fn remove_instances(
    crds: &ResourceStore,
    registry: &Registry,
    name: &str,
    definition: &Definition,
) -> Result<(), ApiError> {
    set_terminating(
        crds,
        name,
        "True",
        "InstanceDeletionInProgress",
        "CustomResource deletion is in progress",
    )
    .await?;
    let plural = if definition.accepted_names.plural.is_empty() {
        &definition.names.plural
    } else {
        &definition.accepted_names.plural
    };
    let store = definition
        .versions
        .iter()
        .filter(|v| v.served)
        .find_map(|v| registry.get(&definition.group, &v.name, plural));
    if let Some(store) = store {
        let mut wait = Duration::from_millis(20);
        loop {
            let filter = Filter::everything(store.strategy.clone(), None);
            let left = store.list(None, &ReadOptions::default(), &filter).await?;
            if left.items.is_empty() {
                break;
            }
            let options =
                DeleteOptions::from_request(&[], &Default::default(), WriteOptions::default())?;
            for item in &left.items {
                if item.object.deletion_timestamp().is_some() {
                    continue;
                }
                let object_name = item.object.name().unwrap_or_default();
                match store
                    .delete(item.object.namespace(), object_name, &options)
                    .await
                {
                    Ok(_) => {}
                    Err(e) if e.reason == "NotFound" => {}
                    Err(e) => return Err(e),
                }
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_WAIT);
        }
    }
    set_terminating(
        crds,
        name,
        "False",
        "InstanceDeletionCompleted",
        "removed all instances",
    )
    .await
}

/// Sets the CRD's `Terminating` condition.
async fn set_terminating(
    crds: &ResourceStore,
    name: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> Result<(), ApiError> {
    crds.guaranteed_update(
        None,
        name,
        Part::Status,
        &WriteOptions::default(),
        |current| {
            let mut new = current.clone();
            let mut conditions: Vec<Value> = current
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            names::set_condition(
                &mut conditions,
                names::condition("Terminating", status, reason, message, &now_rfc3339()),
            );
            if !new.get("status").is_some_and(Value::is_object) {
                new["status"] = json!({});
            }
            new["status"]["conditions"] = json!(conditions);
            Ok(new)
        },
    )
    .await
    .map(|_| ())
}
