//! Field errors as upstream words them, and the checks every kind shares
//! (names, metadata). A list of [`FieldError`]s becomes one 422 `Invalid`
//! whose causes kubectl prints line by line.

pub mod labels;
pub mod metadata;
pub mod names;
pub mod quantity;
pub mod values;

use serde_json::Value;

use super::status::Cause;

/// One thing wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub kind: FieldErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    Invalid {
        value: Value,
        detail: String,
    },
    /// An invalid value that upstream prints in Go syntax (maps and
    /// structs, `map[string]string{"app":"web"}`), kept as printed.
    InvalidPrinted {
        printed: String,
        detail: String,
    },
    Required {
        detail: String,
    },
    Forbidden {
        detail: String,
    },
    NotSupported {
        value: Value,
        supported: Vec<String>,
    },
    Duplicate {
        value: Value,
    },
    NotFound {
        value: Value,
    },
    TooLong {
        max: usize,
    },
    /// A value of the wrong type (upstream's `TypeInvalid`).
    TypeInvalid {
        value: Value,
        detail: String,
    },
    /// A list or map with more members than allowed (`None`: the count is
    /// not shown).
    TooMany {
        actual: Option<i64>,
        max: i64,
    },
    /// A duplicate shown as Go prints it (list-map items).
    DuplicatePrinted {
        printed: String,
    },
}

/// How upstream prints a bad value: strings quoted, the rest as JSON.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

impl FieldError {
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Invalid {
                value: value.into(),
                detail: detail.into(),
            },
        }
    }

    /// An invalid value that upstream prints as Go source (see
    /// [`FieldErrorKind::InvalidPrinted`]).
    pub fn invalid_printed(
        field: impl Into<String>,
        printed: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::InvalidPrinted {
                printed: printed.into(),
                detail: detail.into(),
            },
        }
    }

    /// A reference to something that does not exist (a volume mount naming
    /// no volume, …).
    pub fn not_found(field: impl Into<String>, value: impl Into<Value>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::NotFound {
                value: value.into(),
            },
        }
    }

    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Required {
                detail: detail.into(),
            },
        }
    }

    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Forbidden {
                detail: detail.into(),
            },
        }
    }

    pub fn not_supported(
        field: impl Into<String>,
        value: impl Into<Value>,
        supported: &[&str],
    ) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::NotSupported {
                value: value.into(),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    pub fn duplicate(field: impl Into<String>, value: impl Into<Value>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Duplicate {
                value: value.into(),
            },
        }
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::TooLong { max },
        }
    }

    /// An immutable field that changed (upstream's `ValidateImmutableField`).
    pub fn type_invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::TypeInvalid {
                value: value.into(),
                detail: detail.into(),
            },
        }
    }

    pub fn too_many(field: impl Into<String>, actual: i64, max: i64) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::TooMany {
                actual: (actual >= 0).then_some(actual),
                max,
            },
        }
    }

    pub fn duplicate_printed(field: impl Into<String>, printed: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::DuplicatePrinted {
                printed: printed.into(),
            },
        }
    }

    pub fn immutable(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::invalid(field, value, "field is immutable")
    }

    /// The `reason` of the Status cause.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Invalid { .. } | FieldErrorKind::InvalidPrinted { .. } => {
                "FieldValueInvalid"
            }
            FieldErrorKind::Required { .. } => "FieldValueRequired",
            FieldErrorKind::Forbidden { .. } => "FieldValueForbidden",
            FieldErrorKind::NotSupported { .. } => "FieldValueNotSupported",
            FieldErrorKind::Duplicate { .. } | FieldErrorKind::DuplicatePrinted { .. } => {
                "FieldValueDuplicate"
            }
            FieldErrorKind::TypeInvalid { .. } => "FieldValueTypeInvalid",
            FieldErrorKind::TooMany { .. } => "FieldValueTooMany",
            FieldErrorKind::NotFound { .. } => "FieldValueNotFound",
            FieldErrorKind::TooLong { .. } => "FieldValueTooLong",
        }
    }

    /// The message without the field path.
    pub fn message(&self) -> String {
        match &self.kind {
            FieldErrorKind::Invalid { value, detail } if detail.is_empty() => {
                format!("Invalid value: {}", show(value))
            }
            FieldErrorKind::Invalid { value, detail } => {
                format!("Invalid value: {}: {detail}", show(value))
            }
            FieldErrorKind::InvalidPrinted { printed, detail } => {
                format!("Invalid value: {printed}: {detail}")
            }
            FieldErrorKind::Required { detail } if detail.is_empty() => "Required value".into(),
            FieldErrorKind::Required { detail } => format!("Required value: {detail}"),
            FieldErrorKind::Forbidden { detail } => format!("Forbidden: {detail}"),
            FieldErrorKind::NotSupported { value, supported } => {
                let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
                format!(
                    "Unsupported value: {}: supported values: {}",
                    show(value),
                    list.join(", ")
                )
            }
            FieldErrorKind::Duplicate { value } => format!("Duplicate value: {}", show(value)),
            FieldErrorKind::DuplicatePrinted { printed } => format!("Duplicate value: {printed}"),
            FieldErrorKind::TypeInvalid { value, detail } => {
                format!("Invalid value: {}: {detail}", show(value))
            }
            FieldErrorKind::TooMany { actual, max } => {
                let items = if *max == 1 { "item" } else { "items" };
                match actual {
                    Some(actual) => {
                        format!("Too many: {actual}: must have at most {max} {items}")
                    }
                    None => format!("Too many: must have at most {max} {items}"),
                }
            }
            FieldErrorKind::NotFound { value } => format!("Not found: {}", show(value)),
            FieldErrorKind::TooLong { max } => {
                format!("Too long: may not be more than {max} bytes")
            }
        }
    }

    /// `field: message`, as kubectl prints each cause.
    pub fn line(&self) -> String {
        format!("{}: {}", self.field, self.message())
    }

    pub fn to_cause(&self) -> Cause {
        Cause {
            reason: self.reason().into(),
            message: self.message(),
            field: self.field.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_upstream() {
        assert_eq!(
            FieldError::invalid("metadata.name", "Bad_Name", "bad").message(),
            "Invalid value: \"Bad_Name\": bad"
        );
        assert_eq!(
            FieldError::required("metadata.name", "name or generateName is required").message(),
            "Required value: name or generateName is required"
        );
        assert_eq!(
            FieldError::not_supported("spec.restartPolicy", "Sometimes", &["Always", "Never"])
                .message(),
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\""
        );
        assert_eq!(
            FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0")
                .message(),
            "Invalid value: -1: must be greater than or equal to 0"
        );
    }
}
