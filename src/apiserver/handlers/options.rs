//! The options every write takes from its query (or, for deletes, its
//! `DeleteOptions` body): `dryRun`, `fieldValidation`, `fieldManager`,
//! checked as upstream checks them. A bad value is a 422 `Invalid` about
//! the options kind (`CreateOptions.meta.k8s.io "" is invalid: dryRun:
//! Unsupported value: []string{"Sure"}: supported values: "All"`), before
//! the body is looked at.

use serde_json::Value;

use crate::apiserver::registry::store::{FieldValidation, WriteOptions};
use crate::apiserver::request::query::Query;
use crate::apiserver::status::{ApiError, Cause};

/// Which options a verb takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsKind {
    Create,
    Update,
    Patch,
    Delete,
}

impl OptionsKind {
    fn kind(self) -> &'static str {
        match self {
            OptionsKind::Create => "CreateOptions",
            OptionsKind::Update => "UpdateOptions",
            OptionsKind::Patch => "PatchOptions",
            OptionsKind::Delete => "DeleteOptions",
        }
    }
}

/// The longest `fieldManager` upstream takes.
const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// A list of strings as Go's `%#v` prints it.
fn go_string_slice(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn not_supported(field: &str, printed: String, supported: &[&str]) -> Cause {
    let supported: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    Cause {
        reason: "FieldValueNotSupported".into(),
        message: format!(
            "Unsupported value: {printed}: supported values: {}",
            supported.join(", ")
        ),
        field: field.into(),
    }
}

/// Upstream's `ValidateDryRun`: every value must be `All`.
fn check_dry_run(values: &[String], causes: &mut Vec<Cause>) -> bool {
    if values.iter().any(|v| v != "All") {
        causes.push(not_supported("dryRun", go_string_slice(values), &["All"]));
    }
    !values.is_empty()
}

fn check_field_manager(manager: &str, causes: &mut Vec<Cause>) {
    if manager.len() > FIELD_MANAGER_MAX_LENGTH {
        causes.push(Cause {
            reason: "FieldValueTooLong".into(),
            message: format!("Too long: may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes"),
            field: "fieldManager".into(),
        });
    }
    for (position, c) in manager.chars().enumerate() {
        if c.is_control() {
            causes.push(Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {manager:?}: invalid character U+{:04X} (at position {position})",
                    c as u32
                ),
                field: "fieldManager".into(),
            });
        }
    }
}

fn finish(kind: OptionsKind, causes: Vec<Cause>) -> Result<(), ApiError> {
    if causes.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid("meta.k8s.io", kind.kind(), "", causes))
}

/// Every value of the query parameter `name`.
fn all_values(raw_query: Option<&str>, name: &str) -> Vec<String> {
    form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The options of a create, update or patch, from its query string.
pub fn write_options(raw_query: Option<&str>, kind: OptionsKind) -> Result<WriteOptions, ApiError> {
    let query = Query::parse(raw_query);
    let mut causes = Vec::new();
    let dry_run = check_dry_run(&all_values(raw_query, "dryRun"), &mut causes);
    let field_manager = query.get("fieldManager").unwrap_or_default();
    check_field_manager(field_manager, &mut causes);
    let validation = query.get("fieldValidation").unwrap_or_default();
    if !matches!(validation, "" | "Ignore" | "Warn" | "Strict") {
        causes.push(not_supported(
            "fieldValidation",
            format!("{validation:?}"),
            &["", "Ignore", "Strict", "Warn"],
        ));
    }
    finish(kind, causes)?;
    Ok(WriteOptions {
        dry_run,
        field_validation: FieldValidation::parse(Some(validation))?,
        field_manager: Some(field_manager)
            .filter(|m| !m.is_empty())
            .map(Into::into),
        ..Default::default()
    })
}

/// The options of a delete: from its `DeleteOptions` body when it has one
/// (then upstream ignores the query), else from the query.
pub fn delete_write_options(
    raw_query: Option<&str>,
    body: &[u8],
) -> Result<WriteOptions, ApiError> {
    let mut causes = Vec::new();
    let from_body = !body.iter().all(u8::is_ascii_whitespace);
    let values = if from_body {
        let parsed: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?;
        match parsed.get("dryRun") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    ApiError::bad_request("invalid DeleteOptions: dryRun must be a list of strings")
                })?,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid DeleteOptions: dryRun must be a list of strings",
                ));
            }
        }
    } else {
        all_values(raw_query, "dryRun")
    };
    let dry_run = check_dry_run(&values, &mut causes);
    finish(OptionsKind::Delete, causes)?;
    Ok(WriteOptions {
        dry_run,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_is_all_or_nothing() {
        assert!(!write_options(None, OptionsKind::Create).unwrap().dry_run);
        assert!(
            write_options(Some("dryRun=All"), OptionsKind::Create)
                .unwrap()
                .dry_run
        );
        let err = write_options(Some("dryRun=All&dryRun=Sure"), OptionsKind::Update).unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "UpdateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"All\", \"Sure\"}: supported values: \"All\""
        );
        let status = err.to_status();
        assert_eq!(status["details"]["group"], "meta.k8s.io");
        assert_eq!(status["details"]["kind"], "UpdateOptions");
        assert_eq!(status["details"]["causes"][0]["field"], "dryRun");
        let empty = write_options(Some("dryRun="), OptionsKind::Patch).unwrap_err();
        assert!(
            empty.message.contains("[]string{\"\"}"),
            "{}",
            empty.message
        );
    }

    #[test]
    fn field_validation_and_manager_are_checked() {
        let options = write_options(
            Some("fieldValidation=Strict&fieldManager=me"),
            OptionsKind::Create,
        )
        .unwrap();
        assert_eq!(options.field_validation, FieldValidation::Strict);
        assert_eq!(options.field_manager.as_deref(), Some("me"));
        let err = write_options(Some("fieldValidation=Loose"), OptionsKind::Create).unwrap_err();
        assert_eq!(
            err.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Loose\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""
        );
        let long = format!("fieldManager={}", "m".repeat(129));
        assert!(
            write_options(Some(&long), OptionsKind::Patch)
                .unwrap_err()
                .message
                .ends_with("fieldManager: Too long: may not be more than 128 bytes")
        );
    }

    #[test]
    fn a_delete_body_decides_over_the_query() {
        assert!(
            delete_write_options(Some("dryRun=All"), b"")
                .unwrap()
                .dry_run
        );
        assert!(
            !delete_write_options(Some("dryRun=All"), b"{}")
                .unwrap()
                .dry_run
        );
        assert!(
            delete_write_options(None, br#"{"dryRun":["All"]}"#)
                .unwrap()
                .dry_run
        );
        let err = delete_write_options(None, br#"{"dryRun":["Maybe"]}"#).unwrap_err();
        assert!(
            err.message
                .starts_with("DeleteOptions.meta.k8s.io \"\" is invalid: dryRun")
        );
    }
}
