//! Generates keelson's table of built-in types
//! (`src/apiserver/types/schema.json`): protobuf tags, JSON names and merge
//! markers.
//!
//! Two crates keelson already builds with hold, between them, everything a
//! generic protobuf ⇄ JSON codec needs to know about the built-in kinds:
//!
//! - `k8s-pb` (prost-generated from upstream's `generated.proto` files) has
//!   every message with each field's tag and wire type, and, in its
//!   `Resource` impls, which proto package serves which `apiVersion`. Its
//!   Rust field names are snake_case and lossy (`external_i_ps`).
//! - `k8s-openapi` has each definition's exact JSON names (in its
//!   `Deserialize` impls: `"clusterIP" => Field::Key_cluster_ip`) and which
//!   fields are required (not `Option`).
//!
//! This tool reads both crates' sources (found with `cargo metadata` on
//! keelson's manifest, so the versions are the ones keelson locks) and joins
//! them per field on the name with underscores removed and case folded,
//! which both spellings share. Messages k8s-openapi has no definition for
//! (`ConfigMapList`, the option kinds) fall back to lowerCamelCase, which is
//! exact for them.
//!
//! Usage: `protobuf-schema <keelson Cargo.toml> <output schema.json>`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// One field of a message as the codec needs it.
struct Field {
    tag: u32,
    rust_name: String,
    /// A scalar (`string`, `int32`, `int64`, `bool`, `double`, `bytes`) or a
    /// message's full proto name.
    ty: String,
    repeated: bool,
    /// A `map<string, ty>`.
    map: bool,
    /// The Go type's `+patchMergeKey`, `+patchStrategy`, `+listType`,
    /// `+listMapKey` and `+mapType` markers, which upstream's generator
    /// keeps in the comments of `generated.proto` and prost in its docs.
    markers: Markers,
}

/// How a list or map field merges (strategic merge patch and server-side
/// apply read these).
#[derive(Clone, Default)]
struct Markers {
    patch_merge_key: Option<String>,
    patch_strategy: Option<String>,
    list_type: Option<String>,
    list_map_keys: Vec<String>,
    map_type: Option<String>,
}

impl Markers {
    /// Reads one doc line; only a line that is itself a marker counts (doc
    /// examples quote markers behind `//`).
    fn read(&mut self, doc: &str) {
        let Some(marker) = doc.trim().strip_prefix('+') else {
            return;
        };
        let Some((name, value)) = marker.split_once('=') else {
            return;
        };
        let value = value.trim().to_owned();
        match name {
            "patchMergeKey" => self.patch_merge_key = Some(value),
            "patchStrategy" => self.patch_strategy = Some(value),
            "listType" => self.list_type = Some(value),
            "listMapKey" => self.list_map_keys.push(value),
            "mapType" => self.map_type = Some(value),
            _ => {}
        }
    }
}

