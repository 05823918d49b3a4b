//! Issue 4 item 6: deletion semantics. Graceful pod deletion, finalizers,
//! propagationPolicy and deletecollection through the in-process API for
//! the fine points, and what a kubectl user sees on both backends.

mod cluster;

use std::time::Duration;

use futures::StreamExt;
use http::{Method, StatusCode};
use keelson::testing::api::TestApi;
use serde_json::{Value, json};

use cluster::Cluster;

const PODS: &str = "/api/v1/namespaces/default/pods";
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

fn pod(name: &str, node: Option<&str>) -> Value {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}],
                 "terminationGracePeriodSeconds": 30},
    });
    if let Some(node) = node {
        pod["spec"]["nodeName"] = json!(node);
    }
    pod
}

fn configmap(name: &str, finalizers: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "finalizers": finalizers, "labels": {"set": "a"}}})
}

async fn create(api: &TestApi, collection: &str, body: Value) -> Value {
    let reply = api.call(Method::POST, collection, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()
}

async fn delete(api: &TestApi, uri: &str, options: Option<Value>) -> keelson::testing::api::Reply {
    api.call(Method::DELETE, uri, options).await
}

async fn status_of(api: &TestApi, uri: &str) -> StatusCode {
    api.call(Method::GET, uri, None).await.status
}

/// The next `n` watch events as (type, deletionGracePeriodSeconds).
async fn next_events(
    events: &mut futures::stream::BoxStream<'static, Value>,
    n: usize,
) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .expect("a watch event in time")
            .expect("the watch goes on");
        if event["type"] == "BOOKMARK" {
            continue;
        }
        seen.push((
            event["type"].as_str().unwrap().to_owned(),
            event["object"]["metadata"]["deletionGracePeriodSeconds"].clone(),
        ));
    }
    seen
}

