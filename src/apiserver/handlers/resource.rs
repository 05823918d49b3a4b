//! Resource requests: find the resource's store, check the verb and scope,
//! admit, call the store, encode the answer.

use std::time::Duration;

use http::{Request, Response, StatusCode};
use serde_json::Value;

use super::negotiate::{self, Representation};
use super::options::{self, OptionsKind};
use super::subresource::{self, SubresourceRequest};
use super::{body, patch, response, watch};
use crate::apiserver::admission::namespace_lifecycle;
use crate::apiserver::http::{RequestBody, ResponseBody};
use crate::apiserver::lifecycle::Lifecycle;
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::resource::{ResourceDescriptor, Storage, Verb};
use crate::apiserver::registry::store::{
    DeleteOptions, DeleteOutcome, ListPage, Part, ResourceStore,
};
use crate::apiserver::request::RequestInfo;
use crate::apiserver::request::query::{Query, ReadOptions};
use crate::apiserver::reviews::Reviews;
use crate::apiserver::serviceaccount::ServiceAccountTokens;
use crate::apiserver::status::ApiError;
use crate::apiserver::table::IncludeObject;
use crate::apiserver::user::UserInfo;

/// Watches without `timeoutSeconds` last between 30 and 60 minutes, as
/// upstream's `--min-request-timeout` spreads them.
fn default_watch_timeout() -> Duration {
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * 1800 / 255;
    Duration::from_secs(1800 + jitter)
}

fn verb_of(info: &RequestInfo) -> Option<Verb> {
    Some(match info.verb.as_str() {
        "get" => Verb::Get,
        "list" => Verb::List,
        "watch" => Verb::Watch,
        "create" => Verb::Create,
        "update" => Verb::Update,
        "patch" => Verb::Patch,
        "delete" => Verb::Delete,
        "deletecollection" => Verb::DeleteCollection,
        _ => return None,
    })
}

