//! `make bench`, workloads part (issue 5's target): a Deployment of 1,000
//! replicas on 100 simulated nodes, from `create` until every replica is
//! available (target ≤ 10 s), then a rolling update of all of them to a
//! new image, on a fresh `keelson up` (embedded store, controllers and
//! scheduler in-process).
//!
//! ```text
//! cargo bench --bench workloads -- [--replicas N] [--nodes N]
//! ```

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use keelson::testing::keelson::KeelsonProcess;
use keelson::testing::{NodeSimulator, SimulatorOptions};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Polls the Deployment until every replica runs the current template
/// and is available; how long that took from `since`.
async fn until_rolled_out(api: &Api<Deployment>, replicas: i32, since: Instant) -> Duration {
    loop {
        let deployment = api.get("bench").await.expect("the deployment");
        let generation = deployment.metadata.generation.unwrap_or(0);
        if let Some(status) = deployment.status
            && status.observed_generation.unwrap_or(0) >= generation
            && status.updated_replicas == Some(replicas)
            && status.available_replicas == Some(replicas)
            && status.replicas == Some(replicas)
        {
            return since.elapsed();
        }
        if since.elapsed() > Duration::from_secs(300) {
            panic!("not rolled out after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() {
    // `cargo nextest` lists every target's tests; a bench has none.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let replicas = arg("--replicas", 1000) as i32;
    let nodes = arg("--nodes", 100);
    let keelson = KeelsonProcess::start(&[]).await.expect("keelson up");
    let client = keelson.client().await.expect("a client");
    let _simulator = NodeSimulator::start(
        client.clone(),
        SimulatorOptions {
            count: nodes,
            ..Default::default()
        },
    )
    .await
    .expect("simulated nodes");

    let api: Api<Deployment> = Api::namespaced(client, "default");
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "bench"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {
                "metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
            },
        },
    }))
    .expect("a deployment");
    let started = Instant::now();
    api.create(&PostParams::default(), &deployment)
        .await
        .expect("create");
    let available = until_rolled_out(&api, replicas, started).await;
    println!(
        "Deployment of {replicas} replicas on {nodes} simulated nodes: all available in {:.2}s (target ≤ 10 s: {:.2}×)",
        available.as_secs_f64(),
        available.as_secs_f64() / 10.0
    );

    let started = Instant::now();
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}});
    api.patch("bench", &PatchParams::default(), &Patch::Strategic(&image))
        .await
        .expect("new image");
    let rolled = until_rolled_out(&api, replicas, started).await;
    println!(
        "rolling update of {replicas} replicas (25% surge / 25% unavailable): {:.2}s",
        rolled.as_secs_f64()
    );
}
