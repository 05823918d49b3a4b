//! The bearer token of a request, found the way upstream finds it.

use http::HeaderMap;

/// The token in `Authorization: Bearer <token>`, if any.
///
/// Like upstream: the scheme is case-insensitive, surrounding whitespace is
/// ignored, and anything that is not a bearer credential (another scheme, an
/// empty token) is treated as no token at all.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let mut parts = value.splitn(3, ' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return None;
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn token_of(header: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(header).unwrap(),
        );
        bearer_token(&headers).map(str::to_owned)
    }

    #[test]
    fn bearer_tokens_are_found_like_upstream() {
        assert_eq!(token_of("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token_of("bearer abc").as_deref(), Some("abc"));
        assert_eq!(token_of("  Bearer abc  ").as_deref(), Some("abc"));
        assert_eq!(token_of("Bearer abc extra").as_deref(), Some("abc"));
        assert_eq!(token_of("Basic dXNlcjpwYXNz"), None);
        assert_eq!(token_of("Bearer"), None);
        assert_eq!(token_of("Bearer  abc"), None, "empty token between spaces");
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
