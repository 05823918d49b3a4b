//! Which nodes a DaemonSet's pod belongs on, and the pod for one node, as
//! upstream decides: the template's `nodeName`, `nodeSelector` and
//! required node affinity pick the nodes; taints the pod does not
//! tolerate keep it off (NoSchedule: no new pod; NoExecute: not even the
//! running one). Daemon pods tolerate the conditions a node goes through
//! (not-ready, unreachable, pressure, cordoned), so a node's trouble does
//! not evict its daemons.

use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodTemplateSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;

use crate::controllers::pods;
use crate::scheduler::plugins::taint_toleration::tolerated;
use crate::scheduler::selectors::pod_selects_node;

/// Whether a daemon pod belongs on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// A pod should run there (and is created if missing).
    pub should_run: bool,
    /// A pod already there may stay (NoSchedule taints alone do not
    /// evict).
    pub may_continue: bool,
}

/// The tolerations every daemon pod gets (upstream's
/// `AddOrUpdateDaemonPodTolerations`).
pub fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let exists = |key: &str, effect: &str| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        ..Toleration::default()
    };
    let mut tolerations = vec![
        exists("node.kubernetes.io/not-ready", "NoExecute"),
        exists("node.kubernetes.io/unreachable", "NoExecute"),
        exists("node.kubernetes.io/disk-pressure", "NoSchedule"),
        exists("node.kubernetes.io/memory-pressure", "NoSchedule"),
        exists("node.kubernetes.io/pid-pressure", "NoSchedule"),
        exists("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        tolerations.push(exists(
            "node.kubernetes.io/network-unavailable",
            "NoSchedule",
        ));
    }
    tolerations
}

/// The template's tolerations plus the daemon ones it lacks.
fn tolerations_of(template: &PodTemplateSpec) -> Vec<Toleration> {
    let spec = template.spec.clone().unwrap_or_default();
    let mut tolerations = spec.tolerations.unwrap_or_default();
    for toleration in daemon_tolerations(spec.host_network == Some(true)) {
        if !tolerations
            .iter()
            .any(|t| t.key == toleration.key && t.effect == toleration.effect)
        {
            tolerations.push(toleration);
        }
    }
    tolerations
}

/// Where `template`'s pod belongs with respect to `node`.
pub fn placement(template: &PodTemplateSpec, node: &Node) -> Placement {
    let nowhere = Placement {
        should_run: false,
        may_continue: false,
    };
    let spec = template.spec.clone().unwrap_or_default();
    let name = node.name_any();
    if spec
        .node_name
        .as_deref()
        .is_some_and(|n| !n.is_empty() && n != name)
    {
        return nowhere;
    }
    if !pod_selects_node(&spec, node.labels(), &name) {
        return nowhere;
    }
    let tolerations = tolerations_of(template);
    let taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let untolerated = |effect: &str| {
        taints
            .iter()
            .any(|t| t.effect == effect && !tolerated(&tolerations, t))
    };
    let evicting = untolerated("NoExecute");
    Placement {
        should_run: !evicting && !untolerated("NoSchedule"),
        may_continue: !evicting,
    }
}

/// The node a daemon pod is for: the one it is bound to, else the one its
/// node affinity names.
pub fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        return Some(node.clone());
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().find_map(|term| {
        term.match_fields.iter().flatten().find_map(|r| {
            let values = r.values.as_deref().unwrap_or_default();
            (r.key == "metadata.name" && r.operator == "In" && values.len() == 1)
                .then(|| values[0].clone())
        })
    })
}

/// The pod `template` makes for `node`: required to land there (node
/// affinity on the node's name, for the scheduler to bind), with the
/// daemon tolerations and the revision `hash` label.
pub fn pod_for(
    template: &PodTemplateSpec,
    namespace: &str,
    prefix: &str,
    owner: OwnerReference,
    node: &str,
    hash: &str,
) -> Pod {
    let mut pod = pods::from_template(template, namespace, prefix, owner);
    pod.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(
            super::super::history::REVISION_HASH_LABEL.into(),
            hash.into(),
        );
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.tolerations = Some(tolerations_of(template));
    let term = NodeSelectorTerm {
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec![node.to_owned()]),
        }]),
        match_expressions: None,
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
        node_selector_terms: vec![term],
    });
    pod
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(spec: serde_json::Value) -> PodTemplateSpec {
        serde_json::from_value(json!({"spec": spec})).unwrap()
    }

    fn node(labels: serde_json::Value, taints: serde_json::Value) -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": "n1", "labels": labels},
            "spec": {"taints": taints}
        }))
        .unwrap()
    }

    #[test]
    fn selectors_and_taints_decide_placement_as_upstream() {
        let plain = template(json!({"containers": [{"name": "a"}]}));
        let selective =
            template(json!({"containers": [{"name": "a"}], "nodeSelector": {"disk": "ssd"}}));
        let run = Placement {
            should_run: true,
            may_continue: true,
        };
        let nowhere = Placement {
            should_run: false,
            may_continue: false,
        };
        assert_eq!(placement(&plain, &node(json!({}), json!([]))), run);
        assert_eq!(placement(&selective, &node(json!({}), json!([]))), nowhere);
        assert_eq!(
            placement(&selective, &node(json!({"disk": "ssd"}), json!([]))),
            run
        );
        // Cordoned and not-ready nodes keep their daemons.
        let cordoned = node(
            json!({}),
            json!([
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}
            ]),
        );
        assert_eq!(placement(&plain, &cordoned), run);
        // A foreign NoSchedule taint: no new pod, the old one stays.
        let tainted = node(
            json!({}),
            json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
        );
        assert_eq!(
            placement(&plain, &tainted),
            Placement {
                should_run: false,
                may_continue: true
            }
        );
        let evicting = node(
            json!({}),
            json!([{"key": "dedicated", "value": "db", "effect": "NoExecute"}]),
        );
        assert_eq!(placement(&plain, &evicting), nowhere);
        let tolerant = template(json!({"containers": [{"name": "a"}],
            "tolerations": [{"key": "dedicated", "operator": "Exists"}]}));
        assert_eq!(placement(&tolerant, &evicting), run);
    }

    #[test]
    fn daemon_pods_target_their_node() {
        let owner = OwnerReference::default();
        let pod = pod_for(
            &template(json!({"containers": [{"name": "a"}]})),
            "ns",
            "agent",
            owner,
            "n7",
            "abc",
        );
        assert_eq!(target_node(&pod).as_deref(), Some("n7"));
        assert_eq!(pod.labels()["controller-revision-hash"], "abc");
        let tolerations = pod.spec.unwrap().tolerations.unwrap();
        assert!(
            tolerations
                .iter()
                .any(|t| t.key.as_deref() == Some("node.kubernetes.io/unreachable"))
        );
    }
}
