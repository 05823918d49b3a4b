//! Reviews: token reviews and access reviews are answered (201 with a
//! status) and never stored; `kubectl auth can-i` and `kubectl auth
//! whoami` work.

mod cluster;

use cluster::Cluster;
use http::{Method, StatusCode};
use keelson::testing::api::TestApi;
use serde_json::{Value, json};

async fn post(api: &TestApi, uri: &str, body: Value) -> Value {
    let reply = api.call(Method::POST, uri, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    reply.json()
}

async fn service_account_token(api: &TestApi, name: &str, audiences: Value) -> String {
    post(
        api,
        "/api/v1/namespaces/default/serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}),
    )
    .await;
    let request = post(
        api,
        &format!("/api/v1/namespaces/default/serviceaccounts/{name}/token"),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
               "spec": {"audiences": audiences}}),
    )
    .await;
    request["status"]["token"].as_str().unwrap().to_owned()
}

const TOKEN_REVIEWS: &str = "/apis/authentication.k8s.io/v1/tokenreviews";

fn token_review(token: &str, audiences: Value) -> Value {
    json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
           "spec": {"token": token, "audiences": audiences}})
}

#[tokio::test]
async fn token_reviews_say_who_a_token_is() {
    let api = TestApi::start().await;
    let token = service_account_token(&api, "robot", Value::Null).await;
    let review = post(&api, TOKEN_REVIEWS, token_review(&token, json!([]))).await;
    assert_eq!(review["kind"], "TokenReview");
    let status = &review["status"];
    assert_eq!(status["authenticated"], true, "{review}");
    assert_eq!(
        status["user"]["username"],
        "system:serviceaccount:default:robot"
    );
    let groups = status["user"]["groups"].as_array().unwrap();
    for group in [
        "system:serviceaccounts",
        "system:serviceaccounts:default",
        "system:authenticated",
    ] {
        assert!(groups.iter().any(|g| g == group), "{groups:?}");
    }
    assert_eq!(
        status["audiences"],
        json!(["https://kubernetes.default.svc.cluster.local"])
    );

    // A token for another audience is good for that audience only.
    let vault = service_account_token(&api, "vault-user", json!(["vault"])).await;
    let for_vault = post(&api, TOKEN_REVIEWS, token_review(&vault, json!(["vault"]))).await;
    assert_eq!(for_vault["status"]["authenticated"], true, "{for_vault}");
    assert_eq!(for_vault["status"]["audiences"], json!(["vault"]));
    let for_api = post(&api, TOKEN_REVIEWS, token_review(&vault, json!([]))).await;
    assert_eq!(for_api["status"]["authenticated"], false, "{for_api}");
    assert!(
        for_api["status"]["error"]
            .as_str()
            .unwrap()
            .contains("invalid for the target audiences")
    );

    let garbage = post(&api, TOKEN_REVIEWS, token_review("not-a-token", json!([]))).await;
    assert_eq!(garbage["status"]["authenticated"], false);

    let empty = api
        .call(
            Method::POST,
            TOKEN_REVIEWS,
            Some(token_review("", json!([]))),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.json()["details"]["causes"][0]["field"], "spec.token");

    // Nothing was stored.
    let list = api.call(Method::GET, TOKEN_REVIEWS, None).await;
    assert_eq!(list.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn access_reviews_answer_with_the_authorizer() {
    let api = TestApi::start().await;
    let sar = |user: &str, groups: Value| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"user": user, "groups": groups,
                        "resourceAttributes": {"verb": "delete", "resource": "secrets",
                                               "namespace": "default"}}})
    };
    let uri = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    let admin = post(&api, uri, sar("root", json!(["system:masters"]))).await;
    assert_eq!(admin["status"]["allowed"], true, "{admin}");
    let nobody = post(&api, uri, sar("jane", json!([]))).await;
    assert_eq!(nobody["status"]["allowed"], false, "{nobody}");

    let local = api
        .call(
            Method::POST,
            "/apis/authorization.k8s.io/v1/namespaces/kube-system/localsubjectaccessreviews",
            Some(json!({"apiVersion": "authorization.k8s.io/v1",
                "kind": "LocalSubjectAccessReview",
                "spec": {"user": "jane", "resourceAttributes": {"verb": "get",
                    "resource": "pods", "namespace": "default"}}})),
        )
        .await;
    assert_eq!(local.status, StatusCode::UNPROCESSABLE_ENTITY);

    let self_review = post(
        &api,
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
               "spec": {"nonResourceAttributes": {"verb": "get", "path": "/metrics"}}}),
    )
    .await;
    assert_eq!(self_review["status"]["allowed"], true);

    // Upstream's conformance: a review has no Table form.
    let table = api
        .call_with(
            Method::POST,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &[
                ("accept", "application/json;as=Table;v=v1;g=meta.k8s.io"),
                ("content-type", "application/json"),
            ],
            serde_json::to_vec(&json!({"apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"nonResourceAttributes": {"verb": "get", "path": "/"}}}))
            .unwrap()
            .into(),
        )
        .await;
    assert_eq!(table.status, StatusCode::NOT_ACCEPTABLE);
}

on_both_backends! {

async fn kubectl_auth_can_i_and_whoami(cluster: Cluster) {
    let k = |args: &[&str]| cluster.kubectl(args);
    assert_eq!(k(&["auth", "can-i", "create", "pods"]).ok(), "yes\n");
    let whoami = k(&["auth", "whoami"]).ok().to_owned();
    assert!(whoami.contains("kubernetes-admin"), "{whoami}");
    assert!(whoami.contains("system:masters"), "{whoami}");

    k(&["create", "serviceaccount", "robot"]).ok();
    let token = k(&["create", "token", "robot"]).ok().trim().to_owned();
    let kubeconfig = cluster.token_kubeconfig(&token);
    let as_robot = |args: &[&str]| cluster.kubectl_as(&kubeconfig, args);
    let denied = as_robot(&["auth", "can-i", "create", "pods"]);
    assert_eq!(denied.stdout, "no\n", "{denied:?}");
    let whoami = as_robot(&[
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
    ]);
    assert_eq!(whoami.ok(), "system:serviceaccount:default:robot");
}
}
