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
        cluster.until(&["get", "rs", "web", "-o",
            "jsonpath={.status.replicas}/{.status.fullyLabeledReplicas}/{.status.readyReplicas}/{.status.availableReplicas}"],
            "3/3/3/3").await;
        let pods = pods_of(&cluster, "app=web");
        assert_eq!(pods.len(), 3);
        assert!(pods.iter().all(|p| p.starts_with("web-") && p.ends_with(" web")), "{pods:?}");
        assert!(k(&["get", "rs", "web"]).ok().contains("web    3         3         3"));

        // A deleted pod is replaced.
        let first = pods[0].split(' ').next().unwrap().to_owned();
        k(&["delete", "pod", &first, "--wait=false"]).ok();
        cluster.until(&["get", "rs", "web", "-o", "jsonpath={.status.readyReplicas}"], "3").await;
        poll_until("a replacement pod", Duration::from_secs(30), || async {
            let pods = pods_of(&cluster, "app=web");
            (pods.len() == 3 && !pods.iter().any(|p| p.starts_with(&format!("{first} ")))).then_some(())
        })
        .await
        .unwrap();

        // Scaled down, the surplus goes; scaled up, pods come.
        k(&["scale", "rs", "web", "--replicas=1"]).ok();
        cluster.until(&["get", "rs", "web", "-o", "jsonpath={.status.replicas}"], "1").await;
        poll_until("one pod left", Duration::from_secs(30), || async {
            (pods_of(&cluster, "app=web").len() == 1).then_some(())
        })
        .await
        .unwrap();
        k(&["scale", "rs", "web", "--replicas=4"]).ok();
        cluster.until(&["get", "rs", "web", "-o", "jsonpath={.status.availableReplicas}"], "4").await;
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
        cluster.until(&["get", "rs", "api", "-o", "jsonpath={.status.replicas}"], "2").await;
        let pods = pods_of(&cluster, "app=api");
        assert_eq!(pods.len(), 2, "{pods:?}");
        assert!(pods.contains(&"stray api".to_owned()), "{pods:?}");
        // The adopted pod lacks the template's `tier` label.
        cluster.until(&["get", "rs", "api", "-o", "jsonpath={.status.fullyLabeledReplicas}"], "1").await;
        assert_eq!(
            k(&["get", "pod", "stray", "-o", "jsonpath={.metadata.ownerReferences[0].controller} {.metadata.ownerReferences[0].blockOwnerDeletion}"]).ok(),
            "true true"
        );

        // Relabelled out of the selector, it is released and replaced.
        k(&["label", "pod", "stray", "app=elsewhere", "--overwrite"]).ok();
        cluster.until(&["get", "pod", "stray", "-o", "jsonpath={.metadata.ownerReferences}"], "").await;
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
        cluster.until(&["get", "quota", "two-pods", "-o", "jsonpath={.status.used.pods}"], "0").await;
        let manifest = cluster.file("big.json", &replica_set("big", 3));
        k(&["create", "-f", &manifest]).ok();
        cluster.until(&["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}"], "FailedCreate").await;
        let message = k(&["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].message}"]).ok().to_owned();
        assert!(message.contains("exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2"), "{message}");
        assert_eq!(pods_of(&cluster, "app=big").len(), 2);
        // Room made, the last pod comes and the condition goes.
        k(&["delete", "quota", "two-pods"]).ok();
        cluster.until(&["get", "rs", "big", "-o", "jsonpath={.status.replicas}"], "3").await;
        cluster.until(&["get", "rs", "big", "-o",
            "jsonpath={.status.conditions[?(@.type==\"ReplicaFailure\")].reason}"], "").await;
    }

    async fn a_replication_controller_keeps_its_replicas(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 1);
        let manifest = cluster.file("rc.yaml", "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: legacy\n\
            spec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: legacy\n    \
            spec:\n      containers:\n      - name: main\n        image: nginx\n");
        k(&["create", "-f", &manifest]).ok();
        cluster.until(&["get", "rc", "legacy", "-o", "jsonpath={.status.readyReplicas}"], "2").await;
        assert!(pods_of(&cluster, "app=legacy").iter().all(|p| p.ends_with(" legacy")));
        k(&["scale", "rc", "legacy", "--replicas=3"]).ok();
        cluster.until(&["get", "rc", "legacy", "-o", "jsonpath={.status.availableReplicas}"], "3").await;
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

