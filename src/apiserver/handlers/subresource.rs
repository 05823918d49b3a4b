//! HTTP for the subresources that are not a part of their object —
//! `scale`, `pods/binding` (and the legacy `bindings`), `pods/eviction`,
//! `serviceaccounts/token`: read and check the body and the options, call
//! the registry's logic ([`crate::apiserver::registry::subresources`]),
//! answer in the representation asked for. Every one of them honours
//! `dryRun` and `fieldValidation`.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::negotiate::{self, Representation};
use super::options::{self, OptionsKind};
use super::resource::PatchDocument;
use super::{body, response};
use crate::apiserver::admission::namespace_lifecycle;
use crate::apiserver::http::{RequestBody, ResponseBody};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::kinds::typed::Typed;
use crate::apiserver::registry::resource::{GroupVersionKind, ResourceDescriptor, Verb};
use crate::apiserver::registry::store::{
    DeleteOptions, FieldValidation, Part, ResourceStore, WriteOptions,
};
use crate::apiserver::registry::strategy::{DefaultStrategy, Strategy};
use crate::apiserver::registry::subresources::{binding, eviction, scale, success, token_request};
use crate::apiserver::request::RequestInfo;
use crate::apiserver::request::query::{Query, ReadOptions};
use crate::apiserver::serviceaccount::ServiceAccountTokens;
use crate::apiserver::status::ApiError;
use crate::apiserver::table::IncludeObject;

/// What a subresource request is about.
pub struct SubresourceRequest<'a> {
    pub registry: &'a Registry,
    pub tokens: &'a ServiceAccountTokens,
    pub info: &'a RequestInfo,
    /// The parent resource's store.
    pub store: &'a Arc<ResourceStore>,
    pub namespace: Option<&'a str>,
    pub verb: Verb,
}

/// Serves `subresource` of the parent object, or says why not: 404 for a
/// subresource the resource does not have (or keelson does not serve),
/// 405 for a verb it does not take.
pub async fn serve(
    context: SubresourceRequest<'_>,
    subresource: &str,
    request: Request<RequestBody>,
) -> Result<Response<ResponseBody>, ApiError> {
    let descriptor = &context.store.descriptor;
    let declared = descriptor
        .subresource(subresource)
        .ok_or_else(ApiError::no_route)?;
    let served = matches!(
        (
            subresource,
            descriptor.group.as_str(),
            descriptor.plural.as_str()
        ),
        ("scale", _, _)
            | ("binding", "", "pods")
            | ("eviction", "", "pods")
            | ("token", "", "serviceaccounts")
    );
    if !served {
        return Err(ApiError::no_route());
    }
    if !declared.verbs.contains(&context.verb) {
        return Err(ApiError::method_not_allowed());
    }
    let name = context
        .info
        .name
        .as_deref()
        .ok_or_else(ApiError::no_route)?;
    namespace_lifecycle::admit(context.registry, context.info, None).await?;
    let answer = Answer::new(&request, descriptor, &declared.kind)?;
    match subresource {
        "scale" => serve_scale(&context, name, request, &answer).await,
        "binding" => {
            let options = options::write_options(request.uri().query(), OptionsKind::Create)?;
            let (binding, warnings) = read_body::<k8s_openapi::api::core::v1::Binding>(
                request,
                &[("v1", "Binding")],
                options.field_validation,
            )
            .await?;
            if binding.name() != Some(name) {
                return Err(ApiError::bad_request(
                    "name in URL does not match name in Binding object",
                ));
            }
            let namespace = context.namespace.ok_or_else(ApiError::no_route)?;
            bind(
                context.store,
                namespace,
                name,
                binding,
                &options,
                &answer,
                warnings,
            )
            .await
        }
        "eviction" => serve_eviction(&context, name, request, &answer).await,
        _ => serve_token(&context, name, request, &answer).await,
    }
}

/// `POST /api/v1/namespaces/<ns>/bindings`: a Binding naming its pod.
pub async fn serve_legacy_binding(
    registry: &Registry,
    info: &RequestInfo,
    namespace: &str,
    request: Request<RequestBody>,
) -> Result<Response<ResponseBody>, ApiError> {
    let pods = registry
        .get("", "v1", "pods")
        .ok_or_else(ApiError::no_route)?;
    let options = options::write_options(request.uri().query(), OptionsKind::Create)?;
    let answer = Answer::new(
        &request,
        &pods.descriptor,
        &GroupVersionKind::new("", "v1", "Binding"),
    )?;
    let (binding, warnings) = read_body::<k8s_openapi::api::core::v1::Binding>(
        request,
        &[("v1", "Binding")],
        options.field_validation,
    )
    .await?;
    let name = binding
        .name()
        .ok_or_else(|| ApiError::bad_request("Name parameter required."))?
        .to_owned();
    namespace_lifecycle::admit(registry, info, Some(&name)).await?;
    bind(
        &pods, namespace, &name, binding, &options, &answer, warnings,
    )
    .await
}

