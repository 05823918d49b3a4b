//! The scheduler against a real `keelson up` (which runs it in-process)
//! with simulated nodes, driven by stock kubectl: pods are bound where
//! they fit and run; node selectors, affinity, taints and cordons are
//! obeyed; a pod no node takes shows upstream's message in `kubectl
//! describe pod`; preemption makes room for important pods; pods name
//! their scheduler; and two `keelson scheduler` processes hand over the
//! `kube-scheduler` Lease.

mod cluster;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cluster::Cluster;
use keelson::testing::keelson::keelson_binary;
use keelson::testing::node_simulator::background::BackgroundSimulator;
use keelson::testing::{KeelsonProcess, SimulatorOptions, poll_until};

/// `count` nodes of 2 CPUs and 4Gi.
fn simulate(kubeconfig: &std::path::Path, count: usize) -> BackgroundSimulator {
    BackgroundSimulator::start(
        kubeconfig,
        SimulatorOptions {
            count,
            cpu: "2".into(),
            memory: "4Gi".into(),
            pods: 10,
            ..Default::default()
        },
    )
    .unwrap()
}

/// A pod manifest (JSON) with `spec` merged into a one-container spec.
fn pod(name: &str, cpu: &str, spec: serde_json::Value) -> String {
    let mut manifest = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]},
    });
    for (key, value) in spec.as_object().unwrap() {
        manifest["spec"][key] = value.clone();
    }
    manifest.to_string()
}

fn create(cluster: &Cluster, name: &str, manifest: &str) {
    let path = cluster.file(&format!("{name}.json"), manifest);
    cluster.kubectl(&["create", "-f", &path]).ok();
}

async fn until(
    cluster: &Cluster,
    what: &str,
    args: &[&str],
    done: impl Fn(&str) -> bool,
) -> String {
    poll_until(what, Duration::from_secs(60), || async {
        let ran = cluster.kubectl(args);
        (ran.code == Some(0) && done(&ran.stdout)).then_some(ran.stdout)
    })
    .await
    .unwrap()
}

async fn node_of(cluster: &Cluster, pod: &str) -> String {
    until(
        cluster,
        &format!("{pod} to be bound"),
        &["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"],
        |n| !n.is_empty(),
    )
    .await
}

