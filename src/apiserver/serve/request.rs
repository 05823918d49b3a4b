//! One request: hyper's body boxed into [`RequestBody`], the requester
//! authenticated, then the [`Handler`](crate::apiserver::http::Handler).

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{PeerAddress, ServerContext};
use crate::apiserver::http::{BoxError, RequestBody, ResponseBody};
use crate::apiserver::status::ApiError;
use crate::apiserver::user::UserInfo;

/// The response to `incoming`, from a connection whose client certificate
/// (if any) named `certificate_user`.
pub async fn respond(
    incoming: Request<Incoming>,
    peer: SocketAddr,
    certificate_user: Option<&UserInfo>,
    context: &ServerContext,
) -> Response<ResponseBody> {
    let mut request: Request<RequestBody> =
        incoming.map(|body| body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
    request.extensions_mut().insert(PeerAddress(peer));
    let user = match context
        .authenticator
        .authenticate(certificate_user, request.headers_mut())
        .await
    {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // A bug in one handler must cost one request a 500, not the
    // connection (and, over HTTP/2, every other request on it).
    match AssertUnwindSafe((context.handler)(request, user))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(%method, %path, %message, "handler panicked");
            ApiError::internal(format!(
                "an error on the server ({message}) has prevented the request from succeeding"
            ))
            .into_response()
        }
    }
}
