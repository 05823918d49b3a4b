//! `x-kubernetes-validations`: CEL rules on schema nodes, evaluated with
//! the `cel` crate. Each rule sees its node's value as `self` (and, for
//! transition rules, the old object's value at the same place as
//! `oldSelf`); a rule that is false fails with its `message`, the result of
//! its `messageExpression`, or upstream's `failed rule: <rule>`, at its
//! node's path (or its `fieldPath`), with its `reason` (default Invalid).
//!
//! Old and new values are correlated as upstream correlates them: by
//! property name, by map key, and by key for `x-kubernetes-list-type: map`
//! lists; other list items have no old value.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map};
use cel::{Context, Env, Program};
use serde_json::Value;

use super::schema::{RuleSpec, Schema, child_path, index_path, key_path};
use crate::apiserver::validation::FieldError;

/// The environment every rule compiles and runs in: the standard library
/// plus the strings, lists and math extensions Kubernetes offers.
fn environment() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Each extension is registered once on a fresh environment, so
        // none can conflict.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_extension(cel::extensions::lists);
        let _ = env.add_extension(cel::extensions::math);
        Arc::new(env)
    })
    .clone()
}

/// One compiled rule.
struct Rule {
    spec: RuleSpec,
    program: Program,
    message: Option<Program>,
    /// Whether the rule reads `oldSelf` (a transition rule).
    transition: bool,
}

/// The rules of one schema node and of the nodes below it.
#[derive(Default)]
struct Node {
    rules: Vec<Rule>,
    properties: BTreeMap<String, Node>,
    items: Option<Box<Node>>,
    additional: Option<Box<Node>>,
    /// `x-kubernetes-list-map-keys` of a list-map node (correlation).
    map_keys: Vec<String>,
    /// The node's schema type, which a failure shows as its value.
    type_name: String,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.properties.is_empty()
            && self.items.is_none()
            && self.additional.is_none()
    }
}

/// A compile error, at the rule's place in the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// `properties[spec].x-kubernetes-validations[0].rule`.
    pub path: String,
    pub rule: String,
    pub message: String,
}

/// Every rule of a schema, compiled.
pub struct Rules {
    root: Node,
}

fn compile(source: &str) -> Result<Program, String> {
    environment()
        .compile(source)
        .map_err(|e| e.to_string().trim().to_owned())
}

fn compile_node(schema: &Schema, path: &str, errors: &mut Vec<CompileError>) -> Node {
    let mut node = Node {
        map_keys: if schema.list_type.as_deref() == Some("map") {
            schema.list_map_keys.clone()
        } else {
            Vec::new()
        },
        type_name: schema.type_.clone().unwrap_or_default(),
        ..Node::default()
    };
    for (i, spec) in schema.validations.iter().enumerate() {
        let at = child_path(path, &format!("x-kubernetes-validations[{i}]"));
        let program = match compile(&spec.rule) {
            Ok(p) => p,
            Err(message) => {
                errors.push(CompileError {
                    path: child_path(&at, "rule"),
                    rule: spec.rule.clone(),
                    message: format!("compilation failed: {message}"),
                });
                continue;
            }
        };
        let message = match spec.message_expression.as_deref().map(compile).transpose() {
            Ok(m) => m,
            Err(message) => {
                errors.push(CompileError {
                    path: child_path(&at, "messageExpression"),
                    rule: spec.message_expression.clone().unwrap_or_default(),
                    message: format!("messageExpression compilation failed: {message}"),
                });
                continue;
            }
        };
        let transition = program.references().has_variable("oldSelf");
        node.rules.push(Rule {
            spec: spec.clone(),
            program,
            message,
            transition,
        });
    }
    for (name, property) in &schema.properties {
        let child = compile_node(
            property,
            &child_path(path, &format!("properties[{name}]")),
            errors,
        );
        if !child.is_empty() {
            node.properties.insert(name.clone(), child);
        }
    }
    if let Some(items) = schema.items.as_deref() {
        let child = compile_node(items, &child_path(path, "items"), errors);
        if !child.is_empty() {
            node.items = Some(Box::new(child));
        }
    }
    if let Some(values) = schema.additional_properties.as_deref() {
        let child = compile_node(values, &child_path(path, "additionalProperties"), errors);
        if !child.is_empty() {
            node.additional = Some(Box::new(child));
        }
    }
    node
}

