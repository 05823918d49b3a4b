//! Simulated nodes and the node lifecycle: the node simulator registers
//! Ready nodes with leases and runs their pods; a node that stops
//! renewing its lease goes Unknown (kubectl: NotReady), is tainted
//! unreachable, and its pods are evicted as their tolerations say; pods
//! of a deleted node are collected.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use keelson::testing::keelson::keelson_binary;
use keelson::testing::{KeelsonProcess, NodeSimulator, SimulatorOptions, poll_until};

/// A `keelson <args>` child process, killed when dropped.
struct Component(Child);

impl Component {
    fn start(args: &[&str]) -> Component {
        let child = Command::new(keelson_binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a keelson component");
        Component(child)
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kubectl(api: &KeelsonProcess, args: &[&str]) -> String {
    let output = api.kubectl(args);
    assert!(output.status.success(), "kubectl {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Polls `kubectl args…` until its output satisfies `done`.
async fn until(
    api: &KeelsonProcess,
    what: &str,
    args: &[&str],
    done: impl Fn(&str) -> bool,
) -> String {
    poll_until(what, Duration::from_secs(60), || async {
        let output = api.kubectl(args);
        let stdout = String::from_utf8(output.stdout).unwrap();
        (output.status.success() && done(&stdout)).then_some(stdout)
    })
    .await
    .unwrap()
}

/// A pod manifest bound to `node` directly (no scheduler needed).
fn pod_on(name: &str, node: &str, tolerations: &str) -> String {
    format!(
        r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{name}"}},
            "spec": {{"nodeName": "{node}", "tolerations": {tolerations},
                      "containers": [{{"name": "c", "image": "nginx"}}]}}}}"#
    )
}

fn apply(api: &KeelsonProcess, dir: &std::path::Path, name: &str, manifest: &str) {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, manifest).unwrap();
    kubectl(api, &["apply", "-f", path.to_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_nodes_register_renew_and_run_pods() {
    let data = tempfile::tempdir().unwrap();
    let api = KeelsonProcess::start_in(data.path(), "apiserver", &[])
        .await
        .unwrap();
    let options = SimulatorOptions {
        count: 2,
        cpu: "4".into(),
        memory: "8Gi".into(),
        pods: 20,
        lease_renew_interval: Duration::from_millis(500),
        ..Default::default()
    };
    let _simulator = NodeSimulator::start(api.client().await.unwrap(), options)
        .await
        .unwrap();
    assert_eq!(
        kubectl(
            &api,
            &[
                "get",
                "nodes",
                "-o",
                "custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type==\"Ready\")].status,CPU:.status.allocatable.cpu,MEM:.status.allocatable.memory,PODS:.status.allocatable.pods"
            ]
        ),
        "NAME    READY   CPU   MEM   PODS\nsim-0   True    4     8Gi   20\nsim-1   True    4     8Gi   20\n"
    );
    // Leases are held by their nodes and renewed.
    let renewed = kubectl(
        &api,
        &[
            "get",
            "lease",
            "sim-0",
            "-n",
            "kube-node-lease",
            "-o",
            "jsonpath={.spec.holderIdentity} {.spec.renewTime}",
        ],
    );
    assert!(renewed.starts_with("sim-0 "), "{renewed}");
    until(
        &api,
        "a renewal",
        &[
            "get",
            "lease",
            "sim-0",
            "-n",
            "kube-node-lease",
            "-o",
            "jsonpath={.spec.holderIdentity} {.spec.renewTime}",
        ],
        |now| now != renewed,
    )
    .await;

    // A pod bound to a simulated node runs, with an address from the
    // node's range; one that does not restart succeeds.
    let dir = tempfile::tempdir().unwrap();
    apply(&api, dir.path(), "web", &pod_on("web", "sim-1", "[]"));
    let status = until(&api, "the pod to run", &["get", "pod", "web", "-o", "jsonpath={.status.phase} {.status.podIP} {.status.hostIP} {.status.containerStatuses[0].ready}"], |s| s.starts_with("Running")).await;
    assert_eq!(status, "Running 10.64.1.2 172.20.0.2 true");
    kubectl(
        &api,
        &["wait", "--for=condition=Ready", "pod/web", "--timeout=30s"],
    );
    let job = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "once"},
        "spec": {"nodeName": "sim-0", "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}"#;
    apply(&api, dir.path(), "once", job);
    until(
        &api,
        "the run-once pod to succeed",
        &["get", "pod", "once", "-o", "jsonpath={.status.phase}"],
        |s| s == "Succeeded",
    )
    .await;
    assert_eq!(
        kubectl(
            &api,
            &[
                "get",
                "pod",
                "once",
                "-o",
                "jsonpath={.status.containerStatuses[0].state.terminated.reason}"
            ]
        ),
        "Completed"
    );
    // Deleting gracefully completes: the simulated kubelet lets it go.
    kubectl(&api, &["delete", "pod", "web", "--timeout=30s"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_renewing_goes_unknown_and_its_pods_are_evicted() {
    let data = tempfile::tempdir().unwrap();
    let api = KeelsonProcess::start_in(data.path(), "apiserver", &[])
        .await
        .unwrap();
    let kubeconfig = api.data_dir.join("controller-manager.kubeconfig");
    let _controllers = Component::start(&[
        "controller-manager",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--leader-elect=false",
        "--node-monitor-grace-period=3s",
    ]);
    let options = SimulatorOptions {
        count: 2,
        lease_renew_interval: Duration::from_millis(500),
        ..Default::default()
    };
    let simulator = NodeSimulator::start(api.client().await.unwrap(), options)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let brief = r#"[{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]"#;
    let forever = r#"[{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}]"#;
    // `patient` gets the default five minutes (DefaultTolerationSeconds).
    apply(&api, dir.path(), "brief", &pod_on("brief", "sim-1", brief));
    apply(
        &api,
        dir.path(),
        "forever",
        &pod_on("forever", "sim-1", forever),
    );
    apply(
        &api,
        dir.path(),
        "patient",
        &pod_on("patient", "sim-1", "[]"),
    );
    apply(
        &api,
        dir.path(),
        "elsewhere",
        &pod_on("elsewhere", "sim-0", "[]"),
    );
    for pod in ["brief", "forever", "patient", "elsewhere"] {
        kubectl(
            &api,
            &[
                "wait",
                "--for=condition=Ready",
                &format!("pod/{pod}"),
                "--timeout=30s",
            ],
        );
    }

    simulator.stop_renewing("sim-1");
    until(&api, "sim-1 to be NotReady", &["get", "nodes", "--no-headers", "-o", "custom-columns=NAME:.metadata.name,STATUS:.status.conditions[?(@.type==\"Ready\")].status"], |s| {
        s == "sim-0   True\nsim-1   Unknown\n"
    })
    .await;
    let listed = kubectl(&api, &["get", "node", "sim-1", "--no-headers"]);
    assert!(listed.starts_with("sim-1   NotReady"), "{listed}");
    assert_eq!(
        kubectl(
            &api,
            &[
                "get",
                "node",
                "sim-1",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}"
            ]
        ),
        "Kubelet stopped posting node status."
    );
    let taints = until(
        &api,
        "the unreachable taints",
        &[
            "get",
            "node",
            "sim-1",
            "-o",
            "jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}",
        ],
        |s| s.contains("NoExecute"),
    )
    .await;
    assert_eq!(
        taints,
        "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:NoExecute "
    );
    // The pod that tolerates two seconds is evicted (Terminating: its
    // kubelet is gone); the others stay.
    until(
        &api,
        "the brief pod's eviction",
        &[
            "get",
            "pod",
            "brief",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
        ],
        |s| !s.is_empty(),
    )
    .await;
    assert_eq!(
        kubectl(
            &api,
            &[
                "get",
                "pod",
                "brief",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"DisruptionTarget\")].reason}"
            ]
        ),
        "DeletionByTaintManager"
    );
    for pod in ["forever", "patient", "elsewhere"] {
        assert_eq!(
            kubectl(
                &api,
                &[
                    "get",
                    "pod",
                    pod,
                    "-o",
                    "jsonpath={.metadata.deletionTimestamp}"
                ]
            ),
            "",
            "{pod} was evicted"
        );
    }
    assert_eq!(
        kubectl(
            &api,
            &[
                "get",
                "pod",
                "patient",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"
            ]
        ),
        "False"
    );
    assert_eq!(
        kubectl(
            &api,
            &["get", "node", "sim-0", "-o", "jsonpath={.spec.taints}"]
        ),
        ""
    );

    // Back: Ready again, the taints go, the evicted pod is released.
    simulator.resume_renewing("sim-1");
    until(
        &api,
        "sim-1 to be Ready again",
        &[
            "get",
            "node",
            "sim-1",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.spec.taints}",
        ],
        |s| s == "True ",
    )
    .await;
    until(
        &api,
        "the evicted pod to go",
        &["get", "pods", "-o", "name"],
        |s| !s.contains("pod/brief"),
    )
    .await;

    // A deleted node's pods are collected.
    kubectl(&api, &["delete", "node", "sim-1"]);
    until(
        &api,
        "sim-1's pods to be collected",
        &["get", "pods", "-o", "name"],
        |s| s == "pod/elsewhere\n",
    )
    .await;
}