on_both_backends! {
    async fn a_deployment_rolls_out_rolls_back_and_scales(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 3);
        k(&["create", "deployment", "web", "--image=nginx:1.25", "--replicas=3"]).ok();
        // kubectl waits on the counts and the Progressing condition.
        let waited = k(&["rollout", "status", "deployment/web", "--timeout=60s"]).ok().to_owned();
        assert!(waited.ends_with("deployment \"web\" successfully rolled out\n"), "{waited}");
        assert_eq!(
            k(&["get", "deployment", "web", "-o", "jsonpath={.status.conditions[*].reason}"]).ok(),
            "MinimumReplicasAvailable NewReplicaSetAvailable"
        );

        // A new image rolls out through a second ReplicaSet.
        k(&["set", "image", "deployment/web", "nginx=nginx:1.26"]).ok();
        assert!(k(&["rollout", "status", "deployment/web", "--timeout=60s"]).ok().ends_with("deployment \"web\" successfully rolled out\n"));
        let sets = k(&["get", "rs", "-l", "app=web", "-o",
            "jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision}={.spec.replicas}/{.spec.template.spec.containers[0].image} {end}"]).ok().to_owned();
        let mut sets: Vec<&str> = sets.split_whitespace().collect();
        sets.sort();
        assert_eq!(sets, ["1=0/nginx:1.25", "2=3/nginx:1.26"]);
        let history = k(&["rollout", "history", "deployment/web"]).ok().to_owned();
        assert!(history.starts_with("deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n"), "{history}");
        let described = k(&["describe", "deployment", "web"]).ok().to_owned();
        assert!(described.contains("ScalingReplicaSet"), "{described}");

        // Undo brings the first template back, as revision 3.
        k(&["rollout", "undo", "deployment/web"]).ok();
        assert!(k(&["rollout", "status", "deployment/web", "--timeout=60s"]).ok().ends_with("successfully rolled out\n"));
        assert_eq!(
            k(&["get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}"]).ok(),
            "nginx:1.25 3"
        );

        // Scaled, the active ReplicaSet follows.
        k(&["scale", "deployment", "web", "--replicas=5"]).ok();
        cluster.until(&["get", "deployment", "web", "-o", "jsonpath={.status.availableReplicas}/{.status.updatedReplicas}"], "5/5").await;

        // Paused, a template change waits; resumed, it rolls.
        k(&["rollout", "pause", "deployment/web"]).ok();
        k(&["set", "image", "deployment/web", "nginx=nginx:1.27"]).ok();
        cluster.until(&["get", "deployment", "web", "-o",
            "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}"], "DeploymentPaused").await;
        assert_eq!(k(&["get", "rs", "-l", "app=web", "-o", "name"]).ok().lines().count(), 2);
        k(&["rollout", "resume", "deployment/web"]).ok();
        assert!(k(&["rollout", "status", "deployment/web", "--timeout=60s"]).ok().ends_with("successfully rolled out\n"));
        cluster.until(&["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}"],
            "nginx:1.27 nginx:1.27 nginx:1.27 nginx:1.27 nginx:1.27").await;

        // Deleted, its ReplicaSets and pods go too.
        k(&["delete", "deployment", "web"]).ok();
        cluster.until(&["get", "rs,pods", "-l", "app=web", "-o", "name"], "").await;
    }

    async fn a_recreate_deployment_replaces_all_pods_at_once(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 2);
        let manifest = cluster.file("recreate.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\n\
            spec:\n  replicas: 2\n  strategy:\n    type: Recreate\n  selector:\n    matchLabels:\n      app: db\n  \
            template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n      - name: db\n        image: postgres:16\n");
        k(&["apply", "-f", &manifest]).ok();
        assert!(k(&["rollout", "status", "deployment/db", "--timeout=60s"]).ok().ends_with("successfully rolled out\n"));
        k(&["set", "image", "deployment/db", "db=postgres:17"]).ok();
        assert!(k(&["rollout", "status", "deployment/db", "--timeout=60s"]).ok().ends_with("successfully rolled out\n"));
        cluster.until(&["get", "pods", "-l", "app=db", "-o", "jsonpath={.items[*].spec.containers[0].image}"],
            "postgres:17 postgres:17").await;
        // Orphaned, the ReplicaSets stay without their controller.
        k(&["delete", "deployment", "db", "--cascade=orphan"]).ok();
        cluster.until(&["get", "rs", "-l", "app=db", "-o", "jsonpath={.items[*].metadata.ownerReferences}"], "").await;
        assert_eq!(k(&["get", "rs", "-l", "app=db", "-o", "name"]).ok().lines().count(), 2);
    }
}

on_both_backends! {
    async fn disruption_budgets_count_healthy_pods_and_guard_evictions(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster, 1);
        k(&["create", "deployment", "web", "--image=nginx", "--replicas=3"]).ok();
        k(&["rollout", "status", "deployment/web", "--timeout=60s"]).ok();
        k(&["create", "pdb", "two", "--selector=app=web", "--min-available=2"]).ok();
        cluster.until(&["get", "pdb", "two", "-o",
            "jsonpath={.status.expectedPods}/{.status.currentHealthy}/{.status.desiredHealthy}/{.status.disruptionsAllowed} {.status.conditions[0].reason}"],
            "3/3/2/1 SufficientPods").await;
        // A percentage is of the Deployment's replicas.
        k(&["create", "pdb", "most", "--selector=app=web", "--max-unavailable=34%"]).ok();
        cluster.until(&["get", "pdb", "most", "-o",
            "jsonpath={.status.expectedPods}/{.status.desiredHealthy}/{.status.disruptionsAllowed}"],
            "3/1/2").await;
        k(&["delete", "pdb", "most"]).ok();

        // Evictions take from the budget until it is spent.
        let pods = k(&["get", "pods", "-l", "app=web", "-o", "name"]).ok().to_owned();
        let drained = cluster.kubectl(&["drain", "sim-0", "--timeout=10s", "--pod-selector=app=web"]);
        assert_ne!(drained.code, Some(0), "{}", drained.stdout);
        assert!(
            drained.stderr.contains("Cannot evict pod as it would violate the pod's disruption budget."),
            "{}",
            drained.stderr
        );
        // The one allowed eviction happened; the budget has nothing left.
        let after = k(&["get", "pods", "-l", "app=web", "-o", "name"]).ok().to_owned();
        assert_ne!(after, pods);
        cluster.until(&["get", "pdb", "two", "-o", "jsonpath={.status.disruptionsAllowed} {.status.conditions[0].reason}"],
            "0 InsufficientPods").await;

        // Pods without a controller cannot be counted against a percentage.
        k(&["run", "loner", "--image=nginx", "--labels=app=loner"]).ok();
        k(&["create", "pdb", "loner", "--selector=app=loner", "--max-unavailable=1"]).ok();
        cluster.until(&["get", "pdb", "loner", "-o", "jsonpath={.status.disruptionsAllowed} {.status.conditions[0].reason}"],
            "0 SyncFailed").await;
    }
}
