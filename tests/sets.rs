//! DaemonSets and StatefulSets as kubectl users meet them, with simulated
//! nodes running the pods: a DaemonSet covers every eligible node (new
//! ones too), follows node labels and taints, rolls out and back; a
//! StatefulSet starts its pods in order with stable names and claims,
//! updates them from the highest ordinal down and honours a partition.

mod cluster;

use std::time::Duration;

use cluster::Cluster;
use keelson::testing::node_simulator::background::BackgroundSimulator;
use keelson::testing::{SimulatorOptions, poll_until};

fn simulate(cluster: &Cluster, first_index: usize, count: usize) -> BackgroundSimulator {
    BackgroundSimulator::start(
        &cluster.keelson.kubeconfig,
        SimulatorOptions {
            count,
            first_index,
            ..Default::default()
        },
    )
    .unwrap()
}

/// `<key>=<image>` of every live pod labelled `selector`, sorted, where
/// `key` is a jsonpath into the pod (its node, its name).
fn live_pods(cluster: &Cluster, selector: &str, key: &str) -> String {
    let template = format!(
        "jsonpath={{range .items[*]}}{key}={{.spec.containers[0].image}} {{.metadata.deletionTimestamp}}{{\"\\n\"}}{{end}}"
    );
    let listed = cluster
        .kubectl(&["get", "pods", "-l", selector, "-o", &template])
        .ok()
        .to_owned();
    // Pods being deleted are on their way out.
    let mut lines: Vec<&str> = listed
        .lines()
        .filter(|line| line.ends_with(' '))
        .map(str::trim_end)
        .collect();
    lines.sort();
    lines.join(" ")
}

/// `<node>=<image>` of the live pods labelled `selector`.
fn placements(cluster: &Cluster, selector: &str) -> String {
    live_pods(cluster, selector, "{.spec.nodeName}")
}

/// `<pod>=<image>` of the set's live pods.
fn members(cluster: &Cluster, set: &str) -> String {
    live_pods(cluster, &format!("app={set}"), "{.metadata.name}")
}

/// Polls `listing` until it is `expected`.
async fn until_listed(what: &str, expected: &str, listing: impl Fn() -> String) {
    poll_until(
        &format!("{what} to be {expected:?}"),
        Duration::from_secs(60),
        || async { (listing() == expected).then_some(()) },
    )
    .await
    .unwrap();
}

async fn until_placed(cluster: &Cluster, selector: &str, expected: &str) {
    until_listed(selector, expected, || placements(cluster, selector)).await;
}

fn daemon_set(name: &str, extra_spec: &str) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "DaemonSet",
  "metadata": {{"name": "{name}"}},
  "spec": {{"selector": {{"matchLabels": {{"app": "{name}"}}}},
    "template": {{"metadata": {{"labels": {{"app": "{name}"}}}},
      "spec": {{{extra_spec}"containers": [{{"name": "{name}", "image": "{name}:1"}}]}}}}}}}}"#
    )
}

