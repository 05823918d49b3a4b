//! PATCH requests: the patch type from the Content-Type, `PatchOptions`
//! (`fieldManager`, `force`) checked as upstream checks them, and the patch
//! applied to the current object in the store's read-modify-write loop.
//! JSON, merge and strategic merge patches are updates credited to their
//! manager; server-side apply computes ownership itself and creates a
//! missing object.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use serde_json::{Map, Value};

use super::body;
use crate::apiserver::admission::namespace_lifecycle;
use crate::apiserver::http::RequestBody;
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::patch::apply::{self, Apply};
use crate::apiserver::patch::managed_fields::{FieldTracking, Write, manager_name};
use crate::apiserver::patch::schema::{Shapes, Type};
use crate::apiserver::patch::{PatchType, go_format, strategic};
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::store::{
    FieldValidation, Part, ResourceStore, WriteOptions, Written,
};
use crate::apiserver::request::RequestInfo;
use crate::apiserver::request::query::Query;
use crate::apiserver::status::{ApiError, Details};
use crate::apiserver::validation::FieldError;

/// The most operations a JSON patch may have (upstream's limit).
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// The request's User-Agent.
pub(super) fn user_agent<B>(request: &Request<B>) -> Option<String> {
    request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Credits a create or update to its `fieldManager` (or User-Agent).
pub(super) fn credit_update<B>(options: &mut WriteOptions, request: &Request<B>) {
    let agent = user_agent(request);
    options.managed_fields = FieldTracking::Update {
        manager: manager_name(options.field_manager.as_deref(), agent.as_deref()),
    };
}

/// Go's `strconv.ParseBool`.
fn parse_bool(value: &str) -> Result<bool, ApiError> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        other => Err(ApiError::bad_request(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            Value::String(other.into())
        ))),
    }
}

/// The generic 422 upstream answers a JSON patch it cannot apply with.
fn unprocessable() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        "the server rejected our request due to an error in our request",
    )
    .with_details(Details::default())
}

/// 422 for a patched object that does not decode: `shown` is what
/// upstream quotes (the patched object, or the patch).
fn undecodable(shown: &str, detail: String) -> ApiError {
    let cause = FieldError::invalid("patch", shown, detail).to_cause();
    ApiError::invalid("", "", "", vec![cause])
}

/// The object a PATCH is for.
pub(super) struct Target<'a> {
    pub store: &'a Arc<ResourceStore>,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub part: Part,
}

/// Serves PATCH of the target object (or its status).
pub(super) async fn patch(
    registry: &Registry,
    info: &RequestInfo,
    target: Target<'_>,
    query: &Query,
    mut options: WriteOptions,
    request: Request<RequestBody>,
) -> Result<Written, ApiError> {
    let Target {
        store,
        namespace,
        name,
        part,
    } = target;
    let api_version = store.descriptor.api_version();
    let kind = store.descriptor.kind.clone();
    // Strategic merge patch needs Go's patch markers: only built-in kinds.
    let strategic = Shapes::get().root(&api_version, &kind).is_some();
    let patch_type = PatchType::from_media_type(&body::content_type(request.headers()), strategic)?;
    let agent = user_agent(&request);
    let bytes = body::read(request.into_body()).await?;
    let force = query.get("force").map(parse_bool).transpose()?;
    // The options' own checks (dryRun, fieldManager, fieldValidation) are
    // done; these are PatchOptions' rules on top.
    let field_manager = options.field_manager.clone();
    let field_manager = field_manager.as_deref();
    let mut errors = Vec::new();
    if patch_type == PatchType::Apply {
        if field_manager.is_none_or(str::is_empty) {
            errors.push(FieldError::required(
                "fieldManager",
                "is required for apply patch",
            ));
        }
    } else if force.is_some() {
        errors.push(FieldError::forbidden(
            "force",
            "may not be specified for non-apply patch",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            "meta.k8s.io",
            "PatchOptions",
            "",
            errors.iter().map(FieldError::to_cause).collect(),
        ));
    }
    let ty = store.shape(&api_version);
    if patch_type == PatchType::Apply {
        options.managed_fields = FieldTracking::Applied;
        let config = apply_configuration(&bytes)?;
        if part == Part::Main {
            admit_creation(registry, info, store, namespace, name).await?;
        }
        let now = now_rfc3339();
        let request = Apply {
            write: Write {
                ty,
                api_version: &api_version,
                subresource: part.subresource().unwrap_or_default(),
                scope: store.scope_of(part),
                now: &now,
            },
            kind: &kind,
            manager: field_manager.unwrap_or_default(),
            force: force.unwrap_or(false),
        };
        return store
            .read_modify_write(
                namespace,
                name,
                part,
                &options,
                part == Part::Main,
                |current| {
                    let live = current
                        .cloned()
                        .unwrap_or_else(|| Value::Object(Map::new()));
                    let applied = apply::apply(&live, &config, &request)?;
                    let (object, _) =
                        normalized(store, applied, FieldValidation::Ignore, |detail| {
                            ApiError::bad_request(detail)
                        })?;
                    check_name(&object, name)?;
                    Ok(object)
                },
            )
            .await;
    }

    options.managed_fields = FieldTracking::Update {
        manager: manager_name(field_manager, agent.as_deref()),
    };
    if serde_json::from_slice::<Value>(&bytes).is_err() {
        return Err(ApiError::bad_request("invalid JSON patch"));
    }
    let change = Change::parse(patch_type, &bytes)?;
    let validation = options.field_validation;
    let mut warnings = Vec::new();
    let mut written = store
        .read_modify_write(namespace, name, part, &options, false, |current| {
            let current = current.cloned().unwrap_or_default();
            let (patched, shown) = change.apply(current, ty)?;
            let (object, found) = normalized(store, patched, validation, |detail| {
                undecodable(&shown, detail)
            })?;
            warnings = found;
            check_name(&object, name)?;
            Ok(object)
        })
        .await?;
    written.warnings = warnings;
    Ok(written)
}

