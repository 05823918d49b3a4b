//! The definitions one set of documents draws from, in Swagger 2.0 form
//! (references are `#/definitions/<name>`; the OpenAPI v3 documents
//! rewrite them).
//!
//! They are generated from the served resources: each resource's kind (and
//! its subresources' kinds) from `k8s-openapi`'s `schemars` impls, or from a
//! schema supplied at runtime ([`CustomSchemas`]); its `List` kind; the
//! `meta/v1` kinds every group version shares. Then upstream's extensions
//! go on: `x-kubernetes-group-version-kind` on every kind, the merge
//! markers on fields ([`merge_markers`]), and the few places where
//! `k8s-openapi`'s schemas differ from upstream's are put back
//! ([`upstream_shapes`]).
//!
//! A `Definitions` lives only while documents are being built: the served
//! documents are kept as bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::schemars::generate::SchemaSettings;
use k8s_openapi::schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::builtin_kinds::{self, SHARED_IN_EVERY_GROUP_VERSION, TAGGED_AS_CORE_V1};
use super::custom::CustomSchemas;
use super::lists;
use super::merge_markers;
use super::upstream_shapes;
use crate::apiserver::registry::catalog::CatalogSnapshot;
use crate::apiserver::registry::resource::{GroupVersionKind, Verb};

/// Where a definition reference points in Swagger 2.0.
pub const REF_PREFIX: &str = "#/definitions/";

/// The definition of `io.k8s.apimachinery.pkg.apis.meta.v1.<kind>`.
pub fn meta(kind: &str) -> String {
    format!("io.k8s.apimachinery.pkg.apis.meta.v1.{kind}")
}

/// A `$ref` to definition `name`.
pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{REF_PREFIX}{name}") })
}

type KindKey = (String, String, String);

fn key(gvk: &GroupVersionKind) -> KindKey {
    (gvk.group.clone(), gvk.version.clone(), gvk.kind.clone())
}

/// Every definition, by name, and which definition describes each kind.
pub struct Definitions {
    schemas: BTreeMap<String, Value>,
    kinds: HashMap<KindKey, String>,
}

impl Definitions {
    /// The definitions for everything `snapshot` serves.
    pub fn build(snapshot: &CatalogSnapshot, custom: &CustomSchemas) -> Definitions {
        let mut generator = generator();
        let mut kinds: HashMap<KindKey, String> = HashMap::new();
        let mut tags: BTreeMap<String, BTreeSet<KindKey>> = BTreeMap::new();
        let mut tag = |kinds: &mut HashMap<KindKey, String>, gvk: KindKey, name: String| {
            tags.entry(name.clone()).or_default().insert(gvk.clone());
            kinds.insert(gvk, name);
        };

        let mut custom_schemas = BTreeMap::new();
        let mut lists = Vec::new();
        for resource in snapshot.resources() {
            let gvk = resource.gvk();
            let name = if let Some(schema) = builtin_kinds::schema_of(&gvk) {
                referenced_name(&schema(&mut generator))
            } else {
                let (name, schema) = custom.definition(&gvk).unwrap_or_else(|| {
                    (
                        custom_definition_name(&gvk),
                        upstream_shapes::schemaless_object(),
                    )
                });
                custom_schemas.insert(name.clone(), schema);
                Some(name)
            };
            let Some(name) = name else { continue };
            tag(&mut kinds, key(&gvk), name.clone());
            if resource.supports(Verb::List) {
                lists.push((resource, name));
            }
            for sub in &resource.subresources {
                if let Some(schema) = builtin_kinds::schema_of(&sub.kind)
                    && let Some(name) = referenced_name(&schema(&mut generator))
                {
                    tag(&mut kinds, key(&sub.kind), name);
                }
            }
        }
        for (kind, schema) in builtin_kinds::meta_kinds() {
            let Some(name) = referenced_name(&schema(&mut generator)) else {
                continue;
            };
            kinds.insert(("".into(), "v1".into(), kind.into()), name.clone());
            if TAGGED_AS_CORE_V1.contains(&kind) {
                tag(&mut kinds, ("".into(), "v1".into(), kind.into()), name);
            } else if SHARED_IN_EVERY_GROUP_VERSION.contains(&kind) {
                tag(
                    &mut kinds,
                    ("".into(), "v1".into(), kind.into()),
                    name.clone(),
                );
                for group in snapshot.groups() {
                    for version in &group.versions {
                        tag(
                            &mut kinds,
                            (group.name.clone(), version.clone(), kind.into()),
                            name.clone(),
                        );
                    }
                }
            }
        }
        builtin_kinds::version_info(&mut generator);
        // Lists refer to ListMeta whether or not any kind pulled it in.
        generator.subschema_for::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta>();

        let mut schemas: BTreeMap<String, Value> = generator
            .take_definitions(false)
            .into_iter()
            .map(|(name, mut schema)| {
                upstream_shapes::restore(&name, &mut schema);
                merge_markers::annotate(&name, &mut schema);
                (name, schema)
            })
            .collect();
        schemas.extend(custom_schemas);
        for (resource, item) in lists {
            let list = lists::list_definition(resource, &item, &schemas);
            let list_name = format!("{item}List");
            let list_kind = (
                resource.group.clone(),
                resource.version.clone(),
                format!("{}List", resource.kind),
            );
            tag(&mut kinds, list_kind, list_name.clone());
            schemas.insert(list_name, list);
        }
        for (name, gvks) in tags {
            if let Some(Value::Object(schema)) = schemas.get_mut(&name) {
                let tags = gvks
                    .into_iter()
                    .map(|(group, version, kind)| {
                        json!({ "group": group, "kind": kind, "version": version })
                    })
                    .collect();
                schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(tags));
            }
        }
        Definitions { schemas, kinds }
    }

    /// The definition named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }

    /// Every definition, by name.
    pub fn all(&self) -> &BTreeMap<String, Value> {
        &self.schemas
    }

    /// The name of the definition describing `gvk`.
    pub fn name_of(&self, gvk: &GroupVersionKind) -> Option<&str> {
        self.kinds.get(&key(gvk)).map(String::as_str)
    }

    /// The definition names reachable from `roots` through `$ref`s,
    /// `roots` included.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<String> = roots.into_iter().map(str::to_owned).collect();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = self.schemas.get(&name) {
                references(schema, &mut |r| {
                    if !seen.contains(r) {
                        pending.push(r.to_owned());
                    }
                });
            }
        }
        seen
    }
}