/// How to encode answers: the representation the client asked for, for
/// the subresource's kind.
struct Answer {
    representation: Representation,
    include: IncludeObject,
    /// The parent's description with the subresource's kind, for Table
    /// output.
    descriptor: ResourceDescriptor,
}

impl Answer {
    fn new(
        request: &Request<RequestBody>,
        parent: &ResourceDescriptor,
        kind: &GroupVersionKind,
    ) -> Result<Answer, ApiError> {
        let representation =
            negotiate::choose(request.headers())?.for_kind(&kind.api_version(), &kind.kind);
        let mut descriptor = parent.clone();
        descriptor.group = kind.group.clone();
        descriptor.version = kind.version.clone();
        descriptor.kind = kind.kind.clone();
        Ok(Answer {
            representation,
            include: IncludeObject::parse(Query::parse(request.uri().query()).get("includeObject")),
            descriptor,
        })
    }

    fn object(
        &self,
        code: StatusCode,
        object: &Value,
        warnings: &[String],
    ) -> Response<ResponseBody> {
        let reply = response::object(
            code,
            object,
            &self.descriptor,
            self.representation,
            self.include,
            None,
        );
        response::with_warnings(reply, warnings)
    }

    fn status(
        &self,
        code: StatusCode,
        status: &Value,
        warnings: &[String],
    ) -> Response<ResponseBody> {
        response::with_warnings(
            response::status(code, status, self.representation),
            warnings,
        )
    }
}

/// Reads a subresource's body of kind `K`, given in one of the `accepted`
/// apiVersion/kind pairs (the first is assumed when the body names none),
/// into `K`'s schema; unknown fields per `validation`.
async fn read_body<K>(
    request: Request<RequestBody>,
    accepted: &[(&str, &str)],
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), ApiError>
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize + 'static,
{
    normalize::<K>(parse_body(request).await?, accepted, validation)
}

/// The body as JSON, whatever it was sent as.
async fn parse_body(request: Request<RequestBody>) -> Result<Value, ApiError> {
    let content_type = body::content_type(request.headers());
    let bytes = body::read(request.into_body()).await?;
    body::parse_object(&bytes, &content_type)
}

/// `value` checked against the `accepted` apiVersion/kind pairs and read
/// into `K`'s schema.
fn normalize<K>(
    mut value: Value,
    accepted: &[(&str, &str)],
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), ApiError>
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize + 'static,
{
    let (expected_version, expected_kind) = accepted[0];
    let version = value.api_version().unwrap_or(expected_version).to_owned();
    if !accepted.iter().any(|(v, _)| *v == version) {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({version}) does not match the expected API version ({expected_version})"
        )));
    }
    let kind = value.kind().unwrap_or(expected_kind).to_owned();
    if kind != expected_kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({expected_kind})"
        )));
    }
    // Other accepted versions have the same schema (policy/v1beta1
    // Eviction): read them as the one `K` is.
    value["apiVersion"] = Value::String(K::API_VERSION.into());
    value["kind"] = Value::String(K::KIND.into());
    let normalized = Typed::<K, DefaultStrategy>::new(DefaultStrategy)
        .normalize(value)
        .map_err(ApiError::bad_request)?;
    let warnings = validation.check(&normalized.unknown_fields, K::KIND, K::VERSION)?;
    Ok((normalized.object, warnings))
}

/// The namespace rules of a subresource body: the request's, or 400.
fn settle_namespace(object: &mut Value, namespace: Option<&str>) -> Result<(), ApiError> {
    let Some(namespace) = namespace else {
        return Ok(());
    };
    match object.namespace() {
        Some(given) if given != namespace => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        Some(_) => Ok(()),
        None => {
            object.set_meta("namespace", namespace);
            Ok(())
        }
    }
}

type ScaleV1 = k8s_openapi::api::autoscaling::v1::Scale;
type TokenRequest = k8s_openapi::api::authentication::v1::TokenRequest;

