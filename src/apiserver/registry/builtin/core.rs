//! The core (legacy) group, `/api/v1`.

use k8s_openapi::api::core::v1 as core;

use super::{PROXY_VERBS, core_kind, gvk, resource};
use crate::apiserver::registry::resource::{ResourceDescriptor, Verb};

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        // `POST /api/v1/namespaces/<ns>/bindings`: the old way to bind a pod;
        // it writes the pod, so it keeps nothing of its own.
        resource::<core::Binding>()
            .verbs(&[Verb::Create])
            .not_stored()
            .build(),
        // Computed on every read from health probes; deprecated upstream but
        // still served.
        resource::<core::ComponentStatus>()
            .short_names(&["cs"])
            .verbs(&[Verb::Get, Verb::List])
            .not_stored()
            .build(),
        resource::<core::ConfigMap>().short_names(&["cm"]).build(),
        resource::<core::Endpoints>()
            .short_names(&["ep"])
            .stored_at("services/endpoints")
            .build(),
        resource::<core::Event>().short_names(&["ev"]).build(),
        resource::<core::LimitRange>()
            .short_names(&["limits"])
            .build(),
        // Namespaces are deleted one by one through their finalizers, so
        // there is no deletecollection.
        resource::<core::Namespace>()
            .short_names(&["ns"])
            .verbs(&[
                Verb::Create,
                Verb::Delete,
                Verb::Get,
                Verb::List,
                Verb::Patch,
                Verb::Update,
                Verb::Watch,
            ])
            .status()
            .subresource("finalize", gvk::<core::Namespace>(), &[Verb::Update])
            .build(),
        resource::<core::Node>()
            .short_names(&["no"])
            .stored_at("minions")
            .status()
            .subresource("proxy", core_kind("NodeProxyOptions"), PROXY_VERBS)
            .build(),
        resource::<core::PersistentVolumeClaim>()
            .short_names(&["pvc"])
            .status()
            .build(),
        resource::<core::PersistentVolume>()
            .short_names(&["pv"])
            .status()
            .build(),
        resource::<core::Pod>()
            .short_names(&["po"])
            .categories(&["all"])
            .status()
            .subresource(
                "attach",
                core_kind("PodAttachOptions"),
                &[Verb::Create, Verb::Get],
            )
            .subresource("binding", gvk::<core::Binding>(), &[Verb::Create])
            .own_kind_subresource("ephemeralcontainers")
            .subresource(
                "eviction",
                gvk::<k8s_openapi::api::policy::v1::Eviction>(),
                &[Verb::Create],
            )
            .subresource(
                "exec",
                core_kind("PodExecOptions"),
                &[Verb::Create, Verb::Get],
            )
            .subresource("log", gvk::<core::Pod>(), &[Verb::Get])
            .subresource(
                "portforward",
                core_kind("PodPortForwardOptions"),
                &[Verb::Create, Verb::Get],
            )
            .subresource("proxy", core_kind("PodProxyOptions"), PROXY_VERBS)
            // InPlacePodVerticalScaling: beta and on by default in 1.33.
            .own_kind_subresource("resize")
            .build(),
        resource::<core::PodTemplate>().build(),
        resource::<core::ReplicationController>()
            .short_names(&["rc"])
            .categories(&["all"])
            .stored_at("controllers")
            .status()
            .scale()
            .build(),
        resource::<core::ResourceQuota>()
            .short_names(&["quota"])
            .status()
            .build(),
        resource::<core::Secret>().build(),
        resource::<core::ServiceAccount>()
            .short_names(&["sa"])
            .subresource(
                "token",
                gvk::<k8s_openapi::api::authentication::v1::TokenRequest>(),
                &[Verb::Create],
            )
            .build(),
        resource::<core::Service>()
            .short_names(&["svc"])
            .categories(&["all"])
            .stored_at("services/specs")
            .status()
            .subresource("proxy", core_kind("ServiceProxyOptions"), PROXY_VERBS)
            .build(),
    ]
}
