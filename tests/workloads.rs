//! Workload controllers as kubectl users meet them, with simulated nodes
//! running the pods: ReplicaSets and ReplicationControllers keep their
//! replicas, adopt and release pods by selector, report ready and
//! available pods, say why pods cannot be created, and their pods go with
//! them.

mod cluster;

use std::time::Duration;

use cluster::Cluster;
use keelson::testing::node_simulator::background::BackgroundSimulator;
use keelson::testing::{SimulatorOptions, poll_until};

fn simulate(cluster: &Cluster, count: usize) -> BackgroundSimulator {
    BackgroundSimulator::start(
        &cluster.keelson.kubeconfig,
        SimulatorOptions {
            count,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Polls `kubectl args…` until its stdout is `expected`.
async fn until(cluster: &Cluster, args: &[&str], expected: &str) {
    poll_until(
        &format!("kubectl {} to print {expected:?}", args.join(" ")),
        Duration::from_secs(60),
        || async {
            let ran = cluster.kubectl(args);
            (ran.stdout == expected).then_some(())
        },
    )
    .await
    .unwrap();
}

fn replica_set(name: &str, replicas: u32) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "ReplicaSet",
  "metadata": {{"name": "{name}"}},
  "spec": {{"replicas": {replicas}, "selector": {{"matchLabels": {{"app": "{name}"}}}},
    "template": {{"metadata": {{"labels": {{"app": "{name}", "tier": "web"}}}},
      "spec": {{"containers": [{{"name": "web", "image": "nginx"}}]}}}}}}}}"#
    )
}

/// `name=value` of every pod labelled `selector`, sorted, space-separated:
/// which pods there are and who controls them.
fn pods_of(cluster: &Cluster, selector: &str) -> Vec<String> {
    let listed = cluster
        .kubectl(&["get", "pods", "-l", selector, "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].name}{\"\\n\"}{end}"])
        .ok()
        .to_owned();
    let mut pods: Vec<String> = listed.lines().map(str::to_owned).collect();
    pods.sort();
    pods
}

