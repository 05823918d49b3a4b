//! `DeleteOptions`: the body of a DELETE or DELETECOLLECTION, or, when the
//! body is empty, the same fields as query parameters (as upstream reads
//! them), validated as upstream's `ValidateDeleteOptions` does.

use serde_json::Value;

use super::WriteOptions;
use crate::apiserver::request::query::Query;
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::FieldError;

/// `propagationPolicy`: what happens to the dependents of a deleted object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents stay (the `orphan` finalizer holds the object until the
    /// garbage collector has freed them).
    Orphan,
    /// The object goes now; the garbage collector deletes dependents later.
    Background,
    /// The object stays (`foregroundDeletion`) until its blocking
    /// dependents are gone.
    Foreground,
}

impl Propagation {
    const SUPPORTED: [&'static str; 4] = ["Foreground", "Background", "Orphan", "nil"];

    fn parse(value: &str) -> Option<Propagation> {
        match value {
            "Orphan" => Some(Propagation::Orphan),
            "Background" => Some(Propagation::Background),
            "Foreground" => Some(Propagation::Foreground),
            _ => None,
        }
    }
}

/// What a DELETE asks for, as far as the store uses it.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    /// `gracePeriodSeconds`; negative values mean 1 second, as upstream.
    pub grace_period_seconds: Option<i64>,
    pub propagation: Option<Propagation>,
    /// The legacy `orphanDependents` (never together with `propagation`).
    pub orphan_dependents: Option<bool>,
    pub write: WriteOptions,
}

/// The fields as read, before validation.
#[derive(Default)]
struct Raw {
    grace: Option<i64>,
    propagation: Option<String>,
    orphan: Option<bool>,
}

fn bad_body(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid DeleteOptions: {error}"))
}

fn optional<T: serde::de::DeserializeOwned>(
    body: &Value,
    field: &str,
) -> Result<Option<T>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| bad_body(format!("{field}: {e}"))),
    }
}

impl DeleteOptions {
    /// Reads the options from a JSON body, or from `query` when the body is
    /// empty, and validates them (422 as upstream for conflicting or unknown
    /// policies).
    pub fn from_request(
        body: &[u8],
        query: &Query,
        write: WriteOptions,
    ) -> Result<DeleteOptions, ApiError> {
        let mut options = DeleteOptions {
            write,
            ..Default::default()
        };
        let raw = if body.iter().all(u8::is_ascii_whitespace) {
            Raw {
                grace: query
                    .get("gracePeriodSeconds")
                    .map(|v| {
                        v.parse::<i64>().map_err(|_| {
                            ApiError::bad_request(format!(
                                "gracePeriodSeconds: invalid value {v:?}: must be an integer"
                            ))
                        })
                    })
                    .transpose()?,
                propagation: query.get("propagationPolicy").map(str::to_owned),
                orphan: query
                    .get("orphanDependents")
                    .map(|v| match v {
                        "true" => Ok(true),
                        "false" => Ok(false),
                        other => Err(ApiError::bad_request(format!(
                            "orphanDependents: invalid value {other:?}: must be true or false"
                        ))),
                    })
                    .transpose()?,
            }
        } else {
            let value: Value = serde_json::from_slice(body).map_err(bad_body)?;
            if !value.is_object() {
                return Err(bad_body("the body must be a JSON object"));
            }
            let preconditions = value.get("preconditions");
            options.precondition_uid = preconditions
                .and_then(|p| p.get("uid"))
                .and_then(Value::as_str)
                .map(Into::into);
            options.precondition_resource_version = preconditions
                .and_then(|p| p.get("resourceVersion"))
                .and_then(Value::as_str)
                .map(Into::into);
            if let Some(dry_run) = value.get("dryRun").and_then(Value::as_array) {
                options.write.dry_run |= dry_run.iter().any(|v| v == "All");
            }
            Raw {
                grace: optional(&value, "gracePeriodSeconds")?,
                propagation: optional(&value, "propagationPolicy")?,
                orphan: optional(&value, "orphanDependents")?,
            }
        };
        options.grace_period_seconds = raw.grace.map(|g| if g < 0 { 1 } else { g });
        options.orphan_dependents = raw.orphan;
        let mut errors = Vec::new();
        if let Some(policy) = &raw.propagation {
            if raw.orphan.is_some() {
                errors.push(FieldError::invalid(
                    "propagationPolicy",
                    policy.as_str(),
                    "orphanDependents and deletionPropagation cannot be both set",
                ));
            }
            match Propagation::parse(policy) {
                Some(p) => options.propagation = Some(p),
                None => errors.push(FieldError::not_supported(
                    "propagationPolicy",
                    policy.as_str(),
                    &Propagation::SUPPORTED,
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "DeleteOptions",
                "",
                errors.iter().map(FieldError::to_cause).collect(),
            ));
        }
        Ok(options)
    }

    /// The options with no body and no query: what a store-internal
    /// deletion uses.
    pub fn none() -> DeleteOptions {
        DeleteOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str, query: &str) -> Result<DeleteOptions, ApiError> {
        DeleteOptions::from_request(
            body.as_bytes(),
            &Query::parse(Some(query)),
            WriteOptions::default(),
        )
    }

    #[test]
    fn body_fields() {
        let options = parse(
            r#"{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":-5,
                "propagationPolicy":"Foreground","preconditions":{"uid":"u"},"dryRun":["All"]}"#,
            "gracePeriodSeconds=9",
        )
        .unwrap();
        assert_eq!(options.grace_period_seconds, Some(1));
        assert_eq!(options.propagation, Some(Propagation::Foreground));
        assert_eq!(options.precondition_uid.as_deref(), Some("u"));
        assert!(options.write.dry_run);
    }

    #[test]
    fn query_fields_when_the_body_is_empty() {
        let options = parse("", "gracePeriodSeconds=0&orphanDependents=false").unwrap();
        assert_eq!(options.grace_period_seconds, Some(0));
        assert_eq!(options.orphan_dependents, Some(false));
        assert_eq!(parse("", "gracePeriodSeconds=x").unwrap_err().code, 400);
    }

    #[test]
    fn conflicting_and_unknown_policies_are_invalid() {
        let both = parse(
            r#"{"orphanDependents":true,"propagationPolicy":"Orphan"}"#,
            "",
        )
        .unwrap_err();
        assert_eq!(both.code, 422);
        assert_eq!(
            both.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set"
        );
        let unknown = parse("", "propagationPolicy=Sideways").unwrap_err();
        assert_eq!(
            unknown.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
        );
        assert_eq!(
            parse(r#"{"gracePeriodSeconds":"x"}"#, "").unwrap_err().code,
            400
        );
    }
}
