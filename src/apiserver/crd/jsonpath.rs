//! The JSONPath subset CRDs use: printer columns (`.spec.size`,
//! `.status.conditions[?(@.type=="Ready")].status`, `.spec.items[*].name`,
//! `.spec.list[0]`), selectable fields and scale paths (plain field paths).

use serde_json::Value;

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    All,
    /// `[?(@.a.b=="x")]` or `!=`.
    Filter {
        path: Vec<String>,
        equals: bool,
        literal: Value,
    },
}

/// A parsed path.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses a path; braces around it (`{.spec.x}`) are allowed.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let text = text.trim();
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let text = text.strip_prefix('$').unwrap_or(text);
        let mut steps = Vec::new();
        let bytes: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end] != '.' && bytes[end] != '[' {
                        end += 1;
                    }
                    let name: String = bytes[start..end].iter().collect();
                    if name.is_empty() {
                        return Err(format!("invalid JSONPath {text:?}: empty field name"));
                    }
                    steps.push(if name == "*" {
                        Step::All
                    } else {
                        Step::Field(name)
                    });
                    i = end;
                }
                '[' => {
                    let close = find_close(&bytes, i)
                        .ok_or_else(|| format!("invalid JSONPath {text:?}: unclosed ["))?;
                    let inner: String = bytes[i + 1..close].iter().collect();
                    steps.push(parse_bracket(inner.trim(), text)?);
                    i = close + 1;
                }
                c => {
                    return Err(format!(
                        "invalid JSONPath {text:?}: unexpected {c:?} at {i}"
                    ));
                }
            }
        }
        Ok(JsonPath { steps })
    }

    /// Whether the path is fields only (`.spec.replicas`).
    pub fn is_simple(&self) -> bool {
        self.steps.iter().all(|s| matches!(s, Step::Field(_)))
    }

    /// The field names of a simple path.
    pub fn fields(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                Step::Field(f) => Some(f.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Every value the path selects in `root`.
    pub fn find<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                match step {
                    Step::Field(name) => {
                        if let Some(v) = value.get(name) {
                            next.push(v);
                        }
                    }
                    Step::Index(i) => {
                        if let Some(items) = value.as_array() {
                            let index = if *i < 0 { items.len() as i64 + i } else { *i };
                            if let Some(v) = usize::try_from(index).ok().and_then(|i| items.get(i))
                            {
                                next.push(v);
                            }
                        }
                    }
                    Step::All => match value {
                        Value::Array(items) => next.extend(items.iter()),
                        Value::Object(map) => next.extend(map.values()),
                        _ => {}
                    },
                    Step::Filter {
                        path,
                        equals,
                        literal,
                    } => {
                        if let Some(items) = value.as_array() {
                            for item in items {
                                let mut found = Some(item);
                                for field in path {
                                    found = found.and_then(|v| v.get(field));
                                }
                                let matches = found.is_some_and(|v| v == literal);
                                if matches == *equals && (found.is_some() || !*equals) {
                                    next.push(item);
                                }
                            }
                        }
                    }
                }
            }
            current = next;
        }
        current
    }

    /// The first value the path selects.
    pub fn first<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.find(root).into_iter().next()
    }
}

fn find_close(chars: &[char], open: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in chars.iter().enumerate().skip(open + 1) {
        match (quote, c) {
            (Some(q), c) if *c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(*c),
            (None, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_bracket(inner: &str, text: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::All);
    }
    if let Ok(i) = inner.parse::<i64>() {
        return Ok(Step::Index(i));
    }
    if let Some(quoted) = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
    {
        return Ok(Step::Field(quoted.to_owned()));
    }
    let filter = inner
        .strip_prefix("?(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("invalid JSONPath {text:?}: unsupported [{inner}]"))?;
    let (left, right, equals) = if let Some((l, r)) = filter.split_once("==") {
        (l, r, true)
    } else if let Some((l, r)) = filter.split_once("!=") {
        (l, r, false)
    } else {
        return Err(format!(
            "invalid JSONPath {text:?}: unsupported filter {filter:?}"
        ));
    };
    let left = left.trim();
    let path = left
        .strip_prefix("@.")
        .ok_or_else(|| format!("invalid JSONPath {text:?}: filter must start with @."))?
        .split('.')
        .map(str::to_owned)
        .collect();
    let right = right.trim();
    let literal = if let Some(s) = right
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| right.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
    {
        Value::String(s.to_owned())
    } else {
        serde_json::from_str(right)
            .map_err(|_| format!("invalid JSONPath {text:?}: bad literal {right:?}"))?
    };
    Ok(Step::Filter {
        path,
        equals,
        literal,
    })
}

/// Go's text of a value as JSONPath prints it: strings bare, the rest as
/// JSON.
pub fn print(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        let object = json!({
            "spec": {"size": 3, "items": [{"name": "a"}, {"name": "b"}], "x.y": 1},
            "status": {"conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Synced", "status": "False"}
            ]}
        });
        let first = |p: &str| JsonPath::parse(p).unwrap().first(&object).cloned();
        assert_eq!(first(".spec.size"), Some(json!(3)));
        assert_eq!(first("{.spec.items[1].name}"), Some(json!("b")));
        assert_eq!(first(".spec.items[-1].name"), Some(json!("b")));
        assert_eq!(
            first(".status.conditions[?(@.type==\"Ready\")].status"),
            Some(json!("True"))
        );
        assert_eq!(first(".spec['x.y']"), Some(json!(1)));
        assert_eq!(first(".spec.missing"), None);
        let names = JsonPath::parse(".spec.items[*].name").unwrap();
        assert_eq!(names.find(&object).len(), 2);
        assert!(JsonPath::parse(".spec.size").unwrap().is_simple());
        assert!(JsonPath::parse(".spec[").is_err());
        assert!(JsonPath::parse("spec").is_err());
    }
}