/// What k8s-openapi says about one definition.
#[derive(Default)]
struct JsonDefinition {
    /// Rust field name → JSON name.
    json_names: HashMap<String, String>,
    /// JSON names of the fields that are not `Option`.
    required: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: protobuf-schema <keelson Cargo.toml> <output schema.json>");
        std::process::exit(2);
    }
    let (k8s_pb, k8s_openapi) = crate_sources(Path::new(&args[1]));
    let definitions = read_openapi(&k8s_openapi.join("src/v1_33"));
    let pb = read_pb(&k8s_pb.join("src"));
    let renames = proto_names(&pb, &definitions);
    let rename = |name: &str| {
        renames
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    };
    let mut messages: BTreeMap<String, Vec<Field>> = BTreeMap::new();
    for (name, fields) in pb.messages {
        let fields = fields
            .into_iter()
            .map(|f| Field {
                ty: if f.ty.contains('.') {
                    rename(&f.ty)
                } else {
                    f.ty
                },
                ..f
            })
            .collect();
        messages.insert(rename(&name), fields);
    }
    let inlined = inlined_fields(&messages, &definitions);
    // A message inlined into another (`VolumeSource` into `Volume`) has no
    // definition of its own; its JSON names are the outer definition's.
    let mut borrowed: HashMap<&str, &JsonDefinition> = HashMap::new();
    for (outer, inner) in inlined.iter().map(|(outer, field)| {
        let inner = messages[outer].iter().find(|f| &f.rust_name == field);
        (outer, inner.map(|f| f.ty.as_str()).unwrap_or_default())
    }) {
        if let Some(definition) = definitions.get(outer) {
            borrowed.entry(inner).or_insert(definition);
        }
    }

    let mut out = String::from("{\n\"groupVersions\": ");
    out.push_str(&serde_json::to_string(&pb.group_versions).expect("strings serialize"));
    out.push_str(",\n\"messages\": {\n");
    let mut first = true;
    let mut fallbacks = 0;
    for (message, fields) in &messages {
        let definition = definitions
            .get(message)
            .or_else(|| borrowed.get(message.as_str()).copied());
        let fields: Vec<Value> = fields
            .iter()
            .map(|f| {
                let normalized = normalize(&f.rust_name);
                let json_name = definition
                    .and_then(|d| {
                        d.json_names
                            .values()
                            .find(|json| normalize(json) == normalized)
                            .cloned()
                    })
                    .unwrap_or_else(|| {
                        let name = lower_camel(&f.rust_name);
                        if !inlined.contains(&(message.clone(), f.rust_name.clone())) {
                            fallbacks += 1;
                            if std::env::var_os("PROTOBUF_SCHEMA_VERBOSE").is_some() {
                                eprintln!("{name}: {message}.{} by lowerCamelCase", f.rust_name);
                            }
                        }
                        name
                    });
                let mut field = json!({ "tag": f.tag, "name": json_name, "type": f.ty });
                if f.repeated {
                    field["repeated"] = json!(true);
                }
                if f.map {
                    field["map"] = json!(true);
                }
                if inlined.contains(&(message.clone(), f.rust_name.clone())) {
                    field["inline"] = json!(true);
                }
                if definition.is_some_and(|d| d.required.contains(&json_name)) {
                    field["required"] = json!(true);
                }
                let m = &f.markers;
                for (key, value) in [
                    ("patchMergeKey", &m.patch_merge_key),
                    ("patchStrategy", &m.patch_strategy),
                    ("listType", &m.list_type),
                    ("mapType", &m.map_type),
                ] {
                    if let Some(value) = value {
                        field[key] = json!(value);
                    }
                }
                if !m.list_map_keys.is_empty() {
                    field["listMapKeys"] = json!(m.list_map_keys);
                }
                field
            })
            .collect();
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&format!(
            "{}: {}",
            serde_json::to_string(message).expect("strings serialize"),
            serde_json::to_string(&fields).expect("values serialize")
        ));
    }
    out.push_str("\n}\n}\n");
    fs::write(&args[2], out).expect("writing the schema");
    eprintln!(
        "{} messages, {} group versions, {} field names by lowerCamelCase",
        messages.len(),
        pb.group_versions.len(),
        fallbacks
    );
}

/// The source directories of the k8s-pb and k8s-openapi versions keelson
/// locks.
fn crate_sources(manifest: &Path) -> (PathBuf, PathBuf) {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let find = |name: &str| -> PathBuf {
        let package = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not among keelson's dependencies"));
        Path::new(package["manifest_path"].as_str().expect("manifest_path"))
            .parent()
            .expect("a crate directory")
            .to_path_buf()
    };
    (find("k8s-pb"), find("k8s-openapi"))
}

/// Lowercase without underscores: the spelling a proto field's snake_case
/// Rust name and its JSON name share (`cluster_i_ps`, `clusterIPs`).
fn normalize(name: &str) -> String {
    name.trim_start_matches("r#")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn lower_camel(rust_name: &str) -> String {
    let mut out = String::new();
    for (i, part) in rust_name.trim_start_matches("r#").split('_').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if i > 0 => {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
            Some(c) => {
                out.push(c);
                out.push_str(chars.as_str());
            }
            None => {}
        }
    }
    out
}

/// k8s-openapi's definitions by proto full name (`k8s.io.api.core.v1.Pod`).
fn read_openapi(root: &Path) -> HashMap<String, JsonDefinition> {
    let mut definitions = HashMap::new();
    for file in rust_files(root) {
        let text = fs::read_to_string(&file).expect("reading a k8s-openapi source");
        let Some(definition) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// Generated from definition "))
        else {
            continue;
        };
        let proto_name = format!(
            "k8s.io.{}",
            definition
                .trim()
                .trim_start_matches("io.k8s.")
                .replace("apiextensions-apiserver", "apiextensions_apiserver")
                .replace("kube-aggregator", "kube_aggregator")
        );
        let mut entry = JsonDefinition::default();
        for line in text.lines() {
            let line = line.trim();
            // `"clusterIP" => Field::Key_cluster_ip,`
            if let Some((json_name, rest)) = line
                .strip_prefix('"')
                .and_then(|l| l.split_once("\" => Field::Key_"))
            {
                let rust_name = rest.trim_end_matches(',');
                entry
                    .json_names
                    .insert(rust_name.to_owned(), json_name.to_owned());
            }
        }
        // The struct's fields: `pub name: Type,` at four spaces.
        let mut in_struct = false;
        for line in text.lines() {
            if line.starts_with("pub struct ") && line.ends_with('{') {
                in_struct = true;
            } else if in_struct && line == "}" {
                break;
            } else if in_struct
                && let Some(rest) = line.strip_prefix("    pub ")
                && let Some((rust_name, ty)) = rest.split_once(": ")
                && !ty.starts_with("Option<")
                && let Some(json_name) = entry.json_names.get(rust_name)
            {
                entry.required.push(json_name.clone());
            }
        }
        definitions.insert(proto_name, entry);
    }
    definitions
}

