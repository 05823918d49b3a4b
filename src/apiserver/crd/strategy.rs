//! The CustomResourceDefinition kind's own rules (upstream's CRD
//! strategy): names and listKind defaulted, the storage version recorded in
//! `status.storedVersions`, the definition validated (names, group, scope,
//! versions, structural schemas that parse and whose CEL rules compile,
//! printer columns, subresources), and deletion held by the
//! `customresourcecleanup` finalizer until the controller has removed the
//! custom resources.

use serde_json::{Value, json};

use super::cel::Rules;
use super::definition::CLEANUP_FINALIZER;
use super::jsonpath::JsonPath;
use super::names;
use super::schema::Schema;
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::names::{dns1035_label_errors, subdomain_errors};

pub struct CustomResourceDefinitionStrategy;

/// The name of the storage version.
fn storage_version(object: &Value) -> Option<String> {
    object
        .pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))?
        .get("name")?
        .as_str()
        .map(str::to_owned)
}

/// Adds the storage version to `status.storedVersions` if it is new.
fn record_storage_version(object: &mut Value) {
    let Some(version) = storage_version(object) else {
        return;
    };
    if !object.get("status").is_some_and(Value::is_object) {
        object["status"] = json!({});
    }
    let stored = &mut object["status"]["storedVersions"];
    if !stored.is_array() {
        *stored = json!([]);
    }
    if let Some(list) = stored.as_array_mut()
        && !list.iter().any(|v| v.as_str() == Some(version.as_str()))
    {
        list.push(Value::String(version));
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// How upstream shows `spec.versions` as an invalid value.
const VERSIONS_SHOWN: &str = "[]apiextensions.CustomResourceDefinitionVersion{...}";

impl Strategy for CustomResourceDefinitionStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn default(&self, object: &mut Value) {
        let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
            return;
        };
        if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
            let kind = names
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !kind.is_empty() {
                if names
                    .get("singular")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .is_empty()
                {
                    names.insert("singular".into(), Value::String(kind.to_lowercase()));
                }
                if names
                    .get("listKind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .is_empty()
                {
                    names.insert("listKind".into(), Value::String(format!("{kind}List")));
                }
            }
        }
        let conversion = spec
            .entry("conversion")
            .or_insert_with(|| json!({"strategy": "None"}));
        if conversion.get("strategy").is_none() {
            conversion["strategy"] = json!("None");
        }
        if let Some(service) = conversion
            .pointer_mut("/webhook/clientConfig/service")
            .and_then(Value::as_object_mut)
        {
            service.entry("port").or_insert(json!(443));
        }
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["status"] = json!({
            "acceptedNames": {"plural": "", "kind": ""},
            "storedVersions": [],
        });
        record_storage_version(object);
    }

    fn prepare_for_update(&self, object: &mut Value, _old: &Value) {
        record_storage_version(object);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        validate_definition(object)
    }

    fn validate_update(&self, object: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, pointer) in [
            ("spec.group", "/spec/group"),
            ("spec.names.plural", "/spec/names/plural"),
        ] {
            let (new, before) = (text(object, pointer), text(old, pointer));
            if new != before {
                errors.push(FieldError::immutable(field, new));
            }
        }
        let versions: Vec<&str> = object
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.get("name")?.as_str()).collect())
            .unwrap_or_default();
        let stored: Vec<&str> = object
            .pointer("/status/storedVersions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (i, v) in stored.iter().enumerate() {
            if !versions.contains(v) {
                errors.push(FieldError::invalid(
                    format!("status.storedVersions[{i}]"),
                    *v,
                    format!(
                        "missing from spec.versions; {v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {v} and removes {v} from status.storedVersions"
                    ),
                ));
            }
        }
        errors
    }

    fn prepare_for_delete(&self, object: &mut Value) -> bool {
        // Upon the first request to delete, hold the CRD for the cleanup of
        // its custom resources.
        if object.deletion_timestamp().is_none() {
            let mut finalizers = object.finalizers();
            if !finalizers.iter().any(|f| f == CLEANUP_FINALIZER) {
                finalizers.push(CLEANUP_FINALIZER.into());
                object.set_meta("finalizers", json!(finalizers));
            }
            let mut conditions: Vec<Value> = object
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            names::set_condition(
                &mut conditions,
                names::condition(
                    "Terminating",
                    "True",
                    "InstanceDeletionPending",
                    "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
                    &now_rfc3339(),
                ),
            );
            if !object.get("status").is_some_and(Value::is_object) {
                object["status"] = json!({});
            }
            object["status"]["conditions"] = json!(conditions);
        }
        object.finalizers().iter().any(|f| f == CLEANUP_FINALIZER)
    }
}

