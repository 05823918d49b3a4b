//! Issue 4 items 4 and 5: the subresources beyond `status` — `scale`,
//! `pods/binding`, `pods/eviction` (with PodDisruptionBudgets),
//! `serviceaccounts/token` (JWTs, their OIDC discovery, and the API
//! accepting them as bearer tokens), `certificatesigningrequests/approval`
//! and `/status` — and `dryRun` and `fieldValidation` on every write.
//!
//! Semantics are checked in-process ([`TestApi`]); what a user does with
//! stock kubectl (`scale`, `create token`, `certificate approve|deny`,
//! `drain`, `--dry-run=server`) runs against `keelson up` on the embedded
//! store and on etcd.

mod cluster;
mod protobuf_envelope;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use cluster::Cluster;
use futures::StreamExt;
use http::{Method, StatusCode};
use keelson::apiserver::serviceaccount::claims::{KubernetesClaims, ObjectRef, TokenClaims};
use keelson::apiserver::serviceaccount::unix_now;
use keelson::testing::api::{Reply, TestApi};
use keelson::testing::poll_until;
use serde_json::{Value, json};

const NS: &str = "/api/v1/namespaces/default";
const APPS: &str = "/apis/apps/v1/namespaces/default";
const PDBS: &str = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

#[track_caller]
fn expect(reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn create(api: &TestApi, collection: &str, body: Value) -> Value {
    expect(
        &api.call(Method::POST, collection, Some(body)).await,
        StatusCode::CREATED,
    )
}

async fn get(api: &TestApi, path: &str) -> Value {
    expect(&api.call(Method::GET, path, None).await, StatusCode::OK)
}

async fn patch(api: &TestApi, path: &str, content_type: &str, patch: Value) -> Reply {
    api.call_with(
        Method::PATCH,
        path,
        &[("content-type", content_type)],
        Bytes::from(patch.to_string()),
    )
    .await
}

async fn merge_patch(api: &TestApi, path: &str, body: Value) -> Reply {
    patch(api, path, "application/merge-patch+json", body).await
}

fn template(app: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    })
}

fn workload(kind: &str, name: &str, replicas: i64) -> Value {
    let selector = if kind == "ReplicationController" {
        json!({"app": name})
    } else {
        json!({"matchLabels": {"app": name}})
    };
    let api_version = if kind == "ReplicationController" {
        "v1"
    } else {
        "apps/v1"
    };
    let mut spec = json!({"replicas": replicas, "selector": selector, "template": template(name)});
    if kind == "StatefulSet" {
        spec["serviceName"] = json!(name);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, "spec": spec})
}

fn pod(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    })
}

/// Marks a pod Running and, if `ready`, Ready (as its kubelet would).
async fn run_pod(api: &TestApi, name: &str, ready: bool) {
    let status = if ready { "True" } else { "False" };
    let reply = merge_patch(
        api,
        &format!("{NS}/pods/{name}/status"),
        json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": status}]}}),
    )
    .await;
    expect(&reply, StatusCode::OK);
}

/// A budget over `app=<app>`, with the status its controller would write.
async fn budget(api: &TestApi, name: &str, app: &str, allowed: i64) -> Value {
    let created = create(
        api,
        PDBS,
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}}),
    )
    .await;
    let generation = created["metadata"]["generation"].clone();
    let reply = merge_patch(
        api,
        &format!("{PDBS}/{name}/status"),
        json!({"status": {"observedGeneration": generation, "disruptionsAllowed": allowed,
            "currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2}}),
    )
    .await;
    expect(&reply, StatusCode::OK)
}

fn eviction(name: &str) -> Value {
    json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}})
}