async fn serve_scale(
    context: &SubresourceRequest<'_>,
    name: &str,
    request: Request<RequestBody>,
    answer: &Answer,
) -> Result<Response<ResponseBody>, ApiError> {
    let store = context.store;
    let descriptor = &store.descriptor;
    let paths = store.strategy.replica_paths();
    let namespace = context.namespace;
    let accepted = [("autoscaling/v1", "Scale")];
    let (object, warnings) = match context.verb {
        Verb::Get => {
            let read = ReadOptions::from_query(&Query::parse(request.uri().query()))?;
            let found = store
                .get(namespace, name, read.resource_version.as_deref())
                .await?;
            (found.object.clone(), Vec::new())
        }
        Verb::Update => {
            let options = options::write_options(request.uri().query(), OptionsKind::Update)?;
            let (mut scale, warnings) =
                read_body::<ScaleV1>(request, &accepted, options.field_validation).await?;
            if scale.name() != Some(name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    scale.name().unwrap_or_default()
                )));
            }
            settle_namespace(&mut scale, namespace)?;
            let updated = store
                .guaranteed_update(namespace, name, Part::Main, &options, |current| {
                    scale::apply_scale(descriptor, paths, current, &scale)
                })
                .await?;
            (updated, warnings)
        }
        _ => {
            let options = options::write_options(request.uri().query(), OptionsKind::Patch)?;
            let content_type = body::content_type(request.headers());
            let patch = body::read(request.into_body()).await?;
            let document = PatchDocument::parse(&content_type, &patch)?;
            let mut warnings = Vec::new();
            let updated = store
                .guaranteed_update(namespace, name, Part::Main, &options, |current| {
                    let patched = document.apply(&scale::scale_of(descriptor, paths, current))?;
                    let (scale, unknown) =
                        normalize::<ScaleV1>(patched, &accepted, options.field_validation)?;
                    warnings = unknown;
                    scale::apply_scale(descriptor, paths, current, &scale)
                })
                .await?;
            (updated, warnings)
        }
    };
    Ok(answer.object(
        StatusCode::OK,
        &scale::scale_of(descriptor, paths, &object),
        &warnings,
    ))
}

async fn bind(
    pods: &ResourceStore,
    namespace: &str,
    name: &str,
    mut binding: Value,
    options: &WriteOptions,
    answer: &Answer,
    warnings: Vec<String>,
) -> Result<Response<ResponseBody>, ApiError> {
    settle_namespace(&mut binding, Some(namespace))?;
    binding::bind(pods, namespace, name, &binding, options.dry_run).await?;
    Ok(answer.status(StatusCode::CREATED, &success(), &warnings))
}

async fn serve_eviction(
    context: &SubresourceRequest<'_>,
    name: &str,
    request: Request<RequestBody>,
    answer: &Answer,
) -> Result<Response<ResponseBody>, ApiError> {
    let write = options::write_options(request.uri().query(), OptionsKind::Create)?;
    let (mut eviction, warnings) = read_body::<k8s_openapi::api::policy::v1::Eviction>(
        request,
        &[("policy/v1", "Eviction"), ("policy/v1beta1", "Eviction")],
        write.field_validation,
    )
    .await?;
    if eviction.name() != Some(name) {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    settle_namespace(&mut eviction, context.namespace)?;
    let namespace = context.namespace.ok_or_else(ApiError::no_route)?;

    // The eviction's DeleteOptions, with the request's dry run pushed into
    // them (upstream's propagateDryRun).
    let delete_body = match eviction.get("deleteOptions") {
        Some(options) if options.is_object() => serde_json::to_vec(options).unwrap_or_default(),
        _ => Vec::new(),
    };
    let requested = write.dry_run;
    let written = options::delete_write_options(None, &delete_body)?;
    let body_dry_run: Vec<String> = eviction
        .pointer("/deleteOptions/dryRun")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let query_dry_run: Vec<String> = if requested {
        vec!["All".into()]
    } else {
        Vec::new()
    };
    if !body_dry_run.is_empty() && requested && body_dry_run != query_dry_run {
        return Err(ApiError::bad_request(format!(
            "Non-matching dry-run options in request and content: [{}] and [{}]",
            query_dry_run.join(" "),
            body_dry_run.join(" ")
        )));
    }
    let options = DeleteOptions::from_request(
        &delete_body,
        &Query::default(),
        WriteOptions {
            dry_run: requested || written.dry_run,
            ..Default::default()
        },
    )?;
    match eviction::evict(context.registry, namespace, name, options).await? {
        eviction::Evicted::Deleted => Ok(answer.status(StatusCode::CREATED, &success(), &warnings)),
        eviction::Evicted::TooManyBudgets => {
            let status = json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": eviction::TOO_MANY_BUDGETS,
                "code": 500,
            });
            Ok(answer.status(StatusCode::INTERNAL_SERVER_ERROR, &status, &warnings))
        }
    }
}

async fn serve_token(
    context: &SubresourceRequest<'_>,
    name: &str,
    request: Request<RequestBody>,
    answer: &Answer,
) -> Result<Response<ResponseBody>, ApiError> {
    let options = options::write_options(request.uri().query(), OptionsKind::Create)?;
    let mut body = parse_body(request).await?;
    // The status is the server's to fill in (Go clients send an empty one,
    // whose required timestamp the schema would refuse).
    if let Some(map) = body.as_object_mut() {
        map.remove("status");
    }
    let (token_request, warnings) = normalize::<TokenRequest>(
        body,
        &[("authentication.k8s.io/v1", "TokenRequest")],
        options.field_validation,
    )?;
    let namespace = context.namespace.ok_or_else(ApiError::no_route)?;
    let issued = token_request::request_token(
        context.registry,
        context.tokens,
        namespace,
        name,
        &token_request,
    )
    .await?;
    Ok(answer.object(StatusCode::CREATED, &issued, &warnings))
}