fn validate_definition(crd: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let group = text(crd, "/spec/group");
    let plural = text(crd, "/spec/names/plural");
    let name = crd.name().unwrap_or_default();
    if !name.is_empty() && name != format!("{plural}.{group}") {
        errors.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    if group.is_empty() {
        errors.push(FieldError::required("spec.group", ""));
    } else if !subdomain_errors(group).is_empty() {
        errors.push(FieldError::invalid(
            "spec.group",
            group,
            subdomain_errors(group).join(","),
        ));
    } else if !group.contains('.') {
        errors.push(FieldError::invalid(
            "spec.group",
            group,
            "should be a domain with at least one dot",
        ));
    }
    match text(crd, "/spec/scope") {
        "Cluster" | "Namespaced" => {}
        "" => errors.push(FieldError::required("spec.scope", "")),
        other => errors.push(FieldError::not_supported(
            "spec.scope",
            other,
            &["Cluster", "Namespaced"],
        )),
    }
    for (field, key, mixed_case) in [
        ("plural", "plural", false),
        ("singular", "singular", false),
        ("kind", "kind", true),
        ("listKind", "listKind", true),
    ] {
        let value = text(crd, &format!("/spec/names/{key}"));
        let path = format!("spec.names.{field}");
        if value.is_empty() {
            errors.push(FieldError::required(path, ""));
            continue;
        }
        let problems = dns1035_label_errors(&value.to_lowercase());
        if !problems.is_empty() {
            let detail = if mixed_case {
                format!(
                    "may have mixed case, but should otherwise match: {}",
                    problems.join(",")
                )
            } else {
                problems.join(",")
            };
            errors.push(FieldError::invalid(path, value, detail));
        }
    }
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        errors.push(FieldError::invalid_printed(
            "spec.versions",
            "[]apiextensions.CustomResourceDefinitionVersion(nil)",
            "must have exactly one version marked as storage version",
        ));
        errors.push(FieldError::required(
            "spec.versions",
            "must have at least one version",
        ));
        return errors;
    }
    let mut seen = Vec::new();
    let mut storage = 0;
    for (i, version) in versions.iter().enumerate() {
        let path = format!("spec.versions[{i}]");
        let name = text(version, "/name");
        if name.is_empty() {
            errors.push(FieldError::required(format!("{path}.name"), ""));
        } else if !dns1035_label_errors(name).is_empty() {
            errors.push(FieldError::invalid(
                format!("{path}.name"),
                name,
                dns1035_label_errors(name).join(","),
            ));
        }
        if seen.contains(&name) {
            errors.push(FieldError::invalid_printed(
                "spec.versions",
                VERSIONS_SHOWN,
                "must contain unique version names",
            ));
        }
        seen.push(name);
        if version.get("storage").and_then(Value::as_bool) == Some(true) {
            storage += 1;
        }
        validate_version(version, &path, &mut errors);
    }
    if storage != 1 {
        errors.push(FieldError::invalid_printed(
            "spec.versions",
            VERSIONS_SHOWN,
            "must have exactly one version marked as storage version",
        ));
    }
    if text(crd, "/spec/conversion/strategy") == "Webhook"
        && crd
            .pointer("/spec/conversion/webhook/clientConfig")
            .is_none()
    {
        errors.push(FieldError::required(
            "spec.conversion.webhook.clientConfig",
            "required when strategy is set to Webhook",
        ));
    }
    if text(crd, "/spec/conversion/strategy") == "Webhook"
        && crd
            .pointer("/spec/conversion/webhook/conversionReviewVersions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    {
        errors.push(FieldError::required(
            "spec.conversion.webhook.conversionReviewVersions",
            "must be specified when strategy is set to Webhook",
        ));
    }
    errors
}

