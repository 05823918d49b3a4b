//! A CustomResourceDefinition read into what serving its resources needs:
//! names, scope, versions with their schemas, subresources, printer
//! columns and selectable fields, and how versions convert.

use std::sync::Arc;

use serde_json::Value;

use super::schema::{Schema, SchemaError};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::resource::Scope;

/// The finalizer that holds a CRD until its custom resources are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// A CRD's names (`spec.names` or `status.acceptedNames`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Names {
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
}

impl Names {
    pub fn read(value: Option<&Value>) -> Names {
        let text = |key: &str| {
            value
                .and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let list = |key: &str| -> Vec<String> {
            value
                .and_then(|v| v.get(key))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let kind = text("kind");
        let mut list_kind = text("listKind");
        if list_kind.is_empty() && !kind.is_empty() {
            list_kind = format!("{kind}List");
        }
        let mut singular = text("singular");
        if singular.is_empty() {
            singular = kind.to_lowercase();
        }
        Names {
            plural: text("plural"),
            singular,
            kind,
            list_kind,
            short_names: list("shortNames"),
            categories: list("categories"),
        }
    }

    /// The names as the API writes them.
    pub fn to_value(&self) -> Value {
        let mut names = serde_json::json!({
            "plural": self.plural,
            "singular": self.singular,
            "kind": self.kind,
            "listKind": self.list_kind,
        });
        if !self.short_names.is_empty() {
            names["shortNames"] = self.short_names.clone().into();
        }
        if !self.categories.is_empty() {
            names["categories"] = self.categories.clone().into();
        }
        names
    }
}

/// Where a CRD's scale subresource reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalePaths {
    /// JSON paths (`.spec.replicas`).
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// One `additionalPrinterColumns` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
    pub json_path: String,
}

/// One version of a CRD.
#[derive(Clone, Debug)]
pub struct Version {
    pub name: String,
    pub served: bool,
    pub storage: bool,
    pub deprecated: bool,
    pub deprecation_warning: Option<String>,
    /// `schema.openAPIV3Schema` as written.
    pub raw_schema: Option<Value>,
    pub schema: Option<Arc<Schema>>,
    pub status: bool,
    pub scale: Option<ScalePaths>,
    pub printer_columns: Vec<PrinterColumn>,
    pub selectable_fields: Vec<String>,
}

/// How a CRD's versions convert into each other.
#[derive(Clone, Debug, PartialEq)]
pub enum Conversion {
    /// Only `apiVersion` changes.
    None,
    /// A webhook converts (`ConversionReview`).
    Webhook {
        /// `spec.conversion.webhook.clientConfig` as written.
        client_config: Value,
        review_versions: Vec<String>,
    },
}

/// A CRD, read.
#[derive(Clone, Debug)]
pub struct Definition {
    pub name: String,
    pub uid: String,
    pub group: String,
    pub names: Names,
    pub accepted_names: Names,
    pub scope: Scope,
    pub versions: Vec<Version>,
    pub conversion: Conversion,
    pub preserve_unknown_fields: bool,
    /// Being deleted.
    pub deleting: bool,
    /// Whether the CRD was ever established (its status says so).
    pub established: bool,
    pub stored_versions: Vec<String>,
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether condition `kind` of a CRD is `True`.
pub fn condition_true(crd: &Value, kind: &str) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

impl Version {
    fn read(version: &Value) -> Result<Version, SchemaError> {
        let raw_schema = version.pointer("/schema/openAPIV3Schema").cloned();
        let schema = raw_schema
            .as_ref()
            .map(Schema::parse)
            .transpose()?
            .map(Arc::new);
        let subresources = version.get("subresources");
        let scale = subresources
            .and_then(|s| s.get("scale"))
            .map(|scale| ScalePaths {
                spec_replicas: text(scale, "/specReplicasPath"),
                status_replicas: text(scale, "/statusReplicasPath"),
                label_selector: scale
                    .get("labelSelectorPath")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            });
        let printer_columns = version
            .get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(|columns| {
                columns
                    .iter()
                    .map(|c| PrinterColumn {
                        name: text(c, "/name"),
                        type_: text(c, "/type"),
                        format: text(c, "/format"),
                        description: text(c, "/description"),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0) as i32,
                        json_path: text(c, "/jsonPath"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let selectable_fields = version
            .get("selectableFields")
            .and_then(Value::as_array)
            .map(|fields| fields.iter().map(|f| text(f, "/jsonPath")).collect())
            .unwrap_or_default();
        Ok(Version {
            name: text(version, "/name"),
            served: version
                .get("served")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            storage: version
                .get("storage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deprecated: version
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deprecation_warning: version
                .get("deprecationWarning")
                .and_then(Value::as_str)
                .map(str::to_owned),
            raw_schema,
            schema,
            status: subresources.and_then(|s| s.get("status")).is_some(),
            scale,
            printer_columns,
            selectable_fields,
        })
    }
}

impl Definition {
    /// Reads a stored CRD; its schemas must parse (the CRD strategy checked
    /// them when it was written).
    pub fn read(crd: &Value) -> Result<Definition, SchemaError> {
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|versions| versions.iter().map(Version::read).collect())
            .transpose()?
            .unwrap_or_default();
        let conversion = match crd
            .pointer("/spec/conversion/strategy")
            .and_then(Value::as_str)
        {
            Some("Webhook") => Conversion::Webhook {
                client_config: crd
                    .pointer("/spec/conversion/webhook/clientConfig")
                    .cloned()
                    .unwrap_or(Value::Null),
                review_versions: strings(
                    crd.pointer("/spec/conversion/webhook/conversionReviewVersions"),
                ),
            },
            _ => Conversion::None,
        };
        Ok(Definition {
            name: crd.name().unwrap_or_default().to_owned(),
            uid: crd.uid().unwrap_or_default().to_owned(),
            group: text(crd, "/spec/group"),
            names: Names::read(crd.pointer("/spec/names")),
            accepted_names: Names::read(crd.pointer("/status/acceptedNames")),
            scope: if text(crd, "/spec/scope") == "Cluster" {
                Scope::Cluster
            } else {
                Scope::Namespaced
            },
            versions,
            conversion,
            preserve_unknown_fields: crd
                .pointer("/spec/preserveUnknownFields")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            deleting: crd.deletion_timestamp().is_some(),
            established: condition_true(crd, "Established"),
            stored_versions: strings(crd.pointer("/status/storedVersions")),
        })
    }

    /// The version objects are stored in.
    pub fn storage_version(&self) -> Option<&Version> {
        self.versions.iter().find(|v| v.storage)
    }

    pub fn version(&self, name: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.name == name)
    }

    /// The key prefix (under `/registry/`) of the custom resources, as
    /// kube-apiserver keeps them.
    pub fn storage_path(&self) -> String {
        format!("{}/{}", self.group, self.names.plural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_crd() {
        let crd = json!({
            "metadata": {"name": "widgets.example.com", "uid": "u1"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "schema": {"openAPIV3Schema": {"type": "object"}},
                     "subresources": {"status": {}, "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas"}},
                     "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                     "selectableFields": [{"jsonPath": ".spec.color"}]},
                    {"name": "v1beta1", "served": false, "storage": false}
                ]
            },
            "status": {"conditions": [{"type": "Established", "status": "True"}]}
        });
        let d = Definition::read(&crd).unwrap();
        assert_eq!(d.names.singular, "widget");
        assert_eq!(d.names.list_kind, "WidgetList");
        assert_eq!(d.storage_version().unwrap().name, "v1");
        let v1 = d.version("v1").unwrap();
        assert!(v1.status);
        assert_eq!(v1.scale.as_ref().unwrap().spec_replicas, ".spec.replicas");
        assert_eq!(v1.printer_columns[0].json_path, ".spec.size");
        assert_eq!(v1.selectable_fields, vec![".spec.color"]);
        assert!(d.established);
        assert_eq!(d.conversion, Conversion::None);
        assert_eq!(d.storage_path(), "example.com/widgets");
    }
}
