//! Issue 4 items 1 and 2: strategic merge patch, server-side apply and
//! `managedFields`, driven by stock kubectl (client-side and server-side
//! apply, patch, edit, label, diff) and kube-rs on both backends, and the
//! upstream answers to malformed patches in process. What is checked is
//! what a user sees: kubectl's output, the objects, their managers.

mod cluster;

use std::collections::BTreeMap;

use bytes::Bytes;
use cluster::Cluster;
use http::{Method, StatusCode};
use k8s_openapi::api::core::v1::ConfigMap;
use keelson::testing::api::TestApi;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: "nginx:1.27"
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        ports: [{containerPort: 80}, {containerPort: 443}]
"#;

/// The object kubectl prints with `-o json` (extra args before).
fn get_json(cluster: &Cluster, args: &[&str]) -> Value {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(cluster.kubectl(&full).ok()).unwrap()
}

/// The `fieldsV1` of the entry of `manager` with `operation`.
fn owned_by(object: &Value, manager: &str, operation: &str) -> Option<Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .map(|e| e["fieldsV1"].clone())
}

/// The managers of `object`'s fields and their operations, leaving out
/// the controller-manager (which updates Deployments' status and revision
/// annotation in the background, as upstream's does).
fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["manager"] != "kube-controller-manager")
                .map(|e| {
                    format!(
                        "{}/{}",
                        e["manager"].as_str().unwrap(),
                        e["operation"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// kubectl's text for a server-side apply conflict: the server's message,
/// then kubectl's advice.
fn conflict_text(server_message: &str) -> String {
    format!(
        "error: {server_message}\n\
Please review the fields above--they currently have other managers. Here\n\
are the ways you can resolve this warning:\n\
* If you intend to manage all of these fields, please re-run the apply\n  command with the `--force-conflicts` flag.\n\
* If you do not intend to manage all of the fields, please edit your\n  manifest to remove references to the fields that should keep their\n  current managers.\n\
* You may co-own fields by updating your manifest to match the existing\n  value; in this case, you'll become the manager if the other manager(s)\n  stop managing the field (remove it from their configuration).\n\
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts\n"
    )
}

on_both_backends! {
    async fn client_side_apply_diff_edit_and_strategic_patches(cluster: Cluster) {
        let first = cluster.file("web.yaml", DEPLOYMENT);
        assert_eq!(cluster.kubectl(&["apply", "-f", &first]).ok(), "deployment.apps/web created\n");
        assert_eq!(cluster.kubectl(&["apply", "-f", &first]).ok(), "deployment.apps/web unchanged\n");

        // The creator owns what it set, defaults included, as upstream.
        let web = get_json(&cluster, &["deployment", "web", "--show-managed-fields"]);
        assert_eq!(managers(&web), ["kubectl-client-side-apply/Update"]);
        let fields = owned_by(&web, "kubectl-client-side-apply", "Update").unwrap();
        let nginx = &fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
        assert_eq!(nginx["f:env"]["k:{\"name\":\"B\"}"], json!({".": {}, "f:name": {}, "f:value": {}}));
        assert!(nginx["f:ports"]["k:{\"containerPort\":443,\"protocol\":\"TCP\"}"].is_object());
        assert_eq!(fields["f:spec"]["f:selector"], json!({}));
        assert!(fields["f:spec"].get(".").is_none());
        assert!(fields["f:metadata"]["f:annotations"]["f:kubectl.kubernetes.io/last-applied-configuration"].is_object());
        // Plain `-o yaml` leaves them out.
        let yaml = cluster.kubectl(&["get", "deployment", "web", "-o", "yaml"]);
        assert!(!yaml.ok().contains("managedFields"), "{yaml:?}");
        let shown = cluster.kubectl(&["get", "deployment", "web", "-o", "yaml", "--show-managed-fields"]);
        assert!(shown.ok().contains("manager: kubectl-client-side-apply"), "{shown:?}");

        // Dropping an env var and a port from the file removes exactly those.
        let second = cluster.file(
            "web2.yaml",
            &DEPLOYMENT
                .replace(", {name: B, value: \"2\"}", "")
                .replace(", {containerPort: 443}", ""),
        );
        assert_eq!(cluster.kubectl(&["apply", "-f", &second]).ok(), "deployment.apps/web configured\n");
        let web = get_json(&cluster, &["deployment", "web"]);
        let container = &web["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["env"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(container["ports"], json!([{"containerPort": 80, "protocol": "TCP"}]));
        assert_eq!(cluster.kubectl(&["apply", "-f", &second]).ok(), "deployment.apps/web unchanged\n");

        // kubectl diff shows what an apply would change, and nothing when
        // it would change nothing.
        let third = cluster.file("web3.yaml", &std::fs::read_to_string(&second).unwrap().replace("replicas: 2", "replicas: 3"));
        let diff = cluster.kubectl(&["diff", "-f", &third]);
        assert_eq!(diff.code, Some(1), "{diff:?}");
        assert!(diff.stdout.lines().any(|l| l == "-  replicas: 2"), "{diff:?}");
        assert!(diff.stdout.lines().any(|l| l == "+  replicas: 3"), "{diff:?}");
        let same = cluster.kubectl(&["diff", "-f", &second]);
        assert_eq!((same.code, same.stdout.as_str()), (Some(0), ""), "{same:?}");

        // A strategic merge patch merges containers by name: the image of
        // one changes, a new one joins in the patch's order.
        let patch = r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"},{"name":"sidecar","image":"busybox"}]}}}}"#;
        assert_eq!(
            cluster.kubectl(&["patch", "deployment", "web", "--type=strategic", "-p", patch]).ok(),
            "deployment.apps/web patched\n"
        );
        let web = get_json(&cluster, &["deployment", "web", "--show-managed-fields"]);
        let containers = &web["spec"]["template"]["spec"]["containers"];
        assert_eq!(names(containers), ["nginx", "sidecar"]);
        assert_eq!(containers[0]["image"], "nginx:1.28");
        assert_eq!(containers[0]["env"], json!([{"name": "A", "value": "1"}]));
        let patched = owned_by(&web, "kubectl-patch", "Update").unwrap();
        let patched_containers = &patched["f:spec"]["f:template"]["f:spec"]["f:containers"];
        assert_eq!(patched_containers["k:{\"name\":\"nginx\"}"], json!({"f:image": {}}));
        assert!(patched_containers["k:{\"name\":\"sidecar\"}"].is_object());
        // The client-side applier lost the image it no longer set.
        let applier = owned_by(&web, "kubectl-client-side-apply", "Update").unwrap();
        assert!(applier["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"].get("f:image").is_none());

        // kubectl edit (its editor scripted) is credited to kubectl-edit.
        let mut edit = cluster.command(cluster::KUBECTL, &["edit", "deployment", "web"]);
        edit.env("KUBE_EDITOR", "sed -i s/replicas:\\ 2/replicas:\\ 4/");
        let output = edit.output().unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout), "deployment.apps/web edited\n", "{output:?}");
        let web = get_json(&cluster, &["deployment", "web", "--show-managed-fields"]);
        assert_eq!(web["spec"]["replicas"], 4);
        assert_eq!(owned_by(&web, "kubectl-edit", "Update").unwrap(), json!({"f:spec": {"f:replicas": {}}}));
    }

    async fn server_side_apply_conflicts_force_and_sharing(cluster: Cluster) {
        assert_eq!(
            cluster.kubectl(&["create", "configmap", "settings", "--from-literal=color=blue"]).ok(),
            "configmap/settings created\n"
        );
        let manifest = cluster.file(
            "settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: red, size: L}\n",
        );
        assert_eq!(
            cluster.kubectl(&["apply", "--server-side", "-f", &manifest]).failed(),
            conflict_text("Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1: .data.color")
        );
        let untouched = get_json(&cluster, &["configmap", "settings"]);
        assert_eq!(untouched["data"], json!({"color": "blue"}));

        assert_eq!(
            cluster.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", &manifest]).ok(),
            "configmap/settings serverside-applied\n"
        );
        let settings = get_json(&cluster, &["configmap", "settings", "--show-managed-fields"]);
        assert_eq!(settings["data"], json!({"color": "red", "size": "L"}));
        assert_eq!(
            owned_by(&settings, "kubectl", "Apply").unwrap(),
            json!({"f:data": {"f:color": {}, "f:size": {}}})
        );
        assert_eq!(owned_by(&settings, "kubectl-create", "Update").unwrap(), json!({"f:data": {}}));

        // Applying again changes nothing: the same resourceVersion.
        let version = settings["metadata"]["resourceVersion"].clone();
        assert_eq!(
            cluster.kubectl(&["apply", "--server-side", "-f", &manifest]).ok(),
            "configmap/settings serverside-applied\n"
        );
        assert_eq!(get_json(&cluster, &["configmap", "settings"])["metadata"]["resourceVersion"], version);

        // A label from kubectl label leaves the applier's fields alone.
        assert_eq!(cluster.kubectl(&["label", "configmap", "settings", "tier=front"]).ok(), "configmap/settings labeled\n");
        let labeled = get_json(&cluster, &["configmap", "settings", "--show-managed-fields"]);
        assert_eq!(owned_by(&labeled, "kubectl", "Apply"), owned_by(&settings, "kubectl", "Apply"));
        assert_eq!(
            owned_by(&labeled, "kubectl-label", "Update").unwrap(),
            json!({"f:metadata": {"f:labels": {".": {}, "f:tier": {}}}})
        );

        // Dropping a field from the manifest removes it; another manager
        // applying the same value co-owns it, and then it stays.
        let other = cluster.file(
            "other.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {size: L}\n",
        );
        assert_eq!(
            cluster.kubectl(&["apply", "--server-side", "--field-manager=other", "-f", &other]).ok(),
            "configmap/settings serverside-applied\n"
        );
        let smaller = cluster.file(
            "smaller.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: red}\n",
        );
        cluster.kubectl(&["apply", "--server-side", "-f", &smaller]).ok();
        assert_eq!(get_json(&cluster, &["configmap", "settings"])["data"], json!({"color": "red", "size": "L"}));
        let alone = cluster.file("alone.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n");
        cluster.kubectl(&["apply", "--server-side", "--field-manager=other", "-f", &alone]).ok();
        assert_eq!(get_json(&cluster, &["configmap", "settings"])["data"], json!({"color": "red"}));

        // Server-side apply creates a missing object, deployments too, and
        // takes over from a client-side apply without conflicts.
        let deployment = cluster.file("web.yaml", DEPLOYMENT);
        assert_eq!(cluster.kubectl(&["apply", "--server-side", "-f", &deployment]).ok(), "deployment.apps/web serverside-applied\n");
        let web = get_json(&cluster, &["deployment", "web", "--show-managed-fields"]);
        assert_eq!(managers(&web), ["kubectl/Apply"]);
        assert_eq!(web["spec"]["strategy"]["type"], "RollingUpdate");
        let client_side = cluster.file("csa.yaml", &DEPLOYMENT.replace("name: web", "name: csa"));
        cluster.kubectl(&["apply", "-f", &client_side]).ok();
        let migrated = cluster.file("csa2.yaml", &DEPLOYMENT.replace("name: web", "name: csa").replace("replicas: 2", "replicas: 5"));
        assert_eq!(cluster.kubectl(&["apply", "--server-side", "-f", &migrated]).ok(), "deployment.apps/csa serverside-applied\n");
        let csa = get_json(&cluster, &["deployment", "csa"]);
        assert_eq!(csa["spec"]["replicas"], 5);
        let annotation = csa["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].as_str().unwrap();
        assert!(annotation.contains("\"replicas\":5"), "{annotation}");
    }

    async fn kube_rs_apply_round_trip_and_status(cluster: Cluster) {
        let client = cluster.client().await;
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let config = |data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rs"}, "data": data});
        let created = api
            .patch("rs", &PatchParams::apply("mgr"), &Patch::Apply(config(json!({"a": "1"}))))
            .await
            .unwrap();
        let entries = created.metadata.managed_fields.clone().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].manager.as_deref(), Some("mgr"));
        assert_eq!(entries[0].operation.as_deref(), Some("Apply"));
        assert_eq!(entries[0].fields_v1.as_ref().unwrap().0, json!({"f:data": {"f:a": {}}}));

        let updated = api
            .patch("rs", &PatchParams::apply("mgr"), &Patch::Apply(config(json!({"b": "2"}))))
            .await
            .unwrap();
        assert_eq!(updated.data.unwrap().into_iter().collect::<Vec<_>>(), [("b".to_owned(), "2".to_owned())]);

        let error = api
            .patch("rs", &PatchParams::apply("rival"), &Patch::Apply(config(json!({"b": "3"}))))
            .await
            .unwrap_err();
        let kube::Error::Api(status) = error else { panic!("{error:?}") };
        assert_eq!(status.code, 409);
        assert_eq!(status.message, "Apply failed with 1 conflict: conflict with \"mgr\": .data.b");
        let taken = api
            .patch("rs", &PatchParams::apply("rival").force(), &Patch::Apply(config(json!({"b": "3"}))))
            .await
            .unwrap();
        let managers: Vec<String> = taken
            .metadata
            .managed_fields
            .unwrap()
            .into_iter()
            .map(|e| e.manager.unwrap())
            .collect();
        assert_eq!(managers, ["rival"]);

        // Apply to the status subresource owns only status.
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(cluster.client().await, "default");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
        pods.patch("p", &PatchParams::apply("creator"), &Patch::Apply(pod)).await.unwrap();
        let status = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let applied = pods
            .patch_status("p", &PatchParams::apply("kubelet"), &Patch::Apply(status))
            .await
            .unwrap();
        let entry = applied
            .metadata
            .managed_fields
            .unwrap()
            .into_iter()
            .find(|e| e.manager.as_deref() == Some("kubelet"))
            .unwrap();
        assert_eq!(entry.subresource.as_deref(), Some("status"));
        assert_eq!(
            entry.fields_v1.unwrap().0,
            json!({"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}, "f:status": {}, "f:type": {}}}}})
        );
        assert_eq!(applied.spec.unwrap().containers[0].image.as_deref(), Some("busybox"));
    }
}

async fn patch(api: &TestApi, uri: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
    let reply = api
        .call_with(
            Method::PATCH,
            uri,
            &[("content-type", content_type)],
            Bytes::from(body.to_owned()),
        )
        .await;
    (reply.status, reply.json())
}

const STRATEGIC: &str = "application/strategic-merge-patch+json";
const APPLY: &str = "application/apply-patch+yaml";

#[tokio::test]
async fn node_status_patches_keep_the_kubelets_order() {
    let api = TestApi::start().await;
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"a": "b"}},
    "status": {"conditions": [
        {"type": "MemoryPressure", "status": "False"},
        {"type": "DiskPressure", "status": "False"},
        {"type": "Ready", "status": "False", "reason": "KubeletNotReady"},
    ]}});
    assert_eq!(
        api.call(Method::POST, "/api/v1/nodes", Some(node))
            .await
            .status,
        StatusCode::CREATED
    );
    let kubelet_patch = r#"{"status":{"$setElementOrder/conditions":[{"type":"Ready"},{"type":"MemoryPressure"},{"type":"DiskPressure"}],"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]}}"#;
    let (status, node) = patch(
        &api,
        "/api/v1/nodes/n1/status?fieldManager=kubelet",
        STRATEGIC,
        kubelet_patch,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{node}");
    let conditions: Vec<(&str, &str)> = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        conditions,
        [
            ("Ready", "True"),
            ("MemoryPressure", "False"),
            ("DiskPressure", "False")
        ]
    );
    assert_eq!(node["status"]["conditions"][0]["reason"], "KubeletReady");
    let kubelet = node["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "kubelet")
        .unwrap();
    assert_eq!(kubelet["subresource"], "status");
    assert_eq!(
        kubelet["fieldsV1"],
        json!({"f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {"f:reason": {}, "f:status": {}}}}})
    );
}

#[tokio::test]
async fn malformed_patches_get_upstream_answers() {
    let api = TestApi::start().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    api.call(
        Method::POST,
        "/api/v1/namespaces/default/configmaps",
        Some(cm),
    )
    .await;
    let uri = "/api/v1/namespaces/default/configmaps/c";

    let (status, body) = patch(&api, uri, APPLY, "apiVersion: v1\nkind: ConfigMap\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
    let (status, body) = patch(
        &api,
        &format!("{uri}?force=true"),
        "application/merge-patch+json",
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
    );
    let (status, body) = patch(&api, uri, "text/plain", "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["reason"], "UnsupportedMediaType");
    assert_eq!(
        body["message"],
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
    );
    let (status, body) = patch(&api, uri, STRATEGIC, "{").await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid JSON patch"))
    );
    let (status, body) = patch(
        &api,
        uri,
        "application/json-patch+json",
        r#"[{"op":"remove","path":"/nope"}]"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "the server rejected our request due to an error in our request"
    );
    let (status, body) = patch(&api, uri, STRATEGIC, r#"{"metadata":{"$retainKeys":"x"}}"#).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("invalid patch format of retainKeys")
        )
    );
    let (status, body) = patch(
        &api,
        &format!("{uri}?fieldManager=m"),
        APPLY,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: c}\n",
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("invalid object type: /v1, Kind=Secret")
        )
    );
    let (status, body) = patch(
        &api,
        &format!("{uri}?fieldManager=m"),
        APPLY,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nspec: {}\n",
    )
    .await;
    // Upstream: a bare 500; keelson: 400, the client's mistake.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "failed to create typed patch object (/c; /v1, Kind=ConfigMap): .spec: field not declared in schema"
    );

    // A pod's containers need their merge key.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    api.call(Method::POST, "/api/v1/namespaces/default/pods", Some(pod))
        .await;
    let (status, body) = patch(
        &api,
        "/api/v1/namespaces/default/pods/p",
        STRATEGIC,
        r#"{"spec":{"containers":[{"image":"x"}]}}"#,
    )
    .await;
    // Upstream: a bare 500; keelson: 400, the client's mistake.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "map: map[image:x] does not contain declared merge key: name"
    );

    // Apply creates a missing object (201); managedFields: [] clears them.
    let (status, created) = patch(
        &api,
        "/api/v1/namespaces/default/configmaps/new?fieldManager=m",
        APPLY,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {a: b}\n",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["metadata"]["managedFields"][0]["manager"], "m");
    let (status, cleared) = patch(
        &api,
        "/api/v1/namespaces/default/configmaps/new",
        "application/merge-patch+json",
        r#"{"metadata":{"managedFields":[]}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        cleared["metadata"].get("managedFields").is_none(),
        "{cleared}"
    );
}

