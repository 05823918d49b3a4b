//! `make bench`, API part: a load generator speaking to any Kubernetes API
//! server through `kube::Client`, so keelson and kube-apiserver can be
//! measured by the same code.
//!
//! ```text
//! cargo bench --bench api -- [--kubeconfig PATH] [--concurrency N] [--objects N]
//! ```
//!
//! Without `--kubeconfig` it starts `keelson up` on a fresh embedded store
//! (release build) and measures that. Prints throughput and p50/p99 latency
//! of ConfigMap create, get, list and watch delivery, in a namespace of its
//! own that it deletes afterwards.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

struct Args {
    kubeconfig: Option<PathBuf>,
    concurrency: usize,
    objects: usize,
}

fn args() -> Args {
    let mut args = Args {
        kubeconfig: None,
        concurrency: 32,
        objects: 5000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--kubeconfig" => args.kubeconfig = it.next().map(PathBuf::from),
            "--concurrency" => {
                args.concurrency = it.next().and_then(|v| v.parse().ok()).unwrap_or(32)
            }
            "--objects" => args.objects = it.next().and_then(|v| v.parse().ok()).unwrap_or(5000),
            // cargo bench passes `--bench`; ignore what is not ours.
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

/// One result line; `elapsed` is `None` where throughput means nothing
/// (watch delivery is paced by the creates).
fn report(name: &str, ops: usize, elapsed: Option<Duration>, mut latencies: Vec<Duration>) {
    latencies.sort_unstable();
    let rate = elapsed.map_or_else(
        || format!("{:>12}", "-"),
        |e| format!("{:>10.0}/s", ops as f64 / e.as_secs_f64()),
    );
    println!(
        "{name:<28} {rate}   p50 {:>8.2}ms   p99 {:>8.2}ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
}

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"bench": "keelson"}},
        "data": {"payload": "x".repeat(512)},
    }))
    .expect("a ConfigMap")
}

/// Runs `total` operations `op(i)` with `concurrency` workers.
async fn run<F, Fut>(total: usize, concurrency: usize, op: F) -> (Duration, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in (w..total).step_by(concurrency) {
                let t = Instant::now();
                op(i).await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    (started.elapsed(), latencies)
}

async fn client(kubeconfig: &PathBuf) -> Client {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("read the kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("a client configuration");
    Client::try_from(config).expect("a client")
}

async fn bench(client: Client, concurrency: usize, objects: usize) {
    let namespace = format!("bench-{}", std::process::id());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create the namespace");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);

    // Watch delivery: every create is timed from the call to the event.
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let delivered: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut stream = api
        .watch(&WatchParams::default().timeout(290), "0")
        .await
        .expect("start a watch")
        .boxed();
    let watcher = {
        let (sent, delivered) = (sent.clone(), delivered.clone());
        tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                if let WatchEvent::Added(cm) = event {
                    let name = cm.metadata.name.unwrap_or_default();
                    if let Some(at) = sent.lock().unwrap().get(&name) {
                        let mut delivered = delivered.lock().unwrap();
                        delivered.push(at.elapsed());
                        if delivered.len() == objects {
                            return;
                        }
                    }
                }
            }
        })
    };

    let creator = api.clone();
    let stamps = sent.clone();
    let (elapsed, latencies) = run(objects, concurrency, move |i| {
        let api = creator.clone();
        let stamps = stamps.clone();
        async move {
            let name = format!("cm-{i:06}");
            stamps.lock().unwrap().insert(name.clone(), Instant::now());
            api.create(&PostParams::default(), &configmap(&name))
                .await
                .expect("create");
        }
    })
    .await;
    report("create", objects, Some(elapsed), latencies);

    let getter = api.clone();
    let (elapsed, latencies) = run(objects, concurrency, move |i| {
        let api = getter.clone();
        async move {
            api.get(&format!("cm-{:06}", (i * 7919) % objects))
                .await
                .expect("get");
        }
    })
    .await;
    report("get", objects, Some(elapsed), latencies);

    let lists = 20;
    let lister = api.clone();
    let (elapsed, latencies) = run(lists, 1, move |_| {
        let api = lister.clone();
        async move {
            let list = api.list(&ListParams::default()).await.expect("list");
            // A control plane with controllers adds its own ConfigMaps
            // (`kube-root-ca.crt`) to every namespace.
            let ours = list.items.iter().filter(|cm| {
                cm.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| n.starts_with("cm-"))
            });
            assert_eq!(ours.count(), objects);
        }
    })
    .await;
    report(
        &format!("list {objects} (consistent)"),
        lists,
        Some(elapsed),
        latencies,
    );

    let lister = api.clone();
    let (elapsed, latencies) = run(lists, 1, move |_| {
        let api = lister.clone();
        async move {
            api.list(&ListParams::default().match_any())
                .await
                .expect("list");
        }
    })
    .await;
    report(
        &format!("list {objects} (rv=0)"),
        lists,
        Some(elapsed),
        latencies,
    );

    let _ = tokio::time::timeout(Duration::from_secs(30), watcher).await;
    let delivered = std::mem::take(&mut *delivered.lock().unwrap());
    report("watch (create → event)", delivered.len(), None, delivered);

    let _ = namespaces
        .delete(&namespace, &DeleteParams::default())
        .await;
}

fn main() {
    let args = args();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        // Without a kubeconfig, measure a fresh `keelson up` (kept alive
        // until the end of this block).
        let started;
        let kubeconfig = match args.kubeconfig.clone() {
            Some(kubeconfig) => kubeconfig,
            None => {
                started = keelson::testing::keelson::KeelsonProcess::start(&[])
                    .await
                    .expect("start keelson up");
                started.kubeconfig.clone()
            }
        };
        println!(
            "API load against {} ({} workers, {} objects)",
            kubeconfig.display(),
            args.concurrency,
            args.objects
        );
        bench(client(&kubeconfig).await, args.concurrency, args.objects).await;
    });
}
