//! Kubernetes protobuf on the wire: bodies client-go's typed clients send
//! (built here with k8s-pb's independently generated messages), and the
//! protobuf answers they ask for, checked in-process against the handler.

mod protobuf_envelope;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use keelson::apiserver::protobuf;
use keelson::testing::api::{TestApi, admin};
use prost::Message;
use protobuf_envelope::envelope;
use serde_json::json;

const CM: &str = "/api/v1/namespaces/default/configmaps";
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
/// What client-go's typed clients send as `Accept`.
const CLIENT_ACCEPT: &str = "application/vnd.kubernetes.protobuf,application/json";

/// A ConfigMap as Go writes it: every non-pointer field, empty or not.
fn configmap(name: &str) -> Bytes {
    let configmap = core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            name: Some(name.into()),
            generate_name: Some(String::new()),
            namespace: Some(String::new()),
            uid: Some(String::new()),
            resource_version: Some(String::new()),
            generation: Some(0),
            creation_timestamp: Some(meta::Time::default()),
            ..Default::default()
        }),
        data: [("a".to_owned(), "b".to_owned())].into(),
        binary_data: [("bin".to_owned(), vec![0, 1, 2, 255])].into(),
        immutable: None,
    };
    envelope("v1", "ConfigMap", configmap.encode_to_vec())
}

fn protobuf_headers() -> [(&'static str, &'static str); 2] {
    [("content-type", PROTOBUF), ("accept", CLIENT_ACCEPT)]
}

#[tokio::test]
async fn a_protobuf_configmap_is_created_and_read_back_as_json() {
    let api = TestApi::start().await;
    let created = api
        .call_with(Method::POST, CM, &protobuf_headers(), configmap("x"))
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    assert_eq!(created.headers["content-type"], PROTOBUF);
    let answer = protobuf::decode(&created.body).unwrap();
    assert_eq!(answer["metadata"]["name"], "x");
    assert!(
        answer["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );

    let read = api.call(Method::GET, &format!("{CM}/x"), None).await;
    assert_eq!(read.status, StatusCode::OK);
    let object = read.json();
    assert_eq!(object["kind"], "ConfigMap");
    assert_eq!(object["metadata"]["namespace"], "default");
    assert_eq!(object["data"], json!({"a": "b"}));
    assert_eq!(object["binaryData"], json!({"bin": "AAEC/w=="}));
    assert!(object["metadata"]["creationTimestamp"].is_string());
}

#[tokio::test]
async fn gets_and_lists_answer_protobuf_when_asked() {
    let api = TestApi::start().await;
    api.call_with(Method::POST, CM, &protobuf_headers(), configmap("x"))
        .await;
    let accept = [("accept", CLIENT_ACCEPT)];
    let one = api
        .call_with(Method::GET, &format!("{CM}/x"), &accept, Bytes::new())
        .await;
    assert_eq!(one.headers["content-type"], PROTOBUF);
    // Decoded independently: the answer is a k8s-pb ConfigMap.
    let unknown = Unknown::decode(&one.body[4..]).unwrap();
    assert_eq!(
        unknown.type_meta.unwrap().kind.as_deref(),
        Some("ConfigMap")
    );
    let configmap = core::ConfigMap::decode(unknown.raw.unwrap().as_slice()).unwrap();
    assert_eq!(configmap.binary_data["bin"], vec![0, 1, 2, 255]);
    assert!(
        configmap
            .metadata
            .unwrap()
            .creation_timestamp
            .unwrap()
            .seconds
            > Some(0)
    );

    let list = api.call_with(Method::GET, CM, &accept, Bytes::new()).await;
    assert_eq!(list.headers["content-type"], PROTOBUF);
    let list = protobuf::decode(&list.body).unwrap();
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["items"][0]["metadata"]["name"], "x");
    assert!(list["metadata"]["resourceVersion"].is_string());
}

/// client-go's typed clients read only protobuf: errors come back as a
/// protobuf `Status` they can decode into the reason kubectl prints.
#[tokio::test]
async fn errors_answer_a_protobuf_status_when_protobuf_is_asked() {
    let api = TestApi::start().await;
    let accept = [("accept", CLIENT_ACCEPT)];
    let missing = api
        .call_with(Method::GET, &format!("{CM}/absent"), &accept, Bytes::new())
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.headers["content-type"], PROTOBUF);
    let unknown = Unknown::decode(&missing.body[4..]).unwrap();
    let status = meta::Status::decode(unknown.raw.unwrap().as_slice()).unwrap();
    assert_eq!(status.reason.as_deref(), Some("NotFound"));
    assert_eq!(status.code, Some(404));
    assert_eq!(
        status.message.as_deref(),
        Some("configmaps \"absent\" not found")
    );
    assert_eq!(status.details.unwrap().name.as_deref(), Some("absent"));

    // A JSON client still gets JSON.
    let json = api.call(Method::GET, &format!("{CM}/absent"), None).await;
    assert_eq!(json.headers["content-type"], "application/json");
    assert_eq!(json.json()["reason"], "NotFound");
}

