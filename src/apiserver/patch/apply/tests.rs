use serde_json::{Value, json};

use super::*;
use crate::apiserver::patch::fieldpath::fields_v1;
use crate::apiserver::patch::managed_fields::{Scope, manager_name};
use crate::apiserver::patch::schema::{Shapes, Type};

fn ty(api_version: &str, kind: &str) -> Type {
    Shapes::get().root(api_version, kind).unwrap()
}

fn request<'a>(
    ty: Type,
    api_version: &'a str,
    kind: &'a str,
    manager: &'a str,
    now: &'a str,
) -> Apply<'a> {
    Apply {
        write: Write {
            ty,
            api_version,
            subresource: "",
            scope: Scope::Everything,
            now,
        },
        kind,
        manager,
        force: false,
    }
}

fn configmap(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": data})
}

fn cm_apply<'a>(manager: &'a str, now: &'a str) -> Apply<'a> {
    request(ty("v1", "ConfigMap"), "v1", "ConfigMap", manager, now)
}

/// The `fieldsV1` of `manager`'s entry with `operation`.
fn fields_of(object: &Value, manager: &str, operation: &str) -> Option<Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
        .map(|e| e["fieldsV1"].clone())
}

/// `object` after an update by `manager` to `new`, with its entries.
fn updated(object: &Value, new: Value, manager: &str) -> Value {
    let mut new = new;
    new["metadata"]["managedFields"] = object["metadata"]["managedFields"].clone();
    let write = cm_apply(manager, "2024-01-01T00:00:05Z").write;
    let mut managers = managed_fields::read(object);
    record_update(&mut managers, object, &new, manager, &write);
    managed_fields::store(&mut new, &managers);
    new
}

#[test]
fn an_apply_owns_what_it_sets_and_a_repeat_changes_nothing() {
    let config = configmap(json!({"a": "1", "b": "2"}));
    let created = apply(
        &json!({}),
        &config,
        &cm_apply("mgr", "2024-01-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(created["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        fields_of(&created, "mgr", "Apply").unwrap(),
        json!({"f:data": {"f:a": {}, "f:b": {}}})
    );
    assert_eq!(
        created["metadata"]["managedFields"][0]["time"],
        "2024-01-01T00:00:00Z"
    );
    let again = apply(&created, &config, &cm_apply("mgr", "2024-01-01T00:00:09Z")).unwrap();
    assert_eq!(again, created, "an unchanged apply keeps even the time");
}

#[test]
fn fields_dropped_from_the_configuration_are_removed_unless_shared() {
    let first = apply(
        &json!({}),
        &configmap(json!({"a": "1", "b": "2", "c": "3"})),
        &cm_apply("mgr", "2024-01-01T00:00:00Z"),
    )
    .unwrap();
    // Another applier co-owns c by applying the same value.
    let shared = apply(
        &first,
        &configmap(json!({"c": "3"})),
        &cm_apply("other", "2024-01-01T00:00:01Z"),
    )
    .unwrap();
    let second = apply(
        &shared,
        &configmap(json!({"a": "1"})),
        &cm_apply("mgr", "2024-01-01T00:00:02Z"),
    )
    .unwrap();
    assert_eq!(second["data"], json!({"a": "1", "c": "3"}));
    assert_eq!(
        fields_of(&second, "mgr", "Apply").unwrap(),
        json!({"f:data": {"f:a": {}}})
    );
    assert_eq!(
        fields_of(&second, "other", "Apply").unwrap(),
        json!({"f:data": {"f:c": {}}})
    );
}

#[test]
fn changing_anothers_field_conflicts_until_forced() {
    let created = apply(
        &json!({}),
        &configmap(json!({"a": "1"})),
        &cm_apply("mgr", "2024-01-01T00:00:00Z"),
    )
    .unwrap();
    let edited = updated(&created, configmap(json!({"a": "1", "b": "x"})), "editor");
    assert_eq!(
        fields_of(&edited, "editor", "Update").unwrap(),
        json!({"f:data": {"f:b": {}}})
    );
    let config = configmap(json!({"a": "1", "b": "mine"}));
    let error = apply(&edited, &config, &cm_apply("mgr", "2024-01-01T00:00:09Z")).unwrap_err();
    assert_eq!(error.code, 409);
    assert_eq!(
        error.message,
        "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.b"
    );
    let mut forced = cm_apply("mgr", "2024-01-01T00:00:09Z");
    forced.force = true;
    let taken = apply(&edited, &config, &forced).unwrap();
    assert_eq!(taken["data"]["b"], "mine");
    assert_eq!(fields_of(&taken, "editor", "Update"), None);
    assert_eq!(
        fields_of(&taken, "mgr", "Apply").unwrap(),
        json!({"f:data": {"f:a": {}, "f:b": {}}})
    );
    // Applying the value the other manager set shares the field instead.
    let shared = apply(
        &edited,
        &configmap(json!({"a": "1", "b": "x"})),
        &cm_apply("mgr", "t"),
    )
    .unwrap();
    assert_eq!(
        fields_of(&shared, "editor", "Update").unwrap(),
        json!({"f:data": {"f:b": {}}})
    );
}

#[test]
fn list_items_are_owned_and_removed_by_key() {
    let ty = ty("apps/v1", "Deployment");
    let deployment = |env: Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a", "env": env}]}}}})
    };
    let req = request(ty, "apps/v1", "Deployment", "mgr", "2024-01-01T00:00:00Z");
    let first = apply(
        &json!({}),
        &deployment(json!([{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])),
        &req,
    )
    .unwrap();
    let second = apply(
        &first,
        &deployment(json!([{"name": "X", "value": "1"}])),
        &req,
    )
    .unwrap();
    assert_eq!(
        second["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "X", "value": "1"}])
    );
    let fields = fields_of(&second, "mgr", "Apply").unwrap();
    let env =
        &fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]["f:env"];
    assert_eq!(
        env,
        &json!({"k:{\"name\":\"X\"}": {".": {}, "f:name": {}, "f:value": {}}})
    );
}

#[test]
fn an_untracked_object_is_first_credited_to_before_first_apply() {
    let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "u"}, "data": {"a": "1"}});
    let error = apply(&live, &configmap(json!({"a": "2"})), &cm_apply("mgr", "t")).unwrap_err();
    assert_eq!(
        error.message,
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a"
    );
}

