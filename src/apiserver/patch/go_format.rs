//! Decoded JSON as Go prints it, for the error messages upstream words with
//! `fmt`'s `%v` (`map[name:x]`) and `reflect.TypeOf` (`[]interface {}`).
//! Numbers from a patch are integers when they have no fraction, as
//! upstream decodes patches (`int64`), and `float64` otherwise.

use serde_json::Value;

/// Go's `%v` of a decoded JSON value.
pub fn value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None if n.is_u64() => n.to_string(),
            None => float(n.as_f64().unwrap_or_default()),
        },
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", value(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

/// Go's `%#v` of a decoded JSON value (`map[string]interface {}{"a":1}`).
pub fn go_syntax(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        go_syntax(v)
                    )
                })
                .collect();
            format!("map[string]interface {{}}{{{}}}", entries.join(", "))
        }
        other => value(other),
    }
}

/// `reflect.TypeOf(v)` printed with `%s`.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "%!s(<nil>)",
        Value::Bool(_) => "bool",
        Value::String(_) => "string",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// A `float64` as `%v` prints it: the shortest digits, in exponent form
/// below 1e-4 and from 1e6.
fn float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        return f.to_string();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_go() {
        assert_eq!(
            value(&json!({"image": "x", "a": [1, "b"]})),
            "map[a:[1 b] image:x]"
        );
        assert_eq!(value(&json!(null)), "<nil>");
        assert_eq!(value(&json!(1.5)), "1.5");
        assert_eq!(value(&json!(1000000.0)), "1e+06");
        assert_eq!(value(&json!(0.00001)), "1e-05");
        assert_eq!(value(&json!(123456.0)), "123456");
        assert_eq!(type_name(&json!("s")), "string");
        assert_eq!(type_name(&json!([])), "[]interface {}");
        assert_eq!(type_name(&json!(2)), "int64");
        assert_eq!(
            go_syntax(&json!({"a": [1, "x"]})),
            "map[string]interface {}{\"a\":[]interface {}{1, \"x\"}}"
        );
    }
}
