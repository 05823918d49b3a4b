//! `make bench`, CRD part (issue 6's targets), through `kube::Client` so
//! keelson and kube-apiserver are measured by the same code:
//!
//! * 1,000 CRDs created (`--crds`, `--concurrency` at a time): for each,
//!   the time from its create to `Established` (seen on a watch) and to
//!   its resource being listed in discovery (`/apis/<group>/<version>`);
//!   target ≤ 1 s each;
//! * custom resource creates against ConfigMap creates (`--objects` each,
//!   interleaved): p50/p99 and their ratio; target p99 within 1.5×.
//!
//! ```text
//! cargo bench --bench crds -- [--kubeconfig PATH] [--crds N] [--objects N] [--concurrency N]
//! ```
//!
//! Without `--kubeconfig` it starts `keelson up` on a fresh embedded store.
//! Against another server it deletes what it created afterwards.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use serde_json::json;

/// The groups the CRDs are spread over.
const GROUPS: usize = 10;
const BENCH_GROUP_SUFFIX: &str = "bench.keelson.dev";

struct Args {
    kubeconfig: Option<PathBuf>,
    crds: usize,
    objects: usize,
    concurrency: usize,
}

fn args() -> Args {
    let mut args = Args {
        kubeconfig: None,
        crds: 1000,
        objects: 2000,
        concurrency: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |default| it.next().and_then(|v| v.parse().ok()).unwrap_or(default);
        match arg.as_str() {
            "--kubeconfig" => args.kubeconfig = it.next().map(PathBuf::from),
            "--crds" => args.crds = number(1000),
            "--objects" => args.objects = number(2000),
            "--concurrency" => args.concurrency = number(16),
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Prints p50/p99/max and the share within `target`.
fn report(name: &str, mut latencies: Vec<Duration>, target: Option<Duration>) -> Duration {
    latencies.sort_unstable();
    let within = target.map(|t| {
        let ok = latencies.iter().filter(|l| **l <= t).count();
        format!("   {ok}/{} within {:.0}ms", latencies.len(), ms(t))
    });
    println!(
        "{name:<34} p50 {:>8.2}ms   p99 {:>8.2}ms   max {:>8.2}ms{}",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        within.unwrap_or_default()
    );
    percentile(&latencies, 0.99)
}

fn group(i: usize) -> String {
    format!("g{}.{BENCH_GROUP_SUFFIX}", i % GROUPS)
}

/// The `i`th benchmark CRD: a small operator-like schema.
fn crd(i: usize) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widget{i}s.{}", group(i))},
        "spec": {
            "group": group(i),
            "scope": "Namespaced",
            "names": {"plural": format!("widget{i}s"), "kind": format!("Widget{i}")},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "required": ["size"], "properties": {
                        "size": {"type": "integer", "minimum": 0, "maximum": 1000},
                        "color": {"type": "string", "enum": ["red", "green", "blue"], "default": "red"},
                        "payload": {"type": "string", "maxLength": 4096},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                    }},
                    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
                }}}
            }]
        }
    }))
    .expect("a CRD")
}

async fn client(kubeconfig: &PathBuf) -> Client {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("read the kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("a client configuration");
    Client::try_from(config).expect("a client")
}

/// Whether discovery of `group`/v1 lists `plural`.
async fn discovered(client: &Client, group: &str, plural: &str) -> bool {
    let request = http::Request::get(format!("/apis/{group}/v1"))
        .body(Vec::new())
        .expect("request");
    match client.request::<serde_json::Value>(request).await {
        Ok(list) => list["resources"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["name"] == plural)),
        Err(_) => false,
    }
}

