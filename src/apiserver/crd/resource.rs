//! The strategy of a custom resource at one version, driven by its CRD:
//! bodies are pruned to the structural schema, defaulted from it and
//! validated against it (then its CEL rules); `generation` counts spec
//! changes; field selectors take the version's `selectableFields`; tables
//! print its columns; `scale` reads and writes its replica paths.

use std::sync::Arc;

use serde_json::Value;

use super::cel::Rules;
use super::definition::Version;
use super::jsonpath::JsonPath;
use super::printer::ColumnPrinter;
use super::schema::{Schema, default, prune, validate};
use crate::apiserver::patch::schema::Type;
use crate::apiserver::registry::strategy::{FieldLookup, Normalized, Strategy};
use crate::apiserver::registry::subresources::scale::ReplicaPaths;
use crate::apiserver::table::Printer;
use crate::apiserver::validation::FieldError;

pub struct CustomResourceStrategy {
    schema: Option<Arc<Schema>>,
    rules: Option<Arc<Rules>>,
    /// `selectableFields`: the selector's name (the path without its
    /// leading dot) and the path.
    selectable: Vec<(String, JsonPath)>,
    printer: ColumnPrinter,
    replica_paths: Option<ReplicaPaths>,
    shape: Option<Type>,
}

/// `.spec.replicas` as field names.
fn fields_of(path: &str) -> Vec<String> {
    path.trim_start_matches('.')
        .split('.')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

impl CustomResourceStrategy {
    pub fn new(version: &Version, rules: Option<Arc<Rules>>, shape: Option<Type>) -> Self {
        let selectable = version
            .selectable_fields
            .iter()
            .filter_map(|path| {
                let parsed = JsonPath::parse(path).ok()?;
                Some((path.trim_start_matches('.').to_owned(), parsed))
            })
            .collect();
        let replica_paths = version.scale.as_ref().map(|scale| ReplicaPaths {
            spec_replicas: fields_of(&scale.spec_replicas),
            status_replicas: fields_of(&scale.status_replicas),
            label_selector: scale.label_selector.as_deref().map(fields_of),
        });
        CustomResourceStrategy {
            schema: version.schema.clone(),
            rules,
            selectable,
            printer: ColumnPrinter::new(&version.printer_columns),
            replica_paths,
            shape,
        }
    }

    fn validate_schema(&self, object: &Value) -> Vec<FieldError> {
        match &self.schema {
            Some(schema) => validate::validate_object(object, schema),
            None => Vec::new(),
        }
    }
}

impl Strategy for CustomResourceStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn normalize(&self, mut object: Value) -> Result<Normalized, String> {
        if !object.is_object() {
            return Err("the body of the request must be a JSON object".into());
        }
        let unknown_fields = match &self.schema {
            Some(schema) => prune::prune_object(&mut object, schema),
            None => Vec::new(),
        };
        Ok(Normalized {
            object,
            unknown_fields,
        })
    }

    fn default(&self, object: &mut Value) {
        if let Some(schema) = &self.schema {
            default::apply_defaults(object, schema);
        }
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = self.validate_schema(object);
        if errors.is_empty()
            && let Some(rules) = &self.rules
        {
            errors.extend(rules.validate(object, None));
        }
        errors
    }

    fn validate_update(&self, object: &Value, old: &Value) -> Vec<FieldError> {
        // Rules that compare with the old object; the others ran in
        // `validate`, and a schema failure already answered.
        match &self.rules {
            Some(rules) if self.validate_schema(object).is_empty() => {
                rules.validate_transitions(object, old)
            }
            _ => Vec::new(),
        }
    }

    fn validate_subresource_update(
        &self,
        _subresource: &str,
        object: &Value,
        old: &Value,
    ) -> Vec<FieldError> {
        // A status write is checked as a whole object, and only what it
        // may change can fail it.
        let mut errors = self.validate_schema(object);
        if errors.is_empty()
            && let Some(rules) = &self.rules
        {
            errors.extend(rules.validate(object, Some(old)));
        }
        errors.retain(|e| {
            e.field == "status" || e.field.starts_with("status.") || e.field.starts_with("status[")
        });
        errors
    }

    fn field_value(&self, object: &Value, field: &str) -> FieldLookup {
        match self.selectable.iter().find(|(name, _)| name == field) {
            Some((_, path)) => FieldLookup::Value(
                path.first(object)
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
            ),
            None => FieldLookup::Unsupported,
        }
    }

    fn printer(&self) -> Option<Box<dyn Printer>> {
        Some(Box::new(self.printer.clone()))
    }

    fn replica_paths(&self) -> Option<&ReplicaPaths> {
        self.replica_paths.as_ref()
    }

    fn shape(&self) -> Option<Type> {
        self.shape
    }
}
