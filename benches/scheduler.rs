//! `make bench`, scheduler part (issue 5's target): 5,000 simulated nodes
//! and 30,000 pending pods, scheduled by a `keelson scheduler` process
//! against a `keelson apiserver` on the embedded store.
//!
//! * backlog: the pods are created while no scheduler runs; then the
//!   scheduler starts and binds them all: pods/s (target ≥ 1,000 on a
//!   2-core machine; upstream's scheduler_perf threshold at 5,000 nodes
//!   is 270);
//! * latency: more pods created while the scheduler runs (`--stream`,
//!   `--concurrency` at a time): p50/p99 from create to bound, as a
//!   watch sees it.
//!
//! As in upstream's scheduler_perf, nodes are registered and keep their
//! leases but no kubelet runs the pods.
//!
//! ```text
//! cargo bench --bench scheduler -- [--nodes N] [--pods N] [--stream N] [--concurrency N]
//! ```

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Client;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use serde_json::json;

use keelson::testing::keelson::{KeelsonProcess, keelson_binary};
use keelson::testing::{NodeSimulator, SimulatorOptions};

struct Args {
    nodes: usize,
    pods: usize,
    stream: usize,
    concurrency: usize,
}

fn args() -> Args {
    let mut args = Args {
        nodes: 5000,
        pods: 30_000,
        stream: 3000,
        concurrency: 32,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |default: usize| it.next().and_then(|v| v.parse().ok()).unwrap_or(default);
        match arg.as_str() {
            "--nodes" => args.nodes = value(args.nodes),
            "--pods" => args.pods = value(args.pods),
            "--stream" => args.stream = value(args.stream),
            "--concurrency" => args.concurrency = value(args.concurrency),
            _ => {}
        }
    }
    args
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// upstream scheduler_perf's default pod: 100m CPU, 500Mi.
fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]},
    }))
    .expect("a pod")
}

/// Creates `count` pods named `<prefix><i>`, `concurrency` at a time;
/// when each create was sent.
async fn create_pods(
    pods: &Api<Pod>,
    prefix: &str,
    count: usize,
    concurrency: usize,
    sent: &Arc<Mutex<HashMap<String, Instant>>>,
) {
    futures::stream::iter(0..count)
        .map(|i| {
            let name = format!("{prefix}{i}");
            let pods = pods.clone();
            let sent = sent.clone();
            async move {
                sent.lock().unwrap().insert(name.clone(), Instant::now());
                pods.create(&PostParams::default(), &pod(&name))
                    .await
                    .expect("create a pod");
            }
        })
        .buffer_unordered(concurrency)
        .for_each(|()| async {})
        .await;
}

/// Watches the namespace's pods and records when each was first seen
/// bound.
fn watch_bindings(
    pods: Api<Pod>,
    bound: Arc<Mutex<HashMap<String, Instant>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = pods
            .watch(&WatchParams::default().timeout(3600), "0")
            .await
            .expect("watch pods")
            .boxed();
        while let Some(Ok(event)) = stream.next().await {
            if let WatchEvent::Added(pod) | WatchEvent::Modified(pod) = event
                && pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_ref())
                    .is_some()
            {
                let name = pod.metadata.name.unwrap_or_default();
                bound
                    .lock()
                    .unwrap()
                    .entry(name)
                    .or_insert_with(Instant::now);
            }
        }
    })
}

async fn wait_bound(bound: &Arc<Mutex<HashMap<String, Instant>>>, prefix: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = bound
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .count();
        if done >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {count} pods were bound in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `keelson scheduler` process, killed when dropped.
struct SchedulerProcess(Child);

impl Drop for SchedulerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn client(kubeconfig: &std::path::Path) -> Client {
    let (client, _) = keelson::cli::controller_manager::client_from_kubeconfig(
        kubeconfig,
        "kube-scheduler-bench",
    )
    .await
    .expect("a client");
    client
}

fn main() {
    let args = args();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let data = tempfile::tempdir().expect("a data dir");
        let api = KeelsonProcess::start_in(data.path(), "apiserver", &[])
            .await
            .expect("start keelson apiserver");
        println!(
            "scheduler: {} simulated nodes, {} pending pods, then {} more {} at a time",
            args.nodes, args.pods, args.stream, args.concurrency
        );
        let client = client(&api.kubeconfig).await;

        let started = Instant::now();
        let _simulator = NodeSimulator::start(
            client.clone(),
            SimulatorOptions {
                count: args.nodes,
                cpu: "4".into(),
                memory: "32Gi".into(),
                pods: 110,
                run_pods: false,
                concurrency: 64,
                ..Default::default()
            },
        )
        .await
        .expect("simulated nodes");
        println!("  {} nodes registered with leases in {:.1?}", args.nodes, started.elapsed());

        let namespace = "bench-scheduler";
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .expect("create the namespace");
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let sent = Arc::new(Mutex::new(HashMap::new()));
        let bound = Arc::new(Mutex::new(HashMap::new()));
        let _watch = watch_bindings(pods.clone(), bound.clone());

        let started = Instant::now();
        create_pods(&pods, "backlog-", args.pods, args.concurrency * 2, &sent).await;
        let created = started.elapsed();
        println!(
            "  {} pods created in {created:.1?} ({:.0}/s)",
            args.pods,
            args.pods as f64 / created.as_secs_f64()
        );

        let started = Instant::now();
        let _scheduler = SchedulerProcess(
            Command::new(keelson_binary())
                .arg("scheduler")
                .arg("--kubeconfig")
                .arg(api.data_dir.join("scheduler.kubeconfig"))
                .arg("--leader-elect=false")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start keelson scheduler"),
        );
        wait_bound(&bound, "backlog-", args.pods).await;
        let all = started.elapsed();
        let (first, last) = {
            let bound = bound.lock().unwrap();
            let times = bound.values();
            (*times.clone().min().unwrap(), *times.max().unwrap())
        };
        let binding = last.duration_since(first);
        println!(
            "  backlog: {} pods bound in {all:.1?} from scheduler start ({:.0} pods/s); \
             first to last binding {binding:.1?}: {:.0} pods/s (target >= 1000; upstream threshold 270)",
            args.pods,
            args.pods as f64 / all.as_secs_f64(),
            args.pods as f64 / binding.as_secs_f64(),
        );

        if args.stream > 0 {
            let started = Instant::now();
            create_pods(&pods, "stream-", args.stream, args.concurrency, &sent).await;
            wait_bound(&bound, "stream-", args.stream).await;
            let elapsed = started.elapsed();
            let mut latencies: Vec<Duration> = {
                let sent = sent.lock().unwrap();
                let bound = bound.lock().unwrap();
                sent.iter()
                    .filter(|(name, _)| name.starts_with("stream-"))
                    .filter_map(|(name, at)| bound.get(name).map(|b| b.duration_since(*at)))
                    .collect()
            };
            latencies.sort();
            println!(
                "  stream: {} pods created and bound in {elapsed:.1?} ({:.0} pods/s); create -> bound p50 {:.1?}, p99 {:.1?}",
                args.stream,
                args.stream as f64 / elapsed.as_secs_f64(),
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.99),
            );
        }
    });
}