/// Creates `count` CRDs and measures each to Established and to discovery.
async fn establish(client: &Client, count: usize, concurrency: usize) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let created_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let established: Arc<Mutex<HashMap<String, Duration>>> = Arc::default();
    let mut watch = crds
        .watch(&WatchParams::default(), "0")
        .await
        .expect("watch CRDs")
        .boxed();
    let watcher = {
        let created_at = created_at.clone();
        let established = established.clone();
        tokio::spawn(async move {
            while let Some(Ok(event)) = watch.next().await {
                let (WatchEvent::Added(crd) | WatchEvent::Modified(crd)) = event else {
                    continue;
                };
                let name = crd.metadata.name.clone().unwrap_or_default();
                let ready = crd
                    .status
                    .and_then(|s| s.conditions)
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True");
                let Some(start) = created_at.lock().unwrap().get(&name).copied() else {
                    continue;
                };
                if ready {
                    established
                        .lock()
                        .unwrap()
                        .entry(name)
                        .or_insert_with(|| start.elapsed());
                }
            }
        })
    };
    let discovery: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let started = Instant::now();
    futures::stream::iter(0..count)
        .for_each_concurrent(concurrency, |i| {
            let crds = crds.clone();
            let client = client.clone();
            let created_at = created_at.clone();
            let discovery = discovery.clone();
            async move {
                let crd = crd(i);
                let name = crd.metadata.name.clone().unwrap_or_default();
                let plural = crd.spec.names.plural.clone();
                let start = Instant::now();
                created_at.lock().unwrap().insert(name, start);
                crds.create(&PostParams::default(), &crd)
                    .await
                    .expect("create a CRD");
                while !discovered(&client, &group(i), &plural).await {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                discovery.lock().unwrap().push(start.elapsed());
            }
        })
        .await;
    let all_created = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while established.lock().unwrap().len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watcher.abort();
    println!(
        "{count} CRDs created and served in {:.2}s ({concurrency} at a time)",
        all_created.as_secs_f64()
    );
    let established: Vec<Duration> = established.lock().unwrap().values().copied().collect();
    if established.len() < count {
        println!("  only {}/{count} were seen Established", established.len());
    }
    let target = Some(Duration::from_secs(1));
    report("CRD create → Established", established, target);
    report(
        "CRD create → in discovery",
        discovery.lock().unwrap().clone(),
        target,
    );
}

/// Custom resource creates against ConfigMap creates of the same size,
/// interleaved (each worker alternates), so that both see the same load.
async fn creates(client: &Client, namespace: &str, objects: usize, concurrency: usize) {
    let payload = "x".repeat(512);
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(&group(0), "v1", "Widget0"),
        "widget0s",
    );
    let widgets: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (configmaps, widgets, resource, payload) = (
            configmaps.clone(),
            widgets.clone(),
            resource.clone(),
            payload.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut cm_latencies, mut cr_latencies) = (Vec::new(), Vec::new());
            for i in (w..objects).step_by(concurrency) {
                let configmap: ConfigMap = serde_json::from_value(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": format!("cm-{i}"), "labels": {"bench": "keelson"}},
                    "data": {"payload": payload},
                }))
                .expect("a ConfigMap");
                let mut widget = DynamicObject::new(&format!("w-{i}"), &resource);
                widget.metadata.labels = Some([("bench".to_owned(), "keelson".to_owned())].into());
                widget.data = json!({"spec": {"size": i % 1000, "payload": payload}});
                // Alternate which goes first, so neither always follows the other.
                let configmap_first = i % 2 == 0;
                for turn in 0..2 {
                    let t = Instant::now();
                    if (turn == 0) == configmap_first {
                        configmaps
                            .create(&PostParams::default(), &configmap)
                            .await
                            .expect("create a ConfigMap");
                        cm_latencies.push(t.elapsed());
                    } else {
                        widgets
                            .create(&PostParams::default(), &widget)
                            .await
                            .expect("create a custom resource");
                        cr_latencies.push(t.elapsed());
                    }
                }
            }
            (cm_latencies, cr_latencies)
        }));
    }
    let (mut configmap_latencies, mut custom_latencies) = (Vec::new(), Vec::new());
    for worker in workers {
        let (cm, cr) = worker.await.expect("worker");
        configmap_latencies.extend(cm);
        custom_latencies.extend(cr);
    }
    let configmap_p99 = report("ConfigMap create", configmap_latencies, None);
    let custom_p99 = report("custom resource create", custom_latencies, None);
    println!(
        "custom resource / ConfigMap create p99: {:.2}× (target ≤ 1.5×)",
        custom_p99.as_secs_f64() / configmap_p99.as_secs_f64().max(1e-9)
    );
}

fn main() {
    let args = args();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let started;
        let ours = args.kubeconfig.is_none();
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
            "CRDs against {} ({} CRDs, {} objects, {} at a time)",
            kubeconfig.display(),
            args.crds,
            args.objects,
            args.concurrency
        );
        let client = client(&kubeconfig).await;
        let namespace = format!("bench-crds-{}", std::process::id());
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace =
            serde_json::from_value(json!({"metadata": {"name": namespace}})).expect("namespace");
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .expect("create the namespace");
        establish(&client, args.crds.max(1), args.concurrency).await;
        creates(&client, &namespace, args.objects, args.concurrency).await;
        if !ours {
            let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
            for i in 0..args.crds.max(1) {
                let _ = crds
                    .delete(
                        &format!("widget{i}s.{}", group(i)),
                        &DeleteParams::default(),
                    )
                    .await;
            }
        }
        let _ = namespaces
            .delete(&namespace, &DeleteParams::default())
            .await;
    });
}
