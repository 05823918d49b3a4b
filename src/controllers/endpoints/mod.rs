//! The endpoint and endpointslice controllers: a Service with a selector
//! has an `Endpoints` object of the same name and `EndpointSlices`
//! labelled `kubernetes.io/service-name`, listing the [`backends`] (its
//! pods with an IP: ready ones as addresses, others as not-ready ones)
//! and the ports they serve, in the shapes of [`objects`]. A Service
//! without a selector keeps whatever endpoints its user writes.
//!
//! Both run over one Service watch and one pod cache; a pod event
//! concerns the Services it matches now and those it matched before (so a
//! relabelled pod leaves its old Service).

pub mod backends;
pub mod objects;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::Value;

use super::RETRY;
use super::informer;
use super::pods;

/// Which of the two controllers run.
#[derive(Clone, Copy, Debug)]
pub struct Publish {
    pub endpoints: bool,
    pub slices: bool,
}

struct Context {
    client: Client,
    pods: Store<Pod>,
    publish: Publish,
}

/// Pod → the Services its last event mapped it to.
type LastMatched = Mutex<HashMap<(String, String), HashSet<String>>>;

/// Runs until the watches end.
pub async fn run(client: Client, publish: Publish) {
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let controller = Controller::new(
        Api::<Service>::all(client.clone()),
        watcher::Config::default(),
    );
    let services = controller.store();
    let matched: Arc<LastMatched> = Arc::default();
    if publish.endpoints {
        tokio::spawn(remove_with_services(client.clone()));
    }
    let context = Arc::new(Context {
        client,
        pods: pod_store,
        publish,
    });
    controller
        .watches_stream(pod_events, move |pod: Pod| {
            services_of(&pod, &services, &matched)
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "endpoints: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

/// Endpoints have no owner reference (they predate them): when a Service
/// with a selector goes, so does its Endpoints object.
async fn remove_with_services(client: Client) {
    watcher(
        Api::<Service>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .for_each(|event| {
        let client = client.clone();
        async move {
            let Ok(watcher::Event::Delete(service)) = event else {
                return;
            };
            let selected = service
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| !s.is_empty());
            if !selected {
                return;
            }
            let api: Api<Endpoints> =
                Api::namespaced(client, &service.namespace().unwrap_or_default());
            if let Err(error) = api
                .delete(&service.name_any(), &DeleteParams::default())
                .await
                && !conflict_or_gone(&error)
            {
                tracing::warn!(%error, "endpoints of a deleted service not removed");
            }
        }
    })
    .await;
}

fn services_of(
    pod: &Pod,
    services: &Store<Service>,
    matched: &LastMatched,
) -> Vec<ObjectRef<Service>> {
    let namespace = pod.namespace().unwrap_or_default();
    let labels = pods::labels(&pod.metadata);
    let now: HashSet<String> = services
        .state()
        .iter()
        .filter(|s| s.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|s| {
            s.spec
                .as_ref()
                .and_then(|spec| spec.selector.as_ref())
                .is_some_and(|sel| {
                    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
        })
        .map(|s| s.name_any())
        .collect();
    let key = (namespace.clone(), pod.name_any());
    let mut matched = matched.lock().expect("endpoints: matched");
    let before = if now.is_empty() {
        matched.remove(&key).unwrap_or_default()
    } else {
        matched.insert(key, now.clone()).unwrap_or_default()
    };
    now.union(&before)
        .map(|name| ObjectRef::new(name).within(&namespace))
        .collect()
}

async fn reconcile(service: Arc<Service>, context: Arc<Context>) -> Result<Action, kube::Error> {
    let namespace = service.namespace().unwrap_or_default();
    let candidates: Vec<Arc<Pod>> = context
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
        .collect();
    let Some(backends) = backends::of(&service, &candidates) else {
        return Ok(Action::await_change());
    };
    if service.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    if context.publish.endpoints {
        write_endpoints(&context.client, &service, &backends).await?;
    }
    if context.publish.slices {
        write_slices(&context.client, &service, &backends).await?;
    }
    Ok(Action::await_change())
}

fn conflict_or_gone(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if matches!(status.code, 404 | 409))
}

async fn write_endpoints(
    client: &Client,
    service: &Service,
    backends: &[backends::Backend],
) -> Result<(), kube::Error> {
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<Endpoints> = Api::namespaced(client.clone(), &namespace);
    let wanted = objects::endpoints(service, backends);
    let result = match api.get_opt(&service.name_any()).await? {
        None => {
            let endpoints: Endpoints =
                serde_json::from_value(wanted).map_err(kube::Error::SerdeError)?;
            api.create(&PostParams::default(), &endpoints)
                .await
                .map(drop)
        }
        Some(existing) => {
            let current = serde_json::to_value(&existing).map_err(kube::Error::SerdeError)?;
            let same = current.get("subsets").unwrap_or(&Value::Array(Vec::new()))
                == wanted.get("subsets").unwrap_or(&Value::Array(Vec::new()))
                && current["metadata"]["labels"] == wanted["metadata"]["labels"];
            if same {
                return Ok(());
            }
            let mut replacement: Endpoints =
                serde_json::from_value(wanted).map_err(kube::Error::SerdeError)?;
            replacement.metadata.resource_version = existing.resource_version();
            replacement.metadata.annotations = existing.metadata.annotations.clone();
            api.replace(&service.name_any(), &PostParams::default(), &replacement)
                .await
                .map(drop)
        }
    };
    match result {
        // Changed or created meanwhile: the next event brings us back.
        Err(error) if conflict_or_gone(&error) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 403 => Ok(()),
        other => other,
    }
}

async fn write_slices(
    client: &Client,
    service: &Service,
    backends: &[backends::Backend],
) -> Result<(), kube::Error> {
    let namespace = service.namespace().unwrap_or_default();
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), &namespace);
    let selector = format!(
        "{}={},{}={}",
        objects::SERVICE_NAME_LABEL,
        service.name_any(),
        objects::MANAGED_BY_LABEL,
        objects::MANAGED_BY
    );
    let existing = api
        .list(&ListParams::default().labels(&selector))
        .await?
        .items;
    let wanted = objects::slices(service, backends);
    let mut unused: Vec<&EndpointSlice> = existing.iter().collect();
    for content in &wanted {
        let as_value = |slice: &EndpointSlice| serde_json::to_value(slice).unwrap_or_default();
        // Already right: keep it.
        if let Some(position) = unused
            .iter()
            .position(|s| objects::slice_matches(service, &as_value(s), content))
        {
            unused.remove(position);
            continue;
        }
        let mut object = objects::slice(service, content);
        // Reuse a slice of the same family rather than churn names.
        let reused = unused
            .iter()
            .position(|s| as_value(s)["addressType"] == object["addressType"]);
        let result = match reused {
            Some(position) => {
                let old = unused.remove(position);
                object["metadata"]["name"] = Value::String(old.name_any());
                object["metadata"]["resourceVersion"] = serde_json::json!(old.resource_version());
                let slice: EndpointSlice =
                    serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
                api.replace(&old.name_any(), &PostParams::default(), &slice)
                    .await
                    .map(drop)
            }
            None => {
                let slice: EndpointSlice =
                    serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
                api.create(&PostParams::default(), &slice).await.map(drop)
            }
        };
        match result {
            Err(error) if conflict_or_gone(&error) => {}
            Err(kube::Error::Api(status)) if status.code == 403 => {}
            other => other?,
        }
    }
    for surplus in unused {
        match api
            .delete(&surplus.name_any(), &DeleteParams::default())
            .await
        {
            Err(error) if conflict_or_gone(&error) => {}
            other => drop(other?),
        }
    }
    Ok(())
}
