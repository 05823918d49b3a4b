//! API semantics clients rely on, checked in-process against the handler
//! on a fresh embedded store: server-owned metadata, errors as upstream
//! words them, optimistic concurrency, selectors, paging, resourceVersion
//! semantics, watches (incl. WatchList), tables, dryRun, fieldValidation
//! and namespace lifecycle.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{Method, StatusCode};
use keelson::testing::api::TestApi;
use serde_json::{Value, json};

const CM: &str = "/api/v1/namespaces/default/configmaps";

fn configmap(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": "v"},
    })
}

async fn next_event(events: &mut futures::stream::BoxStream<'static, Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10s")
        .expect("the watch is still open")
}

/// The next event that is not a periodic bookmark.
async fn next_change(events: &mut futures::stream::BoxStream<'static, Value>) -> Value {
    loop {
        let event = next_event(events).await;
        if event["type"] != "BOOKMARK" {
            return event;
        }
    }
}

#[tokio::test]
async fn create_get_update_delete_with_server_owned_metadata() {
    let api = TestApi::start().await;
    let created = api
        .call(Method::POST, CM, Some(configmap("a", json!({}))))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let object = created.json();
    let meta = &object["metadata"];
    assert_eq!(meta["namespace"], "default");
    assert!(meta["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(
        meta["creationTimestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let rv = meta["resourceVersion"].as_str().unwrap().to_owned();

    let got = api.call(Method::GET, &format!("{CM}/a"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), object);

    let again = api
        .call(Method::POST, CM, Some(configmap("a", json!({}))))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["reason"], "AlreadyExists");
    assert_eq!(again.json()["message"], "configmaps \"a\" already exists");

    let mut update = object.clone();
    update["data"]["k"] = json!("w");
    let updated = api
        .call(Method::PUT, &format!("{CM}/a"), Some(update.clone()))
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    let new_rv = updated.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_rv, rv);
    assert_eq!(updated.json()["metadata"]["uid"], meta["uid"]);

    // The old resourceVersion lost the race.
    let stale = api
        .call(Method::PUT, &format!("{CM}/a"), Some(update))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        stale.json()["message"],
        "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"
    );

    let deleted = api.call(Method::DELETE, &format!("{CM}/a"), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.json()["status"], "Success");
    assert_eq!(deleted.json()["details"]["name"], "a");
    let gone = api.call(Method::GET, &format!("{CM}/a"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["message"], "configmaps \"a\" not found");
    assert_eq!(gone.json()["details"]["kind"], "configmaps");
}

#[tokio::test]
async fn invalid_objects_get_422_with_causes() {
    let api = TestApi::start().await;
    let bad = api
        .call(Method::POST, CM, Some(configmap("Bad_Name", json!({}))))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = bad.json();
    assert_eq!(status["reason"], "Invalid");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"),
        "{status}"
    );
    assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");

    let nameless = api
        .call(
            Method::POST,
            CM,
            Some(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})),
        )
        .await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        nameless.json()["message"],
        "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required"
    );

    let wrong_kind = api
        .call(
            Method::POST,
            CM,
            Some(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})),
        )
        .await;
    assert_eq!(wrong_kind.status, StatusCode::BAD_REQUEST);
}

/// A field Go decodes as its zero value is a validation error when it is
/// required, and a stored zero when it is not: never an undecodable body.
#[tokio::test]
async fn missing_required_fields_are_invalid_not_undecodable() {
    let api = TestApi::start().await;
    let class = api
        .call(
            Method::POST,
            "/apis/storage.k8s.io/v1/storageclasses",
            Some(
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "fast"}}),
            ),
        )
        .await;
    assert_eq!(
        class.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        class.json()
    );
    assert_eq!(
        class.json()["message"],
        "StorageClass.storage.k8s.io \"fast\" is invalid: provisioner: Required value"
    );
    let slice = api
        .call(
            Method::POST,
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
            Some(
                json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "s"}, "endpoints": []}),
            ),
        )
        .await;
    assert_eq!(
        slice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        slice.json()
    );
    assert_eq!(slice.json()["details"]["causes"][0]["field"], "addressType");
    let priority = api
        .call(
            Method::POST,
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            Some(
                json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": "zero"}}),
            ),
        )
        .await;
    assert_eq!(priority.status, StatusCode::CREATED, "{}", priority.json());
    assert_eq!(priority.json()["value"], 0);
}

