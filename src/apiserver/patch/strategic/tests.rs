use serde_json::{Value, json};

use super::*;
use crate::apiserver::patch::schema::Shapes;
use crate::apiserver::status::ApiError;

fn root(api_version: &str, kind: &str) -> Type {
    Shapes::get().root(api_version, kind).unwrap()
}

fn patched(kind: (&str, &str), original: Value, patch: Value) -> Result<Value, SmpError> {
    let (Value::Object(original), Value::Object(patch)) = (original, patch) else {
        panic!("objects only");
    };
    apply(original, patch, root(kind.0, kind.1)).map(Value::Object)
}

const POD: (&str, &str) = ("v1", "Pod");

fn pod(containers: Value) -> Value {
    json!({"spec": {"containers": containers}})
}

#[test]
fn containers_merge_by_name_and_new_ones_come_first() {
    let original = pod(json!([
        {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
        {"name": "b", "image": "b:1"},
    ]));
    let result = patched(
        POD,
        original,
        pod(json!([{"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}])),
    )
    .unwrap();
    assert_eq!(
        result["spec"]["containers"],
        json!([
            {"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "b:2"},
            {"name": "c", "image": "c:1"},
        ])
    );
    // An item the server did not have goes before the server's others.
    let result = patched(
        POD,
        pod(json!([{"name": "a"}, {"name": "b"}])),
        pod(json!([{"name": "c"}])),
    )
    .unwrap();
    assert_eq!(
        result["spec"]["containers"],
        json!([{"name": "c"}, {"name": "a"}, {"name": "b"}])
    );
}

#[test]
fn nested_lists_merge_by_their_own_keys() {
    let original = pod(
        json!([{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]),
    );
    let patch = pod(
        json!([{"name": "a", "env": [{"name": "Y", "$patch": "delete"}, {"name": "Z", "value": "3"}]}]),
    );
    let result = patched(POD, original, patch).unwrap();
    assert_eq!(
        result["spec"]["containers"][0]["env"],
        json!([{"name": "Z", "value": "3"}, {"name": "X", "value": "1"}])
    );
}

#[test]
fn null_deletes_and_replace_directives_replace() {
    let original = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"containers": [{"name": "a", "args": ["x", "y"]}]}});
    let result = patched(
        POD,
        original.clone(),
        json!({"metadata": {"labels": {"a": null, "c": "3"}}, "spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["labels"], json!({"b": "2", "c": "3"}));
    // A list without a merge strategy is replaced.
    assert_eq!(result["spec"]["containers"][0]["args"], json!(["z"]));

    let result = patched(
        POD,
        original.clone(),
        json!({"metadata": {"labels": {"$patch": "replace", "only": "x"}}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["labels"], json!({"only": "x"}));
    let result = patched(
        POD,
        original.clone(),
        json!({"metadata": {"labels": {"$patch": "delete"}}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["labels"], json!({}));
    let result = patched(
        POD,
        original,
        pod(json!([{"$patch": "replace"}, {"name": "new"}])),
    )
    .unwrap();
    assert_eq!(result["spec"]["containers"], json!([{"name": "new"}]));
}

#[test]
fn set_element_order_orders_merged_items_and_keeps_server_only_ones() {
    let node = |conditions: Value| json!({"status": {"conditions": conditions}});
    let original = node(json!([
        {"type": "A", "status": "x"},
        {"type": "C", "status": "x"},
        {"type": "D", "status": "x"},
        {"type": "B", "status": "x"},
        {"type": "Z", "status": "x"},
    ]));
    let patch = json!({"status": {
        "$setElementOrder/conditions": [{"type": "D"}, {"type": "B"}, {"type": "C"}, {"type": "A"}],
        "conditions": [{"type": "B", "status": "y"}],
    }});
    let result = patched(("v1", "Node"), original, patch).unwrap();
    let types: Vec<&str> = result["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["D", "B", "C", "A", "Z"]);
    assert_eq!(result["status"]["conditions"][1]["status"], "y");
}

#[test]
fn primitive_merge_lists_take_the_union_and_delete_from_the_list() {
    let original = json!({"metadata": {"finalizers": ["a", "b"]}});
    let result = patched(
        POD,
        original.clone(),
        json!({"metadata": {"finalizers": ["b", "c"]}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["finalizers"], json!(["a", "b", "c"]));
    let result = patched(
        POD,
        original.clone(),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "nope"]}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["finalizers"], json!(["b"]));
    let result = patched(
        POD,
        original,
        json!({"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}}),
    )
    .unwrap();
    assert_eq!(result["metadata"]["finalizers"], json!(["c", "b", "a"]));
}

#[test]
fn retain_keys_clears_the_other_members_of_a_union() {
    let original =
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
    let result = patched(
        ("apps/v1", "Deployment"),
        original,
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
    )
    .unwrap();
    assert_eq!(result["spec"]["strategy"], json!({"type": "Recreate"}));
    // Volumes are merged by name; each item keeps only the retained keys
    // (the volume source is inlined in the Volume).
    let original = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
    let result = patched(
        POD,
        original,
        json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["configMap", "name"], "configMap": {"name": "c"}}]}}),
    )
    .unwrap();
    assert_eq!(
        result["spec"]["volumes"],
        json!([{"name": "v", "configMap": {"name": "c"}}])
    );
    let error = patched(
        POD,
        json!({"spec": {}}),
        json!({"spec": {"$retainKeys": ["a"], "b": 1}}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        SmpError::BadRequest("invalid patch format of retainKeys")
    );
}

#[test]
fn malformed_patches_fail_as_upstream() {
    let original = pod(json!([{"name": "a"}]));
    let missing_key = patched(POD, original.clone(), pod(json!([{"image": "x"}]))).unwrap_err();
    assert_eq!(
        missing_key,
        SmpError::Plain("map: map[image:x] does not contain declared merge key: name".into())
    );
    let status = ApiError::from(missing_key).to_status();
    assert_eq!(status["code"], 400);

    let bad_order = patched(
        POD,
        original.clone(),
        json!({"spec": {"$setElementOrder/": []}}),
    );
    assert!(bad_order.is_err());
    let bad_directive =
        patched(POD, original.clone(), json!({"spec": {"$patch": "merge"}})).unwrap_err();
    assert_eq!(
        bad_directive,
        SmpError::Plain("unknown patch type: merge in map: map[$patch:merge]".into())
    );
    let lists_of_lists = patched(
        POD,
        json!({"metadata": {"finalizers": [["a"]]}}),
        json!({"metadata": {"finalizers": [["b"]]}}),
    )
    .unwrap_err();
    assert_eq!(lists_of_lists, SmpError::Unprocessable);
    let error = ApiError::from(SmpError::Unprocessable);
    assert_eq!(error.code, 422);
    assert_eq!(error.reason, "Invalid");
    let bad_primitive = patched(
        POD,
        json!({"metadata": {"finalizers": ["a"]}}),
        json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}),
    )
    .unwrap_err();
    assert_eq!(
        bad_primitive,
        SmpError::BadRequest("invalid patch format of primitive list")
    );
}

#[test]
fn new_values_lose_their_nulls_and_directives() {
    let result = patched(
        POD,
        json!({"spec": {}}),
        pod(json!([{"name": "a", "image": null, "env": [{"name": "x", "$patch": "delete"}]}])),
    )
    .unwrap();
    assert_eq!(
        result["spec"]["containers"],
        json!([{"name": "a", "env": []}])
    );
}
