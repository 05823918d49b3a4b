//! The root-CA publisher: every namespace has a ConfigMap
//! `kube-root-ca.crt` whose `ca.crt` is the cluster CA bundle, so that pods
//! can verify the API server (projected service-account volumes mount it).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;

const NAME: &str = "kube-root-ca.crt";
const KEY: &str = "ca.crt";
/// The annotation upstream's publisher sets on the ConfigMap.
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

struct Context {
    client: Client,
    bundle: String,
}

/// Runs until the watches end.
pub async fn run(client: Client, bundle: String) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let maps: Api<ConfigMap> = Api::all(client.clone());
    let context = Arc::new(Context { client, bundle });
    Controller::new(namespaces, watcher::Config::default())
        .watches(
            maps,
            watcher::Config::default().fields(&format!("metadata.name={NAME}")),
            |map| map.namespace().map(|ns| ObjectRef::new(&ns)),
        )
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "root-ca-cert-publisher: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

async fn reconcile(
    namespace: Arc<Namespace>,
    context: Arc<Context>,
) -> Result<Action, kube::Error> {
    if namespace.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let maps: Api<ConfigMap> = Api::namespaced(context.client.clone(), &namespace.name_any());
    let data = BTreeMap::from([(KEY.to_owned(), context.bundle.clone())]);
    let result = match maps.get_opt(NAME).await? {
        Some(existing) if existing.data.as_ref() == Some(&data) => {
            return Ok(Action::await_change());
        }
        Some(mut existing) => {
            existing.data = Some(data);
            maps.replace(NAME, &PostParams::default(), &existing).await
        }
        None => {
            let map = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(NAME.into()),
                    annotations: Some(BTreeMap::from([(
                        "kubernetes.io/description".to_owned(),
                        DESCRIPTION.to_owned(),
                    )])),
                    ..Default::default()
                },
                data: Some(data),
                ..Default::default()
            };
            maps.create(&PostParams::default(), &map).await
        }
    };
    match result {
        Ok(_) => {}
        // Changed meanwhile (the next event brings us back), or the
        // namespace started terminating.
        Err(kube::Error::Api(status)) if matches!(status.code, 403 | 409) => {}
        Err(error) => return Err(error),
    }
    Ok(Action::await_change())
}
