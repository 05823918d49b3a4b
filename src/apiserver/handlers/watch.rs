//! Watch responses: one JSON object per line,
//! `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK","object":…}` (or, for
//! protobuf clients, length-prefixed `WatchEvent` messages), streamed until
//! the client goes, the timeout passes or the cache ends the watch.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use serde_json::{Value, json};

use super::negotiate::Representation;
use crate::apiserver::http::ResponseBody;
use crate::apiserver::lifecycle::Lifecycle;
use crate::apiserver::protobuf;
use crate::apiserver::registry::cache::{CacheWatch, EventType, WatchItem};
use crate::apiserver::registry::resource::ResourceDescriptor;
use crate::apiserver::table::{self, IncludeObject, Printer};

/// The annotation on the bookmark that ends a WatchList's initial events.
pub const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

fn event_type(kind: EventType) -> &'static str {
    match kind {
        EventType::Added => "ADDED",
        EventType::Modified => "MODIFIED",
        EventType::Deleted => "DELETED",
    }
}

fn line(event: &str, object: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(object.len() + 32);
    out.put_slice(b"{\"type\":\"");
    out.put_slice(event.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(object);
    out.put_slice(b"}\n");
    out.freeze()
}

/// One event in the representation the client negotiated.
fn event(event: &str, object: &Value, json: &[u8], representation: Representation) -> Bytes {
    if representation == Representation::Protobuf {
        match protobuf::encode_watch_event(event, object) {
            Ok(frame) => return Bytes::from(frame),
            Err(e) => tracing::warn!("encoding a watch event as protobuf: {e}"),
        }
    }
    line(event, json)
}

fn encode(
    item: &WatchItem,
    descriptor: &ResourceDescriptor,
    representation: Representation,
    printer: Option<&dyn Printer>,
) -> Bytes {
    match item {
        WatchItem::Event { kind, object } => match representation {
            Representation::Table(version) => {
                let metadata = json!({ "resourceVersion": object.revision.to_string() });
                let t = super::response::with_printer(descriptor, printer, |p| {
                    table::table(
                        p,
                        &[&object.object],
                        metadata,
                        IncludeObject::Metadata,
                        version,
                    )
                });
                line(
                    event_type(*kind),
                    &serde_json::to_vec(&t).unwrap_or_default(),
                )
            }
            Representation::Metadata(version) => {
                let partial = table::partial_metadata(&object.object, version);
                line(
                    event_type(*kind),
                    &serde_json::to_vec(&partial).unwrap_or_default(),
                )
            }
            _ => event(
                event_type(*kind),
                &object.object,
                &object.json,
                representation,
            ),
        },
        WatchItem::Bookmark {
            revision,
            initial_events_end,
        } => {
            let (kind, api_version) = match representation {
                Representation::Metadata(version) => (
                    "PartialObjectMetadata".to_owned(),
                    format!("meta.k8s.io/{version}"),
                ),
                _ => (descriptor.kind.clone(), descriptor.api_version()),
            };
            let mut object: Value = json!({
                "kind": kind,
                "apiVersion": api_version,
                "metadata": { "resourceVersion": revision.to_string() },
            });
            if *initial_events_end {
                object["metadata"]["annotations"] = json!({ INITIAL_EVENTS_END: "true" });
            }
            event(
                "BOOKMARK",
                &object,
                &serde_json::to_vec(&object).unwrap_or_default(),
                representation,
            )
        }
    }
}

/// The streaming response of a watch. It ends after `timeout`, or when the
/// server starts shutting down (so that shutdown need not wait for it).
pub fn response(
    watch: CacheWatch,
    descriptor: Arc<ResourceDescriptor>,
    representation: Representation,
    timeout: Duration,
    lifecycle: Lifecycle,
    printer: Option<Box<dyn Printer>>,
) -> Response<ResponseBody> {
    let end = async move {
        tokio::select! {
            _ = tokio::time::sleep(timeout) => {}
            _ = lifecycle.shutdown_started() => {}
        }
    };
    let content_type = if representation == Representation::Protobuf {
        protobuf::WATCH_CONTENT_TYPE
    } else {
        "application/json"
    };
    let frames = watch
        .map(move |item| {
            Ok(Frame::data(encode(
                &item,
                &descriptor,
                representation,
                printer.as_deref(),
            )))
        })
        .take_until(Box::pin(end));
    let body = StreamBody::new(frames).boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    response
}

/// A watch that fails at once: one ERROR event carrying the Status.
pub fn error_response(error: &crate::apiserver::status::ApiError) -> Response<ResponseBody> {
    let event = line(
        "ERROR",
        &serde_json::to_vec(&error.to_status()).unwrap_or_default(),
    );
    super::response::bytes(StatusCode::OK, "application/json", event)
}