/// An apply's body: YAML (or JSON) of one object.
fn apply_configuration(bytes: &Bytes) -> Result<Value, ApiError> {
    let config: Value = serde_yaml::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("error encoding patch: {e}")))?;
    match config {
        Value::Object(_) => Ok(config),
        Value::Null => Ok(Value::Object(Map::new())),
        other => Err(ApiError::bad_request(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_type(&other)
        ))),
    }
}

/// Go's name of a JSON value's type in decoding errors.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// An apply that would create the object creates it in a namespace that
/// must exist and not be terminating.
async fn admit_creation(
    registry: &Registry,
    info: &RequestInfo,
    store: &ResourceStore,
    namespace: Option<&str>,
    name: &str,
) -> Result<(), ApiError> {
    // Any recent state will do: at worst a creation's namespace is checked
    // for an object that was just created.
    match store.get(namespace, name, Some("0")).await {
        Err(e) if e.code == StatusCode::NOT_FOUND => {
            let create = RequestInfo {
                verb: "create".into(),
                ..info.clone()
            };
            namespace_lifecycle::admit(registry, &create, Some(name)).await
        }
        _ => Ok(()),
    }
}

/// The name of a patched object must stay the one on the URL.
fn check_name(object: &Value, name: &str) -> Result<(), ApiError> {
    let found = object.name().unwrap_or_default();
    if found != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({found}) does not match the name on the URL ({name})"
        )));
    }
    Ok(())
}

/// `object` read into the kind's schema; unknown fields become warnings
/// (or, under Strict, an error made by `error`).
fn normalized(
    store: &ResourceStore,
    object: Value,
    validation: FieldValidation,
    error: impl Fn(String) -> ApiError,
) -> Result<(Value, Vec<String>), ApiError> {
    let (object, warnings) = store
        .decode_body(object, FieldValidation::Warn)
        .map_err(|e| error(e.message))?;
    match validation {
        FieldValidation::Ignore => Ok((object, Vec::new())),
        FieldValidation::Warn => Ok((object, warnings)),
        FieldValidation::Strict if warnings.is_empty() => Ok((object, warnings)),
        FieldValidation::Strict => Err(error(format!(
            "strict decoding error: {}",
            warnings.join(", ")
        ))),
    }
}

/// A JSON, merge or strategic merge patch, parsed.
enum Change {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Map<String, Value>),
}

impl Change {
    fn parse(patch_type: PatchType, bytes: &[u8]) -> Result<Change, ApiError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|_| ApiError::bad_request("invalid JSON patch"))?;
        match patch_type {
            PatchType::Json => {
                if !value.is_array() {
                    return Err(ApiError::bad_request(format!(
                        "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                        json_type(&value)
                    )));
                }
                let patch: json_patch::Patch = serde_json::from_value(value)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                if patch.0.len() > MAX_JSON_PATCH_OPERATIONS {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLarge",
                        format!(
                            "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
                            patch.0.len()
                        ),
                    ));
                }
                Ok(Change::Json(patch))
            }
            PatchType::Merge => Ok(Change::Merge(value)),
            PatchType::Strategic | PatchType::Apply => match value {
                Value::Object(map) => Ok(Change::Strategic(map)),
                Value::Null => Ok(Change::Strategic(Map::new())),
                other => Err(ApiError::bad_request(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_type(&other)
                ))),
            },
        }
    }

    /// The patched object, and how upstream quotes the request when the
    /// result does not decode.
    fn apply(&self, mut current: Value, ty: Type) -> Result<(Value, String), ApiError> {
        match self {
            Change::Json(patch) => {
                json_patch::patch(&mut current, patch).map_err(|_| unprocessable())?;
                let shown = current.to_string();
                Ok((current, shown))
            }
            Change::Merge(patch) => {
                json_patch::merge(&mut current, patch);
                let shown = current.to_string();
                Ok((current, shown))
            }
            Change::Strategic(patch) => {
                let Value::Object(original) = current else {
                    return Err(unprocessable());
                };
                let patched = strategic::apply(original, patch.clone(), ty)?;
                Ok((
                    Value::Object(patched),
                    go_format::value(&Value::Object(patch.clone())),
                ))
            }
        }
    }
}