/// Serves one resource request.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    registry: &Registry,
    tokens: &ServiceAccountTokens,
    reviews: &Reviews,
    user: &UserInfo,
    info: &RequestInfo,
    request: Request<RequestBody>,
    lifecycle: &Lifecycle,
) -> Result<Response<ResponseBody>, ApiError> {
    let store = registry
        .get(&info.group, &info.version, &info.resource)
        .ok_or_else(ApiError::no_route)?;
    let descriptor = store.descriptor.clone();
    let verb = verb_of(info).ok_or_else(ApiError::method_not_allowed)?;
    // For the Namespace objects, the "namespace" of the path is their name.
    let namespace = if descriptor.namespaced() {
        info.namespace.as_deref()
    } else if info.namespace.is_some() && info.resource != "namespaces" {
        return Err(ApiError::no_route());
    } else {
        None
    };
    if descriptor.namespaced() && namespace.is_none() && !matches!(verb, Verb::List | Verb::Watch) {
        return Err(ApiError::no_route());
    }
    let part = match info.subresource.as_deref() {
        // The legacy way to bind a pod: a Binding naming its pod.
        None if descriptor.storage == Storage::Virtual
            && descriptor.kind == "Binding"
            && verb == Verb::Create =>
        {
            let namespace = namespace.ok_or_else(ApiError::no_route)?;
            return subresource::serve_legacy_binding(registry, info, namespace, request).await;
        }
        None if descriptor.storage == Storage::Virtual
            && verb == Verb::Create
            && Reviews::handles(&descriptor.group, &descriptor.kind) =>
        {
            return review(reviews, info, user, &descriptor, request).await;
        }
        None => {
            if !descriptor.supports(verb) {
                return Err(ApiError::method_not_allowed());
            }
            Part::Main
        }
        Some("finalize") if descriptor.subresource("finalize").is_some() => {
            if verb != Verb::Update {
                return Err(ApiError::method_not_allowed());
            }
            Part::Finalize
        }
        Some(name @ ("status" | "approval")) if descriptor.subresource(name).is_some() => {
            if !matches!(verb, Verb::Get | Verb::Update | Verb::Patch) {
                return Err(ApiError::method_not_allowed());
            }
            if name == "status" {
                Part::Status
            } else {
                Part::Approval
            }
        }
        Some(other) => {
            let context = SubresourceRequest {
                registry,
                tokens,
                info,
                store: &store,
                namespace,
                verb,
            };
            return subresource::serve(context, other, request).await;
        }
    };
    if verb != Verb::Create {
        namespace_lifecycle::admit(registry, info, None).await?;
    }

    let query = Query::parse(request.uri().query());
    let representation =
        negotiate::choose(request.headers())?.for_kind(&descriptor.api_version(), &descriptor.kind);
    let include = IncludeObject::parse(query.get("includeObject"));
    let printer = store.strategy.printer();
    let printer = printer.as_deref();
    let name = info.name.as_deref();
    match verb {
        Verb::Get => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let options = ReadOptions::from_query(&query)?;
            let found = store
                .get(namespace, name, options.resource_version.as_deref())
                .await?;
            Ok(response::object(
                StatusCode::OK,
                &found.object,
                &descriptor,
                representation,
                include,
                printer,
            ))
        }
        Verb::List => {
            let options = ReadOptions::from_query(&query)?;
            let filter = filter(&store, namespace, None, &options)?;
            let page = store.list(namespace, &options, &filter).await?;
            Ok(response::list(
                &page,
                &descriptor,
                representation,
                include,
                printer,
            ))
        }
        Verb::Watch => {
            let options = ReadOptions::from_query(&query)?;
            let filter = filter(&store, namespace, name, &options)?;
            let timeout = options
                .timeout_seconds
                .filter(|t| *t > 0)
                .map_or_else(default_watch_timeout, |t| Duration::from_secs(t as u64));
            match store.watch(namespace, &options, filter).await {
                Ok(watch) => Ok(watch::response(
                    watch,
                    descriptor,
                    representation,
                    timeout,
                    lifecycle.clone(),
                    store.strategy.printer(),
                )),
                // Upstream starts the stream and reports an expired
                // resourceVersion as its one ERROR event; clients re-list.
                Err(error) if error.code == StatusCode::GONE => Ok(watch::error_response(&error)),
                Err(error) => Err(error),
            }
        }
        Verb::Create => {
            let mut options = options::write_options(request.uri().query(), OptionsKind::Create)?;
            patch::credit_update(&mut options, &request);
            let object = read_object(request).await?;
            let name = object.pointer("/metadata/name").and_then(Value::as_str);
            namespace_lifecycle::admit(registry, info, name).await?;
            let written = store.create(namespace, object, &options).await?;
            let reply = response::object(
                StatusCode::CREATED,
                &written.object,
                &descriptor,
                representation,
                include,
                printer,
            );
            Ok(response::with_warnings(reply, &written.warnings))
        }
        Verb::Update => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let mut options = options::write_options(request.uri().query(), OptionsKind::Update)?;
            patch::credit_update(&mut options, &request);
            let object = read_object(request).await?;
            let written = store
                .update(namespace, name, object, part, &options)
                .await?;
            Ok(response::written(
                &written,
                &descriptor,
                representation,
                include,
                printer,
            ))
        }
        Verb::Patch => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let options = options::write_options(request.uri().query(), OptionsKind::Patch)?;
            let target = patch::Target {
                store: &store,
                namespace,
                name,
                part,
            };
            let written = patch::patch(registry, info, target, &query, options, request).await?;
            Ok(response::written(
                &written,
                &descriptor,
                representation,
                include,
                printer,
            ))
        }
        Verb::Delete => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let raw_query = request.uri().query().map(str::to_owned);
            let content_type = body::content_type(request.headers());
            let bytes = body::read(request.into_body()).await?;
            let bytes = body::delete_options_json(bytes, &content_type)?;
            let write = options::delete_write_options(raw_query.as_deref(), &bytes)?;
            let options = DeleteOptions::from_request(&bytes, &query, write)?;
            let warnings = store.delete_warnings(&options);
            let reply = match store.delete(namespace, name, &options).await? {
                DeleteOutcome::Deleted(object) if store.strategy.returns_deleted_object() => {
                    response::object(
                        StatusCode::OK,
                        &object,
                        &descriptor,
                        representation,
                        include,
                        printer,
                    )
                }
                DeleteOutcome::Deleted(object) => {
                    response::deleted(&descriptor, &object, representation)
                }
                // 202 only where upstream gives it: a legacy request for
                // cascading deletion that could not finish at once.
                DeleteOutcome::Pending(object) => response::object(
                    if options.orphan_dependents == Some(false) {
                        StatusCode::ACCEPTED
                    } else {
                        StatusCode::OK
                    },
                    &object,
                    &descriptor,
                    representation,
                    include,
                    printer,
                ),
            };
            Ok(response::with_warnings(reply, &warnings))
        }
        Verb::DeleteCollection => {
            let read = ReadOptions::from_query(&query)?;
            let filter = filter(&store, namespace, None, &read)?;
            let raw_query = request.uri().query().map(str::to_owned);
            let content_type = body::content_type(request.headers());
            let bytes = body::read(request.into_body()).await?;
            let bytes = body::delete_options_json(bytes, &content_type)?;
            let write = options::delete_write_options(raw_query.as_deref(), &bytes)?;
            let options = DeleteOptions::from_request(&bytes, &query, write)?;
            let warnings = store.delete_warnings(&options);
            let deleted = store
                .delete_collection(namespace, &filter, &options)
                .await?;
            let page = ListPage {
                revision: 0,
                items: response::cached(deleted),
                continue_token: None,
                remaining: None,
            };
            let reply = response::list(&page, &descriptor, Representation::Json, include, printer);
            Ok(response::with_warnings(reply, &warnings))
        }
    }
}

