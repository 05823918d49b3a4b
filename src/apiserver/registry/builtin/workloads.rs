//! Workload groups: apps/v1, batch/v1, autoscaling/v1 and v2, policy/v1.

use k8s_openapi::api::{apps::v1 as apps, autoscaling, batch::v1 as batch, policy::v1 as policy};

use super::resource;
use crate::apiserver::registry::resource::ResourceDescriptor;

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        resource::<apps::ControllerRevision>().build(),
        resource::<apps::DaemonSet>()
            .short_names(&["ds"])
            .categories(&["all"])
            .status()
            .build(),
        resource::<apps::Deployment>()
            .short_names(&["deploy"])
            .categories(&["all"])
            .status()
            .scale()
            .build(),
        resource::<apps::ReplicaSet>()
            .short_names(&["rs"])
            .categories(&["all"])
            .status()
            .scale()
            .build(),
        resource::<apps::StatefulSet>()
            .short_names(&["sts"])
            .categories(&["all"])
            .status()
            .scale()
            .build(),
        resource::<batch::CronJob>()
            .short_names(&["cj"])
            .categories(&["all"])
            .status()
            .build(),
        resource::<batch::Job>()
            .categories(&["all"])
            .status()
            .build(),
        // Both versions serve the same objects, kept in v2 form.
        resource::<autoscaling::v2::HorizontalPodAutoscaler>()
            .short_names(&["hpa"])
            .categories(&["all"])
            .status()
            .build(),
        resource::<autoscaling::v1::HorizontalPodAutoscaler>()
            .short_names(&["hpa"])
            .categories(&["all"])
            .status()
            .stored_as::<autoscaling::v2::HorizontalPodAutoscaler>()
            .build(),
        resource::<policy::PodDisruptionBudget>()
            .short_names(&["pdb"])
            .status()
            .build(),
    ]
}