#[tokio::test]
async fn a_bound_pod_waits_for_its_kubelet_and_grace_only_shortens() {
    let api = TestApi::start().await;
    let created = create(&api, PODS, pod("web", Some("node-1"))).await;
    let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
    let (_, mut events) = api
        .watch(&format!(
            "{PODS}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dweb"
        ))
        .await;
    let uri = format!("{PODS}/web");

    let first = delete(&api, &uri, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let marked = first.json();
    assert_eq!(marked["kind"], "Pod");
    assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 30);
    let deadline: jiff::Timestamp = marked["metadata"]["deletionTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let from_now = deadline.duration_since(jiff::Timestamp::now()).as_secs();
    assert!(
        (25..=31).contains(&from_now),
        "deletionTimestamp {from_now}s away"
    );
    assert_eq!(status_of(&api, &uri).await, StatusCode::OK);

    // A longer grace is ignored, a shorter one taken.
    let longer = delete(&api, &uri, Some(json!({"gracePeriodSeconds": 60}))).await;
    assert_eq!(longer.json()["metadata"]["deletionGracePeriodSeconds"], 30);
    let shorter = delete(&api, &format!("{uri}?gracePeriodSeconds=10"), None).await;
    let shortened = shorter.json();
    assert_eq!(shortened["metadata"]["deletionGracePeriodSeconds"], 10);
    let moved: jiff::Timestamp = shortened["metadata"]["deletionTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(deadline.duration_since(moved).as_secs(), 20);

    // The kubelet's final DELETE.
    let last = delete(&api, &uri, Some(json!({"gracePeriodSeconds": 0}))).await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(last.json()["kind"], "Pod");
    assert_eq!(status_of(&api, &uri).await, StatusCode::NOT_FOUND);

    assert_eq!(
        next_events(&mut events, 4).await,
        [
            ("MODIFIED".to_owned(), json!(30)),
            ("MODIFIED".to_owned(), json!(10)),
            ("MODIFIED".to_owned(), json!(0)),
            ("DELETED".to_owned(), json!(0)),
        ]
    );
}

#[tokio::test]
async fn pods_no_kubelet_runs_go_at_once_after_being_marked() {
    let api = TestApi::start().await;
    let created = create(&api, PODS, pod("pending", None)).await;
    let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
    let (_, mut events) = api
        .watch(&format!("{PODS}?watch=true&resourceVersion={rv}"))
        .await;
    let reply = delete(&api, &format!("{PODS}/pending"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        status_of(&api, &format!("{PODS}/pending")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        next_events(&mut events, 2).await,
        [
            ("MODIFIED".to_owned(), json!(0)),
            ("DELETED".to_owned(), json!(0))
        ]
    );

    // A finished pod on a node goes at once too.
    create(&api, PODS, pod("done", Some("node-1"))).await;
    let status = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "done"},
                        "status": {"phase": "Succeeded"}});
    let reply = api
        .call_with(
            Method::PATCH,
            &format!("{PODS}/done/status"),
            &[("content-type", "application/merge-patch+json")],
            serde_json::to_vec(&status).unwrap().into(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    delete(&api, &format!("{PODS}/done"), None).await;
    assert_eq!(
        status_of(&api, &format!("{PODS}/done")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn dry_run_deletes_nothing() {
    let api = TestApi::start().await;
    create(&api, PODS, pod("web", Some("node-1"))).await;
    let reply = delete(&api, &format!("{PODS}/web?dryRun=All"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["metadata"]["deletionGracePeriodSeconds"], 30);
    let found = api
        .call(Method::GET, &format!("{PODS}/web"), None)
        .await
        .json();
    assert!(found["metadata"].get("deletionTimestamp").is_none());
}

async fn merge_patch(api: &TestApi, uri: &str, patch: Value) -> keelson::testing::api::Reply {
    api.call_with(
        Method::PATCH,
        uri,
        &[("content-type", "application/merge-patch+json")],
        serde_json::to_vec(&patch).unwrap().into(),
    )
    .await
}

#[tokio::test]
async fn finalizers_hold_objects_and_only_go_away() {
    let api = TestApi::start().await;
    create(&api, CONFIGMAPS, configmap("held", &["example.com/a"])).await;
    let uri = format!("{CONFIGMAPS}/held");
    let pending = delete(&api, &uri, None).await;
    assert_eq!(pending.status, StatusCode::OK);
    let pending = pending.json();
    assert_eq!(pending["kind"], "ConfigMap");
    assert!(pending["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(pending["metadata"]["deletionGracePeriodSeconds"], 0);
    // Deleting it again writes nothing.
    let again = delete(&api, &uri, None).await.json();
    assert_eq!(
        again["metadata"]["resourceVersion"],
        pending["metadata"]["resourceVersion"]
    );

    let added = merge_patch(
        &api,
        &uri,
        json!({"metadata": {"finalizers": ["example.com/a", "example.com/c", "example.com/b"]}}),
    )
    .await;
    assert_eq!(added.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        added.json()["message"],
        "ConfigMap \"held\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/b\", \"example.com/c\"}"
    );
    // Other changes are fine; removing the last finalizer removes it.
    let labelled = merge_patch(&api, &uri, json!({"metadata": {"labels": {"x": "y"}}})).await;
    assert_eq!(labelled.status, StatusCode::OK);
    let removed = merge_patch(&api, &uri, json!({"metadata": {"finalizers": null}})).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(status_of(&api, &uri).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_graceful_pod_outlives_its_finalizers_until_the_kubelet_is_done() {
    let api = TestApi::start().await;
    let mut held = pod("held", Some("node-1"));
    held["metadata"]["finalizers"] = json!(["example.com/a"]);
    create(&api, PODS, held).await;
    let uri = format!("{PODS}/held");
    delete(&api, &uri, None).await;
    let update = json!([{"op": "remove", "path": "/metadata/finalizers"}]);
    let reply = api
        .call_with(
            Method::PATCH,
            &uri,
            &[("content-type", "application/json-patch+json")],
            serde_json::to_vec(&update).unwrap().into(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(status_of(&api, &uri).await, StatusCode::OK);
    delete(&api, &uri, Some(json!({"gracePeriodSeconds": 0}))).await;
    assert_eq!(status_of(&api, &uri).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn status_writes_keep_a_deleting_object_and_its_finalizers() {
    let api = TestApi::start().await;
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["example.com/a"]},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let created = create(&api, deployments, deployment).await;
    assert_eq!(created["metadata"]["generation"], 1);
    let uri = format!("{deployments}/web");
    let marked = delete(&api, &uri, None).await.json();
    // Marking an object for deletion is a change of its desired state.
    assert_eq!(marked["metadata"]["generation"], 2);
    let status = merge_patch(
        &api,
        &format!("{uri}/status"),
        json!({"status": {"replicas": 0},
        "metadata": {"finalizers": null}}),
    )
    .await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(
        status.json()["metadata"]["finalizers"],
        json!(["example.com/a"])
    );
    assert_eq!(status_of(&api, &uri).await, StatusCode::OK);
    merge_patch(&api, &uri, json!({"metadata": {"finalizers": []}})).await;
    assert_eq!(status_of(&api, &uri).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn propagation_policies_put_finalizers_on() {
    let api = TestApi::start().await;
    for (name, options, finalizers) in [
        (
            "orphan",
            json!({"propagationPolicy": "Orphan"}),
            json!(["orphan"]),
        ),
        (
            "foreground",
            json!({"propagationPolicy": "Foreground"}),
            json!(["foregroundDeletion"]),
        ),
        (
            "legacy",
            json!({"orphanDependents": true}),
            json!(["orphan"]),
        ),
    ] {
        create(&api, CONFIGMAPS, configmap(name, &[])).await;
        let reply = delete(&api, &format!("{CONFIGMAPS}/{name}"), Some(options)).await;
        assert_eq!(reply.status, StatusCode::OK);
        let kept = reply.json();
        assert_eq!(kept["metadata"]["finalizers"], finalizers, "{name}");
        assert!(kept["metadata"]["deletionTimestamp"].is_string(), "{name}");
    }
    // A legacy request for cascading deletion that must wait says 202.
    create(&api, CONFIGMAPS, configmap("cascade", &["example.com/a"])).await;
    let reply = delete(
        &api,
        &format!("{CONFIGMAPS}/cascade"),
        Some(json!({"orphanDependents": false})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);

    create(&api, CONFIGMAPS, configmap("background", &[])).await;
    let reply = delete(
        &api,
        &format!("{CONFIGMAPS}/background?propagationPolicy=Background"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["kind"], "Status");
    assert_eq!(
        status_of(&api, &format!("{CONFIGMAPS}/background")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn conflicting_options_are_invalid() {
    let api = TestApi::start().await;
    create(&api, CONFIGMAPS, configmap("c", &[])).await;
    let reply = delete(
        &api,
        &format!("{CONFIGMAPS}/c"),
        Some(json!({"orphanDependents": true, "propagationPolicy": "Background"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = reply.json();
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(
        status["message"],
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Background\": orphanDependents and deletionPropagation cannot be both set"
    );
    assert_eq!(status["details"]["kind"], "DeleteOptions");
    assert_eq!(status["details"]["group"], "meta.k8s.io");
    let unknown = delete(
        &api,
        &format!("{CONFIGMAPS}/c?propagationPolicy=Sideways"),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        status_of(&api, &format!("{CONFIGMAPS}/c")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn jobs_keep_their_pods_unless_told_and_say_so() {
    let api = TestApi::start().await;
    let jobs = "/apis/batch/v1/namespaces/default/jobs";
    let job = |name: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "c", "image": "busybox"}]}}}})
    };
    create(&api, jobs, job("kept")).await;
    let reply = delete(&api, &format!("{jobs}/kept"), None).await;
    assert_eq!(reply.json()["metadata"]["finalizers"], json!(["orphan"]));
    assert!(
        reply.warnings()[0].contains("child pods are preserved by default when jobs are deleted")
    );
    create(&api, jobs, job("gone")).await;
    let reply = delete(
        &api,
        &format!("{jobs}/gone"),
        Some(json!({"propagationPolicy": "Background"})),
    )
    .await;
    assert!(reply.warnings().is_empty());
    assert_eq!(
        status_of(&api, &format!("{jobs}/gone")).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deletecollection_applies_the_options_to_each_selected_object() {
    let api = TestApi::start().await;
    for name in ["a", "b"] {
        create(&api, CONFIGMAPS, configmap(name, &[])).await;
    }
    create(
        &api,
        CONFIGMAPS,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "other", "labels": {"set": "b"}}}),
    )
    .await;

    let dry = delete(
        &api,
        &format!("{CONFIGMAPS}?labelSelector=set%3Da&dryRun=All"),
        None,
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK);
    assert_eq!(dry.json()["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        status_of(&api, &format!("{CONFIGMAPS}/a")).await,
        StatusCode::OK
    );

    let orphaned = delete(
        &api,
        &format!("{CONFIGMAPS}?labelSelector=set%3Da"),
        Some(json!({"propagationPolicy": "Orphan"})),
    )
    .await;
    assert_eq!(orphaned.status, StatusCode::OK);
    for name in ["a", "b"] {
        let kept = api
            .call(Method::GET, &format!("{CONFIGMAPS}/{name}"), None)
            .await
            .json();
        assert_eq!(kept["metadata"]["finalizers"], json!(["orphan"]));
    }
    let other = api
        .call(Method::GET, &format!("{CONFIGMAPS}/other"), None)
        .await
        .json();
    assert!(other["metadata"].get("deletionTimestamp").is_none());

    // Pods by field selector, with a grace period for each.
    create(&api, PODS, pod("p1", Some("node-1"))).await;
    create(&api, PODS, pod("p2", Some("node-2"))).await;
    let reply = delete(
        &api,
        &format!("{PODS}?fieldSelector=spec.nodeName%3Dnode-1&gracePeriodSeconds=5"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let p1 = api
        .call(Method::GET, &format!("{PODS}/p1"), None)
        .await
        .json();
    assert_eq!(p1["metadata"]["deletionGracePeriodSeconds"], 5);
    let p2 = api
        .call(Method::GET, &format!("{PODS}/p2"), None)
        .await
        .json();
    assert!(p2["metadata"].get("deletionTimestamp").is_none());
    delete(&api, &format!("{PODS}?gracePeriodSeconds=0"), None).await;
    for name in ["p1", "p2"] {
        assert_eq!(
            status_of(&api, &format!("{PODS}/{name}")).await,
            StatusCode::NOT_FOUND
        );
    }
}

const BOUND_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  nodeName: node-1
  terminationGracePeriodSeconds: 30
  containers:
  - name: c
    image: busybox
";

on_both_backends! {
    async fn kubectl_graceful_then_forced_pod_deletion(cluster: Cluster) {
        let file = cluster.file("pod.yaml", BOUND_POD);
        assert_eq!(cluster.kubectl(&["create", "-f", &file]).ok(), "pod/web created\n");
        assert_eq!(
            cluster.kubectl(&["delete", "pod", "web", "--wait=false"]).ok(),
            "pod \"web\" deleted\n"
        );
        let grace = cluster.kubectl(&["get", "pod", "web", "-o",
            "jsonpath={.metadata.deletionGracePeriodSeconds} {.metadata.deletionTimestamp}"]);
        let grace = grace.ok();
        assert!(grace.starts_with("30 20"), "{grace}");
        let table = cluster.kubectl(&["get", "pod", "web", "--no-headers"]);
        assert_eq!(table.ok().split_whitespace().nth(2), Some("Terminating"));

        let forced = cluster.kubectl(&["delete", "pod", "web", "--grace-period=0", "--force"]);
        assert_eq!(forced.ok(), "pod \"web\" force deleted\n");
        assert!(forced.stderr.contains("Immediate deletion does not wait for confirmation"), "{forced:?}");
        assert_eq!(
            cluster.kubectl(&["get", "pod", "web"]).failed(),
            "Error from server (NotFound): pods \"web\" not found\n"
        );
    }

    // The API holds the object with the `orphan` finalizer (checked
    // in-process above); the garbage collector orphans its dependents and
    // lets it go, so kubectl's wait ends.
    async fn kubectl_orphan_cascade_completes(cluster: Cluster) {
        cluster.kubectl(&["create", "configmap", "kept"]).ok();
        assert_eq!(
            cluster.kubectl(&["delete", "configmap", "kept", "--cascade=orphan", "--timeout=30s"]).ok(),
            "configmap \"kept\" deleted\n"
        );
        assert_eq!(
            cluster.kubectl(&["get", "configmap", "kept"]).failed(),
            "Error from server (NotFound): configmaps \"kept\" not found\n"
        );
    }
}