#[tokio::test]
async fn generate_name_makes_unique_names() {
    let api = TestApi::start().await;
    let body =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}});
    let a = api.call(Method::POST, CM, Some(body.clone())).await.json();
    let b = api.call(Method::POST, CM, Some(body)).await.json();
    let (a, b) = (
        a["metadata"]["name"].as_str().unwrap(),
        b["metadata"]["name"].as_str().unwrap(),
    );
    assert!(a.starts_with("gen-") && a.len() == 9, "{a}");
    assert_ne!(a, b);
}

#[tokio::test]
async fn namespaces_must_exist_and_not_be_terminating() {
    let api = TestApi::start().await;
    let missing = api
        .call(
            Method::POST,
            "/api/v1/namespaces/nope/configmaps",
            Some(configmap("a", json!({}))),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["message"], "namespaces \"nope\" not found");

    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let got = api
            .call(Method::GET, &format!("/api/v1/namespaces/{ns}"), None)
            .await;
        assert_eq!(got.status, StatusCode::OK, "{ns}");
        assert_eq!(got.json()["status"]["phase"], "Active");
    }

    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}});
    assert_eq!(
        api.call(Method::POST, "/api/v1/namespaces", Some(ns))
            .await
            .status,
        StatusCode::CREATED
    );
    let deleting = api
        .call(Method::DELETE, "/api/v1/namespaces/doomed", None)
        .await;
    assert_eq!(deleting.status, StatusCode::OK);
    assert_eq!(deleting.json()["status"]["phase"], "Terminating");
    assert!(deleting.json()["metadata"]["deletionTimestamp"].is_string());

    let refused = api
        .call(
            Method::POST,
            "/api/v1/namespaces/doomed/configmaps",
            Some(configmap("a", json!({}))),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json()["message"],
        "configmaps \"a\" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    );

    let immortal = api
        .call(Method::DELETE, "/api/v1/namespaces/default", None)
        .await;
    assert_eq!(immortal.status, StatusCode::FORBIDDEN);

    // The namespace controller releases an emptied namespace through the
    // finalize subresource; with no finalizers left it is gone.
    let mut finalized = api
        .call(Method::GET, "/api/v1/namespaces/doomed", None)
        .await
        .json();
    finalized["spec"]["finalizers"] = json!([]);
    finalized["metadata"]["labels"]["ignored"] = json!("yes");
    let released = api
        .call(
            Method::PUT,
            "/api/v1/namespaces/doomed/finalize",
            Some(finalized),
        )
        .await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.json());
    assert!(
        released.json()["metadata"]["labels"]
            .get("ignored")
            .is_none()
    );
    let gone = api
        .call(Method::GET, "/api/v1/namespaces/doomed", None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn label_and_field_selectors() {
    let api = TestApi::start().await;
    for (name, app) in [("a", "web"), ("b", "db"), ("c", "web")] {
        api.call(Method::POST, CM, Some(configmap(name, json!({"app": app}))))
            .await;
    }
    let names = |reply: keelson::testing::api::Reply| -> Vec<String> {
        reply.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let web = api
        .call(Method::GET, &format!("{CM}?labelSelector=app%3Dweb"), None)
        .await;
    assert_eq!(names(web), ["a", "c"]);
    let not_web = api
        .call(Method::GET, &format!("{CM}?labelSelector=app!%3Dweb"), None)
        .await;
    assert_eq!(names(not_web), ["b"]);
    let set = api
        .call(
            Method::GET,
            &format!("{CM}?labelSelector=app+in+(db,cache)"),
            None,
        )
        .await;
    assert_eq!(names(set), ["b"]);
    let by_name = api
        .call(
            Method::GET,
            &format!("{CM}?fieldSelector=metadata.name%3Dc"),
            None,
        )
        .await;
    assert_eq!(names(by_name), ["c"]);
    let bad_field = api
        .call(
            Method::GET,
            &format!("{CM}?fieldSelector=spec.bogus%3Dx"),
            None,
        )
        .await;
    assert_eq!(bad_field.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_field.json()["message"],
        "field label not supported: spec.bogus"
    );
    let bad_label = api
        .call(Method::GET, &format!("{CM}?labelSelector=app+in+(x"), None)
        .await;
    assert_eq!(bad_label.status, StatusCode::BAD_REQUEST);

    let all = api.call(Method::GET, "/api/v1/configmaps", None).await;
    assert_eq!(names(all), ["a", "b", "c"]);
    let list = api.call(Method::GET, CM, None).await.json();
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["apiVersion"], "v1");
    assert!(list["metadata"]["resourceVersion"].as_str().is_some());
}

#[tokio::test]
async fn paging_is_consistent_and_counts_what_remains() {
    let api = TestApi::start().await;
    for i in 0..25 {
        api.call(
            Method::POST,
            CM,
            Some(configmap(&format!("cm-{i:02}"), json!({}))),
        )
        .await;
    }
    let first = api
        .call(Method::GET, &format!("{CM}?limit=10"), None)
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 10);
    assert_eq!(first["metadata"]["remainingItemCount"], 15);
    let rv = first["metadata"]["resourceVersion"].clone();
    // A change between pages is not seen by the rest of the list.
    api.call(Method::DELETE, &format!("{CM}/cm-20"), None).await;
    let mut seen = 10;
    let mut token = first["metadata"]["continue"].as_str().unwrap().to_owned();
    loop {
        let page = api
            .call(
                Method::GET,
                &format!("{CM}?limit=10&continue={token}"),
                None,
            )
            .await
            .json();
        assert_eq!(page["metadata"]["resourceVersion"], rv);
        seen += page["items"].as_array().unwrap().len();
        match page["metadata"]["continue"].as_str() {
            Some(next) => token = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 25);

    // After compaction past the token's revision the token has expired.
    let current = api.storage.current_revision().await.unwrap();
    api.storage.compact(current).await.unwrap();
    let expired = api
        .call(
            Method::GET,
            &format!("{CM}?limit=10&continue={token}"),
            None,
        )
        .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert_eq!(expired.json()["reason"], "Expired");
    // The Status offers a token that goes on at the latest revision.
    let fresh = expired.json()["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = api
        .call(
            Method::GET,
            &format!("{CM}?limit=10&continue={fresh}"),
            None,
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK);
    // The last page started after cm-19; at the latest revision cm-20 is
    // gone, so cm-21 … cm-24 remain.
    let names: Vec<String> = rest.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["cm-21", "cm-22", "cm-23", "cm-24"]);

    let garbage = api
        .call(Method::GET, &format!("{CM}?limit=10&continue=%%%"), None)
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resource_version_semantics_on_list_and_get() {
    let api = TestApi::start().await;
    let a = api
        .call(Method::POST, CM, Some(configmap("a", json!({}))))
        .await
        .json();
    let rv_a: u64 = a["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    api.call(Method::POST, CM, Some(configmap("b", json!({}))))
        .await;

    let exact = api
        .call(
            Method::GET,
            &format!("{CM}?resourceVersion={rv_a}&resourceVersionMatch=Exact"),
            None,
        )
        .await
        .json();
    assert_eq!(exact["items"].as_array().unwrap().len(), 1);
    assert_eq!(exact["metadata"]["resourceVersion"], rv_a.to_string());

    let any = api
        .call(Method::GET, &format!("{CM}?resourceVersion=0"), None)
        .await
        .json();
    assert!(any["items"].as_array().unwrap().len() <= 2);

    let newer = api
        .call(
            Method::GET,
            &format!("{CM}?resourceVersion={rv_a}&resourceVersionMatch=NotOlderThan"),
            None,
        )
        .await
        .json();
    let served: u64 = newer["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(served >= rv_a);

    let future = api
        .call(
            Method::GET,
            &format!(
                "{CM}?resourceVersion={}&resourceVersionMatch=NotOlderThan",
                rv_a + 1000
            ),
            None,
        )
        .await;
    assert_eq!(future.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(future.json()["reason"], "Timeout");

    let no_rv = api
        .call(
            Method::GET,
            &format!("{CM}?resourceVersionMatch=Exact"),
            None,
        )
        .await;
    assert_eq!(no_rv.status, StatusCode::BAD_REQUEST);

    let get_any = api
        .call(Method::GET, &format!("{CM}/a?resourceVersion=0"), None)
        .await;
    assert_eq!(get_any.status, StatusCode::OK);
}

#[tokio::test]
async fn watch_from_a_resource_version_in_order() {
    let api = TestApi::start().await;
    let a = api
        .call(
            Method::POST,
            CM,
            Some(configmap("a", json!({"app": "web"}))),
        )
        .await
        .json();
    let rv = a["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, mut events) = api
        .watch(&format!(
            "{CM}?watch=true&resourceVersion={rv}&labelSelector=app%3Dweb"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);

    api.call(
        Method::POST,
        CM,
        Some(configmap("b", json!({"app": "web"}))),
    )
    .await;
    api.call(
        Method::POST,
        CM,
        Some(configmap("other", json!({"app": "db"}))),
    )
    .await;
    let mut moved = a.clone();
    moved["metadata"]["labels"]["app"] = json!("db");
    moved["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    api.call(Method::PUT, &format!("{CM}/a"), Some(moved)).await;
    api.call(Method::DELETE, &format!("{CM}/b"), None).await;

    let added = next_event(&mut events).await;
    assert_eq!(
        (
            added["type"].as_str(),
            added["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("b"))
    );
    // a stopped matching the selector: DELETED, carrying its new state.
    let left = next_event(&mut events).await;
    assert_eq!(
        (
            left["type"].as_str(),
            left["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("a"))
    );
    assert_eq!(left["object"]["metadata"]["labels"]["app"], "db");
    let deleted = next_event(&mut events).await;
    assert_eq!(
        (
            deleted["type"].as_str(),
            deleted["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("b"))
    );
    let rvs: Vec<u64> = [&added, &left, &deleted]
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(rvs.windows(2).all(|w| w[0] < w[1]), "{rvs:?}");
}

#[tokio::test]
async fn watch_list_sends_initial_events_then_a_bookmark() {
    let api = TestApi::start().await;
    for name in ["a", "b"] {
        api.call(Method::POST, CM, Some(configmap(name, json!({}))))
            .await;
    }
    let (status, mut events) = api
        .watch(&format!(
            "{CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    for name in ["a", "b"] {
        let event = next_event(&mut events).await;
        assert_eq!(event["type"], "ADDED");
        assert_eq!(event["object"]["metadata"]["name"], name);
    }
    let bookmark = next_event(&mut events).await;
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "ConfigMap");
    assert_eq!(
        bookmark["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    api.call(Method::POST, CM, Some(configmap("c", json!({}))))
        .await;
    let live = next_change(&mut events).await;
    assert_eq!(
        (
            live["type"].as_str(),
            live["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("c"))
    );

    let unmatched = api
        .call(
            Method::GET,
            &format!("{CM}?watch=true&sendInitialEvents=true"),
            None,
        )
        .await;
    assert_eq!(unmatched.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn tables_dry_run_and_field_validation() {
    let api = TestApi::start().await;
    api.call(Method::POST, CM, Some(configmap("a", json!({}))))
        .await;
    let table = api
        .call_with(
            Method::GET,
            CM,
            &[(
                "accept",
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            )],
            Bytes::new(),
        )
        .await
        .json();
    assert_eq!(table["kind"], "Table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Data", "Age"]);
    assert_eq!(table["rows"][0]["cells"][0], "a");
    assert_eq!(table["rows"][0]["cells"][1], 1);
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");

    let dry = api
        .call(
            Method::POST,
            &format!("{CM}?dryRun=All"),
            Some(configmap("dry", json!({}))),
        )
        .await;
    assert_eq!(dry.status, StatusCode::CREATED);
    assert_eq!(
        api.call(Method::GET, &format!("{CM}/dry"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let mut unknown = configmap("u", json!({}));
    unknown["spec"] = json!({"bogus": true});
    let strict = api
        .call(
            Method::POST,
            &format!("{CM}?fieldValidation=Strict"),
            Some(unknown.clone()),
        )
        .await;
    assert_eq!(strict.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        strict.json()["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\""
    );
    let warned = api.call(Method::POST, CM, Some(unknown)).await;
    assert_eq!(warned.status, StatusCode::CREATED);
    assert_eq!(warned.warnings(), ["299 - \"unknown field \\\"spec\\\"\""]);
    assert!(warned.json().get("spec").is_none());

    let huge = Bytes::from(vec![b' '; 3 * 1024 * 1024 + 1]);
    let too_large = api
        .call_with(
            Method::POST,
            CM,
            &[("content-type", "application/json")],
            huge,
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);

    let nothing = api
        .call_with(Method::GET, CM, &[("accept", "text/html")], Bytes::new())
        .await;
    assert_eq!(nothing.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn merge_and_json_patches() {
    let api = TestApi::start().await;
    api.call(Method::POST, CM, Some(configmap("a", json!({"x": "1"}))))
        .await;
    let merged = api
        .call_with(
            Method::PATCH,
            &format!("{CM}/a"),
            &[("content-type", "application/merge-patch+json")],
            Bytes::from(r#"{"metadata":{"labels":{"y":"2","x":null}}}"#),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(merged.json()["metadata"]["labels"], json!({"y": "2"}));
    let patched = api
        .call_with(
            Method::PATCH,
            &format!("{CM}/a"),
            &[("content-type", "application/json-patch+json")],
            Bytes::from(r#"[{"op":"test","path":"/data/k","value":"v"},{"op":"replace","path":"/data/k","value":"w"}]"#),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.json()["data"]["k"], "w");
    let failed_test = api
        .call_with(
            Method::PATCH,
            &format!("{CM}/a"),
            &[("content-type", "application/json-patch+json")],
            Bytes::from(r#"[{"op":"test","path":"/data/k","value":"nope"}]"#),
        )
        .await;
    assert_eq!(failed_test.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unsupported = api
        .call_with(
            Method::PATCH,
            &format!("{CM}/a"),
            &[("content-type", "text/plain")],
            Bytes::from("x"),
        )
        .await;
    assert_eq!(unsupported.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn discovery_lists_the_built_in_resources() {
    let api = TestApi::start().await;
    let v1 = api.call(Method::GET, "/api/v1", None).await.json();
    let names: Vec<&str> = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for expected in [
        "pods",
        "pods/status",
        "configmaps",
        "namespaces",
        "nodes",
        "services",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let groups = api.call(Method::GET, "/apis", None).await.json();
    assert_eq!(groups["kind"], "APIGroupList");
    let anonymous = api
        .send(
            keelson::apiserver::user::UserInfo::anonymous(),
            Method::GET,
            "/api/v1/namespaces/default/configmaps",
            &[],
            Bytes::new(),
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_watch_from_before_the_cache_window_gets_an_expired_error_event() {
    let api = TestApi::start().await;
    // The caches start with the API, after the system namespaces were
    // created: revision 1 is older than any cache's window.
    let before = 1;
    let (status, mut events) = api
        .watch(&format!("{CM}?watch=true&resourceVersion={before}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let error = next_event(&mut events).await;
    assert_eq!(error["type"], "ERROR");
    assert_eq!(error["object"]["kind"], "Status");
    assert_eq!(error["object"]["code"], 410);
    assert_eq!(error["object"]["reason"], "Expired");
    assert!(
        tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn status_is_reset_on_create_except_for_nodes() {
    let api = TestApi::start().await;
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
        },
        "status": {"replicas": 5, "readyReplicas": 5},
    });
    let created = api
        .call(
            Method::POST,
            "/apis/apps/v1/namespaces/default/deployments",
            Some(deployment),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert!(created.json()["status"].get("readyReplicas").is_none());

    // A kubelet registers its node with capacity in status.
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "n1"},
        "status": {"capacity": {"cpu": "4", "pods": "110"}, "nodeInfo": {"kubeletVersion": "v1.33.0"}},
    });
    let created = api.call(Method::POST, "/api/v1/nodes", Some(node)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.json()["status"]["capacity"]["pods"], "110");
}
