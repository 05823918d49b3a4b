//! The service-account issuer's OpenID Connect discovery, as upstream
//! serves it: `/.well-known/openid-configuration` (`application/json`) and
//! `/openid/v1/jwks` (`application/jwk-set+json`), both cacheable for an
//! hour. Only GET; absent (404) when the issuer is not an `https` URL.

use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use super::response;
use crate::apiserver::http::ResponseBody;
use crate::apiserver::serviceaccount::{JWKS_PATH, OPENID_CONFIG_PATH, ServiceAccountTokens};
use crate::apiserver::status::ApiError;

const CACHE_CONTROL: &str = "public, max-age=3600";

/// The answer for `request` if it is for one of the two documents.
pub fn serve<B>(
    tokens: &ServiceAccountTokens,
    request: &Request<B>,
) -> Option<Response<ResponseBody>> {
    let (document, content_type) = match request.uri().path() {
        OPENID_CONFIG_PATH => (tokens.openid_configuration(), "application/json"),
        JWKS_PATH => (tokens.jwks(), "application/jwk-set+json"),
        _ => return None,
    };
    let Some(document) = document else {
        return Some(ApiError::no_route().into_response());
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Some(ApiError::method_not_allowed().into_response());
    }
    let mut answer = response::bytes(StatusCode::OK, content_type, document.to_vec());
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    Some(answer)
}