/// What k8s-pb says.
struct Pb {
    /// Messages by their prost full name (`k8s.io.api.core.v1.CsiDriver`).
    messages: BTreeMap<String, Vec<Field>>,
    /// The proto package of each `apiVersion` its `Resource` impls name.
    group_versions: BTreeMap<String, String>,
    /// Prost full name → the exact `kind` its `Resource` impl names.
    kinds: HashMap<String, String>,
}

/// k8s-pb's messages by full name, and the proto package of each
/// `apiVersion` its `Resource` impls name.
fn read_pb(root: &Path) -> Pb {
    let mut messages = BTreeMap::new();
    let mut group_versions = BTreeMap::new();
    let mut kinds = HashMap::new();
    for file in rust_files(root) {
        let module: Vec<String> = file
            .strip_prefix(root)
            .expect("under the root")
            .parent()
            .expect("a module directory")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.is_empty() {
            continue;
        }
        let package = format!("k8s.io.{}", module.join("."));
        let text = fs::read_to_string(&file).expect("reading a k8s-pb source");
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(name) = line
                .strip_prefix("pub struct ")
                .and_then(|l| l.strip_suffix(" {}"))
            {
                messages.insert(format!("{package}.{name}"), Vec::new());
            } else if let Some(name) = line
                .strip_prefix("pub struct ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                let mut fields = Vec::new();
                let mut markers = Markers::default();
                while let Some(line) = lines.next() {
                    if line == "}" {
                        break;
                    }
                    if let Some(doc) = line.trim().strip_prefix("///") {
                        markers.read(doc);
                        continue;
                    }
                    let Some(attribute) = line
                        .trim()
                        .strip_prefix("#[prost(")
                        .and_then(|l| l.strip_suffix(")]"))
                    else {
                        continue;
                    };
                    // The field declaration may wrap over several lines.
                    let mut declaration = String::new();
                    for line in lines.by_ref() {
                        declaration.push_str(line.trim());
                        let depth =
                            declaration.matches('<').count() - declaration.matches('>').count();
                        if declaration.ends_with(',') && depth == 0 {
                            break;
                        }
                    }
                    let mut field = parse_field(attribute, &declaration, &module);
                    field.markers = std::mem::take(&mut markers);
                    fields.push(field);
                }
                messages.insert(format!("{package}.{name}"), fields);
            } else if let Some(name) = line
                .strip_prefix("impl crate::Resource for ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                for line in lines.by_ref() {
                    if let Some(kind) = line
                        .trim()
                        .strip_prefix("const KIND: &'static str = \"")
                        .and_then(|l| l.strip_suffix("\";"))
                    {
                        kinds.insert(format!("{package}.{name}"), kind.to_owned());
                    }
                    if let Some(value) = line
                        .trim()
                        .strip_prefix("const API_VERSION: &'static str = \"")
                        .and_then(|l| l.strip_suffix("\";"))
                    {
                        group_versions.insert(value.to_owned(), package.clone());
                    }
                    if line == "}" {
                        break;
                    }
                }
            }
        }
    }
    Pb {
        messages,
        group_versions,
        kinds,
    }
}

/// Prost's names of messages whose proto name differs (prost writes
/// `CsiDriver`, `HttpGetAction`, `JsonSchemaProps` for `CSIDriver`,
/// `HTTPGetAction`, `JSONSchemaProps`) → the proto name: the `Resource`
/// impl's kind, else the k8s-openapi definition in the same package whose
/// name matches case-insensitively; a `…List` follows its item's name.
fn proto_names(pb: &Pb, definitions: &HashMap<String, JsonDefinition>) -> HashMap<String, String> {
    let split = |full: &str| -> (String, String) {
        let (package, name) = full.rsplit_once('.').expect("a full name");
        (package.to_owned(), name.to_owned())
    };
    let mut by_package: HashMap<(String, String), String> = HashMap::new();
    for definition in definitions.keys() {
        let (package, name) = split(definition);
        by_package.insert((package, name.to_lowercase()), name);
    }
    let mut renames = HashMap::new();
    let name_of = |full: &str| -> Option<String> {
        if let Some(kind) = pb.kinds.get(full) {
            return Some(kind.clone());
        }
        let (package, name) = split(full);
        by_package.get(&(package, name.to_lowercase())).cloned()
    };
    for full in pb.messages.keys() {
        let (package, name) = split(full);
        let proper = name_of(full).or_else(|| {
            let item = name.strip_suffix("List")?;
            Some(format!("{}List", name_of(&format!("{package}.{item}"))?))
        });
        if let Some(proper) = proper.filter(|p| *p != name) {
            renames.insert(full.clone(), format!("{package}.{proper}"));
        }
    }
    renames
}

