//! Which objects a list, watch or deletecollection selects: namespace,
//! name, label selector and field selector together.

use std::sync::Arc;

use serde_json::Value;

use super::strategy::{FieldLookup, Strategy, field_value};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::selector::{FieldSelector, LabelSelector};
use crate::apiserver::status::ApiError;

/// A parsed, validated selection.
#[derive(Clone)]
pub struct Filter {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    strategy: Arc<dyn Strategy>,
}

impl Filter {
    /// Parses the selectors; an unknown field or bad syntax is a 400, as
    /// upstream.
    pub fn new(
        strategy: Arc<dyn Strategy>,
        namespace: Option<&str>,
        name: Option<&str>,
        label_selector: &str,
        field_selector: &str,
    ) -> Result<Filter, ApiError> {
        let labels = LabelSelector::parse(label_selector).map_err(ApiError::bad_request)?;
        let fields = FieldSelector::parse(field_selector).map_err(ApiError::bad_request)?;
        let probe = Value::Object(Default::default());
        for term in &fields.terms {
            if field_value(&*strategy, &probe, &term.field) == FieldLookup::Unsupported {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {}",
                    term.field
                )));
            }
        }
        Ok(Filter {
            namespace: namespace.map(Into::into),
            name: name.map(Into::into),
            labels,
            fields,
            strategy,
        })
    }

    /// Everything (in a namespace, if given).
    pub fn everything(strategy: Arc<dyn Strategy>, namespace: Option<&str>) -> Filter {
        Filter {
            namespace: namespace.map(Into::into),
            name: None,
            labels: LabelSelector::default(),
            fields: FieldSelector::default(),
            strategy,
        }
    }

    /// Whether only namespace and name narrow the selection.
    pub fn selects_by_key_only(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    pub fn matches(&self, object: &Value) -> bool {
        if let Some(ns) = &self.namespace
            && object.namespace() != Some(ns.as_str())
        {
            return false;
        }
        if let Some(name) = &self.name
            && object.name() != Some(name.as_str())
        {
            return false;
        }
        if !self.labels.is_empty() && !self.labels.matches(&object.labels()) {
            return false;
        }
        self.fields
            .matches(|field| match field_value(&*self.strategy, object, field) {
                FieldLookup::Value(v) => Some(v),
                FieldLookup::Unsupported => None,
            })
    }
}
