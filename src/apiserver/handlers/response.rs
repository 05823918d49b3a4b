//! Encoding answers: one object, a list or a deletion's `Status`, in the
//! representation the client negotiated, with `Warning` headers.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use super::negotiate::Representation;
use crate::apiserver::http::{ResponseBody, full};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::protobuf;
use crate::apiserver::registry::cache::CachedObject;
use crate::apiserver::registry::resource::ResourceDescriptor;
use crate::apiserver::registry::store::{ListPage, Written};
use crate::apiserver::status::ApiError;
use crate::apiserver::table::{self, IncludeObject, Printer};

/// A response with `body` of `content_type`.
pub fn bytes(
    code: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Adds `Warning: 299 - "<text>"` headers, as upstream sends them.
pub fn with_warnings(
    mut response: Response<ResponseBody>,
    warnings: &[String],
) -> Response<ResponseBody> {
    for warning in warnings {
        let escaped = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

fn encode(
    code: StatusCode,
    value: &Value,
    representation: Representation,
) -> Response<ResponseBody> {
    match representation {
        Representation::Yaml => match serde_yaml::to_string(value) {
            Ok(yaml) => bytes(code, "application/yaml", yaml),
            Err(e) => ApiError::internal(format!("encoding YAML: {e}")).into_response(),
        },
        Representation::Protobuf => match protobuf::encode(value) {
            Ok(encoded) => bytes(code, protobuf::CONTENT_TYPE, encoded),
            // A kind without a message: JSON, which protobuf clients accept.
            Err(protobuf::ProtobufError::UnknownKind { .. }) => {
                encode(code, value, Representation::Json)
            }
            Err(e) => ApiError::internal(format!("encoding protobuf: {e}")).into_response(),
        },
        _ => bytes(
            code,
            "application/json",
            serde_json::to_vec(value).unwrap_or_default(),
        ),
    }
}

/// The answer to an update or patch: 201 if it created the object, else
/// 200, with the write's warnings.
pub fn written(
    written: &Written,
    descriptor: &ResourceDescriptor,
    representation: Representation,
    include: IncludeObject,
    printer: Option<&dyn Printer>,
) -> Response<ResponseBody> {
    let code = if written.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let reply = object(
        code,
        &written.object,
        descriptor,
        representation,
        include,
        printer,
    );
    with_warnings(reply, &written.warnings)
}

/// How a response describes a list: `resourceVersion`, `continue`,
/// `remainingItemCount`.
fn list_metadata(page: &ListPage) -> Value {
    let mut metadata = json!({ "resourceVersion": page.revision.to_string() });
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    metadata
}

/// Runs `with` on the printer of a resource's tables: `custom` (a custom
/// resource's columns), else the built-in one of its kind.
pub fn with_printer<T>(
    descriptor: &ResourceDescriptor,
    custom: Option<&dyn Printer>,
    with: impl FnOnce(&dyn Printer) -> T,
) -> T {
    match custom {
        Some(printer) => with(printer),
        None => with(&*table::printer_for(&descriptor.group, &descriptor.kind)),
    }
}

/// One object (`printer`: the resource's own table printer, if any).
pub fn object(
    code: StatusCode,
    object: &Value,
    descriptor: &ResourceDescriptor,
    representation: Representation,
    include: IncludeObject,
    printer: Option<&dyn Printer>,
) -> Response<ResponseBody> {
    match representation {
        Representation::Table(version) => {
            let metadata =
                json!({ "resourceVersion": object.resource_version().unwrap_or_default() });
            let table = with_printer(descriptor, printer, |p| {
                table::table(p, &[object], metadata, include, version)
            });
            encode(code, &table, Representation::Json)
        }
        Representation::Metadata(version) => encode(
            code,
            &table::partial_metadata(object, version),
            Representation::Json,
        ),
        other => encode(code, object, other),
    }
}

/// A list page.
pub fn list(
    page: &ListPage,
    descriptor: &ResourceDescriptor,
    representation: Representation,
    include: IncludeObject,
    printer: Option<&dyn Printer>,
) -> Response<ResponseBody> {
    let objects = || -> Vec<&Value> { page.items.iter().map(|o| &o.object).collect() };
    match representation {
        Representation::Table(version) => {
            let table = with_printer(descriptor, printer, |p| {
                table::table(p, &objects(), list_metadata(page), include, version)
            });
            encode(StatusCode::OK, &table, Representation::Json)
        }
        Representation::Metadata(version) => {
            let items: Vec<Value> = objects()
                .into_iter()
                .map(|o| table::partial_metadata(o, version))
                .collect();
            let list = json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("meta.k8s.io/{version}"),
                "metadata": list_metadata(page),
                "items": items,
            });
            encode(StatusCode::OK, &list, Representation::Json)
        }
        Representation::Yaml | Representation::Protobuf => {
            let items: Vec<Value> = objects().into_iter().cloned().collect();
            encode(
                StatusCode::OK,
                &list_value(descriptor, list_metadata(page), items),
                representation,
            )
        }
        Representation::Json => {
            // Items were serialized when they entered the cache (or were
            // read); splice those bytes instead of serializing again.
            let head = json!({
                "kind": format!("{}List", descriptor.kind),
                "apiVersion": descriptor.api_version(),
                "metadata": list_metadata(page),
            });
            let head = serde_json::to_vec(&head).unwrap_or_default();
            let size: usize = page.items.iter().map(|o| o.json.len() + 1).sum();
            let mut body = BytesMut::with_capacity(head.len() + size + 16);
            body.put_slice(&head[..head.len() - 1]);
            body.put_slice(b",\"items\":[");
            for (i, item) in page.items.iter().enumerate() {
                if i > 0 {
                    body.put_u8(b',');
                }
                body.put_slice(&item.json);
            }
            body.put_slice(b"]}");
            bytes(StatusCode::OK, "application/json", body.freeze())
        }
    }
}

/// A `<Kind>List` of `items`.
pub fn list_value(descriptor: &ResourceDescriptor, metadata: Value, items: Vec<Value>) -> Value {
    json!({
        "kind": format!("{}List", descriptor.kind),
        "apiVersion": descriptor.api_version(),
        "metadata": metadata,
        "items": items,
    })
}

/// The `Status` upstream answers an immediate deletion with.
pub fn deleted(
    descriptor: &ResourceDescriptor,
    object: &Value,
    representation: Representation,
) -> Response<ResponseBody> {
    let status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": object.name().unwrap_or_default(),
            "group": descriptor.group,
            "kind": descriptor.plural,
            "uid": object.uid().unwrap_or_default(),
        },
    });
    let representation = match representation {
        Representation::Protobuf => Representation::Protobuf,
        _ => Representation::Json,
    };
    encode(StatusCode::OK, &status, representation)
}

/// A `Status` object a handler answers with (a subresource's success or
/// refusal), as JSON or, for protobuf clients, protobuf.
pub fn status(
    code: StatusCode,
    status: &Value,
    representation: Representation,
) -> Response<ResponseBody> {
    let representation = match representation {
        Representation::Protobuf => Representation::Protobuf,
        _ => Representation::Json,
    };
    encode(code, status, representation)
}

/// Items as cached objects, for encoders that take them.
pub fn cached(values: Vec<Value>) -> Vec<Arc<CachedObject>> {
    values
        .into_iter()
        .map(|v| Arc::new(CachedObject::new(String::new(), v, 0)))
        .collect()
}

/// An error as a protobuf `Status`, for clients that read only protobuf.
pub fn error_as_protobuf(error: ApiError) -> Response<ResponseBody> {
    let mut response = encode(error.code, &error.to_status(), Representation::Protobuf);
    if let Some(seconds) = error.retry_after_seconds() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