/// A JSON value as CEL sees it: integers as `int`, objects as maps.
pub fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let entries: HashMap<Key, cel::Value> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            cel::Value::Map(Map {
                map: Arc::new(entries),
            })
        }
    }
}

/// Which rules an evaluation runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Rules that do not read `oldSelf`.
    Plain,
    /// Rules that do, where an old value correlates.
    Transitions,
}

impl Rules {
    /// Compiles every rule of `schema`; `None` when it has none.
    pub fn compile(schema: &Schema) -> Result<Option<Rules>, Vec<CompileError>> {
        if !schema.has_rules() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let root = compile_node(schema, "", &mut errors);
        if errors.is_empty() {
            Ok(Some(Rules { root }))
        } else {
            Err(errors)
        }
    }

    /// The failures of the rules that do not compare with an old object.
    pub fn validate(&self, object: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        walk_root(&self.root, object, None, Pass::Plain, &mut errors);
        errors
    }

    /// The failures of the transition rules of an update.
    pub fn validate_transitions(&self, object: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        walk_root(
            &self.root,
            object,
            Some(old),
            Pass::Transitions,
            &mut errors,
        );
        errors
    }
}

fn walk_root(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    pass: Pass,
    errors: &mut Vec<FieldError>,
) {
    // Rules on the root see the whole object; below, each property.
    evaluate(node, value, old, "", pass, errors);
    walk_children(node, value, old, "", pass, errors);
}

fn walk(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    path: &str,
    pass: Pass,
    errors: &mut Vec<FieldError>,
) {
    if value.is_null() {
        return;
    }
    evaluate(node, value, old, path, pass, errors);
    walk_children(node, value, old, path, pass, errors);
}

fn walk_children(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    path: &str,
    pass: Pass,
    errors: &mut Vec<FieldError>,
) {
    match value {
        Value::Object(map) => {
            for (name, child_value) in map {
                let child = node.properties.get(name).or(node.additional.as_deref());
                let Some(child) = child else { continue };
                let old_child = old.and_then(|o| o.get(name));
                let child_path = if node.properties.contains_key(name) {
                    child_path(path, name)
                } else {
                    key_path(path, name)
                };
                walk(child, child_value, old_child, &child_path, pass, errors);
            }
        }
        Value::Array(items) => {
            let Some(child) = node.items.as_deref() else {
                return;
            };
            let old_items = old.and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let old_item = match old_items {
                    Some(old_items) if !node.map_keys.is_empty() => old_items
                        .iter()
                        .find(|o| node.map_keys.iter().all(|k| o.get(k) == item.get(k))),
                    _ => None,
                };
                walk(child, item, old_item, &index_path(path, i), pass, errors);
            }
        }
        _ => {}
    }
}

/// Evaluates the rules of one node.
fn evaluate(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    path: &str,
    pass: Pass,
    errors: &mut Vec<FieldError>,
) {
    if node.rules.is_empty() {
        return;
    }
    let rules: Vec<&Rule> = node
        .rules
        .iter()
        .filter(|r| match pass {
            Pass::Plain => !r.transition,
            Pass::Transitions => r.transition && (old.is_some() || r.spec.optional_old_self),
        })
        .collect();
    if rules.is_empty() {
        return;
    }
    let mut context = Context::with_env(environment());
    context.add_variable_from_value("self", to_cel(value));
    if pass == Pass::Transitions {
        let old_value = old.map_or(cel::Value::Null, to_cel);
        context.add_variable_from_value("oldSelf", old_value);
    }
    for rule in rules {
        let field = match &rule.spec.field_path {
            Some(p) => {
                let p = p.trim_start_matches('.');
                if path.is_empty() {
                    p.to_owned()
                } else {
                    format!("{path}.{p}")
                }
            }
            None => path.to_owned(),
        };
        match rule.program.execute(&context) {
            Ok(cel::Value::Bool(true)) => {}
            Ok(cel::Value::Bool(false)) => {
                let message = failure_message(rule, &context);
                errors.push(failure(&field, &node.type_name, &rule.spec, message));
            }
            Ok(other) => errors.push(FieldError::invalid(
                field,
                node.type_name.as_str(),
                format!("rule did not evaluate to bool: {other:?}"),
            )),
            Err(e) => errors.push(FieldError::invalid(
                field,
                node.type_name.as_str(),
                format!("{}: {e}", rule.spec.rule),
            )),
        }
    }
}

