//! Built-in kinds' strategies through a real store on the embedded
//! backend: what a client gets back from create and update (defaults,
//! admission's additions, status), the 422s it gets for invalid objects,
//! and field selectors in lists.

use std::sync::Arc;

use keelson::apiserver::registry::Registry;
use keelson::apiserver::registry::builtin::builtin_resources;
use keelson::apiserver::registry::filter::Filter;
use keelson::apiserver::registry::store::{Part, ResourceStore, WriteOptions};
use keelson::apiserver::request::query::ReadOptions;
use keelson::apiserver::status::ApiError;
use keelson::storage::embedded::EmbeddedStorage;
use serde_json::{Value, json};

struct Cluster {
    registry: Registry,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(EmbeddedStorage::open(dir.path()).unwrap());
        let registry = Registry::new(storage);
        for descriptor in builtin_resources() {
            registry.add_builtin(descriptor);
        }
        Cluster {
            registry,
            _dir: dir,
        }
    }

    fn store(&self, group: &str, plural: &str) -> Arc<ResourceStore> {
        self.registry.get(group, "v1", plural).unwrap()
    }
}

fn causes(error: &ApiError) -> Vec<String> {
    error
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect()
        })
        .unwrap_or_default()
}

async fn create(store: &ResourceStore, body: Value) -> Result<Value, ApiError> {
    store
        .create(Some("default"), body, &WriteOptions::default())
        .await
        .map(|w| w.object)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_pod_comes_back_defaulted_admitted_and_pending() {
    let cluster = Cluster::new();
    let pods = cluster.store("", "pods");
    let pod = create(
        &pods,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
               "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
    )
    .await
    .unwrap();
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["dnsPolicy"], "ClusterFirst");
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(spec["securityContext"], json!({}));
    assert_eq!(spec["enableServiceLinks"], true);
    assert_eq!(spec["priority"], 0);
    assert_eq!(spec["tolerations"].as_array().unwrap().len(), 2);
    let container = &spec["containers"][0];
    assert_eq!(container["imagePullPolicy"], "Always");
    assert_eq!(container["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(container["resources"], json!({}));
    assert_eq!(pod["status"]["phase"], "Pending");
    assert_eq!(pod["status"]["qosClass"], "BestEffort");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_updates_may_change_only_what_upstream_allows() {
    let cluster = Cluster::new();
    let pods = cluster.store("", "pods");
    let pod = create(
        &pods,
        json!({"metadata": {"name": "web"},
               "spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}),
    )
    .await
    .unwrap();

    let mut new_image = pod.clone();
    new_image["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    let updated = pods
        .update(
            Some("default"),
            "web",
            new_image,
            Part::Main,
            &WriteOptions::default(),
        )
        .await
        .unwrap()
        .object;
    assert_eq!(updated["spec"]["containers"][0]["image"], "nginx:1.27");
    assert_eq!(updated["status"]["phase"], "Pending");

    let mut new_port = updated.clone();
    new_port["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80}]);
    let error = pods
        .update(
            Some("default"),
            "web",
            new_port,
            Part::Main,
            &WriteOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.reason, "Invalid");
    assert!(
        causes(&error)[0]
            .starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"),
        "{:?}",
        causes(&error)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_workloads_are_rejected_with_upstreams_causes() {
    let cluster = Cluster::new();
    let deployments = cluster.store("apps", "deployments");
    let error = create(
        &deployments,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "api"}},
                                     "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code.as_u16(), 422);
    assert_eq!(
        error.message,
        "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_keep_their_cluster_ip_across_a_put_without_it() {
    let cluster = Cluster::new();
    let services = cluster.store("", "services");
    let body = json!({"metadata": {"name": "web"},
        "spec": {"clusterIP": "10.96.0.20", "selector": {"app": "web"}, "ports": [{"port": 80}]}});
    let created = create(&services, body).await.unwrap();
    assert_eq!(created["spec"]["clusterIPs"], json!(["10.96.0.20"]));
    // (IP families are the allocator's, tested in tests/services.rs.)

    let replacement = json!({"metadata": {"name": "web"},
        "spec": {"selector": {"app": "web2"}, "ports": [{"port": 80}]}});
    let updated = services
        .update(
            Some("default"),
            "web",
            replacement,
            Part::Main,
            &WriteOptions::default(),
        )
        .await
        .unwrap()
        .object;
    assert_eq!(updated["spec"]["clusterIP"], "10.96.0.20");
    assert_eq!(updated["spec"]["selector"], json!({"app": "web2"}));

    let error = create(
        &services,
        json!({"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}),
    )
    .await
    .unwrap_err();
    assert!(
        causes(&error)[0].starts_with("metadata.name: Invalid value: \"1web\": a DNS-1035 label"),
        "{:?}",
        causes(&error)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_select_their_pods_by_uid() {
    let cluster = Cluster::new();
    let jobs = cluster.store("batch", "jobs");
    let job = create(
        &jobs,
        json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}}}),
    )
    .await
    .unwrap();
    let uid = job["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        job["spec"]["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    );
    assert_eq!(job["metadata"]["labels"]["job-name"], "pi");
    assert_eq!(job["spec"]["backoffLimit"], 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_selectors_select_and_unknown_fields_are_refused() {
    let cluster = Cluster::new();
    let pods = cluster.store("", "pods");
    for (name, node) in [("a", "n1"), ("b", "n2"), ("c", "")] {
        create(
            &pods,
            json!({"metadata": {"name": name},
                   "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x:1"}]}}),
        )
        .await
        .unwrap();
    }
    let filter =
        |selector: &str| Filter::new(pods.strategy.clone(), Some("default"), None, "", selector);
    let names = |page: keelson::apiserver::registry::store::ListPage| -> Vec<String> {
        page.items
            .iter()
            .map(|o| o.object["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = pods
        .list(
            Some("default"),
            &ReadOptions::default(),
            &filter("spec.nodeName=n1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(names(page), ["a"]);
    let page = pods
        .list(
            Some("default"),
            &ReadOptions::default(),
            &filter("spec.nodeName=,status.phase=Pending").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(names(page), ["c"]);
    let error = filter("spec.containers=x").err().unwrap();
    assert_eq!(error.message, "field label not supported: spec.containers");

    let secrets = cluster.store("", "secrets");
    create(
        &secrets,
        json!({"metadata": {"name": "s"}, "stringData": {"k": "v"}}),
    )
    .await
    .unwrap();
    let by_type = Filter::new(
        secrets.strategy.clone(),
        Some("default"),
        None,
        "",
        "type=Opaque",
    )
    .unwrap();
    let page = secrets
        .list(Some("default"), &ReadOptions::default(), &by_type)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    // stringData is written into data, never stored.
    let secret = &page.items[0].object;
    assert_eq!(secret["data"], json!({"k": "dg=="}));
    assert!(secret.get("stringData").is_none());
}