/// Calls `found` with the definition name of every `$ref` in `value`.
pub fn references(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix(REF_PREFIX) {
                            found(name);
                        }
                    }
                    _ => references(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// A generator whose references are Swagger 2.0's `#/definitions/…` and
/// which leaves `$ref` siblings (descriptions) in place, as Swagger 2.0
/// documents write them.
fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft07();
    settings.transforms.clear();
    settings.meta_schema = None;
    SchemaGenerator::new(settings)
}

/// The definition a generated `$ref` points at.
fn referenced_name(schema: &Schema) -> Option<String> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(REF_PREFIX))
        .map(str::to_owned)
}

/// Upstream's name for a custom resource's definition: the group reversed,
/// then version and kind (`com.example.stable.v1.CronTab`).
pub fn custom_definition_name(gvk: &GroupVersionKind) -> String {
    let mut parts: Vec<&str> = gvk.group.split('.').collect();
    parts.reverse();
    format!("{}.{}.{}", parts.join("."), gvk.version, gvk.kind)
}

/// The properties of a definition, if it is an object with properties.
pub fn properties_mut(schema: &mut Value) -> Option<&mut Map<String, Value>> {
    schema.get_mut("properties").and_then(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::catalog::Catalog;

    fn builtin() -> Definitions {
        Definitions::build(&Catalog::builtin().snapshot(), &CustomSchemas::default())
    }

    #[test]
    fn kinds_carry_their_group_version_kind() {
        let definitions = builtin();
        let pod = definitions.get("io.k8s.api.core.v1.Pod").unwrap();
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([{ "group": "", "kind": "Pod", "version": "v1" }])
        );
        let list = definitions
            .get("io.k8s.api.apps.v1.DeploymentList")
            .unwrap();
        assert_eq!(
            list["x-kubernetes-group-version-kind"],
            json!([{ "group": "apps", "kind": "DeploymentList", "version": "v1" }])
        );
        assert_eq!(
            list["properties"]["items"]["items"]["$ref"],
            "#/definitions/io.k8s.api.apps.v1.Deployment"
        );
        let delete = definitions.get(&meta("DeleteOptions")).unwrap();
        let tags = delete["x-kubernetes-group-version-kind"]
            .as_array()
            .unwrap();
        assert!(tags.contains(&json!({ "group": "", "kind": "DeleteOptions", "version": "v1" })));
        assert!(
            tags.contains(&json!({ "group": "apps", "kind": "DeleteOptions", "version": "v1" }))
        );
        assert!(tags.contains(
            &json!({ "group": "autoscaling", "kind": "DeleteOptions", "version": "v2" })
        ));
        assert_eq!(
            definitions.get(&meta("Status")).unwrap()["x-kubernetes-group-version-kind"],
            json!([{ "group": "", "kind": "Status", "version": "v1" }])
        );
        assert_eq!(
            definitions.name_of(&GroupVersionKind::new("autoscaling", "v1", "Scale")),
            Some("io.k8s.api.autoscaling.v1.Scale")
        );
    }

    #[test]
    fn every_reference_resolves() {
        let definitions = builtin();
        for (name, schema) in definitions.all() {
            references(schema, &mut |r| {
                assert!(definitions.get(r).is_some(), "{name} refers to missing {r}");
            });
        }
    }

    #[test]
    fn closure_follows_references() {
        let definitions = builtin();
        let closure = definitions.closure(["io.k8s.api.coordination.v1.Lease"]);
        assert!(closure.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        assert!(closure.contains("io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"));
        assert!(!closure.contains("io.k8s.api.core.v1.Pod"));
    }

    #[test]
    fn custom_names_reverse_the_group() {
        assert_eq!(
            custom_definition_name(&GroupVersionKind::new(
                "stable.example.com",
                "v1",
                "CronTab"
            )),
            "com.example.stable.v1.CronTab"
        );
    }
}