/// The message of a failed rule: its `messageExpression` when that gives
/// a non-empty string, else its `message`, else `failed rule: <rule>`.
fn failure_message(rule: &Rule, context: &Context) -> String {
    if let Some(program) = &rule.message
        && let Ok(cel::Value::String(s)) = program.execute(context)
        && !s.trim().is_empty()
    {
        return s.to_string();
    }
    match &rule.spec.message {
        Some(m) => m.clone(),
        None => format!("failed rule: {}", rule.spec.rule),
    }
}

/// A rule's failure as the field error of its `reason`; upstream shows the
/// node's schema type as the invalid value.
fn failure(field: &str, type_name: &str, spec: &RuleSpec, message: String) -> FieldError {
    match spec.reason.as_deref() {
        Some("FieldValueRequired") => FieldError::required(field, message),
        Some("FieldValueForbidden") => FieldError::forbidden(field, message),
        Some("FieldValueDuplicate") => FieldError::duplicate(field, type_name),
        _ => FieldError::invalid(field, type_name, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(schema: Value) -> Rules {
        Rules::compile(&Schema::parse(&schema).unwrap())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn rules_messages_and_paths() {
        let r = rules(json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "self.minReplicas <= self.replicas", "message": "replicas must be at least minReplicas"},
                    {"rule": "self.replicas < 100", "messageExpression": "'replicas ' + string(self.replicas) + ' is too many'"},
                    {"rule": "!has(self.forbidden)", "reason": "FieldValueForbidden", "fieldPath": ".forbidden", "message": "no"},
                    {"rule": "self.name.startsWith('a')"}
                ],
                "properties": {
                    "replicas": {"type": "integer"},
                    "minReplicas": {"type": "integer"},
                    "name": {"type": "string"},
                    "forbidden": {"type": "string"}
                }
            }}
        }));
        let object =
            json!({"spec": {"replicas": 200, "minReplicas": 300, "name": "bob", "forbidden": "x"}});
        let lines: Vec<String> = r
            .validate(&object, None)
            .iter()
            .map(FieldError::line)
            .collect();
        assert_eq!(
            lines,
            vec![
                "spec: Invalid value: \"object\": replicas must be at least minReplicas",
                "spec: Invalid value: \"object\": replicas 200 is too many",
                "spec.forbidden: Forbidden: no",
                "spec: Invalid value: \"object\": failed rule: self.name.startsWith('a')",
            ]
        );
        assert!(
            r.validate(
                &json!({"spec": {"replicas": 2, "minReplicas": 1, "name": "al"}}),
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn transition_rules_see_the_old_value() {
        let r = rules(json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "mode": {"type": "string", "x-kubernetes-validations": [
                    {"rule": "self == oldSelf", "message": "mode is immutable"}
                ]},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "properties": {
                              "name": {"type": "string"},
                              "port": {"type": "integer", "x-kubernetes-validations": [
                                  {"rule": "self >= oldSelf", "message": "may only grow"}]}
                          }}}
            }}}
        }));
        let old = json!({"spec": {"mode": "a", "ports": [{"name": "web", "port": 80}]}});
        let new = json!({"spec": {"mode": "b", "ports": [{"name": "new", "port": 1}, {"name": "web", "port": 70}]}});
        let lines: Vec<String> = r
            .validate_transitions(&new, &old)
            .iter()
            .map(FieldError::line)
            .collect();
        assert_eq!(
            lines,
            vec![
                "spec.mode: Invalid value: \"string\": mode is immutable",
                "spec.ports[1].port: Invalid value: \"integer\": may only grow",
            ]
        );
        assert!(
            r.validate(&new, None).is_empty(),
            "transition rules skip creates"
        );
    }

    #[test]
    fn compile_errors_name_the_rule() {
        let errors = Rules::compile(
            &Schema::parse(&json!({"type": "object", "properties": {"spec": {
                "type": "object", "x-kubernetes-validations": [{"rule": "self.a ==="}]}}}))
            .unwrap(),
        )
        .err()
        .unwrap();
        assert_eq!(
            errors[0].path,
            "properties[spec].x-kubernetes-validations[0].rule"
        );
    }
}
