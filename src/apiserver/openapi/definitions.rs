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
//! Each definition is kept serialized, with the names it refers to, as
//! soon as it is generated: a build never holds all of them as JSON trees
//! at once, and a `Definitions` lives only while documents are being built
//! (the served documents are kept as bytes).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::schemars::SchemaGenerator;
use k8s_openapi::schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::builtin_kinds::{self, SHARED_IN_EVERY_GROUP_VERSION, TAGGED_AS_CORE_V1, TypeSchema};
use super::custom::CustomSchemas;
use super::lists;
use super::merge_markers;
use super::upstream_shapes;
use crate::apiserver::registry::catalog::CatalogSnapshot;
use crate::apiserver::registry::resource::{GroupVersionKind, ResourceDescriptor, Verb};
use crate::apiserver::types;

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

/// One definition, serialized, and the definitions it refers to.
pub struct Definition {
    pub json: Box<[u8]>,
    refs: Box<[String]>,
}

/// What a definition is generated from.
enum Source<'a> {
    Type(TypeSchema),
    Schema(Value),
    List(&'a ResourceDescriptor, String),
}

/// Every definition, by name, and which definition describes each kind.
pub struct Definitions {
    schemas: BTreeMap<String, Definition>,
    kinds: HashMap<KindKey, String>,
}

/// Collects the definitions of one build: names and tags first, then the
/// schemas, each finished and serialized as it comes.
struct Builder {
    kinds: HashMap<KindKey, String>,
    tags: BTreeMap<String, BTreeSet<KindKey>>,
    schemas: BTreeMap<String, Definition>,
}

impl Builder {
    fn tag(&mut self, gvk: KindKey, name: &str) {
        self.tags
            .entry(name.to_owned())
            .or_default()
            .insert(gvk.clone());
        self.kinds.insert(gvk, name.to_owned());
    }

    /// Puts upstream's shape and extensions on `schema` and keeps it,
    /// serialized.
    fn finish(&mut self, name: &str, mut schema: Value) {
        upstream_shapes::restore(name, &mut schema);
        merge_markers::annotate(name, &mut schema);
        if let (Some(gvks), Value::Object(object)) = (self.tags.get(name), &mut schema) {
            let tags = gvks
                .iter()
                .map(|(group, version, kind)| {
                    json!({ "group": group, "kind": kind, "version": version })
                })
                .collect();
            object.insert("x-kubernetes-group-version-kind".into(), Value::Array(tags));
        }
        let mut refs = BTreeSet::new();
        references(&schema, &mut |r| {
            refs.insert(r.to_owned());
        });
        let json = serde_json::to_vec(&schema)
            .unwrap_or_default()
            .into_boxed_slice();
        self.schemas.insert(
            name.to_owned(),
            Definition {
                json,
                refs: refs.into_iter().collect(),
            },
        );
    }
}

