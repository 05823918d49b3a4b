//! API discovery: how clients learn which groups, versions and resources
//! the server has.
//!
//! * `/api` — `APIVersions`, or the core group's aggregated document;
//! * `/api/v1` — the core `APIResourceList` (subresources as `pods/status`);
//! * `/apis` — `APIGroupList`, or every named group's aggregated document;
//! * `/apis/<group>` — `APIGroup`;
//! * `/apis/<group>/<version>` — that version's `APIResourceList`.
//!
//! Everything here is a pure function of a [`CatalogSnapshot`] and the
//! request; [`serve`] is the one entry point the router needs. The
//! documents are built by [`legacy`] and [`aggregated`]; [`negotiate`]
//! decides from `Accept` which one, in which encoding.

pub mod aggregated;
pub mod legacy;
pub mod negotiate;
pub mod openapi;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use serde::Serialize;

use self::negotiate::{Encoding, Negotiated};
use super::http::{ResponseBody, empty, full};
use super::registry::catalog::{Catalog, CatalogSnapshot, GroupVersions};
use super::status::ApiError;

/// Answers `req` if it is a discovery request: `None` when the path is not
/// one of discovery's (resource paths, `/version`, `/healthz` …), so the
/// router can go on; otherwise the document, or a `Status` error (404 for
/// a group or version that is not served, 405 for a method other than GET
/// or HEAD, 406 when no acceptable media type can be written).
pub fn serve<B>(catalog: &Catalog, req: &Request<B>) -> Option<Response<ResponseBody>> {
    serve_snapshot(&catalog.snapshot(), req)
}

/// [`serve`] against a snapshot the caller already holds.
pub fn serve_snapshot<B>(
    snapshot: &CatalogSnapshot,
    req: &Request<B>,
) -> Option<Response<ResponseBody>> {
    let route = Route::parse(req.uri().path())?;
    Some(respond(snapshot, req, route))
}

/// The discovery paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route<'a> {
    /// `/api`
    Legacy,
    /// `/api/<version>`
    LegacyVersion(&'a str),
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(&'a str),
    /// `/apis/<group>/<version>`
    GroupVersion(&'a str, &'a str),
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Option<Route<'a>> {
        // One trailing slash is tolerated, as upstream's muxes tolerate it.
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        Some(match segments.as_slice() {
            ["api"] => Route::Legacy,
            ["api", version] => Route::LegacyVersion(version),
            ["apis"] => Route::Groups,
            ["apis", group] => Route::Group(group),
            ["apis", group, version] => Route::GroupVersion(group, version),
            _ => return None,
        })
    }
}

fn respond<B>(
    snapshot: &CatalogSnapshot,
    req: &Request<B>,
    route: Route<'_>,
) -> Response<ResponseBody> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::method_not_allowed().into_response();
    }
    // Existence first: an unknown group is 404 whatever the client accepts.
    let serves = |group: &str, version: &str| {
        snapshot
            .group(group)
            .is_some_and(|g| g.versions.iter().any(|v| v == version))
    };
    let exists = match route {
        Route::Legacy | Route::Groups => true,
        Route::LegacyVersion(version) => serves("", version),
        Route::Group(group) => group_of(snapshot, group).is_some(),
        Route::GroupVersion(group, version) => serves(group, version),
    };
    if !exists {
        return ApiError::no_route().into_response();
    }

    let accept = joined(req.headers(), header::ACCEPT);
    let mut negotiated = match negotiate::negotiate(accept.as_deref()) {
        Ok(negotiated) => negotiated,
        Err(refused) => return ApiError::from(refused).into_response(),
    };
    let pretty = negotiated.pretty || pretty_by_query_or_agent(req);
    let encoding = negotiated.encoding;

    let body = match (route, negotiated.aggregated) {
        (Route::Legacy, Some(version)) => {
            let list = aggregated::discovery_list(snapshot, version, true);
            return aggregated_response(req, &negotiated, pretty, &list);
        }
        (Route::Groups, Some(version)) => {
            let list = aggregated::discovery_list(snapshot, version, false);
            return aggregated_response(req, &negotiated, pretty, &list);
        }
        (Route::Legacy, None) => encode(
            &legacy::api_versions(snapshot, &server_address(req)),
            encoding,
            pretty,
        ),
        (Route::Groups, None) => encode(&legacy::api_group_list(snapshot), encoding, pretty),
        (Route::LegacyVersion(version), _) => encode(
            &legacy::api_resource_list(snapshot, "", version),
            encoding,
            pretty,
        ),
        (Route::Group(group), _) => match group_of(snapshot, group) {
            Some(group) => encode(&legacy::api_group(group, true), encoding, pretty),
            None => return ApiError::no_route().into_response(),
        },
        (Route::GroupVersion(group, version), _) => encode(
            &legacy::api_resource_list(snapshot, group, version),
            encoding,
            pretty,
        ),
    };
    // The per-group documents have no aggregated form; upstream accepts the
    // request and answers with the ordinary document and media type.
    negotiated.aggregated = None;
    match body {
        Ok(body) => document(req, &negotiated, body),
        Err(failed) => failed.into_response(),
    }
}

