//! Who may do what: authentication.k8s.io/v1, authorization.k8s.io/v1,
//! rbac.authorization.k8s.io/v1, certificates.k8s.io/v1.

use k8s_openapi::api::{
    authentication::v1 as authn, authorization::v1 as authz, certificates::v1 as certificates,
    rbac::v1 as rbac,
};

use super::resource;
use crate::apiserver::registry::resource::ResourceDescriptor;

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        resource::<authn::SelfSubjectReview>().review().build(),
        resource::<authn::TokenReview>().review().build(),
        resource::<authz::LocalSubjectAccessReview>()
            .review()
            .build(),
        resource::<authz::SelfSubjectAccessReview>()
            .review()
            .build(),
        resource::<authz::SelfSubjectRulesReview>().review().build(),
        resource::<authz::SubjectAccessReview>().review().build(),
        resource::<rbac::ClusterRoleBinding>().build(),
        resource::<rbac::ClusterRole>().build(),
        resource::<rbac::RoleBinding>().build(),
        resource::<rbac::Role>().build(),
        resource::<certificates::CertificateSigningRequest>()
            .short_names(&["csr"])
            .own_kind_subresource("approval")
            .status()
            .build(),
    ]
}