#[tokio::test]
async fn kinds_without_a_message_are_415_and_answers_fall_back_to_json() {
    let api = TestApi::start().await;
    let widget = envelope("example.com/v1", "Widget", Vec::new());
    let reply = api
        .call_with(Method::POST, CM, &protobuf_headers(), widget)
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let garbage = api
        .call_with(
            Method::POST,
            CM,
            &protobuf_headers(),
            Bytes::from_static(b"k8s\0\x0a\xff"),
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);

    // Namespaces have a message; their answers are protobuf too.
    let namespaces = api
        .call_with(
            Method::GET,
            "/api/v1/namespaces",
            &[("accept", CLIENT_ACCEPT)],
            Bytes::new(),
        )
        .await;
    assert_eq!(namespaces.headers["content-type"], PROTOBUF);
}

#[tokio::test]
async fn protobuf_delete_options_carry_preconditions() {
    let api = TestApi::start().await;
    api.call_with(Method::POST, CM, &protobuf_headers(), configmap("x"))
        .await;
    let options = |uid: &str| {
        let options = meta::DeleteOptions {
            preconditions: Some(meta::Preconditions {
                uid: Some(uid.into()),
                resource_version: None,
            }),
            grace_period_seconds: Some(0),
            ..Default::default()
        };
        envelope("v1", "DeleteOptions", options.encode_to_vec())
    };
    let wrong = api
        .call_with(
            Method::DELETE,
            &format!("{CM}/x"),
            &protobuf_headers(),
            options("not-the-uid"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);

    let uid = api.call(Method::GET, &format!("{CM}/x"), None).await.json()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = api
        .call_with(
            Method::DELETE,
            &format!("{CM}/x"),
            &protobuf_headers(),
            options(&uid),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.headers["content-type"], PROTOBUF);
    let status = protobuf::decode(&deleted.body).unwrap();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Success");
    assert_eq!(status["details"]["name"], "x");
}

#[tokio::test]
async fn watches_stream_length_prefixed_watch_events() {
    let api = TestApi::start().await;
    api.call_with(Method::POST, CM, &protobuf_headers(), configmap("x"))
        .await;
    let response = api
        .send(
            admin(),
            Method::GET,
            &format!("{CM}?watch=true&timeoutSeconds=1"),
            &[("accept", CLIENT_ACCEPT)],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.kubernetes.protobuf;stream=watch"
    );
    let body = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        response.into_body().collect(),
    )
    .await
    .expect("the watch ends after its timeout")
    .expect("the body")
    .to_bytes();
    let events = protobuf::decode_watch_events(&body).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "x");
    assert_eq!(events[0]["object"]["kind"], "ConfigMap");
}