#[tokio::test]
async fn writes_without_a_field_manager_are_credited_to_the_user_agent() {
    let api = TestApi::start().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    let reply = api
        .call_with(
            Method::POST,
            "/api/v1/namespaces/default/configmaps",
            &[
                ("content-type", "application/json"),
                ("user-agent", "my-tool/1.0 (linux)"),
            ],
            Bytes::from(cm.to_string()),
        )
        .await;
    let created = reply.json();
    assert_eq!(
        created["metadata"]["managedFields"][0]["manager"],
        "my-tool"
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["operation"],
        "Update"
    );
    let mut changed = created.clone();
    changed["data"]["k"] = json!("w");
    let reply = api
        .call(
            Method::PUT,
            "/api/v1/namespaces/default/configmaps/c?fieldManager=editor",
            Some(changed),
        )
        .await;
    let updated = reply.json();
    let entries: BTreeMap<String, Value> = updated["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap().to_owned(),
                e["fieldsV1"].clone(),
            )
        })
        .collect();
    // The creator keeps the map it made; the editor owns the key it changed.
    assert_eq!(
        entries,
        BTreeMap::from([
            ("my-tool".to_owned(), json!({"f:data": {}})),
            ("editor".to_owned(), json!({"f:data": {"f:k": {}}})),
        ])
    );
    let reply = api
        .call(
            Method::POST,
            "/api/v1/namespaces/default/configmaps?fieldManager=%07bad",
            Some(json!({"metadata": {"name": "d"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = reply.json();
    assert_eq!(status["details"]["kind"], "CreateOptions");
    assert_eq!(status["details"]["group"], "meta.k8s.io");
    let cause = &status["details"]["causes"][0];
    assert_eq!(cause["field"], "fieldManager");
    assert!(
        cause["message"]
            .as_str()
            .unwrap()
            .ends_with("invalid character U+0007 (at position 0)"),
        "{status}"
    );
}

/// An apply through the in-process API; the reply's status and body.
async fn apply_as(api: &TestApi, uri: &str, manager: &str, body: &Value) -> (StatusCode, Value) {
    let separator = if uri.contains('?') { '&' } else { '?' };
    patch(
        api,
        &format!("{uri}{separator}fieldManager={manager}"),
        APPLY,
        &body.to_string(),
    )
    .await
}

fn entry<'a>(object: &'a Value, manager: &str) -> &'a Value {
    object["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == manager)
        .unwrap_or_else(|| panic!("no {manager} in {object}"))
}

/// The server-side apply scenarios of upstream's conformance suite
/// (`test/e2e/apimachinery/apply.go`), in process.
#[tokio::test]
async fn conformance_scenarios_of_server_side_apply() {
    let api = TestApi::start().await;
    let pods = "/api/v1/namespaces/default/pods";
    // Create by apply; a second manager applying the same shares every field.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
                     "spec": {"containers": [{"name": "test-container", "image": "test-image"}]}});
    let (status, _) = apply_as(&api, &format!("{pods}/test-pod"), "apply_test", &pod).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, shared) = apply_as(&api, &format!("{pods}/test-pod"), "apply_test_2", &pod).await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    let expected = r#"{"f:spec":{"f:containers":{"k:{\"name\":\"test-container\"}":{".":{},"f:image":{},"f:name":{}}}}}"#;
    for manager in ["apply_test", "apply_test_2"] {
        assert_eq!(entry(&shared, manager)["fieldsV1"].to_string(), expected);
    }
    let services = "/api/v1/namespaces/default/services";
    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "test-svc"},
                         "spec": {"ports": [{"port": 8080, "protocol": "UDP"}]}});
    let (status, created) = apply_as(
        &api,
        &format!("{services}/test-svc"),
        "apply_test",
        &service,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        entry(&created, "apply_test")["fieldsV1"].to_string(),
        r#"{"f:spec":{"f:ports":{"k:{\"port\":8080,\"protocol\":\"UDP\"}":{".":{},"f:port":{},"f:protocol":{}}}}}"#
    );

    // Status is only applied through the status subresource.
    let status_config = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
                               "status": {"conditions": [{"type": "MyStatus", "status": "True"}]}});
    let (_, main) = apply_as(
        &api,
        &format!("{pods}/test-pod"),
        "apply_test2",
        &status_config,
    )
    .await;
    assert!(main["status"].get("conditions").is_none(), "{main}");
    let (status, applied) = apply_as(
        &api,
        &format!("{pods}/test-pod/status"),
        "apply_test2",
        &status_config,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(applied["status"]["conditions"][0]["type"], "MyStatus");

    // A field shared with another applier stays when one unsets it; a
    // field a controller took over by an update stays when the applier
    // drops it.
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let deployment = |replicas: Option<i64>, hostname: Option<&str>| {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"app": "nginx"}},
            "spec": {"selector": {"matchLabels": {"app": "nginx"}},
                     "template": {"metadata": {"labels": {"app": "nginx"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}});
        if let Some(r) = replicas {
            d["spec"]["replicas"] = json!(r);
        }
        if let Some(h) = hostname {
            d["spec"]["template"]["spec"]["hostname"] = json!(h);
        }
        d
    };
    for manager in ["shared_owner_1", "shared_owner_2"] {
        apply_as(
            &api,
            &format!("{deployments}/d"),
            manager,
            &deployment(Some(3), Some("test-hostname")),
        )
        .await;
    }
    let (_, unset) = apply_as(
        &api,
        &format!("{deployments}/d"),
        "shared_owner_1",
        &deployment(None, None),
    )
    .await;
    assert_eq!(unset["spec"]["replicas"], 3);
    assert_eq!(
        unset["spec"]["template"]["spec"]["hostname"],
        "test-hostname"
    );

    let (_, created) = apply_as(&api, &format!("{deployments}/e"), "test_applier", &{
        let mut d = deployment(Some(3), None);
        d["metadata"]["name"] = json!("e");
        d
    })
    .await;
    let mut controller = created.clone();
    controller["spec"]["replicas"] = json!(4);
    let reply = api
        .call_with(
            Method::PUT,
            &format!("{deployments}/e"),
            &[
                ("content-type", "application/json"),
                ("user-agent", "e2e.test/v1.33"),
            ],
            Bytes::from(controller.to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut without = deployment(None, None);
    without["metadata"]["name"] = json!("e");
    let (_, kept) = apply_as(&api, &format!("{deployments}/e"), "test_applier", &without).await;
    assert_eq!(kept["spec"]["replicas"], 4, "{kept}");
    assert_eq!(
        entry(&kept, "e2e.test")["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );

    // A merge patch takes a field; applying it back conflicts until forced.
    patch(
        &api,
        &format!("{deployments}/e"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":5}}"#,
    )
    .await;
    let mut back = without.clone();
    back["spec"]["replicas"] = json!(3);
    let (status, conflict) =
        apply_as(&api, &format!("{deployments}/e"), "test_applier", &back).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["reason"], "Conflict");
    assert_eq!(conflict["details"]["causes"].as_array().unwrap().len(), 1);
    assert_eq!(conflict["details"]["causes"][0]["field"], ".spec.replicas");
    let (status, forced) = apply_as(
        &api,
        &format!("{deployments}/e?force=true"),
        "test_applier",
        &back,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(forced["spec"]["replicas"], 3);
}