/// (message, field) pairs whose field is an embedded Go struct that JSON
/// inlines (`Volume.volumeSource`, `Probe.handler`): a message-typed field
/// whose name the message's k8s-openapi definition lacks, while it has the
/// field's own fields.
fn inlined_fields(
    messages: &BTreeMap<String, Vec<Field>>,
    definitions: &HashMap<String, JsonDefinition>,
) -> Vec<(String, String)> {
    let mut inlined = Vec::new();
    for (message, fields) in messages {
        let Some(definition) = definitions.get(message) else {
            continue;
        };
        let known: Vec<String> = definition
            .json_names
            .values()
            .map(|n| normalize(n))
            .collect();
        for field in fields {
            if field.repeated || field.map || !field.ty.contains('.') {
                continue;
            }
            if known.contains(&normalize(&field.rust_name)) {
                continue;
            }
            let Some(inner) = messages.get(&field.ty) else {
                continue;
            };
            if inner
                .iter()
                .any(|f| known.contains(&normalize(&f.rust_name)))
            {
                inlined.push((message.clone(), field.rust_name.clone()));
            }
        }
    }
    inlined
}

/// One field from its `#[prost(…)]` attribute and `pub name: Type,`.
fn parse_field(attribute: &str, declaration: &str, module: &[String]) -> Field {
    let (rust_name, ty) = declaration
        .strip_prefix("pub ")
        .and_then(|d| d.split_once(':'))
        .unwrap_or_else(|| panic!("a field declaration: {declaration}"));
    // rustfmt wraps long types with a trailing comma before the `>`.
    let ty = ty.trim().trim_end_matches(',').replace(",>", ">");
    let ty = ty.as_str();
    let parts: Vec<&str> = attribute.split(", ").map(str::trim).collect();
    let tag = parts
        .iter()
        .find_map(|p| p.strip_prefix("tag = \""))
        .and_then(|t| t.trim_end_matches('"').parse().ok())
        .unwrap_or_else(|| panic!("a tag in {attribute}"));
    let repeated = parts.contains(&"repeated");
    let kind = parts[0];
    let (ty, map) = if kind.starts_with("btree_map = \"string") {
        // `btree_map = "string, string"` splits on ", " too.
        let value = parts[1].trim_end_matches('"');
        let value = if value == "message" {
            // BTreeMap<String, Path>: the value type is after the first comma.
            let inner = ty
                .split_once(',')
                .map(|(_, v)| v.trim().trim_end_matches(','))
                .unwrap_or_default();
            let inner = inner
                .strip_suffix('>')
                .unwrap_or(inner)
                .trim_end_matches(',');
            resolve(inner, module)
        } else {
            value.to_owned()
        };
        (value, true)
    } else if kind == "message" {
        (resolve(innermost(ty), module), false)
    } else {
        // `bytes = "vec"`, `string`, `int32`, …
        (kind.split(' ').next().unwrap_or(kind).to_owned(), false)
    };
    Field {
        tag,
        rust_name: rust_name.trim().to_owned(),
        ty,
        repeated,
        map,
        markers: Markers::default(),
    }
}

/// The message path inside `Option<…>`, `Vec<…>` and `Box<…>`.
fn innermost(ty: &str) -> &str {
    let mut ty = ty.trim();
    for wrapper in [
        "::core::option::Option<",
        "::prost::alloc::vec::Vec<",
        "::prost::alloc::boxed::Box<",
    ] {
        if let Some(inner) = ty.strip_prefix(wrapper) {
            ty = inner.strip_suffix('>').unwrap_or(inner).trim();
            return innermost(ty);
        }
    }
    ty
}

/// A Rust type path relative to `module` (`super::super::…::ObjectMeta`) as a
/// proto full name.
fn resolve(path: &str, module: &[String]) -> String {
    let mut base: Vec<String> = module.to_vec();
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    while segments.first() == Some(&"super") {
        segments.remove(0);
        base.pop();
    }
    if segments.first() == Some(&"crate") {
        segments.remove(0);
        base.clear();
    }
    base.extend(segments.iter().map(|s| s.to_string()));
    format!("k8s.io.{}", base.join("."))
}

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("reading a source directory")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}
