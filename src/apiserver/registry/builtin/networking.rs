//! Networking groups: networking.k8s.io/v1 and discovery.k8s.io/v1.

use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::networking::{v1 as networking, v1beta1 as networking_beta};

use super::resource;
use crate::apiserver::registry::resource::ResourceDescriptor;

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        resource::<networking::IngressClass>().build(),
        resource::<networking::Ingress>()
            .short_names(&["ing"])
            .stored_at("ingress")
            .status()
            .build(),
        // GA in 1.33, so still stored as v1beta1: a 1.32 apiserver sharing
        // (or rolled back onto) the store must be able to read the objects.
        resource::<networking::IPAddress>()
            .short_names(&["ip"])
            .stored_as::<networking_beta::IPAddress>()
            .build(),
        resource::<networking::NetworkPolicy>()
            .short_names(&["netpol"])
            .build(),
        resource::<networking::ServiceCIDR>()
            .status()
            .stored_as::<networking_beta::ServiceCIDR>()
            .build(),
        resource::<discovery::EndpointSlice>().build(),
    ]
}
