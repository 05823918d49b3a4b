//! PATCH and server-side apply.
//!
//! * [`schema`]: the shapes of built-in types, read once from the type
//!   table: fields by JSON name, list kinds, merge markers;
//! * [`strategic`]: strategic merge patch with its directives;
//! * [`fieldpath`] and [`typed`]: sets of field paths and the walks over
//!   typed objects that server-side apply and ownership are built on;
//! * [`managed_fields`]: `metadata.managedFields`, kept on every write;
//! * [`apply`]: server-side apply.

pub mod apply;
pub mod fieldpath;
pub mod go_format;
pub mod managed_fields;
pub mod schema;
pub mod strategic;
pub mod typed;

use http::StatusCode;

use crate::apiserver::status::ApiError;

/// The kinds of PATCH, by Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`: server-side apply.
    Apply,
}

impl PatchType {
    const JSON: &'static str = "application/json-patch+json";
    const MERGE: &'static str = "application/merge-patch+json";
    const STRATEGIC: &'static str = "application/strategic-merge-patch+json";
    const APPLY: &'static str = "application/apply-patch+yaml";

    /// The patch type of a request's media type; a kind without a schema
    /// (`strategic` false) takes no strategic merge patch. Anything else is
    /// 415 listing what the resource accepts, as upstream answers.
    pub fn from_media_type(media_type: &str, strategic: bool) -> Result<PatchType, ApiError> {
        match media_type {
            Self::JSON => Ok(PatchType::Json),
            Self::MERGE => Ok(PatchType::Merge),
            Self::STRATEGIC if strategic => Ok(PatchType::Strategic),
            Self::APPLY => Ok(PatchType::Apply),
            _ => {
                let accepted: &[&str] = if strategic {
                    &[Self::JSON, Self::MERGE, Self::STRATEGIC, Self::APPLY]
                } else {
                    &[Self::JSON, Self::MERGE, Self::APPLY]
                };
                Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    format!(
                        "the body of the request was in an unknown format - accepted media types include: {}",
                        accepted.join(", ")
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_choose_the_patch() {
        assert_eq!(
            PatchType::from_media_type("application/apply-patch+yaml", true),
            Ok(PatchType::Apply)
        );
        let error = PatchType::from_media_type("application/strategic-merge-patch+json", false)
            .unwrap_err();
        assert_eq!(error.code, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            error.message,
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        );
        assert!(PatchType::from_media_type("application/json", true).is_err());
    }
}
