//! Handlers for the paths outside the resource API.
//!
//! * [`health`]: `/healthz`, `/livez`, `/readyz` and their per-check paths;
//! * [`version`]: the `/version` document;
//! * [`nonresource`]: routing among them, for the API router to call first.

pub mod health;
pub mod nonresource;
pub mod version;

use http::{HeaderValue, Response, StatusCode, header};

use super::http::{ResponseBody, full};

/// A `text/plain` response, with the headers upstream sends on its plain
/// text endpoints.
pub(crate) fn plain_text(
    status: StatusCode,
    body: impl Into<bytes::Bytes>,
) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