#[test]
fn kubectl_takes_over_from_its_client_side_apply() {
    let last = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let mut live = apply(
        &json!({}),
        &configmap(json!({"a": "1"})),
        &cm_apply("x", "t"),
    )
    .unwrap();
    // Recast as the client-side apply's update with its annotation.
    live["metadata"]["annotations"] = json!({last_applied::ANNOTATION: last.to_string()});
    live["metadata"]["managedFields"][0]["operation"] = json!("Update");
    live["metadata"]["managedFields"][0]["manager"] = json!("kubectl-client-side-apply");
    let config = configmap(json!({"a": "2"}));
    let applied = apply(&live, &config, &cm_apply("kubectl", "t2")).unwrap();
    assert_eq!(applied["data"]["a"], "2");
    let annotation = applied["metadata"]["annotations"][last_applied::ANNOTATION]
        .as_str()
        .unwrap();
    let followed: Value = serde_json::from_str(annotation).unwrap();
    assert_eq!(followed["data"]["a"], "2");
    // Another manager gets the conflict.
    let error = apply(&live, &config, &cm_apply("someone", "t2")).unwrap_err();
    assert_eq!(error.code, 409);
}

#[test]
fn bad_configurations_get_upstream_errors() {
    let live = json!({});
    let wrong_kind = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}});
    let error = apply(&live, &wrong_kind, &cm_apply("m", "t")).unwrap_err();
    assert_eq!(
        (error.code.as_u16(), error.message.as_str()),
        (400, "invalid object type: /v1, Kind=Secret")
    );
    let mut with_fields = configmap(json!({}));
    with_fields["metadata"]["managedFields"] = json!([]);
    let error = apply(&live, &with_fields, &cm_apply("m", "t")).unwrap_err();
    assert_eq!(error.message, "metadata.managedFields must be nil");
    let unknown = configmap(json!({"a": 1}));
    let error = apply(&live, &unknown, &cm_apply("m", "t")).unwrap_err();
    assert_eq!(error.code, 400);
    assert_eq!(
        error.message,
        "failed to create typed patch object (default/c; /v1, Kind=ConfigMap): .data.a: expected string, got &value.valueUnstructured{Value:1}"
    );
    assert_eq!(manager_name(None, None), "unknown");
}

#[test]
fn status_applies_own_only_status() {
    let ty = ty("apps/v1", "Deployment");
    let mut req = request(ty, "apps/v1", "Deployment", "ctl", "t");
    req.write.scope = Scope::OnlyStatus;
    req.write.subresource = "status";
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                        "spec": {"replicas": 3}, "status": {"replicas": 3}});
    let applied = apply(&json!({"metadata": {"name": "d"}}), &config, &req).unwrap();
    let entry = &applied["metadata"]["managedFields"][0];
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        fields_v1::decode(&entry["fieldsV1"])
            .map(|s| fields_v1::encode(&s))
            .unwrap(),
        json!({"f:status": {"f:replicas": {}}})
    );
}