on_both_backends! {
    async fn a_daemon_set_runs_on_every_eligible_node(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 0, 2);
        let manifest = cluster.file("agent.json", &daemon_set("agent", ""));
        k(&["create", "-f", &manifest]).ok();
        let rolled = k(&["rollout", "status", "ds/agent", "--timeout=60s"]).ok().to_owned();
        assert!(rolled.contains("daemon set \"agent\" successfully rolled out"), "{rolled}");
        assert_eq!(placements(&cluster, "app=agent"), "sim-0=agent:1 sim-1=agent:1");

        // A node that joins gets its pod.
        let _more = simulate(&cluster, 2, 1);
        until_placed(&cluster, "app=agent", "sim-0=agent:1 sim-1=agent:1 sim-2=agent:1").await;
        cluster.until(&["get", "ds", "agent", "-o",
            "jsonpath={.status.desiredNumberScheduled}/{.status.currentNumberScheduled}/{.status.numberReady}/{.status.updatedNumberScheduled}/{.status.numberAvailable}"],
            "3/3/3/3/3").await;

        // An untolerated NoExecute taint takes the pod off its node; a
        // cordon does not.
        k(&["cordon", "sim-0"]).ok();
        k(&["taint", "node", "sim-1", "dedicated=db:NoExecute"]).ok();
        until_placed(&cluster, "app=agent", "sim-0=agent:1 sim-2=agent:1").await;
        cluster.until(&["get", "ds", "agent", "-o", "jsonpath={.status.desiredNumberScheduled}"], "2").await;
        k(&["taint", "node", "sim-1", "dedicated-"]).ok();
        until_placed(&cluster, "app=agent", "sim-0=agent:1 sim-1=agent:1 sim-2=agent:1").await;

        // A node selector follows node labels.
        let manifest = cluster.file("edge.json", &daemon_set("edge", r#""nodeSelector": {"role": "edge"}, "#));
        k(&["create", "-f", &manifest]).ok();
        k(&["label", "node", "sim-2", "role=edge"]).ok();
        until_placed(&cluster, "app=edge", "sim-2=edge:1").await;
        k(&["label", "node", "sim-2", "role-"]).ok();
        until_placed(&cluster, "app=edge", "").await;
    }

    async fn a_daemon_set_rolls_out_and_back(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 0, 3);
        let manifest = cluster.file("agent.json", &daemon_set("agent", ""));
        k(&["create", "-f", &manifest]).ok();
        k(&["rollout", "status", "ds/agent", "--timeout=60s"]).ok();

        k(&["set", "image", "ds/agent", "agent=agent:2"]).ok();
        let rolled = k(&["rollout", "status", "ds/agent", "--timeout=60s"]).ok().to_owned();
        assert!(rolled.contains("successfully rolled out"), "{rolled}");
        assert_eq!(placements(&cluster, "app=agent"), "sim-0=agent:2 sim-1=agent:2 sim-2=agent:2");
        let history = k(&["rollout", "history", "ds/agent"]).ok().to_owned();
        assert!(history.contains("\n1 ") && history.contains("\n2 "), "{history}");
        assert_eq!(
            k(&["get", "controllerrevisions", "-l", "app=agent", "-o", "name"]).ok().lines().count(),
            2
        );

        // Undo brings the first template back, as revision 3.
        k(&["rollout", "undo", "ds/agent"]).ok();
        k(&["rollout", "status", "ds/agent", "--timeout=60s"]).ok();
        until_placed(&cluster, "app=agent", "sim-0=agent:1 sim-1=agent:1 sim-2=agent:1").await;
        let history = k(&["rollout", "history", "ds/agent"]).ok().to_owned();
        assert!(history.contains("\n2 ") && history.contains("\n3 ") && !history.contains("\n1 "), "{history}");

        // OnDelete: a new template waits for pods to be deleted.
        k(&["patch", "ds", "agent", "-p", r#"{"spec":{"updateStrategy":{"type":"OnDelete"}}}"#]).ok();
        k(&["set", "image", "ds/agent", "agent=agent:3"]).ok();
        cluster.until(&["get", "ds", "agent", "-o", "jsonpath={.status.observedGeneration}"],
            k(&["get", "ds", "agent", "-o", "jsonpath={.metadata.generation}"]).ok()).await;
        assert_eq!(placements(&cluster, "app=agent"), "sim-0=agent:1 sim-1=agent:1 sim-2=agent:1");
        let on_sim_0 = k(&["get", "pods", "-l", "app=agent", "--field-selector=spec.nodeName=sim-0", "-o", "name"]).ok().trim().to_owned();
        k(&["delete", &on_sim_0]).ok();
        until_placed(&cluster, "app=agent", "sim-0=agent:3 sim-1=agent:1 sim-2=agent:1").await;

        // Deleting the set takes its pods and revisions along.
        k(&["delete", "ds", "agent"]).ok();
        until_placed(&cluster, "app=agent", "").await;
        cluster.until(&["get", "controllerrevisions", "-l", "app=agent", "-o", "name"], "").await;
    }
}

fn stateful_set(name: &str, replicas: u32, policy: &str) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "StatefulSet",
  "metadata": {{"name": "{name}"}},
  "spec": {{"replicas": {replicas}, "serviceName": "{name}", "podManagementPolicy": "{policy}",
    "selector": {{"matchLabels": {{"app": "{name}"}}}},
    "template": {{"metadata": {{"labels": {{"app": "{name}"}}}},
      "spec": {{"containers": [{{"name": "{name}", "image": "{name}:1"}}]}}}},
    "volumeClaimTemplates": [{{"metadata": {{"name": "data"}},
      "spec": {{"accessModes": ["ReadWriteOnce"], "resources": {{"requests": {{"storage": "1Gi"}}}}}}}}]}}}}"#
    )
}

