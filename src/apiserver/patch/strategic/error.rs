//! How a strategic merge patch fails, and the answer upstream gives for
//! each failure: malformed directives are 400 BadRequest, lists of lists
//! 422 Invalid with the generic message, and everything else upstream
//! reports as a plain error (a 500 with no reason), which keelson answers
//! 400 BadRequest — it is the client's mistake — message for message.

use http::StatusCode;
use serde_json::Value;

use crate::apiserver::patch::go_format;
use crate::apiserver::status::{ApiError, Details};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmpError {
    /// 400 BadRequest with this message.
    BadRequest(&'static str),
    /// 422 Invalid, worded generically as upstream's.
    Unprocessable,
    /// A plain error upstream answers with 500 and no reason (keelson: 400).
    Plain(String),
}

pub const BAD_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
pub const BAD_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
pub const BAD_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";

impl SmpError {
    /// A list item or map without the key its list merges by.
    pub fn no_merge_key(map: &serde_json::Map<String, Value>, key: &str) -> SmpError {
        SmpError::Plain(format!(
            "map: {} does not contain declared merge key: {key}",
            go_format::value(&Value::Object(map.clone()))
        ))
    }

    /// A value of the wrong JSON type where `expected` (a Go type name)
    /// was needed.
    pub fn bad_arg_type(expected: &str, actual: &Value) -> SmpError {
        SmpError::Plain(format!(
            "expected a {expected}, but received a {}",
            go_format::type_name(actual)
        ))
    }

    /// An unknown `$patch` directive.
    pub fn bad_patch_type(directive: &Value, map: &serde_json::Map<String, Value>) -> SmpError {
        let directive = match directive {
            Value::String(s) => s.clone(),
            other => format!(
                "%!s({}={})",
                go_format::type_name(other),
                go_format::value(other)
            ),
        };
        SmpError::Plain(format!(
            "unknown patch type: {directive} in map: {}",
            go_format::value(&Value::Object(map.clone()))
        ))
    }
}

impl From<SmpError> for ApiError {
    fn from(error: SmpError) -> ApiError {
        match error {
            SmpError::BadRequest(message) => ApiError::bad_request(message),
            SmpError::Unprocessable => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                "the server rejected our request due to an error in our request",
            )
            .with_details(Details::default()),
            // Upstream answers these with a bare 500; they are the
            // client's mistake, so keelson says 400 with upstream's words.
            SmpError::Plain(message) => ApiError::bad_request(message),
        }
    }
}
