//! Serving the documents as kube-apiserver's OpenAPI handlers do:
//!
//! * `/openapi/v2`: JSON or gnostic protobuf by `Accept` (406 otherwise),
//!   `ETag` (the JSON's hash, for both), `Vary: Accept`;
//! * `/openapi/v3`: the index, with its `ETag`;
//! * `/openapi/v3/<key>`: one document (JSON); with `?hash=` equal to its
//!   hash the answer may be cached for good (`Cache-Control: public,
//!   immutable`, `Expires` a year out), with a stale hash it is a 301 to
//!   the current URL;
//! * `If-None-Match` naming the current `ETag` gets 304 Not Modified.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use jiff::{Timestamp, ToSpan, tz::TimeZone};

use super::builder_thread;
use super::documents::{Built, v3_url};
use super::service::{Generation, OpenApi};
use crate::apiserver::accept;
use crate::apiserver::http::{ResponseBody, empty, full};
use crate::apiserver::registry::catalog::Catalog;
use crate::apiserver::status::ApiError;

const JSON: &str = "application/json";
/// The protobuf type client-go asks for, and the one upstream answers with.
const PROTOBUF_DEPRECATED: &str = "com.github.proto-openapi.spec.v2@v1.0+protobuf";
const PROTOBUF: &str = "com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Which representation of a document to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Representation {
    Json,
    Protobuf,
}

/// The first acceptable of `offered` (`application/<subtype>`), in the
/// client's order of preference.
fn negotiate(headers: &HeaderMap, offered: &[(&str, Representation)]) -> Option<Representation> {
    let header = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("*/*");
    let mut ranges = accept::parse(header);
    ranges.retain(|r| r.q > 0.0);
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then((a.kind == "*").cmp(&(b.kind == "*")))
            .then((a.subtype == "*").cmp(&(b.subtype == "*")))
            .then(a.position.cmp(&b.position))
    });
    ranges.iter().find_map(|range| {
        offered
            .iter()
            .find(|(subtype, _)| {
                (range.kind == "application" || range.kind == "*")
                    && (range.subtype == *subtype || range.subtype == "*")
            })
            .map(|(_, representation)| *representation)
    })
}

/// An HTTP date (`Last-Modified`, `Expires`).
fn http_date(at: Timestamp) -> String {
    at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == etag)
}

/// How a request asked for a document: its headers, and whether it is a
/// HEAD (which gets the headers only).
struct Asked<'a> {
    headers: &'a HeaderMap,
    head: bool,
}

/// A document answer: 200 with the bytes, or 304 when the client has them.
fn document(
    asked: &Asked<'_>,
    content_type: &str,
    bytes: Bytes,
    etag: &str,
    since: Timestamp,
    mut headers: HeaderMap,
) -> Response<ResponseBody> {
    headers.insert(header::ETAG, header_value(&format!("\"{etag}\"")));
    headers.insert(header::LAST_MODIFIED, header_value(&http_date(since)));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache, private"));
    let mut response = if not_modified(asked.headers, etag) {
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        headers.insert(header::CONTENT_TYPE, header_value(content_type));
        Response::new(if asked.head { empty() } else { full(bytes) })
    };
    response.headers_mut().extend(headers);
    response
}

fn not_acceptable() -> Response<ResponseBody> {
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::NOT_ACCEPTABLE;
    response
}

fn vary_accept() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers
}

/// `/openapi/v2`.
fn serve_v2(generation: &Generation, asked: &Asked<'_>) -> Response<ResponseBody> {
    let offered = [
        ("json", Representation::Json),
        (PROTOBUF_DEPRECATED, Representation::Protobuf),
        (PROTOBUF, Representation::Protobuf),
    ];
    let Some(representation) = negotiate(asked.headers, &offered) else {
        let mut response = not_acceptable();
        response.headers_mut().extend(vary_accept());
        return response;
    };
    let v2 = generation.v2();
    let (content_type, bytes) = match representation {
        Representation::Json => (JSON.to_owned(), v2.json.bytes.clone()),
        Representation::Protobuf => (format!("application/{PROTOBUF}"), v2.protobuf.clone()),
    };
    document(
        asked,
        &content_type,
        bytes,
        &v2.json.etag,
        generation.since,
        vary_accept(),
    )
}