impl Definitions {
    /// The definitions for everything `snapshot` serves.
    pub fn build(snapshot: &CatalogSnapshot, custom: &CustomSchemas) -> Definitions {
        let mut builder = Builder {
            kinds: HashMap::new(),
            tags: BTreeMap::new(),
            schemas: BTreeMap::new(),
        };
        let mut sources: Vec<(String, Source<'_>)> = Vec::new();
        for resource in snapshot.resources() {
            let gvk = resource.gvk();
            let (name, source) = match builtin_kinds::schema_of(&gvk) {
                Some(schema) => ((schema.name)().into_owned(), Source::Type(schema)),
                None => {
                    let (name, schema) = custom.definition(&gvk).unwrap_or_else(|| {
                        (
                            custom_definition_name(&gvk),
                            upstream_shapes::schemaless_object(),
                        )
                    });
                    (name, Source::Schema(schema))
                }
            };
            builder.tag(key(&gvk), &name);
            if resource.supports(Verb::List) {
                let list = format!("{name}List");
                builder.tag(
                    (
                        resource.group.clone(),
                        resource.version.clone(),
                        format!("{}List", resource.kind),
                    ),
                    &list,
                );
                sources.push((list, Source::List(resource, name.clone())));
            }
            sources.push((name, source));
            for sub in &resource.subresources {
                if let Some(schema) = builtin_kinds::schema_of(&sub.kind) {
                    let name = (schema.name)().into_owned();
                    builder.tag(key(&sub.kind), &name);
                    sources.push((name, Source::Type(schema)));
                }
            }
        }
        for (kind, schema) in builtin_kinds::meta_kinds() {
            let name = (schema.name)().into_owned();
            let core = ("".to_owned(), "v1".to_owned(), kind.to_owned());
            if TAGGED_AS_CORE_V1.contains(&kind) || SHARED_IN_EVERY_GROUP_VERSION.contains(&kind) {
                builder.tag(core, &name);
            } else {
                builder.kinds.insert(core, name.clone());
            }
            if SHARED_IN_EVERY_GROUP_VERSION.contains(&kind) {
                // Upstream tags them with every group version its scheme
                // knows, served or not; custom resources' groups are not
                // among them, so adding one leaves the built-in documents
                // (and their hashes) as they were.
                for api_version in types::Schema::get().api_versions() {
                    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
                    builder.tag((group.into(), version.into(), kind.into()), &name);
                }
            }
            sources.push((name, Source::Type(schema)));
        }
        for schema in builtin_kinds::always() {
            sources.push(((schema.name)().into_owned(), Source::Type(schema)));
        }

        let mut generator = generator();
        for (name, source) in sources {
            if builder.schemas.contains_key(&name) {
                continue;
            }
            match source {
                Source::Type(schema) => {
                    (schema.generate)(&mut generator);
                    // Take what this type added, leaving a placeholder so
                    // that the generator knows the names and does not
                    // generate them again.
                    let generated: Vec<(String, Value)> = generator
                        .definitions_mut()
                        .iter_mut()
                        .filter(|(_, v)| !v.is_boolean())
                        .map(|(n, v)| (n.clone(), std::mem::replace(v, Value::Bool(false))))
                        .collect();
                    for (name, schema) in generated {
                        builder.finish(&name, schema);
                    }
                }
                Source::Schema(schema) => builder.finish(&name, schema),
                Source::List(resource, item) => {
                    builder.finish(&name, lists::list_definition(resource, &item))
                }
            }
        }
        Definitions {
            schemas: builder.schemas,
            kinds: builder.kinds,
        }
    }

    /// Definition `name`, serialized.
    pub fn json(&self, name: &str) -> Option<&[u8]> {
        self.schemas.get(name).map(|d| &*d.json)
    }

    /// Definition `name`, parsed.
    pub fn value(&self, name: &str) -> Option<Value> {
        serde_json::from_slice(self.json(name)?).ok()
    }

    /// Every definition, by name.
    pub fn all(&self) -> &BTreeMap<String, Definition> {
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
            if let Some(definition) = self.schemas.get(&name) {
                pending.extend(
                    definition
                        .refs
                        .iter()
                        .filter(|r| !seen.contains(*r))
                        .cloned(),
                );
            }
            seen.insert(name);
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
        let pod = definitions.value("io.k8s.api.core.v1.Pod").unwrap();
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([{ "group": "", "kind": "Pod", "version": "v1" }])
        );
        let list = definitions
            .value("io.k8s.api.apps.v1.DeploymentList")
            .unwrap();
        assert_eq!(
            list["x-kubernetes-group-version-kind"],
            json!([{ "group": "apps", "kind": "DeploymentList", "version": "v1" }])
        );
        assert_eq!(
            list["properties"]["items"]["items"]["$ref"],
            "#/definitions/io.k8s.api.apps.v1.Deployment"
        );
        let delete = definitions.value(&meta("DeleteOptions")).unwrap();
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
            definitions.value(&meta("Status")).unwrap()["x-kubernetes-group-version-kind"],
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
        for name in definitions.all().keys() {
            references(&definitions.value(name).unwrap(), &mut |r| {
                assert!(
                    definitions.json(r).is_some(),
                    "{name} refers to missing {r}"
                );
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