/// A named group (never the core group, which `/apis/...` does not serve).
fn group_of<'s>(snapshot: &'s CatalogSnapshot, name: &str) -> Option<&'s GroupVersions> {
    snapshot.group(name).filter(|g| !g.name.is_empty())
}

/// The aggregated document, with the caching headers upstream sends: an
/// `ETag` over its content (a client holding it gets 304), `Vary: Accept`
/// because the same URL also serves the classic document.
fn aggregated_response<B, T: Serialize>(
    req: &Request<B>,
    negotiated: &Negotiated,
    pretty: bool,
    list: &T,
) -> Response<ResponseBody> {
    let compact = match encode(list, Encoding::Json, false) {
        Ok(compact) => compact,
        Err(failed) => return failed.into_response(),
    };
    let digest = ring::digest::digest(&ring::digest::SHA512, &compact);
    let etag: String = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    let etag = format!("\"{etag}\"");

    let not_modified = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v == etag);
    let mut response = if not_modified {
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let body = match (negotiated.encoding, pretty) {
            (Encoding::Json, false) => Ok(compact),
            (encoding, _) => encode(list, encoding, pretty),
        };
        match body {
            Ok(body) => document(req, negotiated, body),
            Err(failed) => return failed.into_response(),
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public"));
    response
}

/// A 200 response carrying `body` as the negotiated media type (no body for
/// HEAD).
fn document<B>(req: &Request<B>, negotiated: &Negotiated, body: Vec<u8>) -> Response<ResponseBody> {
    let body = if req.method() == Method::HEAD {
        empty()
    } else {
        full(body)
    };
    let mut response = Response::new(body);
    if let Ok(value) = HeaderValue::from_str(&negotiated.content_type()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A document that could not be written: a bug, answered as 500.
struct EncodeFailed(String);

impl EncodeFailed {
    fn into_response(self) -> Response<ResponseBody> {
        ApiError::internal(format!("encoding discovery: {}", self.0)).into_response()
    }
}

/// Writes `doc` as JSON (newline-terminated, like Go's encoder; indented by
/// two spaces when pretty) or YAML.
fn encode<T: Serialize>(
    doc: &T,
    encoding: Encoding,
    pretty: bool,
) -> Result<Vec<u8>, EncodeFailed> {
    match encoding {
        Encoding::Json => {
            let mut body = if pretty {
                serde_json::to_vec_pretty(doc)
            } else {
                serde_json::to_vec(doc)
            }
            .map_err(|e| EncodeFailed(e.to_string()))?;
            body.push(b'\n');
            Ok(body)
        }
        Encoding::Yaml => serde_yaml::to_string(doc)
            .map(String::into_bytes)
            .map_err(|e| EncodeFailed(e.to_string())),
    }
}

/// Every value of header `name`, joined with `,` (how HTTP says a repeated
/// header means one list).
fn joined(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The address the client used to reach us (`host:port`), which `/api`
/// hands back as the server address for every client network: HTTP/2's
/// `:authority`, else `Host`.
fn server_address<B>(req: &Request<B>) -> String {
    if let Some(authority) = req.uri().authority() {
        return authority.as_str().to_owned();
    }
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Upstream's older ways to ask for indented output: `?pretty=<bool>`, or
/// (without that parameter) a browser or command-line user agent.
fn pretty_by_query_or_agent<B>(req: &Request<B>) -> bool {
    let from_query = req.uri().query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(name, value)| *name == "pretty" && !value.is_empty())
            .map(|(_, value)| go_parse_bool(value))
    });
    if let Some(pretty) = from_query {
        return pretty;
    }
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default();
    ["curl", "Wget", "Mozilla/5.0"]
        .iter()
        .any(|prefix| agent.starts_with(prefix))
}

/// Go's `strconv.ParseBool`, with anything unreadable as false.
fn go_parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

#[cfg(test)]
mod tests;
