//! How many pods a PodDisruptionBudget expects and how many must stay
//! healthy, as upstream's `getExpectedPodCount`: `minAvailable` as a
//! count compares with the pods there are; a percentage or
//! `maxUnavailable` is taken of the replicas the pods' controllers want
//! (a Deployment's for its ReplicaSets' pods).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::Api;
use kube::{Client, ResourceExt};

use crate::controllers::int_or_percent::scaled;
use crate::controllers::pods;

/// The expected pod count and the healthy pods it needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Expectation {
    pub expected: i32,
    pub desired_healthy: i32,
}

/// Why the replicas behind a budget's pods could not be found (the
/// budget then allows no disruption).
#[derive(Debug)]
pub enum NotFound {
    /// A pod without a controller (`NoControllerRef`).
    NoControllerRef(String),
    /// A controller of a kind without a known scale (`NoControllers`).
    NoControllers(String),
    Api(kube::Error),
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFound::NoControllerRef(pod) => write!(f, "found no controller ref for pod {pod:?}"),
            NotFound::NoControllers(pod) => write!(f, "found no controllers for pod {pod:?}"),
            NotFound::Api(error) => write!(f, "{error}"),
        }
    }
}

pub async fn expectation(
    client: &Client,
    spec: &PodDisruptionBudgetSpec,
    pods: &[Arc<Pod>],
) -> Result<Expectation, NotFound> {
    if let Some(max_unavailable) = &spec.max_unavailable {
        let expected = scale_of(client, pods).await?;
        let unavailable = scaled(max_unavailable, expected, true);
        return Ok(Expectation {
            expected,
            desired_healthy: (expected - unavailable).max(0),
        });
    }
    match &spec.min_available {
        Some(IntOrString::Int(count)) => Ok(Expectation {
            expected: pods.len() as i32,
            desired_healthy: *count,
        }),
        Some(percent) => {
            let expected = scale_of(client, pods).await?;
            Ok(Expectation {
                expected,
                desired_healthy: scaled(percent, expected, true),
            })
        }
        None => Ok(Expectation {
            expected: 0,
            desired_healthy: 0,
        }),
    }
}

/// The replicas the pods' controllers want, each controller once.
async fn scale_of(client: &Client, pods: &[Arc<Pod>]) -> Result<i32, NotFound> {
    let mut controllers: BTreeMap<String, i32> = BTreeMap::new();
    for pod in pods {
        let namespace = pod.namespace().unwrap_or_default();
        let Some(owner) = pods::controller_of(&pod.metadata) else {
            return Err(NotFound::NoControllerRef(pod.name_any()));
        };
        if controllers.contains_key(&owner.uid) {
            continue;
        }
        let (uid, replicas) = match (owner.api_version.as_str(), owner.kind.as_str()) {
            ("apps/v1", "ReplicaSet") => {
                let set = get::<ReplicaSet>(client, &namespace, &owner.name).await?;
                // A Deployment's ReplicaSets share the Deployment's scale.
                match pods::controller_of(&set.metadata).filter(|o| o.kind == "Deployment") {
                    Some(deployment) => {
                        let deployment =
                            get::<Deployment>(client, &namespace, &deployment.name).await?;
                        let replicas = deployment.spec.as_ref().and_then(|s| s.replicas);
                        (deployment.uid().unwrap_or_default(), replicas.unwrap_or(1))
                    }
                    None => (
                        owner.uid.clone(),
                        set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
                    ),
                }
            }
            ("v1", "ReplicationController") => {
                let rc = get::<ReplicationController>(client, &namespace, &owner.name).await?;
                let replicas = rc.spec.as_ref().and_then(|s| s.replicas);
                (owner.uid.clone(), replicas.unwrap_or(1))
            }
            ("apps/v1", "StatefulSet") => {
                let set = get::<StatefulSet>(client, &namespace, &owner.name).await?;
                let replicas = set.spec.as_ref().and_then(|s| s.replicas);
                (owner.uid.clone(), replicas.unwrap_or(1))
            }
            _ => return Err(NotFound::NoControllers(pod.name_any())),
        };
        controllers.insert(owner.uid.clone(), 0);
        controllers.insert(uid, replicas);
    }
    Ok(controllers.values().sum())
}

async fn get<K>(client: &Client, namespace: &str, name: &str) -> Result<K, NotFound>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
{
    Api::<K>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(NotFound::Api)
}
