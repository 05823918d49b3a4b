//! The resourcequota controller: every ResourceQuota's status says what its
//! namespace uses (`status.used`, one entry for each of `spec.hard`, zero
//! when nothing counts) against `status.hard`, the limits the API server's
//! quota admission enforces.
//!
//! Admission charges usage as objects are created; this controller counts
//! it again from what is stored, which gives back what deleted objects
//! used and corrects anything admission charged for a write that failed.
//! As upstream's, it recounts a namespace's quotas from the [`monitors`]'
//! caches when a quota's limits change and when an object goes away or
//! comes to use less — not when usage grows: admission has charged that
//! already, and a count from caches that lag the quota would take it
//! back. Everything is recounted every few minutes as well (upstream's
//! `--resource-quota-sync-period`), since a pod's usage also ends with
//! time (a deletion grace period running out).

pub mod monitors;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::ResourceQuota;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use self::monitors::{Change, Monitors, Readiness, Resource};
use crate::quota::{self, Quantity, Usage};

/// How often every quota is recounted.
const RESYNC: Duration = Duration::from_secs(5 * 60);
/// How soon a namespace whose count could not be finished is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How soon a quota naming resources not served is counted again (a CRD
/// may have come meanwhile).
const LOOK_AGAIN: Duration = Duration::from_secs(15);

fn quotas() -> Resource {
    (String::new(), "resourcequotas".to_owned())
}

/// Runs until aborted.
pub async fn run(client: Client) {
    let (changes, mut changed) = mpsc::unbounded_channel();
    let mut monitors = Monitors::new(client.clone(), changes.clone());
    let mut resync = tokio::time::interval(RESYNC);
    loop {
        let mut dirty = BTreeSet::new();
        let mut everything = false;
        tokio::select! {
            change = changed.recv() => match change {
                Some(change) => note(change, &mut dirty, &mut everything),
                None => return,
            },
            _ = resync.tick() => everything = true,
        }
        // Take whatever else has piled up: one count covers many events.
        while let Ok(change) = changed.try_recv() {
            note(change, &mut dirty, &mut everything);
        }
        if monitors.ensure(&quotas()).await != Readiness::Ready {
            continue;
        }
        if everything {
            dirty.extend(monitors.namespaces(&quotas()));
        }
        for namespace in dirty {
            if let Err(again) = sync_namespace(&client, &mut monitors, &namespace).await {
                let changes = changes.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(again).await;
                    let _ = changes.send(Change::Namespace(namespace));
                });
            }
        }
    }
}

fn note(change: Change, dirty: &mut BTreeSet<String>, everything: &mut bool) {
    match change {
        Change::Namespace(namespace) => {
            dirty.insert(namespace);
        }
        Change::All => *everything = true,
    }
}

/// Recounts every quota of `namespace`; on failure, how long to wait
/// before trying again.
async fn sync_namespace(
    client: &Client,
    monitors: &mut Monitors,
    namespace: &str,
) -> Result<(), Duration> {
    let mut found = Vec::new();
    monitors.for_each(&quotas(), namespace, |quota| found.push(quota.clone()));
    let mut outcome = Ok(());
    for quota in found {
        let count = count(monitors, &quota, namespace).await;
        if !count.complete {
            // A resource still listing: writing now would undercount.
            outcome = Err(RETRY);
            continue;
        }
        if let Err(again) = write_status(client, &quota, namespace, &count.used).await {
            outcome = Err(again);
        } else if count.unknown_resources {
            outcome = outcome.and(Err(LOOK_AGAIN));
        }
    }
    outcome
}

/// What a quota's objects use.
struct Count {
    /// For each resource the quota limits.
    used: Usage,
    /// Whether every resource involved was counted.
    complete: bool,
    /// Whether it names resources the API server does not serve (yet).
    unknown_resources: bool,
}

/// Counts what the objects `quota` covers use.
async fn count(monitors: &mut Monitors, quota: &Value, namespace: &str) -> Count {
    let hard = &quota["spec"]["hard"];
    let mut count = Count {
        used: quota::read_list(hard)
            .into_keys()
            .map(|name| (name, Quantity::default()))
            .collect(),
        complete: true,
        unknown_resources: false,
    };
    let resources: BTreeSet<Resource> = count
        .used
        .keys()
        .flat_map(|name| quota::resources_using(name))
        .collect();
    for resource in &resources {
        match monitors.ensure(resource).await {
            Readiness::Ready => {}
            Readiness::Listing => {
                count.complete = false;
                continue;
            }
            Readiness::Unknown => {
                count.unknown_resources = true;
                continue;
            }
        }
        let (group, plural) = resource;
        monitors.for_each(resource, namespace, |object| {
            if !quota::matches(quota, hard, group, plural, object) {
                return;
            }
            for (name, amount) in quota::usage(group, plural, object) {
                if let Some(total) = count.used.get_mut(&name) {
                    total.0 += amount.0;
                }
            }
        });
    }
    count
}

/// Writes `used` (and `spec.hard` as `status.hard`) unless the status says
/// so already.
async fn write_status(
    client: &Client,
    quota: &Value,
    namespace: &str,
    used: &Usage,
) -> Result<(), Duration> {
    let hard = &quota["spec"]["hard"];
    let status = &quota["status"];
    if status["hard"] == *hard && quota::read_list(&status["used"]) == *used {
        return Ok(());
    }
    let name = quota["metadata"]["name"].as_str().unwrap_or_default();
    let api: Api<ResourceQuota> = Api::namespaced(client.clone(), namespace);
    // The resourceVersion makes this conditional: admission may have
    // charged something since the cache saw the quota.
    let patch = json!({
        "metadata": {"resourceVersion": quota["metadata"]["resourceVersion"]},
        "status": {"hard": hard, "used": quota::write_list(used)},
    });
    match api
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        // Deleted meanwhile: nothing to say.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        // Changed meanwhile: the watch brings the new version; count again.
        Err(kube::Error::Api(status)) if status.code == 409 => Err(RETRY),
        Err(error) => {
            tracing::warn!(%error, namespace, name, "resourcequota: status not written");
            Err(RETRY)
        }
    }
}
