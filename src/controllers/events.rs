//! Events controllers record about the objects they act on (what `kubectl
//! describe` lists: `SuccessfulCreate`, `ScalingReplicaSet`, ...). Written
//! in the background, a bounded number at a time; an event that cannot be
//! written is dropped, as upstream's recorder drops them.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, PostParams};
use kube::{Client, Resource, ResourceExt};
use tokio::sync::Semaphore;

/// How many event writes may be in flight.
const CONCURRENT_WRITES: usize = 16;

#[derive(Clone)]
pub struct Recorder {
    client: Client,
    component: String,
    permits: Arc<Semaphore>,
}

impl Recorder {
    /// Events reported by `component` (`replicaset-controller`).
    pub fn new(client: Client, component: &str) -> Recorder {
        Recorder {
            client,
            component: component.to_owned(),
            permits: Arc::new(Semaphore::new(CONCURRENT_WRITES)),
        }
    }

    pub fn normal<K: Resource<DynamicType = ()>>(&self, about: &K, reason: &str, message: String) {
        self.record(about, "Normal", reason, message);
    }

    pub fn warning<K: Resource<DynamicType = ()>>(&self, about: &K, reason: &str, message: String) {
        self.record(about, "Warning", reason, message);
    }

    /// Records how creating a pod for `about` went, in the words of
    /// upstream's pod-creating controllers (`SuccessfulCreate`,
    /// `FailedCreate`).
    pub fn pod_created<K: Resource<DynamicType = ()>>(
        &self,
        about: &K,
        result: &Result<k8s_openapi::api::core::v1::Pod, kube::Error>,
    ) {
        match result {
            Ok(pod) => self.normal(
                about,
                "SuccessfulCreate",
                format!("Created pod: {}", pod.name_any()),
            ),
            Err(error) => self.warning(
                about,
                "FailedCreate",
                format!("Error creating: {}", message_of(error)),
            ),
        }
    }

    fn record<K: Resource<DynamicType = ()>>(
        &self,
        about: &K,
        kind: &str,
        reason: &str,
        message: String,
    ) {
        let namespace = about.namespace().unwrap_or_else(|| "default".into());
        let now = Time(jiff::Timestamp::now());
        let name = about.name_any();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!(
                    "{name}.{:x}",
                    jiff::Timestamp::now().as_nanosecond()
                )),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some(K::api_version(&()).into_owned()),
                kind: Some(K::kind(&()).into_owned()),
                name: Some(name),
                namespace: about.namespace(),
                uid: about.uid(),
                resource_version: about.resource_version(),
                field_path: None,
            },
            reason: Some(reason.to_owned()),
            message: Some(message),
            type_: Some(kind.to_owned()),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: None,
            }),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            count: Some(1),
            reporting_component: Some(self.component.clone()),
            ..Event::default()
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let permits = self.permits.clone();
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            if let Err(error) = events.create(&PostParams::default(), &event).await {
                tracing::debug!(%error, "event not recorded");
            }
        });
    }
}

/// What an API error says (its `Status` message), for an event.
pub fn message_of(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
