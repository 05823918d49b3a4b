//! Resource requests: find the resource's store, check the verb and scope,
//! admit, call the store, encode the answer.

use std::time::Duration;

use http::{Request, Response, StatusCode};
use serde_json::Value;

use super::negotiate::{self, Representation};
use super::{body, patch, response, watch};
use crate::apiserver::admission::namespace_lifecycle;
use crate::apiserver::http::{RequestBody, ResponseBody};
use crate::apiserver::lifecycle::Lifecycle;
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::resource::Verb;
use crate::apiserver::registry::store::{
    DeleteOptions, DeleteOutcome, FieldValidation, ListPage, Part, ResourceStore, WriteOptions,
};
use crate::apiserver::request::RequestInfo;
use crate::apiserver::request::query::{Query, ReadOptions};
use crate::apiserver::status::ApiError;
use crate::apiserver::table::IncludeObject;

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

fn write_options(query: &Query) -> Result<WriteOptions, ApiError> {
    let dry_run = match query.get("dryRun") {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid dry run value: {other:?}; supported values: \"All\""
            )));
        }
    };
    Ok(WriteOptions {
        dry_run,
        field_validation: FieldValidation::parse(query.get("fieldValidation"))?,
        field_manager: query.get("fieldManager").map(Into::into),
        managed_fields: Default::default(),
    })
}

/// Serves one resource request.
pub async fn serve(
    registry: &Registry,
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
        None => {
            if !descriptor.supports(verb) {
                return Err(ApiError::method_not_allowed());
            }
            Part::Main
        }
        Some("status") if descriptor.subresource("status").is_some() => {
            if !matches!(verb, Verb::Get | Verb::Update | Verb::Patch) {
                return Err(ApiError::method_not_allowed());
            }
            Part::Status
        }
        Some(_) => return Err(ApiError::no_route()),
    };
    if verb != Verb::Create {
        namespace_lifecycle::admit(registry, info, None).await?;
    }

    let query = Query::parse(request.uri().query());
    let representation =
        negotiate::choose(request.headers())?.for_kind(&descriptor.api_version(), &descriptor.kind);
    let include = IncludeObject::parse(query.get("includeObject"));
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
            ))
        }
        Verb::List => {
            let options = ReadOptions::from_query(&query)?;
            let filter = filter(&store, namespace, None, &options)?;
            let page = store.list(namespace, &options, &filter).await?;
            Ok(response::list(&page, &descriptor, representation, include))
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
                )),
                // Upstream starts the stream and reports an expired
                // resourceVersion as its one ERROR event; clients re-list.
                Err(error) if error.code == StatusCode::GONE => Ok(watch::error_response(&error)),
                Err(error) => Err(error),
            }
        }
        Verb::Create => {
            let mut options = write_options(&query)?;
            let agent = patch::user_agent(&request);
            patch::track_update("CreateOptions", &query, agent.as_deref(), &mut options)?;
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
            );
            Ok(response::with_warnings(reply, &written.warnings))
        }
        Verb::Update => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let mut options = write_options(&query)?;
            let agent = patch::user_agent(&request);
            patch::track_update("UpdateOptions", &query, agent.as_deref(), &mut options)?;
            let object = read_object(request).await?;
            let written = store
                .update(namespace, name, object, part, &options)
                .await?;
            let code = if written.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let reply =
                response::object(code, &written.object, &descriptor, representation, include);
            Ok(response::with_warnings(reply, &written.warnings))
        }
        Verb::Patch => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let options = write_options(&query)?;
            let target = patch::Target {
                store: &store,
                namespace,
                name,
                part,
            };
            let written = patch::patch(registry, info, target, &query, options, request).await?;
            let code = if written.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let reply =
                response::object(code, &written.object, &descriptor, representation, include);
            Ok(response::with_warnings(reply, &written.warnings))
        }
        Verb::Delete => {
            let name = name.ok_or_else(ApiError::no_route)?;
            let write = write_options(&query)?;
            let content_type = body::content_type(request.headers());
            let bytes = body::read(request.into_body()).await?;
            let bytes = body::delete_options_json(bytes, &content_type)?;
            let options = DeleteOptions::from_body(&bytes, write)?;
            match store.delete(namespace, name, &options).await? {
                DeleteOutcome::Deleted(object) => {
                    Ok(response::deleted(&descriptor, &object, representation))
                }
                DeleteOutcome::Pending(object) => Ok(response::object(
                    StatusCode::OK,
                    &object,
                    &descriptor,
                    representation,
                    include,
                )),
            }
        }
        Verb::DeleteCollection => {
            let read = ReadOptions::from_query(&query)?;
            let filter = filter(&store, namespace, None, &read)?;
            let write = write_options(&query)?;
            let content_type = body::content_type(request.headers());
            let bytes = body::read(request.into_body()).await?;
            let bytes = body::delete_options_json(bytes, &content_type)?;
            let options = DeleteOptions::from_body(&bytes, write)?;
            let deleted = store
                .delete_collection(namespace, &filter, &options)
                .await?;
            let page = ListPage {
                revision: 0,
                items: response::cached(deleted),
                continue_token: None,
                remaining: None,
            };
            Ok(response::list(
                &page,
                &descriptor,
                Representation::Json,
                include,
            ))
        }
    }
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