async fn until_members(cluster: &Cluster, set: &str, expected: &str) {
    until_listed(set, expected, || members(cluster, set)).await;
}

on_both_backends! {
    async fn a_stateful_set_keeps_order_identity_and_storage(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        // No node yet: OrderedReady waits for web-0 before web-1; Parallel
        // starts all its pods at once.
        let manifest = cluster.file("web.json", &stateful_set("web", 3, "OrderedReady"));
        k(&["create", "-f", &manifest]).ok();
        let manifest = cluster.file("par.json", &stateful_set("par", 3, "Parallel"));
        k(&["create", "-f", &manifest]).ok();
        until_members(&cluster, "par", "par-0=par:1 par-1=par:1 par-2=par:1").await;
        until_members(&cluster, "web", "web-0=web:1").await;

        let _nodes = simulate(&cluster, 0, 2);
        let rolled = k(&["rollout", "status", "sts/web", "--timeout=60s"]).ok().to_owned();
        assert!(rolled.contains("partitioned roll out complete: 3 new pods have been updated"), "{rolled}");
        assert_eq!(members(&cluster, "web"), "web-0=web:1 web-1=web:1 web-2=web:1");
        assert_eq!(
            k(&["get", "pod", "web-1", "-o", "jsonpath={.spec.hostname}.{.spec.subdomain} {.metadata.labels.statefulset\\.kubernetes\\.io/pod-name} {.spec.volumes[0].persistentVolumeClaim.claimName}"]).ok(),
            "web-1.web web-1 data-web-1"
        );
        let claims = k(&["get", "pvc", "-l", "app=web", "-o", "name"]).ok().to_owned();
        assert_eq!(claims, "persistentvolumeclaim/data-web-0\npersistentvolumeclaim/data-web-1\npersistentvolumeclaim/data-web-2\n");

        // Scaled down from the top; the claims stay for the pods' return.
        k(&["scale", "sts", "web", "--replicas=1"]).ok();
        until_members(&cluster, "web", "web-0=web:1").await;
        assert_eq!(k(&["get", "pvc", "-l", "app=web", "-o", "name"]).ok(), claims);
        k(&["scale", "sts", "web", "--replicas=3"]).ok();
        k(&["rollout", "status", "sts/web", "--timeout=60s"]).ok();

        // A partitioned rolling update touches only ordinals ≥ partition.
        k(&["patch", "sts", "web", "-p", r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}"#]).ok();
        k(&["set", "image", "sts/web", "web=web:2"]).ok();
        let rolled = k(&["rollout", "status", "sts/web", "--timeout=60s"]).ok().to_owned();
        assert!(rolled.contains("partitioned roll out complete: 1 new pods have been updated"), "{rolled}");
        assert_eq!(members(&cluster, "web"), "web-0=web:1 web-1=web:1 web-2=web:2");
        k(&["patch", "sts", "web", "-p", r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#]).ok();
        k(&["rollout", "status", "sts/web", "--timeout=60s"]).ok();
        assert_eq!(members(&cluster, "web"), "web-0=web:2 web-1=web:2 web-2=web:2");
        assert_eq!(
            k(&["get", "sts", "web", "-o", "jsonpath={.status.currentReplicas} {.status.updatedReplicas} {.status.readyReplicas}"]).ok(),
            "3 3 3"
        );

        // And back.
        k(&["rollout", "undo", "sts/web"]).ok();
        k(&["rollout", "status", "sts/web", "--timeout=60s"]).ok();
        until_members(&cluster, "web", "web-0=web:1 web-1=web:1 web-2=web:1").await;
    }
}
