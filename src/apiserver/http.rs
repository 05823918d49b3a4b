//! The request and response body types shared by every handler.
//!
//! Bodies are boxed so that the same handler serves TLS connections (hyper's
//! `Incoming`), in-process tests (a fixed buffer) and streams (watch).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

/// Errors a body can end with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of a request as handlers see it.
pub type RequestBody = UnsyncBoxBody<Bytes, BoxError>;

/// The body of a response: a buffer, or a stream (watch, logs).
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// A response body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> ResponseBody {
    full(Bytes::new())
}

/// The API server's entry point as the connection layer sees it: an
/// authenticated request in, a response out.
pub type Handler = std::sync::Arc<
    dyn Fn(
            http::Request<RequestBody>,
            super::user::UserInfo,
        ) -> futures::future::BoxFuture<'static, http::Response<ResponseBody>>
        + Send
        + Sync,
>;