on_both_backends! {
    async fn a_replica_set_keeps_its_replicas(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 2);
        let manifest = cluster.file("web.json", &replica_set("web", 3));
        k(&["create", "-f", &manifest]).ok();
        until(&cluster, &["get", "rs", "web", "-o",
            "jsonpath={.status.replicas}/{.status.fullyLabeledReplicas}/{.status.readyReplicas}/{.status.availableReplicas}"],
            "3/3/3/3").await;
        let pods = pods_of(&cluster, "app=web");
        assert_eq!(pods.len(), 3);
        assert!(pods.iter().all(|p| p.starts_with("web-") && p.ends_with(" web")), "{pods:?}");
        assert!(k(&["get", "rs", "web"]).ok().contains("web    3         3         3"));

        // A deleted pod is replaced.
        let first = pods[0].split(' ').next().unwrap().to_owned();
        k(&["delete", "pod", &first, "--wait=false"]).ok();
        until(&cluster, &["get", "rs", "web", "-o", "jsonpath={.status.readyReplicas}"], "3").await;
        poll_until("a replacement pod", Duration::from_secs(30), || async {
            let pods = pods_of(&cluster, "app=web");
            (pods.len() == 3 && !pods.iter().any(|p| p.starts_with(&format!("{first} ")))).then_some(())
        })
        .await
        .unwrap();

        // Scaled down, the surplus goes; scaled up, pods come.
        k(&["scale", "rs", "web", "--replicas=1"]).ok();
        until(&cluster, &["get", "rs", "web", "-o", "jsonpath={.status.replicas}"], "1").await;
        poll_until("one pod left", Duration::from_secs(30), || async {
            (pods_of(&cluster, "app=web").len() == 1).then_some(())
        })
        .await
        .unwrap();
        k(&["scale", "rs", "web", "--replicas=4"]).ok();
        until(&cluster, &["get", "rs", "web", "-o", "jsonpath={.status.availableReplicas}"], "4").await;
        let described = k(&["describe", "rs", "web"]).ok().to_owned();
        assert!(described.contains("SuccessfulCreate"), "{described}");
        assert!(described.contains("SuccessfulDelete"), "{described}");

        // Deleting it (in the background) takes its pods along.
        k(&["delete", "rs", "web"]).ok();
        poll_until("the pods to go", Duration::from_secs(60), || async {
            pods_of(&cluster, "app=web").is_empty().then_some(())
        })
        .await
        .unwrap();
    }

    async fn a_replica_set_adopts_and_releases_pods_by_selector(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        // An orphan that matches is adopted instead of a new pod made.
        k(&["run", "stray", "--image=nginx", "--labels=app=api"]).ok();
        let manifest = cluster.file("api.json", &replica_set("api", 2));
        k(&["create", "-f", &manifest]).ok();
        until(&cluster, &["get", "rs", "api", "-o", "jsonpath={.status.replicas}"], "2").await;
        let pods = pods_of(&cluster, "app=api");
        assert_eq!(pods.len(), 2, "{pods:?}");
        assert!(pods.contains(&"stray api".to_owned()), "{pods:?}");
        // The adopted pod lacks the template's `tier` label.
        until(&cluster, &["get", "rs", "api", "-o", "jsonpath={.status.fullyLabeledReplicas}"], "1").await;
        assert_eq!(
            k(&["get", "pod", "stray", "-o", "jsonpath={.metadata.ownerReferences[0].controller} {.metadata.ownerReferences[0].blockOwnerDeletion}"]).ok(),
            "true true"
        );

        // Relabelled out of the selector, it is released and replaced.
        k(&["label", "pod", "stray", "app=elsewhere", "--overwrite"]).ok();
        until(&cluster, &["get", "pod", "stray", "-o", "jsonpath={.metadata.ownerReferences}"], "").await;
        poll_until("a replacement", Duration::from_secs(30), || async {
            let pods = pods_of(&cluster, "app=api");
            (pods.len() == 2 && pods.iter().all(|p| p.ends_with(" api"))).then_some(())
        })
        .await
        .unwrap();
    }

    async fn pods_that_cannot_be_created_show_as_replica_failure(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "quota", "two-pods", "--hard=pods=2"]).ok();
        until(&cluster, &["get", "quota", "two-pods", "-o", "jsonpath={.status.used.pods}"], "0").await;
        let manifest = cluster.file("big.json", &replica_set("big", 3));
        k(&["create", "-f", &manifest]).ok();
        until(&cluster, &["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}"], "FailedCreate").await;
        let message = k(&["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].message}"]).ok().to_owned();
        assert!(message.contains("exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2"), "{message}");
        assert_eq!(pods_of(&cluster, "app=big").len(), 2);
        // Room made, the last pod comes and the condition goes.
        k(&["delete", "quota", "two-pods"]).ok();
        until(&cluster, &["get", "rs", "big", "-o", "jsonpath={.status.replicas}"], "3").await;
        until(&cluster, &["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}"], "").await;
    }

    async fn a_replication_controller_keeps_its_replicas(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 1);
        let manifest = cluster.file("rc.yaml", "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: legacy\n\
            spec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: legacy\n    \
            spec:\n      containers:\n      - name: main\n        image: nginx\n");
        k(&["create", "-f", &manifest]).ok();
        until(&cluster, &["get", "rc", "legacy", "-o", "jsonpath={.status.readyReplicas}"], "2").await;
        assert!(pods_of(&cluster, "app=legacy").iter().all(|p| p.ends_with(" legacy")));
        k(&["scale", "rc", "legacy", "--replicas=3"]).ok();
        until(&cluster, &["get", "rc", "legacy", "-o", "jsonpath={.status.availableReplicas}"], "3").await;
        // Orphaning keeps the pods, without their controller.
        k(&["delete", "rc", "legacy", "--cascade=orphan"]).ok();
        poll_until("orphaned pods", Duration::from_secs(30), || async {
            let pods = pods_of(&cluster, "app=legacy");
            (pods.len() == 3 && pods.iter().all(|p| p.ends_with(' '))).then_some(())
        })
        .await
        .unwrap();
    }
}