/// `/openapi/v3`.
fn serve_v3_index(generation: &Generation, asked: &Asked<'_>) -> Response<ResponseBody> {
    let index = &generation.v3().index;
    document(
        asked,
        JSON,
        index.bytes.clone(),
        &index.etag,
        generation.since,
        HeaderMap::new(),
    )
}

/// `/openapi/v3/<key>`.
fn serve_v3_document(
    generation: &Generation,
    key: &str,
    hash: Option<&str>,
    asked: &Asked<'_>,
) -> Response<ResponseBody> {
    let Some(built): Option<&Built> = generation.v3().documents.get(key) else {
        return ApiError::no_route().into_response();
    };
    if negotiate(asked.headers, &[("json", Representation::Json)]).is_none() {
        let mut response = not_acceptable();
        response.headers_mut().extend(vary_accept());
        return response;
    }
    let mut extra = vary_accept();
    if let Some(hash) = hash {
        if hash != built.etag {
            let location = v3_url(key, &built.etag);
            let mut response = Response::new(full(format!(
                "<a href=\"{location}\">Moved Permanently</a>.\n\n"
            )));
            *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
            let out = response.headers_mut();
            out.extend(extra);
            out.insert(header::LOCATION, header_value(&location));
            out.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            out.insert(header::ETAG, header_value(&format!("\"{}\"", built.etag)));
            return response;
        }
        extra.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, immutable"),
        );
        let expires = Timestamp::now()
            .to_zoned(TimeZone::UTC)
            .saturating_add(1.year())
            .timestamp();
        extra.insert(header::EXPIRES, header_value(&http_date(expires)));
    }
    document(
        asked,
        JSON,
        built.bytes.clone(),
        &built.etag,
        generation.since,
        extra,
    )
}

/// The `hash` query parameter.
fn hash_parameter(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "hash")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Serves `/openapi/v2`, `/openapi/v3` and below; `None` for other paths.
pub async fn serve(
    openapi: &OpenApi,
    catalog: &Catalog,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response<ResponseBody>> {
    enum Target {
        V2,
        V3Index,
        V3(String),
    }
    let path = uri.path();
    let target = match path {
        "/openapi/v2" => Target::V2,
        "/openapi/v3" => Target::V3Index,
        _ => Target::V3(path.strip_prefix("/openapi/v3/")?.to_owned()),
    };
    if method != Method::GET && method != Method::HEAD {
        return Some(ApiError::method_not_allowed().into_response());
    }
    let generation = openapi.generation(catalog);
    let v2 = matches!(target, Target::V2);
    if !generation.built(v2) {
        let building = generation.clone();
        let built = builder_thread::run(move || {
            if v2 {
                building.v2();
            } else {
                building.v3();
            }
        })
        .await;
        if built.is_none() {
            return Some(
                ApiError::internal("building the OpenAPI documents failed").into_response(),
            );
        }
    }
    let asked = Asked {
        headers,
        head: method == Method::HEAD,
    };
    Some(match target {
        Target::V2 => serve_v2(&generation, &asked),
        Target::V3Index => serve_v3_index(&generation, &asked),
        Target::V3(key) => serve_v3_document(
            &generation,
            &key,
            hash_parameter(uri.query()).as_deref(),
            &asked,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    const V2: [(&str, Representation); 3] = [
        ("json", Representation::Json),
        (PROTOBUF_DEPRECATED, Representation::Protobuf),
        (PROTOBUF, Representation::Protobuf),
    ];

    #[test]
    fn negotiation_follows_the_clients_preference() {
        assert_eq!(
            negotiate(&HeaderMap::new(), &V2),
            Some(Representation::Json)
        );
        assert_eq!(
            negotiate(
                &accept("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"),
                &V2
            ),
            Some(Representation::Protobuf)
        );
        assert_eq!(
            negotiate(
                &accept(
                    "application/json;q=0.5, application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
                ),
                &V2
            ),
            Some(Representation::Protobuf)
        );
        assert_eq!(
            negotiate(&accept("application/*"), &V2),
            Some(Representation::Json)
        );
        assert_eq!(negotiate(&accept("text/html"), &V2), None);
    }

    #[test]
    fn if_none_match_lists() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"B\""),
        );
        assert!(not_modified(&headers, "B"));
        assert!(!not_modified(&headers, "C"));
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(Timestamp::from_second(0).unwrap()),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