fn validate_version(version: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let schema_path = format!("{path}.schema.openAPIV3Schema");
    match version.pointer("/schema/openAPIV3Schema") {
        None => errors.push(FieldError::required(schema_path, "")),
        Some(raw) => match Schema::parse(raw) {
            Err(e) => errors.push(FieldError::invalid(
                format!("{schema_path}.{}", e.path),
                "",
                e.message,
            )),
            Ok(schema) => {
                structural(raw, &schema_path, true, errors);
                if let Err(compile) = Rules::compile(&schema) {
                    for e in compile {
                        errors.push(FieldError::invalid(
                            format!("{schema_path}.{}", e.path),
                            e.rule,
                            e.message,
                        ));
                    }
                }
            }
        },
    }
    if let Some(columns) = version
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
    {
        for (i, column) in columns.iter().enumerate() {
            let at = format!("{path}.additionalPrinterColumns[{i}]");
            if text(column, "/name").is_empty() {
                errors.push(FieldError::required(format!("{at}.name"), ""));
            }
            let types = ["boolean", "date", "integer", "number", "string"];
            match text(column, "/type") {
                "" => errors.push(FieldError::required(
                    format!("{at}.type"),
                    format!("must be one of {}", types.join(",")),
                )),
                t if !types.contains(&t) => errors.push(FieldError::invalid(
                    format!("{at}.type"),
                    t,
                    format!("must be one of {}", types.join(",")),
                )),
                _ => {}
            }
            let json_path = text(column, "/jsonPath");
            if json_path.is_empty() {
                errors.push(FieldError::required(format!("{at}.jsonPath"), ""));
            } else if JsonPath::parse(json_path).is_err() {
                errors.push(FieldError::invalid(
                    format!("{at}.jsonPath"),
                    json_path,
                    "must be a simple json path starting with .",
                ));
            }
        }
    }
    if let Some(scale) = version.pointer("/subresources/scale") {
        for key in ["specReplicasPath", "statusReplicasPath"] {
            let value = text(scale, &format!("/{key}"));
            let at = format!("{path}.subresources.scale.{key}");
            if value.is_empty() {
                errors.push(FieldError::required(at, ""));
            } else if !value.starts_with('.')
                || !JsonPath::parse(value).is_ok_and(|p| p.is_simple())
            {
                errors.push(FieldError::invalid(
                    at,
                    value,
                    "should be a json path under .spec",
                ));
            }
        }
    }
    if let Some(fields) = version.get("selectableFields").and_then(Value::as_array) {
        for (i, field) in fields.iter().enumerate() {
            let value = text(field, "/jsonPath");
            let at = format!("{path}.selectableFields[{i}].jsonPath");
            if value.is_empty() {
                errors.push(FieldError::required(at, ""));
            } else if !value.starts_with('.')
                || !JsonPath::parse(value).is_ok_and(|p| p.is_simple())
            {
                errors.push(FieldError::invalid(
                    at,
                    value,
                    "must be a simple json path starting with .",
                ));
            }
        }
    }
}

