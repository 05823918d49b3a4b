//! Cluster plumbing: events.k8s.io/v1, coordination.k8s.io/v1,
//! storage.k8s.io/v1, scheduling.k8s.io/v1, node.k8s.io/v1,
//! flowcontrol.apiserver.k8s.io/v1.

use k8s_openapi::api::{
    coordination::v1 as coordination, core::v1 as core, events::v1 as events,
    flowcontrol::v1 as flowcontrol, node::v1 as node, scheduling::v1 as scheduling,
    storage::v1 as storage,
};

use super::resource;
use crate::apiserver::registry::resource::ResourceDescriptor;

pub(super) fn resources() -> Vec<ResourceDescriptor> {
    vec![
        // The same objects as core/v1 events, under the same keys and in the
        // same encoding: a client may write one and read the other.
        resource::<events::Event>()
            .short_names(&["ev"])
            .stored_as::<core::Event>()
            .build(),
        resource::<coordination::Lease>().build(),
        resource::<storage::CSIDriver>().build(),
        resource::<storage::CSINode>().build(),
        resource::<storage::CSIStorageCapacity>().build(),
        resource::<storage::StorageClass>()
            .short_names(&["sc"])
            .build(),
        resource::<storage::VolumeAttachment>().status().build(),
        resource::<scheduling::PriorityClass>()
            .short_names(&["pc"])
            .build(),
        resource::<node::RuntimeClass>().build(),
        resource::<flowcontrol::FlowSchema>().status().build(),
        resource::<flowcontrol::PriorityLevelConfiguration>()
            .status()
            .build(),
    ]
}
