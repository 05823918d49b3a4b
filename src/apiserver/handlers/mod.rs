//! The API's request handling: authorization, then either a non-resource
//! path or a resource request ([`resource`]).

mod body;
mod negotiate;
pub mod resource;
mod response;
pub mod watch;

use std::sync::Arc;

use http::{Request, Response};

use super::authz;
use super::http::{Handler, RequestBody, ResponseBody};
use super::registry::Registry;
use super::request::RequestInfo;
use super::status::ApiError;
use super::user::UserInfo;

/// Everything request handling needs.
pub struct Api {
    pub registry: Arc<Registry>,
}

impl Api {
    /// Serves one authenticated request.
    pub async fn handle(
        &self,
        request: Request<RequestBody>,
        user: UserInfo,
    ) -> Response<ResponseBody> {
        let info = RequestInfo::parse(
            request.method(),
            request.uri().path(),
            request.uri().query(),
        );
        if let Err(denied) = authz::authorize(&user, &info) {
            return denied.into_response();
        }
        let result = if info.is_resource {
            resource::serve(&self.registry, &info, request).await
        } else {
            Err(ApiError::no_route())
        };
        result.unwrap_or_else(ApiError::into_response)
    }

    /// This API as the connection layer's [`Handler`].
    pub fn into_handler(self: Arc<Self>) -> Handler {
        Arc::new(move |request, user| {
            let api = self.clone();
            Box::pin(async move { api.handle(request, user).await })
        })
    }
}