#[tokio::test]
async fn scale_is_the_replicas_of_every_replicated_kind() {
    let api = TestApi::start().await;
    for (kind, collection) in [
        ("Deployment", format!("{APPS}/deployments")),
        ("ReplicaSet", format!("{APPS}/replicasets")),
        ("StatefulSet", format!("{APPS}/statefulsets")),
        (
            "ReplicationController",
            format!("{NS}/replicationcontrollers"),
        ),
    ] {
        let object = create(&api, &collection, workload(kind, "web", 2)).await;
        let path = format!("{collection}/web/scale");
        let scale = get(&api, &path).await;
        assert_eq!(scale["apiVersion"], "autoscaling/v1", "{kind}");
        assert_eq!(scale["kind"], "Scale");
        assert_eq!(scale["metadata"]["uid"], object["metadata"]["uid"]);
        assert_eq!(
            scale["metadata"]["resourceVersion"],
            object["metadata"]["resourceVersion"]
        );
        assert_eq!(scale["spec"], json!({"replicas": 2}));
        assert_eq!(
            scale["status"],
            json!({"replicas": 0, "selector": "app=web"})
        );

        // PUT: the object's replicas follow; a stale version conflicts.
        let mut wanted = scale.clone();
        wanted["spec"]["replicas"] = json!(3);
        let written = expect(
            &api.call(Method::PUT, &path, Some(wanted.clone())).await,
            StatusCode::OK,
        );
        assert_eq!(written["spec"]["replicas"], 3);
        let after = get(&api, &format!("{collection}/web")).await;
        assert_eq!(after["spec"]["replicas"], 3, "{kind}");
        assert_eq!(
            written["metadata"]["resourceVersion"],
            after["metadata"]["resourceVersion"]
        );
        let stale = api.call(Method::PUT, &path, Some(wanted)).await;
        let status = expect(&stale, StatusCode::CONFLICT);
        assert_eq!(status["reason"], "Conflict");
        assert!(
            status["message"]
                .as_str()
                .unwrap()
                .ends_with("\"web\": the object has been modified; please apply your changes to the latest version and try again"),
            "{status}"
        );

        // PATCH (merge and JSON), as kubectl scale and autoscalers send.
        let patched = expect(
            &merge_patch(&api, &path, json!({"spec": {"replicas": 5}})).await,
            StatusCode::OK,
        );
        assert_eq!(patched["spec"]["replicas"], 5);
        let json_patched = expect(
            &patch(
                &api,
                &path,
                "application/json-patch+json",
                json!([{"op": "replace", "path": "/spec/replicas", "value": 0}]),
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(json_patched["spec"], json!({}), "zero replicas are omitted");
        assert_eq!(
            get(&api, &format!("{collection}/web")).await["spec"]["replicas"],
            0
        );
    }

    let deployment = get(&api, &format!("{APPS}/deployments/web")).await;
    assert_eq!(
        deployment["metadata"]["generation"], 4,
        "each scale changed the spec"
    );
    let negative = merge_patch(
        &api,
        &format!("{APPS}/deployments/web/scale"),
        json!({"spec": {"replicas": -1}}),
    )
    .await;
    assert_eq!(
        expect(&negative, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
    let missing = api
        .call(Method::GET, &format!("{APPS}/deployments/nope/scale"), None)
        .await;
    assert_eq!(
        expect(&missing, StatusCode::NOT_FOUND)["message"],
        "deployments.apps \"nope\" not found"
    );
    let not_scalable = api
        .call(Method::GET, &format!("{APPS}/daemonsets/web/scale"), None)
        .await;
    assert_eq!(not_scalable.status, StatusCode::NOT_FOUND);
    let wrong_verb = api
        .call(
            Method::DELETE,
            &format!("{APPS}/deployments/web/scale"),
            None,
        )
        .await;
    assert_eq!(wrong_verb.status, StatusCode::METHOD_NOT_ALLOWED);
    let misnamed = api
        .call(
            Method::PUT,
            &format!("{APPS}/deployments/web/scale"),
            Some(json!({"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": "other"}, "spec": {"replicas": 1}})),
        )
        .await;
    assert_eq!(
        expect(&misnamed, StatusCode::BAD_REQUEST)["message"],
        "the name of the object (other) does not match the name on the URL (web)"
    );
}

#[tokio::test]
async fn binding_assigns_a_pod_to_a_node_once() {
    let api = TestApi::start().await;
    let created = create(&api, &format!("{NS}/pods"), pod("p", json!({}))).await;
    let binding = json!({"apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": "p", "annotations": {"scheduler.example/score": "7"}},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}});
    let bound = expect(
        &api.call(
            Method::POST,
            &format!("{NS}/pods/p/binding"),
            Some(binding.clone()),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        bound,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
    );
    let bound_pod = get(&api, &format!("{NS}/pods/p")).await;
    assert_eq!(bound_pod["spec"]["nodeName"], "n1");
    assert_eq!(
        bound_pod["metadata"]["annotations"]["scheduler.example/score"],
        "7"
    );
    let scheduled = bound_pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .expect("a PodScheduled condition");
    assert_eq!(scheduled["status"], "True");
    assert!(scheduled["lastTransitionTime"].is_string());
    assert_ne!(
        bound_pod["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );

    let again = api
        .call(Method::POST, &format!("{NS}/pods/p/binding"), Some(binding))
        .await;
    let status = expect(&again, StatusCode::CONFLICT);
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\""
    );

    // The legacy collection, a dry run, and what is refused.
    create(&api, &format!("{NS}/pods"), pod("q", json!({}))).await;
    let legacy = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "q"},
        "target": {"name": "n2"}});
    expect(
        &api.call(
            Method::POST,
            &format!("{NS}/bindings?dryRun=All"),
            Some(legacy.clone()),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        get(&api, &format!("{NS}/pods/q")).await["spec"].get("nodeName"),
        None
    );
    expect(
        &api.call(Method::POST, &format!("{NS}/bindings"), Some(legacy))
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        get(&api, &format!("{NS}/pods/q")).await["spec"]["nodeName"],
        "n2"
    );
    let misnamed = api
        .call(
            Method::POST,
            &format!("{NS}/pods/q/binding"),
            Some(json!({"metadata": {"name": "x"}, "target": {"name": "n1"}})),
        )
        .await;
    assert_eq!(
        expect(&misnamed, StatusCode::BAD_REQUEST)["message"],
        "name in URL does not match name in Binding object"
    );
    let untargeted = api
        .call(
            Method::POST,
            &format!("{NS}/pods/q/binding"),
            Some(json!({"metadata": {"name": "q"}, "target": {}})),
        )
        .await;
    assert_eq!(
        expect(&untargeted, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "Binding \"q\" is invalid: target.name: Required value"
    );
    let missing = api
        .call(
            Method::POST,
            &format!("{NS}/pods/nope/binding"),
            Some(json!({"metadata": {"name": "nope"}, "target": {"name": "n1"}})),
        )
        .await;
    assert_eq!(
        expect(&missing, StatusCode::NOT_FOUND)["message"],
        "pods \"nope\" not found"
    );
    let mut gated = pod("gated", json!({}));
    gated["spec"]["schedulingGates"] = json!([{"name": "wait"}]);
    create(&api, &format!("{NS}/pods"), gated).await;
    let refused = api
        .call(
            Method::POST,
            &format!("{NS}/pods/gated/binding"),
            Some(json!({"metadata": {"name": "gated"}, "target": {"name": "n1"}})),
        )
        .await;
    assert_eq!(
        expect(&refused, StatusCode::CONFLICT)["message"],
        "Operation cannot be fulfilled on pods/binding \"gated\": pod gated has non-empty .spec.schedulingGates"
    );
}

#[tokio::test]
async fn eviction_respects_the_disruption_budget() {
    let api = TestApi::start().await;
    for name in ["a", "b"] {
        create(
            &api,
            &format!("{NS}/pods"),
            pod(name, json!({"app": "web"})),
        )
        .await;
        run_pod(&api, name, true).await;
    }
    budget(&api, "web", "web", 0).await;

    let refused = api
        .call(
            Method::POST,
            &format!("{NS}/pods/a/eviction"),
            Some(eviction("a")),
        )
        .await;
    let status = expect(&refused, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(status["reason"], "TooManyRequests");
    assert_eq!(
        status["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "DisruptionBudget",
            "message": "The disruption budget web needs 1 healthy pods and has 2 currently"}])
    );
    get(&api, &format!("{NS}/pods/a")).await;

    // One disruption allowed: taken (compare-and-swap on the budget), the
    // pod marked and deleted.
    let allowed = merge_patch(
        &api,
        &format!("{PDBS}/web/status"),
        json!({"status": {"disruptionsAllowed": 1}}),
    )
    .await;
    expect(&allowed, StatusCode::OK);
    let dry = api
        .call(
            Method::POST,
            &format!("{NS}/pods/a/eviction?dryRun=All"),
            Some(eviction("a")),
        )
        .await;
    expect(&dry, StatusCode::CREATED);
    get(&api, &format!("{NS}/pods/a")).await;
    assert_eq!(
        get(&api, &format!("{PDBS}/web")).await["status"]["disruptionsAllowed"],
        1,
        "a dry run takes nothing"
    );
    // policy/v1beta1 bodies are still accepted.
    let evicted = api
        .call(
            Method::POST,
            &format!("{NS}/pods/a/eviction"),
            Some(json!({"apiVersion": "policy/v1beta1", "kind": "Eviction",
                "metadata": {"name": "a", "namespace": "default"}})),
        )
        .await;
    assert_eq!(
        expect(&evicted, StatusCode::CREATED),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
    );
    let gone = api.call(Method::GET, &format!("{NS}/pods/a"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let pdb = get(&api, &format!("{PDBS}/web")).await;
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);
    assert!(pdb["status"]["disruptedPods"]["a"].is_string(), "{pdb}");
    let condition = &pdb["status"]["conditions"][0];
    assert_eq!(
        (
            &condition["type"],
            &condition["status"],
            &condition["reason"]
        ),
        (
            &json!("DisruptionAllowed"),
            &json!("False"),
            &json!("InsufficientPods")
        )
    );

    // The budget is spent again.
    let spent = api
        .call(
            Method::POST,
            &format!("{NS}/pods/b/eviction"),
            Some(eviction("b")),
        )
        .await;
    assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(spent.headers.get("retry-after").is_none());

    // An unready pod costs no disruption while the rest are healthy.
    create(
        &api,
        &format!("{NS}/pods"),
        pod("sick", json!({"app": "web"})),
    )
    .await;
    run_pod(&api, "sick", false).await;
    expect(
        &api.call(
            Method::POST,
            &format!("{NS}/pods/sick/eviction"),
            Some(eviction("sick")),
        )
        .await,
        StatusCode::CREATED,
    );

    // Pending pods go without asking the budget.
    create(
        &api,
        &format!("{NS}/pods"),
        pod("new", json!({"app": "web"})),
    )
    .await;
    expect(
        &api.call(
            Method::POST,
            &format!("{NS}/pods/new/eviction"),
            Some(eviction("new")),
        )
        .await,
        StatusCode::CREATED,
    );

    // A stale budget status is "still being processed".
    let changed = merge_patch(
        &api,
        &format!("{PDBS}/web"),
        json!({"spec": {"minAvailable": 2}}),
    )
    .await;
    expect(&changed, StatusCode::OK);
    let processing = api
        .call(
            Method::POST,
            &format!("{NS}/pods/b/eviction"),
            Some(eviction("b")),
        )
        .await;
    let status = expect(&processing, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        status["details"]["causes"][0]["message"],
        "The disruption budget web is still being processed by the server."
    );
    assert_eq!(status["details"]["retryAfterSeconds"], 10);
    assert_eq!(processing.headers["retry-after"], "10");

    // Two budgets over one pod: upstream's 500.
    budget(&api, "also", "web", 5).await;
    let ambiguous = api
        .call(
            Method::POST,
            &format!("{NS}/pods/b/eviction"),
            Some(eviction("b")),
        )
        .await;
    assert_eq!(
        expect(&ambiguous, StatusCode::INTERNAL_SERVER_ERROR),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            "code": 500})
    );

    let misnamed = api
        .call(
            Method::POST,
            &format!("{NS}/pods/b/eviction"),
            Some(eviction("a")),
        )
        .await;
    assert_eq!(
        expect(&misnamed, StatusCode::BAD_REQUEST)["message"],
        "name in URL does not match name in Eviction object"
    );
    let missing = api
        .call(
            Method::POST,
            &format!("{NS}/pods/nope/eviction"),
            Some(eviction("nope")),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn evicting_a_pod_without_a_budget_marks_and_deletes_it() {
    let api = TestApi::start().await;
    create(
        &api,
        &format!("{NS}/pods"),
        pod("solo", json!({"app": "solo"})),
    )
    .await;
    run_pod(&api, "solo", true).await;
    // Watch the pod to see the DisruptionTarget condition on its way out.
    let (status, mut events) = api
        .watch(&format!(
            "{NS}/pods?watch=true&fieldSelector=metadata.name%3Dsolo"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    expect(
        &api.call(
            Method::POST,
            &format!("{NS}/pods/solo/eviction"),
            Some(eviction("solo")),
        )
        .await,
        StatusCode::CREATED,
    );
    let marked = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = events.next().await.expect("the watch is open");
            let conditions = event["object"]["status"]["conditions"].as_array().cloned();
            let target = conditions
                .unwrap_or_default()
                .into_iter()
                .find(|c| c["type"] == "DisruptionTarget");
            if let Some(target) = target {
                return target;
            }
        }
    })
    .await
    .expect("the DisruptionTarget condition within 10s");
    assert_eq!(marked["reason"], "EvictionByEvictionAPI");
    assert_eq!(marked["message"], "Eviction API: evicting");
    let gone = api
        .call(Method::GET, &format!("{NS}/pods/solo"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

/// The parts of a compact JWS.
fn jws_parts(token: &str) -> (Value, Value, Vec<u8>, String) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap();
    (
        serde_json::from_slice(&decode(parts[0])).unwrap(),
        serde_json::from_slice(&decode(parts[1])).unwrap(),
        decode(parts[2]),
        format!("{}.{}", parts[0], parts[1]),
    )
}

/// Verifies an ES256 token with the key the JWKS lists for its `kid`,
/// independently of keelson's own verifier.
fn verify_with_jwks(token: &str, jwks: &Value) -> bool {
    let (header, _, signature, signed) = jws_parts(token);
    let Some(key) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
    else {
        return false;
    };
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"]),
        (&json!("EC"), &json!("P-256"), &json!("ES256"))
    );
    let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(key[c].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(coordinate("x"));
    point.extend(coordinate("y"));
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(signed.as_bytes(), &signature)
        .is_ok()
}

async fn service_account(api: &TestApi, name: &str) -> Value {
    create(
        api,
        &format!("{NS}/serviceaccounts"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}),
    )
    .await
}

async fn request_token(api: &TestApi, account: &str, spec: Value) -> Reply {
    api.call(
        Method::POST,
        &format!("{NS}/serviceaccounts/{account}/token"),
        Some(
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
        ),
    )
    .await
}

#[tokio::test]
async fn token_requests_mint_jwts_verifiable_through_discovery() {
    let api = TestApi::start().await;
    let account = service_account(&api, "builder").await;
    let before = unix_now();
    let answer = expect(
        &request_token(&api, "builder", json!({})).await,
        StatusCode::CREATED,
    );
    assert_eq!(answer["kind"], "TokenRequest");
    assert_eq!(answer["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(answer["metadata"]["name"], "builder");
    assert_eq!(answer["metadata"]["namespace"], "default");
    assert_eq!(
        answer["spec"],
        json!({"audiences": ["https://kubernetes.default.svc.cluster.local"], "expirationSeconds": 3600})
    );
    let token = answer["status"]["token"].as_str().unwrap();
    let (header, claims, _, _) = jws_parts(token);
    assert_eq!(header.as_object().unwrap().len(), 2, "{header}");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(
        claims["iss"],
        "https://kubernetes.default.svc.cluster.local"
    );
    assert_eq!(claims["sub"], "system:serviceaccount:default:builder");
    assert_eq!(
        claims["aud"],
        json!(["https://kubernetes.default.svc.cluster.local"])
    );
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= before && iat <= unix_now());
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 3600);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
    assert_eq!(
        claims["kubernetes.io"],
        json!({"namespace": "default",
            "serviceaccount": {"name": "builder", "uid": account["metadata"]["uid"]}})
    );
    let expires: jiff::Timestamp = answer["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires.as_second(), iat + 3600);

    // Discovery: the configuration names the JWKS, which verifies the token.
    let user = api.authenticate(token).await.unwrap();
    let config = api
        .call_as(
            user.clone(),
            Method::GET,
            "/.well-known/openid-configuration",
            None,
        )
        .await;
    let config = expect(&config, StatusCode::OK);
    assert_eq!(
        config["issuer"],
        "https://kubernetes.default.svc.cluster.local"
    );
    assert!(
        config["jwks_uri"]
            .as_str()
            .unwrap()
            .ends_with("/openid/v1/jwks")
    );
    assert_eq!(config["response_types_supported"], json!(["id_token"]));
    assert_eq!(config["subject_types_supported"], json!(["public"]));
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let jwks_reply = api
        .call_as(user, Method::GET, "/openid/v1/jwks", None)
        .await;
    assert_eq!(
        jwks_reply.headers["content-type"],
        "application/jwk-set+json"
    );
    assert_eq!(jwks_reply.headers["cache-control"], "public, max-age=3600");
    let jwks = expect(&jwks_reply, StatusCode::OK);
    assert!(verify_with_jwks(token, &jwks));
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut tampered: Vec<char> = signature.chars().collect();
    tampered[10] = if tampered[10] == 'A' { 'B' } else { 'A' };
    let forged = format!("{signed}.{}", tampered.into_iter().collect::<String>());
    assert!(!verify_with_jwks(&forged, &jwks));
    let anonymous = api
        .call_as(
            keelson::apiserver::user::UserInfo::anonymous(),
            Method::GET,
            "/openid/v1/jwks",
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);

    // What may be asked for.
    let short = request_token(&api, "builder", json!({"expirationSeconds": 599})).await;
    assert_eq!(
        expect(&short, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
    );
    let custom = expect(
        &request_token(
            &api,
            "builder",
            json!({"audiences": ["vault"], "expirationSeconds": 600}),
        )
        .await,
        StatusCode::CREATED,
    );
    let (_, claims, _, _) = jws_parts(custom["status"]["token"].as_str().unwrap());
    assert_eq!(claims["aud"], json!(["vault"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let missing = request_token(&api, "nobody", json!({})).await;
    assert_eq!(
        expect(&missing, StatusCode::NOT_FOUND)["message"],
        "serviceaccounts \"nobody\" not found"
    );
    let misnamed = api
        .call(
            Method::POST,
            &format!("{NS}/serviceaccounts/builder/token"),
            Some(json!({"metadata": {"name": "other"}, "spec": {}})),
        )
        .await;
    assert_eq!(
        expect(&misnamed, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "TokenRequest.authentication.k8s.io \"builder\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified"
    );
    let configmap_bound = request_token(
        &api,
        "builder",
        json!({"boundObjectRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "x"}}),
    )
    .await;
    assert_eq!(
        expect(&configmap_bound, StatusCode::BAD_REQUEST)["message"],
        "cannot bind token to object of type /v1, Kind=ConfigMap"
    );
}

#[tokio::test]
async fn service_account_tokens_authenticate_while_their_objects_last() {
    let api = TestApi::start().await;
    let account = service_account(&api, "app").await;
    let token = expect(
        &request_token(&api, "app", json!({})).await,
        StatusCode::CREATED,
    )["status"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = api.authenticate(&token).await.unwrap();
    assert_eq!(user.name, "system:serviceaccount:default:app");
    assert_eq!(user.uid, account["metadata"]["uid"].as_str().unwrap());
    assert_eq!(
        user.groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:default",
            "system:authenticated"
        ]
    );
    let (_, claims, _, _) = jws_parts(&token);
    assert_eq!(
        user.extra["authentication.kubernetes.io/credential-id"],
        [format!("JTI={}", claims["jti"].as_str().unwrap())]
    );

    // Bound to a pod on a node: the pod and the node are named, and the
    // token dies with the pod.
    let node = create(
        &api,
        "/api/v1/nodes",
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
    )
    .await;
    let mut worker = pod("worker", json!({}));
    worker["spec"]["serviceAccountName"] = json!("app");
    worker["spec"]["nodeName"] = json!("n1");
    let worker = create(&api, &format!("{NS}/pods"), worker).await;
    let pod_token = expect(
        &request_token(
            &api,
            "app",
            json!({"boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "worker"}}),
        )
        .await,
        StatusCode::CREATED,
    )["status"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, claims, _, _) = jws_parts(&pod_token);
    assert_eq!(
        claims["kubernetes.io"]["pod"],
        json!({"name": "worker", "uid": worker["metadata"]["uid"]})
    );
    assert_eq!(
        claims["kubernetes.io"]["node"],
        json!({"name": "n1", "uid": node["metadata"]["uid"]})
    );
    // The kubelet's hour-long token for this API lasts a year, marked
    // stale after the hour.
    let kubelet_token = expect(
        &request_token(
            &api,
            "app",
            json!({"expirationSeconds": 3607,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "worker"}}),
        )
        .await,
        StatusCode::CREATED,
    );
    let (_, claims, _, _) = jws_parts(kubelet_token["status"]["token"].as_str().unwrap());
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 365 * 24 * 3600);
    assert_eq!(claims["kubernetes.io"]["warnafter"], iat + 3607);
    let expires: jiff::Timestamp = kubelet_token["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires.as_second(), iat + 3607);

    let pod_user = api.authenticate(&pod_token).await.unwrap();
    assert_eq!(
        pod_user.extra["authentication.kubernetes.io/pod-name"],
        ["worker"]
    );
    assert_eq!(
        pod_user.extra["authentication.kubernetes.io/pod-uid"],
        [worker["metadata"]["uid"].as_str().unwrap()]
    );
    assert_eq!(
        pod_user.extra["authentication.kubernetes.io/node-name"],
        ["n1"]
    );
    let wrong_account = request_token(
        &api,
        "app",
        json!({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "worker", "uid": "not-it"}}),
    )
    .await;
    assert_eq!(
        expect(&wrong_account, StatusCode::CONFLICT)["message"],
        "Operation cannot be fulfilled on Pod \"worker\": the UID in the bound object reference (not-it) does not match the UID in record. The object might have been deleted and then recreated"
    );
    expect(
        // Grace 0: no kubelet finishes a graceful deletion here.
        &api.call(
            Method::DELETE,
            &format!("{NS}/pods/worker?gracePeriodSeconds=0"),
            None,
        )
        .await,
        StatusCode::OK,
    );
    poll_until(
        "the pod-bound token to be refused",
        Duration::from_secs(10),
        || async { api.authenticate(&pod_token).await.err() },
    )
    .await
    .unwrap();

    // Tokens for other audiences, expired ones and forged ones are 401.
    let vault = expect(
        &request_token(&api, "app", json!({"audiences": ["vault"]})).await,
        StatusCode::CREATED,
    )["status"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api.authenticate(&vault).await.unwrap_err().code, 401);
    let now = unix_now();
    let expired = api
        .api
        .service_accounts
        .sign(TokenClaims {
            audiences: vec!["https://kubernetes.default.svc.cluster.local".into()],
            expiry: Some(now - 120),
            issued_at: Some(now - 4000),
            not_before: Some(now - 4000),
            subject: "system:serviceaccount:default:app".into(),
            kubernetes: KubernetesClaims {
                namespace: "default".into(),
                service_account: ObjectRef::new(
                    "app",
                    account["metadata"]["uid"].as_str().unwrap(),
                ),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(api.authenticate(&expired).await.unwrap_err().code, 401);
    let other_api = TestApi::start().await;
    assert_eq!(other_api.authenticate(&token).await.unwrap_err().code, 401);

    // The service account deleted, or deleted and made again: 401.
    expect(
        &api.call(Method::DELETE, &format!("{NS}/serviceaccounts/app"), None)
            .await,
        StatusCode::OK,
    );
    poll_until(
        "the token of a deleted account to be refused",
        Duration::from_secs(10),
        || async { api.authenticate(&token).await.err() },
    )
    .await
    .unwrap();
    service_account(&api, "app").await;
    poll_until(
        "the account to be back",
        Duration::from_secs(10),
        || async {
            let reply = api
                .call(
                    Method::GET,
                    &format!("{NS}/serviceaccounts/app?resourceVersion=0"),
                    None,
                )
                .await;
            (reply.status == StatusCode::OK).then_some(())
        },
    )
    .await
    .unwrap();
    assert_eq!(
        api.authenticate(&token).await.unwrap_err().code,
        401,
        "a new account of the same name is another account"
    );
}

/// A real PKCS#10 request, base64 as `spec.request` wants it.
fn certificate_request(common_name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let csr = params.serialize_request(&key).unwrap();
    STANDARD.encode(csr.pem().unwrap())
}

fn csr(name: &str) -> Value {
    json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {"request": certificate_request(name), "signerName": "example.com/signer",
            "usages": ["client auth"]}})
}

fn with_condition(mut csr: Value, kind: &str) -> Value {
    csr["status"] = json!({"conditions": [{"type": kind, "status": "True", "reason": "Test",
        "message": "by the test"}]});
    csr
}

#[tokio::test]
async fn approval_and_status_split_a_csrs_status() {
    let api = TestApi::start().await;
    let created = create(&api, CSRS, csr("alice")).await;

    // The main resource cannot approve.
    let sneaky = api
        .call(
            Method::PUT,
            &format!("{CSRS}/alice"),
            Some(with_condition(created.clone(), "Approved")),
        )
        .await;
    assert!(
        expect(&sneaky, StatusCode::OK)["status"]
            .get("conditions")
            .is_none()
    );

    let dry = api
        .call(
            Method::PUT,
            &format!("{CSRS}/alice/approval?dryRun=All"),
            Some(with_condition(created.clone(), "Approved")),
        )
        .await;
    assert_eq!(
        expect(&dry, StatusCode::OK)["status"]["conditions"][0]["type"],
        "Approved"
    );
    assert!(
        get(&api, &format!("{CSRS}/alice")).await["status"]
            .get("conditions")
            .is_none()
    );

    let current = get(&api, &format!("{CSRS}/alice")).await;
    let mut approval = with_condition(current, "Approved");
    approval["status"]["certificate"] = json!(STANDARD.encode("not for approvers"));
    let approved = expect(
        &api.call(
            Method::PUT,
            &format!("{CSRS}/alice/approval"),
            Some(approval),
        )
        .await,
        StatusCode::OK,
    );
    let condition = &approved["status"]["conditions"][0];
    assert_eq!(condition["type"], "Approved");
    assert_eq!(condition["reason"], "Test");
    assert!(condition["lastUpdateTime"].is_string());
    assert!(condition["lastTransitionTime"].is_string());
    assert!(
        approved["status"].get("certificate").is_none(),
        "approval only sets conditions"
    );

    let both = patch(
        &api,
        &format!("{CSRS}/alice/approval"),
        "application/json-patch+json",
        json!([{"op": "add", "path": "/status/conditions/-",
            "value": {"type": "Denied", "status": "True"}}]),
    )
    .await;
    assert_eq!(
        expect(&both, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"alice\" is invalid: status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive"
    );

    // The signer's status: a certificate, once; no approving.
    let key = rcgen::KeyPair::generate().unwrap();
    let issued = rcgen::CertificateParams::new(vec!["alice".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let signed = merge_patch(
        &api,
        &format!("{CSRS}/alice/status"),
        json!({"status": {"certificate": STANDARD.encode(&issued)}}),
    )
    .await;
    let signed = expect(&signed, StatusCode::OK);
    assert_eq!(signed["status"]["certificate"], STANDARD.encode(&issued));
    assert_eq!(signed["status"]["conditions"][0]["type"], "Approved");
    let garbage = merge_patch(
        &api,
        &format!("{CSRS}/alice/status"),
        json!({"status": {"certificate": STANDARD.encode("garbage")}}),
    )
    .await;
    assert_eq!(
        expect(&garbage, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"alice\" is invalid: [status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block, status.certificate: Forbidden: updates may not modify existing certificate content]"
    );
    create(&api, CSRS, csr("bob")).await;
    let self_approved = merge_patch(
        &api,
        &format!("{CSRS}/bob/status"),
        json!({"status": {"conditions": [{"type": "Approved", "status": "True"}]}}),
    )
    .await;
    assert_eq!(
        expect(&self_approved, StatusCode::UNPROCESSABLE_ENTITY)["message"],
        "CertificateSigningRequest.certificates.k8s.io \"bob\" is invalid: status.conditions: Forbidden: updates may not add a condition of type \"Approved\""
    );
}

/// The revision a consistent list of `collection` is served at.
async fn list_revision(api: &TestApi, collection: &str) -> String {
    let list = get(api, collection).await;
    list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn dry_run_on_every_write_stores_nothing() {
    let api = TestApi::start().await;
    let cm = |name: &str, value: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name,
            "labels": {"set": "x"}}, "data": {"k": value}})
    };
    let path = format!("{NS}/configmaps");
    let stored = create(&api, &path, cm("a", "1")).await;
    let before = list_revision(&api, &path).await;

    let created = expect(
        &api.call(
            Method::POST,
            &format!("{path}?dryRun=All"),
            Some(cm("b", "1")),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(created["metadata"]["name"], "b");
    assert!(created["metadata"]["uid"].is_string(), "as if written");
    let mut changed = stored.clone();
    changed["data"]["k"] = json!("2");
    let updated = expect(
        &api.call(Method::PUT, &format!("{path}/a?dryRun=All"), Some(changed))
            .await,
        StatusCode::OK,
    );
    assert_eq!(updated["data"]["k"], "2");
    let patched = expect(
        &merge_patch(
            &api,
            &format!("{path}/a?dryRun=All"),
            json!({"data": {"k": "3"}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(patched["data"]["k"], "3");
    expect(
        &api.call(Method::DELETE, &format!("{path}/a?dryRun=All"), None)
            .await,
        StatusCode::OK,
    );
    let deleted_by_body = api
        .call(
            Method::DELETE,
            &format!("{path}/a"),
            Some(json!({"dryRun": ["All"]})),
        )
        .await;
    expect(&deleted_by_body, StatusCode::OK);
    let collection = expect(
        &api.call(
            Method::DELETE,
            &format!("{path}?dryRun=All&labelSelector=set%3Dx"),
            None,
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(collection["items"][0]["metadata"]["name"], "a");

    assert_eq!(
        list_revision(&api, &path).await,
        before,
        "nothing was written"
    );
    assert_eq!(get(&api, &format!("{path}/a")).await, stored);
    assert_eq!(
        api.call(Method::GET, &format!("{path}/b"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The subresources too.
    create(
        &api,
        &format!("{APPS}/deployments"),
        workload("Deployment", "web", 2),
    )
    .await;
    expect(
        &merge_patch(
            &api,
            &format!("{APPS}/deployments/web/scale?dryRun=All"),
            json!({"spec": {"replicas": 9}}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        get(&api, &format!("{APPS}/deployments/web")).await["spec"]["replicas"],
        2
    );

    // Bad values are refused before anything is read, as upstream.
    for (method, uri, kind) in [
        (Method::POST, format!("{path}?dryRun=Sure"), "CreateOptions"),
        (
            Method::PUT,
            format!("{path}/a?dryRun=Sure"),
            "UpdateOptions",
        ),
        (
            Method::PATCH,
            format!("{path}/a?dryRun=Sure"),
            "PatchOptions",
        ),
        (
            Method::DELETE,
            format!("{path}/a?dryRun=Sure"),
            "DeleteOptions",
        ),
        (
            Method::DELETE,
            format!("{path}?dryRun=Sure"),
            "DeleteOptions",
        ),
        (
            Method::POST,
            format!("{NS}/pods/x/eviction?dryRun=Sure"),
            "CreateOptions",
        ),
        (
            Method::PUT,
            format!("{APPS}/deployments/web/scale?dryRun=Sure"),
            "UpdateOptions",
        ),
    ] {
        // A DELETE with a body takes its options from the body only.
        let body = if method == Method::DELETE { "" } else { "{}" };
        let reply = api
            .call_with(
                method.clone(),
                &uri,
                &[("content-type", "application/merge-patch+json")],
                Bytes::from(body),
            )
            .await;
        let status = expect(&reply, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            status["message"],
            format!(
                "{kind}.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{{\"Sure\"}}: supported values: \"All\""
            ),
            "{method} {uri}"
        );
    }
}

#[tokio::test]
async fn field_validation_covers_subresource_bodies() {
    let api = TestApi::start().await;
    create(
        &api,
        &format!("{APPS}/deployments"),
        workload("Deployment", "web", 1),
    )
    .await;
    create(&api, &format!("{NS}/pods"), pod("p", json!({}))).await;
    service_account(&api, "sa").await;
    let scale = json!({"apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {"name": "web"}, "spec": {"replicas": 2, "replica": 3}});
    let strict = api
        .call(
            Method::PUT,
            &format!("{APPS}/deployments/web/scale?fieldValidation=Strict"),
            Some(scale.clone()),
        )
        .await;
    assert_eq!(
        expect(&strict, StatusCode::BAD_REQUEST)["message"],
        "Scale in version \"v1\" cannot be handled as a Scale: strict decoding error: unknown field \"spec.replica\""
    );
    let warned = api
        .call(
            Method::PUT,
            &format!("{APPS}/deployments/web/scale"),
            Some(scale),
        )
        .await;
    expect(&warned, StatusCode::OK);
    assert_eq!(
        warned.warnings(),
        ["299 - \"unknown field \\\"spec.replica\\\"\""]
    );
    let patched = merge_patch(
        &api,
        &format!("{APPS}/deployments/web/scale?fieldValidation=Strict"),
        json!({"spec": {"replicaz": 1}}),
    )
    .await;
    assert_eq!(patched.status, StatusCode::BAD_REQUEST);

    for (uri, kind, version, body) in [
        (
            format!("{NS}/pods/p/binding?fieldValidation=Strict"),
            "Binding",
            "v1",
            json!({"metadata": {"name": "p"}, "target": {"name": "n"}, "extra": 1}),
        ),
        (
            format!("{NS}/pods/p/eviction?fieldValidation=Strict"),
            "Eviction",
            "v1",
            json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}, "extra": 1}),
        ),
        (
            format!("{NS}/serviceaccounts/sa/token?fieldValidation=Strict"),
            "TokenRequest",
            "v1",
            json!({"spec": {}, "extra": 1}),
        ),
    ] {
        let reply = api.call(Method::POST, &uri, Some(body)).await;
        assert_eq!(
            expect(&reply, StatusCode::BAD_REQUEST)["message"],
            format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: unknown field \"extra\""
            ),
            "{uri}"
        );
    }
    assert_eq!(
        get(&api, &format!("{NS}/pods/p")).await["spec"].get("nodeName"),
        None
    );
    let ignored = api
        .call(
            Method::POST,
            &format!("{NS}/serviceaccounts/sa/token?fieldValidation=Ignore"),
            Some(json!({"spec": {}, "extra": 1})),
        )
        .await;
    expect(&ignored, StatusCode::CREATED);
    assert!(ignored.warnings().is_empty());
    let unknown_mode = api
        .call(
            Method::POST,
            &format!("{NS}/serviceaccounts/sa/token?fieldValidation=Loose"),
            Some(json!({})),
        )
        .await;
    assert_eq!(unknown_mode.status, StatusCode::UNPROCESSABLE_ENTITY);
}

// ---- stock kubectl against `keelson up`, on both backends ----

/// The words of each line (column alignment aside).
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

on_both_backends! {
    async fn kubectl_scale(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        assert_eq!(
            k(&["create", "deployment", "web", "--image=nginx", "--replicas=2"]).ok(),
            "deployment.apps/web created\n"
        );
        assert_eq!(k(&["scale", "deployment", "web", "--replicas=3"]).ok(), "deployment.apps/web scaled\n");
        assert_eq!(k(&["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"]).ok(), "3");
        assert_eq!(
            k(&["scale", "deployment/web", "--current-replicas=2", "--replicas=4"]).failed(),
            "error: Expected replicas to be 2, was 3\n"
        );
        assert_eq!(
            k(&["scale", "deployment/web", "--current-replicas=3", "--replicas=4"]).ok(),
            "deployment.apps/web scaled\n"
        );
        assert_eq!(
            k(&["get", "deployment", "web", "-o", "jsonpath={.spec.replicas} {.metadata.generation}"]).ok(),
            "4 3"
        );
        assert_eq!(
            k(&["scale", "deployment", "web", "--replicas=1", "--dry-run=server"]).ok(),
            "deployment.apps/web scaled (server dry run)\n"
        );
        assert_eq!(k(&["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"]).ok(), "4");
        let scale: Value = serde_json::from_str(
            k(&["get", "--raw", "/apis/apps/v1/namespaces/default/deployments/web/scale"]).ok(),
        )
        .unwrap();
        assert_eq!(scale["status"]["selector"], "app=web");
        assert_eq!(
            k(&["scale", "deployment", "nope", "--replicas=1"]).failed(),
            "error: no objects passed to scale deployments.apps \"nope\" not found\n"
        );
    }

    async fn kubectl_create_token(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "team"]).ok();
        assert_eq!(
            k(&["create", "token", "nobody", "-n", "team"]).failed(),
            "error: failed to create token: serviceaccounts \"nobody\" not found\n"
        );
        // The serviceaccount controller gives every namespace its `default`.
        let token = poll_until("a token for the default account", Duration::from_secs(30), || async {
            let ran = k(&["create", "token", "default", "-n", "team"]);
            (ran.code == Some(0)).then(|| ran.stdout.trim().to_owned())
        })
        .await
        .unwrap();
        let (_, claims, _, _) = jws_parts(&token);
        assert_eq!(claims["sub"], "system:serviceaccount:team:default");
        let short = k(&["create", "token", "default", "-n", "team", "--duration=5m"]);
        assert!(
            short.failed().contains("may not specify a duration less than 10 minutes"),
            "{short:?}"
        );

        // The token is a credential kubectl can use: the server knows who
        // it is (and, without RBAC yet, what it may not do).
        let kubeconfig = cluster.token_kubeconfig(&token);
        assert_eq!(
            cluster.kubectl_as(&kubeconfig, &["get", "pods", "-n", "team"]).failed(),
            "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:team:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"team\"\n"
        );
        let jwks: Value = serde_json::from_str(
            cluster.kubectl_as(&kubeconfig, &["get", "--raw", "/openid/v1/jwks"]).ok(),
        )
        .unwrap();
        assert!(verify_with_jwks(&token, &jwks));
        let config: Value = serde_json::from_str(
            cluster.kubectl_as(&kubeconfig, &["get", "--raw", "/.well-known/openid-configuration"]).ok(),
        )
        .unwrap();
        assert_eq!(config["issuer"], "https://kubernetes.default.svc.cluster.local");

        k(&["delete", "serviceaccount", "default", "-n", "team"]).ok();
        poll_until("the token to stop working", Duration::from_secs(20), || async {
            let ran = cluster.kubectl_as(&kubeconfig, &["get", "--raw", "/openid/v1/jwks"]);
            (ran.code == Some(1)).then_some(ran)
        })
        .await
        .map(|ran| {
            assert_eq!(ran.stderr, "error: You must be logged in to the server (Unauthorized)\n")
        })
        .unwrap();
    }

    async fn kubectl_certificate_approve_and_deny(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        for name in ["alice", "bob"] {
            let manifest = serde_yaml::to_string(&csr(name)).unwrap();
            let file = cluster.file(&format!("{name}.yaml"), &manifest);
            assert_eq!(
                k(&["create", "-f", &file]).ok(),
                format!("certificatesigningrequest.certificates.k8s.io/{name} created\n")
            );
        }
        assert_eq!(
            k(&["certificate", "approve", "alice"]).ok(),
            "certificatesigningrequest.certificates.k8s.io/alice approved\n"
        );
        assert_eq!(
            k(&["certificate", "deny", "bob"]).ok(),
            "certificatesigningrequest.certificates.k8s.io/bob denied\n"
        );
        let conditions = |name: &str| {
            k(&["get", "csr", name, "-o", "jsonpath={.status.conditions[*].type}/{.status.conditions[*].reason}"])
                .ok()
                .to_owned()
        };
        assert_eq!(conditions("alice"), "Approved/KubectlApprove");
        assert_eq!(conditions("bob"), "Denied/KubectlDeny");
        let table = k(&["get", "csr"]);
        let table = rows(table.ok());
        assert_eq!(table[0][0], "NAME");
        assert_eq!(table[1].first().map(String::as_str), Some("alice"));
        assert_eq!(table[1].last().map(String::as_str), Some("Approved"));
        assert_eq!(table[2].last().map(String::as_str), Some("Denied"));
        assert_eq!(
            k(&["certificate", "deny", "alice"]).failed(),
            "error: certificate signing request \"alice\" is already Approved\n"
        );
    }

    async fn kubectl_server_side_dry_runs_change_nothing(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        assert_eq!(
            k(&["create", "configmap", "settings", "--from-literal=color=blue", "--dry-run=server"]).ok(),
            "configmap/settings created (server dry run)\n"
        );
        assert_eq!(
            k(&["get", "configmap", "settings"]).failed(),
            "Error from server (NotFound): configmaps \"settings\" not found\n"
        );
        k(&["create", "configmap", "settings", "--from-literal=color=blue"]).ok();
        let before = k(&["get", "configmap", "settings", "-o", "json"]).ok().to_owned();
        let file = cluster.file(
            "settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: red\n",
        );
        assert_eq!(
            k(&["apply", "-f", &file, "--dry-run=server"]).ok(),
            "configmap/settings configured (server dry run)\n"
        );
        assert_eq!(
            k(&["delete", "configmap", "settings", "--dry-run=server"]).ok(),
            "configmap \"settings\" deleted (server dry run)\n"
        );
        assert_eq!(k(&["get", "configmap", "settings", "-o", "json"]).ok(), before);
        assert_eq!(
            k(&["create", "deployment", "web", "--image=nginx", "--dry-run=server", "-o", "jsonpath={.spec.replicas}"]).ok(),
            "1"
        );
        assert_eq!(
            k(&["get", "deployments"]).stderr,
            "No resources found in default namespace.\n"
        );
    }

    async fn kubectl_drain_evicts_within_the_budget(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let manifest = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
"#;
        k(&["apply", "-f", &cluster.file("cluster.yaml", manifest)]).ok();
        // No kubelet finishes a graceful deletion here: pods that may stop
        // at once go as soon as they are evicted.
        for (name, node) in [("a", "n1"), ("b", "n2")] {
            let pod = format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n  nodeName: {node}\n  terminationGracePeriodSeconds: 0\n  containers: [{{name: c, image: nginx}}]\n"
            );
            k(&["apply", "-f", &cluster.file(&format!("{name}.yaml"), &pod)]).ok();
            k(&["patch", "pod", name, "--subresource=status", "--type=merge", "-p",
                r#"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#]).ok();
        }
        // The disruption controller counts both pods healthy: one may go.
        poll_until("the budget's status", Duration::from_secs(30), || async {
            let status = k(&["get", "pdb", "web", "-o",
                "jsonpath={.status.expectedPods}/{.status.currentHealthy}/{.status.desiredHealthy}/{.status.disruptionsAllowed}"]).ok().to_owned();
            (status == "2/2/1/1").then_some(())
        })
        .await
        .unwrap();

        let drained = k(&["drain", "n1", "--force", "--timeout=30s"]);
        let out = drained.ok();
        assert!(out.contains("node/n1 cordoned\n"), "{out}");
        assert!(out.contains("evicting pod default/a\n"), "{out}");
        assert!(out.contains("pod/a evicted\n"), "{out}");
        assert!(out.ends_with("node/n1 drained\n"), "{out}");
        assert_eq!(
            k(&["get", "pdb", "web", "-o", "jsonpath={.status.disruptionsAllowed}"]).ok(),
            "0"
        );

        // The budget is spent: b stays, drain gives up at its timeout.
        let blocked = k(&["drain", "n2", "--force", "--timeout=2s"]);
        assert_eq!(blocked.code, Some(1), "{blocked:?}");
        assert!(
            blocked.stderr.contains(
                "error when evicting pods/\"b\" -n \"default\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."
            ),
            "{blocked:?}"
        );
        k(&["get", "pod", "b"]).ok();
    }
}

mod protobuf_clients {
    //! client-go's typed clients (the scheduler's binder, the kubelet's
    //! token manager, `kubectl drain`) send protobuf and ask for it back.
    //! Bodies are built with k8s-pb's independently generated messages.

    use super::*;
    use crate::protobuf_envelope::envelope;
    use k8s_pb::api::authentication::v1 as authentication;
    use k8s_pb::api::core::v1 as core;
    use k8s_pb::api::policy::v1 as policy;
    use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
    use keelson::apiserver::protobuf;
    use prost::Message;

    const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
    const HEADERS: [(&str, &str); 2] = [
        ("content-type", PROTOBUF),
        (
            "accept",
            "application/vnd.kubernetes.protobuf,application/json",
        ),
    ];

    /// ObjectMeta as Go writes it: every non-pointer field, empty or not.
    fn metadata(name: &str) -> meta::ObjectMeta {
        meta::ObjectMeta {
            name: Some(name.into()),
            namespace: Some(String::new()),
            uid: Some(String::new()),
            resource_version: Some(String::new()),
            creation_timestamp: Some(meta::Time::default()),
            ..Default::default()
        }
    }

    #[track_caller]
    fn decoded(reply: &Reply, status: StatusCode) -> Value {
        assert_eq!(
            reply.status,
            status,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.headers["content-type"], PROTOBUF);
        protobuf::decode(&reply.body).unwrap()
    }

    #[tokio::test]
    async fn bindings_evictions_tokens_and_scales_in_protobuf() {
        let api = TestApi::start().await;
        create(&api, &format!("{NS}/pods"), pod("p", json!({}))).await;
        let binding = core::Binding {
            metadata: Some(metadata("p")),
            target: Some(core::ObjectReference {
                kind: Some("Node".into()),
                name: Some("n1".into()),
                ..Default::default()
            }),
        };
        let bound = api
            .call_with(
                Method::POST,
                &format!("{NS}/pods/p/binding"),
                &HEADERS,
                envelope("v1", "Binding", binding.encode_to_vec()),
            )
            .await;
        let status = decoded(&bound, StatusCode::CREATED);
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["status"], "Success");
        assert_eq!(
            get(&api, &format!("{NS}/pods/p")).await["spec"]["nodeName"],
            "n1"
        );

        service_account(&api, "sa").await;
        let request = authentication::TokenRequest {
            metadata: Some(metadata("")),
            spec: Some(authentication::TokenRequestSpec {
                audiences: Vec::new(),
                expiration_seconds: Some(3600),
                bound_object_ref: None,
            }),
            status: Some(authentication::TokenRequestStatus {
                token: Some(String::new()),
                expiration_timestamp: Some(meta::Time::default()),
            }),
        };
        let issued = api
            .call_with(
                Method::POST,
                &format!("{NS}/serviceaccounts/sa/token"),
                &HEADERS,
                envelope(
                    "authentication.k8s.io/v1",
                    "TokenRequest",
                    request.encode_to_vec(),
                ),
            )
            .await;
        let issued = decoded(&issued, StatusCode::CREATED);
        let token = issued["status"]["token"].as_str().unwrap();
        assert_eq!(
            api.authenticate(token).await.unwrap().name,
            "system:serviceaccount:default:sa"
        );

        let eviction = policy::Eviction {
            metadata: Some(metadata("p")),
            delete_options: Some(meta::DeleteOptions::default()),
        };
        let evicted = api
            .call_with(
                Method::POST,
                &format!("{NS}/pods/p/eviction"),
                &HEADERS,
                envelope("policy/v1", "Eviction", eviction.encode_to_vec()),
            )
            .await;
        assert_eq!(decoded(&evicted, StatusCode::CREATED)["status"], "Success");

        create(
            &api,
            &format!("{APPS}/deployments"),
            workload("Deployment", "web", 2),
        )
        .await;
        let scale = api
            .call_with(
                Method::GET,
                &format!("{APPS}/deployments/web/scale"),
                &HEADERS,
                Bytes::new(),
            )
            .await;
        let scale = decoded(&scale, StatusCode::OK);
        assert_eq!(scale["kind"], "Scale");
        assert_eq!(scale["spec"]["replicas"], 2);
    }
}
