//! The serviceaccount controller: every namespace that is not being
//! deleted has a ServiceAccount named `default` (recreated if deleted), as
//! pods without `serviceAccountName` use it.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;

const DEFAULT: &str = "default";

/// Runs until the watches end.
pub async fn run(client: Client) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let accounts: Api<ServiceAccount> = Api::all(client.clone());
    Controller::new(namespaces, watcher::Config::default())
        .watches(
            accounts,
            watcher::Config::default().fields("metadata.name=default"),
            |account| account.namespace().map(|ns| ObjectRef::new(&ns)),
        )
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "serviceaccount: will retry");
                Action::requeue(RETRY)
            },
            Arc::new(client),
        )
        .for_each(|_| async {})
        .await;
}

async fn reconcile(namespace: Arc<Namespace>, client: Arc<Client>) -> Result<Action, kube::Error> {
    if namespace.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let name = namespace.name_any();
    let accounts: Api<ServiceAccount> = Api::namespaced((*client).clone(), &name);
    if accounts.get_opt(DEFAULT).await?.is_some() {
        return Ok(Action::await_change());
    }
    let account = ServiceAccount {
        metadata: ObjectMeta {
            name: Some(DEFAULT.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    match accounts.create(&PostParams::default(), &account).await {
        Ok(_) => tracing::info!(namespace = %name, "created the default service account"),
        // Created meanwhile, or the namespace started terminating.
        Err(kube::Error::Api(status)) if matches!(status.code, 403 | 409) => {}
        Err(error) => return Err(error),
    }
    Ok(Action::await_change())
}
