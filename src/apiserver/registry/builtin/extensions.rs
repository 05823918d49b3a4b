//! How the API itself is extended: admissionregistration.k8s.io/v1,
//! apiextensions.k8s.io/v1, apiregistration.k8s.io/v1. Every resource here
//! is in the `api-extensions` category.

use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apiregistration;

use super::resource;
use crate::apiserver::registry::resource::ResourceDescriptor;

const API_EXTENSIONS: &[&str] = &["api-extensions"];

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        resource::<admission::MutatingWebhookConfiguration>()
            .categories(API_EXTENSIONS)
            .build(),
        resource::<admission::ValidatingAdmissionPolicy>()
            .categories(API_EXTENSIONS)
            .status()
            .build(),
        resource::<admission::ValidatingAdmissionPolicyBinding>()
            .categories(API_EXTENSIONS)
            .build(),
        resource::<admission::ValidatingWebhookConfiguration>()
            .categories(API_EXTENSIONS)
            .build(),
        // Served upstream by apiextensions-apiserver and kube-aggregator,
        // whose storage keys carry the group.
        resource::<apiextensions::CustomResourceDefinition>()
            .short_names(&["crd", "crds"])
            .categories(API_EXTENSIONS)
            .stored_at("apiextensions.k8s.io/customresourcedefinitions")
            .status()
            .build(),
        resource::<apiregistration::APIService>()
            .categories(API_EXTENSIONS)
            .stored_at("apiregistration.k8s.io/apiservices")
            .status()
            .build(),
    ]
}