/// A review (`TokenReview`, `SelfSubjectAccessReview`, …): answered, not
/// stored; 201 with the review and its status, as upstream.
async fn review(
    reviews: &Reviews,
    info: &RequestInfo,
    user: &UserInfo,
    descriptor: &ResourceDescriptor,
    request: Request<RequestBody>,
) -> Result<Response<ResponseBody>, ApiError> {
    let representation =
        negotiate::choose(request.headers())?.for_kind(&descriptor.api_version(), &descriptor.kind);
    // Reviews have no table or metadata form upstream either.
    if matches!(
        representation,
        Representation::Table(_) | Representation::Metadata(_)
    ) {
        return Err(ApiError::not_acceptable(
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        ));
    }
    let mut body = read_object(request).await?;
    if let Some(object) = body.as_object_mut() {
        object.insert("apiVersion".into(), descriptor.api_version().into());
        object.insert("kind".into(), descriptor.kind.clone().into());
    }
    if let Some(namespace) = &info.namespace {
        body["metadata"]["namespace"] = Value::String(namespace.clone());
    }
    let answer = reviews.answer(&descriptor.kind, info, user, body).await?;
    Ok(response::object(
        StatusCode::CREATED,
        &answer,
        descriptor,
        representation,
        IncludeObject::parse(None),
        None,
    ))
}

fn filter(
    store: &ResourceStore,
    namespace: Option<&str>,
    name: Option<&str>,
    options: &ReadOptions,
) -> Result<Filter, ApiError> {
    Filter::new(
        store.strategy.clone(),
        namespace,
        name,
        &options.label_selector,
        &options.field_selector,
    )
}

async fn read_object(request: Request<RequestBody>) -> Result<Value, ApiError> {
    let content_type = body::content_type(request.headers());
    let bytes = body::read(request.into_body()).await?;
    body::parse_object(&bytes, &content_type)
}

/// A PATCH body, read: the one place every PATCH, of an object or of a
/// subresource's view of one (`scale`), is parsed and applied.
pub(super) enum PatchDocument {
    Json(json_patch::Patch),
    Merge(Value),
}

impl PatchDocument {
    /// Reads a patch of media type `content_type`.
    pub(super) fn parse(content_type: &str, patch: &[u8]) -> Result<PatchDocument, ApiError> {
        Ok(match content_type {
            "application/json-patch+json" => PatchDocument::Json(
                serde_json::from_slice(patch)
                    .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?,
            ),
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                PatchDocument::Merge(
                    serde_json::from_slice(patch)
                        .map_err(|e| ApiError::bad_request(format!("invalid merge patch: {e}")))?,
                )
            }
            other => return Err(ApiError::unsupported_media_type(other)),
        })
    }

    /// `current` patched.
    pub(super) fn apply(&self, current: &Value) -> Result<Value, ApiError> {
        let mut patched = current.clone();
        match self {
            PatchDocument::Json(patch) => json_patch::patch(&mut patched, patch).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?,
            PatchDocument::Merge(patch) => json_patch::merge(&mut patched, patch),
        }
        Ok(patched)
    }
}