/// Waits until `kubectl describe pod` shows a FailedScheduling event
/// from the default scheduler ending in `message`.
async fn failed_scheduling(cluster: &Cluster, pod: &str, message: &str) {
    let describe = until(
        cluster,
        &format!("{pod}'s FailedScheduling event"),
        &["describe", "pod", pod],
        |d| {
            d.lines()
                .any(|l| l.contains("FailedScheduling") && l.ends_with(message))
        },
    )
    .await;
    let line = describe
        .lines()
        .find(|l| l.contains("FailedScheduling"))
        .unwrap();
    assert!(
        line.trim_start().starts_with("Warning  FailedScheduling"),
        "{line}"
    );
    assert!(line.contains("default-scheduler  "), "{line}");
    assert_eq!(
        cluster.kubectl(&["get", "pod", pod, "-o", "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}: {.status.conditions[?(@.type==\"PodScheduled\")].message}"]).ok(),
        format!("Unschedulable: {message}")
    );
    assert_eq!(
        cluster
            .kubectl(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
            .ok(),
        ""
    );
}

on_both_backends! {
    async fn pods_are_bound_where_they_fit_and_run(cluster: Cluster) {
        let _nodes = simulate(&cluster.keelson.kubeconfig, 3);
        for name in ["a", "b", "c"] {
            create(&cluster, name, &pod(name, "1500m", serde_json::json!({})));
        }
        cluster.kubectl(&["wait", "--for=condition=Ready", "pod/a", "pod/b", "pod/c", "--timeout=60s"]).ok();
        let mut nodes = BTreeSet::new();
        for name in ["a", "b", "c"] {
            nodes.insert(node_of(&cluster, name).await);
        }
        assert_eq!(nodes, BTreeSet::from(["sim-0".to_owned(), "sim-1".to_owned(), "sim-2".to_owned()]), "one 1.5-CPU pod per 2-CPU node");
        until(&cluster, "a Scheduled event", &["describe", "pod", "a"], |d| {
            d.lines().any(|l| l.trim_start().starts_with("Normal  ") && l.contains("Scheduled") && l.contains("default-scheduler  Successfully assigned default/a to sim-"))
        })
        .await;

        // No room left: upstream's message, as a condition and an event.
        create(&cluster, "d", &pod("d", "1500m", serde_json::json!({})));
        failed_scheduling(
            &cluster,
            "d",
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
        )
        .await;
        // Room made: the waiting pod is scheduled there.
        let freed = node_of(&cluster, "b").await;
        cluster.kubectl(&["delete", "pod", "b"]).ok();
        assert_eq!(node_of(&cluster, "d").await, freed);
        cluster.kubectl(&["wait", "--for=condition=Ready", "pod/d", "--timeout=60s"]).ok();
    }
}

#[tokio::test]
async fn placement_follows_selectors_affinity_taints_and_cordons() {
    let cluster = Cluster::embedded().await;
    let _nodes = simulate(&cluster.keelson.kubeconfig, 3);
    let k = |args: &[&str]| cluster.kubectl(args);
    k(&["label", "node", "sim-0", "disk=ssd"]).ok();
    create(
        &cluster,
        "ssd",
        &pod(
            "ssd",
            "100m",
            serde_json::json!({"nodeSelector": {"disk": "ssd"}}),
        ),
    );
    assert_eq!(node_of(&cluster, "ssd").await, "sim-0");
    create(
        &cluster,
        "not-0-or-1",
        &pod(
            "not-0-or-1",
            "100m",
            serde_json::json!({"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["sim-0", "sim-1"]}]}]}}}}),
        ),
    );
    assert_eq!(node_of(&cluster, "not-0-or-1").await, "sim-2");
    // Preferred affinity steers among nodes that fit.
    create(
        &cluster,
        "prefers-1",
        &pod(
            "prefers-1",
            "100m",
            serde_json::json!({"affinity": {"nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["sim-1"]}]}}]}}}),
        ),
    );
    assert_eq!(node_of(&cluster, "prefers-1").await, "sim-1");
    create(
        &cluster,
        "nvme",
        &pod(
            "nvme",
            "100m",
            serde_json::json!({"nodeSelector": {"disk": "nvme"}}),
        ),
    );
    failed_scheduling(
        &cluster,
        "nvme",
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    )
    .await;
    // The selector satisfied later: the pod follows.
    k(&["label", "node", "sim-2", "disk=nvme"]).ok();
    assert_eq!(node_of(&cluster, "nvme").await, "sim-2");

    // Required anti-affinity: one `solo` pod per node.
    let solo = |name: &str| {
        pod(
            name,
            "100m",
            serde_json::json!({"affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname",
            "labelSelector": {"matchLabels": {"role": "solo"}}}]}}}),
        )
        .replace(r#""labels":{"#, r#""labels":{"role":"solo","#)
    };
    let mut solo_nodes = BTreeSet::new();
    for name in ["solo-a", "solo-b", "solo-c"] {
        create(&cluster, name, &solo(name));
        solo_nodes.insert(node_of(&cluster, name).await);
    }
    assert_eq!(solo_nodes.len(), 3, "{solo_nodes:?}");
    create(&cluster, "solo-d", &solo("solo-d"));
    failed_scheduling(
        &cluster,
        "solo-d",
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    )
    .await;

    // Topology spread (DoNotSchedule, one per host at most ahead) beats
    // a strong preference for sim-0.
    let spread = |name: &str| {
        pod(name, "100m", serde_json::json!({
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"group": "spread"}}}],
            "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                "preference": {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["sim-0"]}]}}]}},
        }))
        .replace(r#""labels":{"#, r#""labels":{"group":"spread","#)
    };
    let mut spread_nodes = BTreeSet::new();
    for name in ["spread-a", "spread-b", "spread-c"] {
        create(&cluster, name, &spread(name));
        spread_nodes.insert(node_of(&cluster, name).await);
    }
    assert_eq!(spread_nodes.len(), 3, "{spread_nodes:?}");
    create(&cluster, "spread-d", &spread("spread-d"));
    assert_eq!(node_of(&cluster, "spread-d").await, "sim-0");

    // Taints and a cordon keep pods off unless tolerated.
    k(&[
        "taint",
        "node",
        "sim-1",
        "sim-2",
        "dedicated=gpu:NoSchedule",
    ])
    .ok();
    k(&["cordon", "sim-0"]).ok();
    create(
        &cluster,
        "plain",
        &pod("plain", "100m", serde_json::json!({})),
    );
    failed_scheduling(
        &cluster,
        "plain",
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    )
    .await;
    create(
        &cluster,
        "gpu",
        &pod(
            "gpu",
            "100m",
            serde_json::json!({"tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]}),
        ),
    );
    let gpu_node = node_of(&cluster, "gpu").await;
    assert!(gpu_node == "sim-1" || gpu_node == "sim-2", "{gpu_node}");
    k(&["uncordon", "sim-0"]).ok();
    assert_eq!(node_of(&cluster, "plain").await, "sim-0");
}

#[tokio::test]
async fn preemption_makes_room_for_a_higher_priority_pod() {
    let cluster = Cluster::embedded().await;
    let _nodes = simulate(&cluster.keelson.kubeconfig, 2);
    let k = |args: &[&str]| cluster.kubectl(args);
    for name in ["low-1", "low-2", "low-3", "low-4"] {
        create(&cluster, name, &pod(name, "1", serde_json::json!({})));
        node_of(&cluster, name).await;
    }
    k(&["create", "priorityclass", "high", "--value=1000"]).ok();
    create(
        &cluster,
        "vip",
        &pod("vip", "2", serde_json::json!({"priorityClassName": "high"})),
    );
    let node = node_of(&cluster, "vip").await;
    cluster
        .kubectl(&["wait", "--for=condition=Ready", "pod/vip", "--timeout=60s"])
        .ok();
    // The two pods on that node were preempted, with events saying so.
    let events = until(
        &cluster,
        "Preempted events",
        &[
            "get",
            "events",
            "--field-selector",
            "reason=Preempted",
            "-o",
            "jsonpath={range .items[*]}{.involvedObject.name} {.message}{\"\\n\"}{end}",
        ],
        |e| e.lines().count() == 2,
    )
    .await;
    let vip_uid = k(&["get", "pod", "vip", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .to_owned();
    for line in events.lines() {
        assert!(
            line.ends_with(&format!("Preempted by pod {vip_uid} on node {node}")),
            "{line}"
        );
    }
    let remaining = until(
        &cluster,
        "the victims to go",
        &[
            "get",
            "pods",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.spec.nodeName} {end}",
        ],
        |p| p.split_whitespace().count() == 3,
    )
    .await;
    assert!(
        !remaining.contains(&format!("={node} low"))
            && remaining
                .split_whitespace()
                .filter(|p| p.ends_with(&format!("={node}")))
                .count()
                == 1,
        "{remaining}"
    );
    assert_eq!(
        k(&[
            "get",
            "pod",
            "vip",
            "-o",
            "jsonpath={.status.nominatedNodeName}"
        ])
        .ok(),
        node
    );
    // A pod that may not preempt waits instead.
    create(
        &cluster,
        "polite",
        &pod(
            "polite",
            "2",
            serde_json::json!({"priorityClassName": "high", "preemptionPolicy": "Never"}),
        ),
    );
    failed_scheduling(
        &cluster,
        "polite",
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
    )
    .await;
}

/// A `keelson scheduler` child process, killed when dropped.
struct SchedulerProcess(Child);

impl SchedulerProcess {
    fn start(kubeconfig: &std::path::Path, args: &[&str]) -> SchedulerProcess {
        let child = Command::new(keelson_binary())
            .arg("scheduler")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting keelson scheduler");
        SchedulerProcess(child)
    }
}

impl Drop for SchedulerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn pods_are_scheduled_by_the_scheduler_they_name() {
    let cluster = Cluster::embedded().await;
    let _nodes = simulate(&cluster.keelson.kubeconfig, 2);
    let kubeconfig = cluster.keelson.data_dir.join("scheduler.kubeconfig");
    let _second = SchedulerProcess::start(
        &kubeconfig,
        &["--scheduler-name=second", "--leader-elect=false"],
    );
    create(
        &cluster,
        "nobodys",
        &pod(
            "nobodys",
            "100m",
            serde_json::json!({"schedulerName": "nobody"}),
        ),
    );
    create(
        &cluster,
        "seconds",
        &pod(
            "seconds",
            "100m",
            serde_json::json!({"schedulerName": "second"}),
        ),
    );
    node_of(&cluster, "seconds").await;
    until(
        &cluster,
        "the second scheduler's event",
        &["describe", "pod", "seconds"],
        |d| {
            d.lines()
                .any(|l| l.contains("Scheduled") && l.contains("  second  Successfully assigned"))
        },
    )
    .await;
    create(
        &cluster,
        "defaults",
        &pod("defaults", "100m", serde_json::json!({})),
    );
    node_of(&cluster, "defaults").await;
    // Neither scheduler touched the pod that names another.
    assert_eq!(
        cluster
            .kubectl(&[
                "get",
                "pod",
                "nobodys",
                "-o",
                "jsonpath={.spec.nodeName}|{.status.conditions}"
            ])
            .ok(),
        "|"
    );
}

fn lease_holder(api: &KeelsonProcess) -> String {
    let out = api.kubectl(&[
        "get",
        "lease",
        "kube-scheduler",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_second_scheduler_takes_over_when_the_leader_dies() {
    let data = tempfile::tempdir().unwrap();
    let api = KeelsonProcess::start_in(data.path(), "apiserver", &[])
        .await
        .unwrap();
    let _nodes = simulate(&api.kubeconfig, 2);
    let kubeconfig = api.data_dir.join("scheduler.kubeconfig");
    let mut first = SchedulerProcess::start(&kubeconfig, &[]);
    let leader = poll_until("a leader", Duration::from_secs(30), || async {
        Some(lease_holder(&api)).filter(|h| !h.is_empty())
    })
    .await
    .unwrap();
    let _second = SchedulerProcess::start(&kubeconfig, &[]);
    let bound = |name: &'static str| {
        let api = &api;
        async move {
            assert!(
                api.kubectl(&["run", name, "--image=nginx"])
                    .status
                    .success()
            );
            poll_until("the pod to be bound", Duration::from_secs(40), || async {
                let out = api.kubectl(&["get", "pod", name, "-o", "jsonpath={.spec.nodeName}"]);
                (!out.stdout.is_empty()).then_some(())
            })
            .await
            .unwrap();
        }
    };
    bound("first").await;
    assert_eq!(lease_holder(&api), leader, "the standby waits");
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let successor = poll_until("a new leader", Duration::from_secs(40), || async {
        Some(lease_holder(&api)).filter(|h| !h.is_empty() && *h != leader)
    })
    .await
    .unwrap();
    assert_ne!(successor, leader);
    bound("second").await;
}