/// Structural schema rules: every node says its type (unless it is an
/// int-or-string or keeps unknown fields), and the root is an object.
fn structural(raw: &Value, path: &str, root: bool, errors: &mut Vec<FieldError>) {
    let type_ = raw.get("type").and_then(Value::as_str).unwrap_or_default();
    let flag = |k: &str| raw.get(k).and_then(Value::as_bool).unwrap_or(false);
    if root {
        if type_.is_empty() {
            errors.push(FieldError::required(
                format!("{path}.type"),
                "must not be empty at the root",
            ));
        } else if type_ != "object" {
            errors.push(FieldError::invalid(
                format!("{path}.type"),
                type_,
                "must be object at the root",
            ));
        }
    }
    if let Some(properties) = raw.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let at = format!("{path}.properties[{name}]");
            let t = property
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let exempt = property
                .get("x-kubernetes-int-or-string")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                || property
                    .get("x-kubernetes-preserve-unknown-fields")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            if t.is_empty() && !exempt {
                errors.push(FieldError::required(
                    format!("{at}.type"),
                    "must not be empty for specified object fields",
                ));
            }
            structural(property, &at, false, errors);
        }
    }
    if type_ == "array" && raw.get("items").is_none() {
        errors.push(FieldError::required(
            format!("{path}.items"),
            "must be specified",
        ));
    }
    if let Some(items) = raw.get("items") {
        let at = format!("{path}.items");
        let t = items
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let exempt = items
            .get("x-kubernetes-int-or-string")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || items
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        if t.is_empty() && !exempt {
            errors.push(FieldError::required(
                format!("{at}.type"),
                "must not be empty for specified array items",
            ));
        }
        structural(items, &at, false, errors);
    }
    if let Some(values @ Value::Object(_)) = raw.get("additionalProperties") {
        structural(
            values,
            &format!("{path}.additionalProperties"),
            false,
            errors,
        );
    }
    if flag("x-kubernetes-embedded-resource") && type_ != "object" {
        errors.push(FieldError::required(
            format!("{path}.type"),
            "must be object if x-kubernetes-embedded-resource is true",
        ));
    }
    if raw.get("x-kubernetes-list-type").is_some() && type_ != "array" {
        errors.push(FieldError::invalid(
            format!("{path}.type"),
            type_,
            "must be array if x-kubernetes-list-type is specified",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]
            }
        })
    }

    #[test]
    fn defaults_status_and_a_valid_definition() {
        let s = CustomResourceDefinitionStrategy;
        let mut object = crd();
        s.default(&mut object);
        s.prepare_for_create(&mut object);
        assert_eq!(object["spec"]["names"]["singular"], "widget");
        assert_eq!(object["spec"]["names"]["listKind"], "WidgetList");
        assert_eq!(object["spec"]["conversion"]["strategy"], "None");
        assert_eq!(object["status"]["storedVersions"], json!(["v1"]));
        assert_eq!(s.validate(&object), vec![]);
    }

    #[test]
    fn invalid_definitions() {
        let s = CustomResourceDefinitionStrategy;
        let mut object = crd();
        object["metadata"]["name"] = json!("other.example.com");
        object["spec"]["group"] = json!("example");
        object["spec"]["versions"][0]["storage"] = json!(false);
        object["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["x"] = json!({});
        s.default(&mut object);
        let lines: Vec<String> = s.validate(&object).iter().map(FieldError::line).collect();
        assert_eq!(
            lines,
            vec![
                "metadata.name: Invalid value: \"other.example.com\": must be spec.names.plural+\".\"+spec.group",
                "spec.group: Invalid value: \"example\": should be a domain with at least one dot",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[x].type: Required value: must not be empty for specified object fields",
                "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have exactly one version marked as storage version",
            ]
        );
    }

    #[test]
    fn deletion_is_held_for_cleanup() {
        let s = CustomResourceDefinitionStrategy;
        let mut object = crd();
        assert!(s.prepare_for_delete(&mut object));
        assert_eq!(object.finalizers(), vec![CLEANUP_FINALIZER]);
        assert_eq!(
            object["status"]["conditions"][0]["reason"],
            "InstanceDeletionPending"
        );
    }
}
