//! Small pieces the printers share: reading fields of a JSON object with
//! Go's zero values for missing ones, and upstream's spellings of label
//! maps, label selectors, container lists, booleans and "more…" lists.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// What upstream prints for an empty value in many columns.
pub const NONE: &str = "<none>";
/// What upstream prints for an unset optional value in some columns.
pub const UNSET: &str = "<unset>";
/// What upstream prints when a value cannot be known.
pub const UNKNOWN: &str = "<unknown>";

/// The string at `pointer`, or `""` (Go's zero value).
pub fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The string at `pointer`, if present.
pub fn opt_text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// The integer at `pointer`, or 0.
pub fn int(object: &Value, pointer: &str) -> i64 {
    opt_int(object, pointer).unwrap_or_default()
}

/// The integer at `pointer`, if present.
pub fn opt_int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

/// The boolean at `pointer`, if present.
pub fn opt_bool(object: &Value, pointer: &str) -> Option<bool> {
    object.pointer(pointer).and_then(Value::as_bool)
}

/// The array at `pointer`, or an empty one.
pub fn items<'a>(object: &'a Value, pointer: &str) -> &'a [Value] {
    object
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The map at `pointer`, if present.
pub fn map<'a>(object: &'a Value, pointer: &str) -> Option<&'a Map<String, Value>> {
    object.pointer(pointer).and_then(Value::as_object)
}

/// How many entries the map or array at `pointer` has.
pub fn len(object: &Value, pointer: &str) -> i64 {
    let count = match object.pointer(pointer) {
        Some(Value::Object(map)) => map.len(),
        Some(Value::Array(array)) => array.len(),
        _ => 0,
    };
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// `text`, or `<none>` when it is empty.
pub fn or_none(text: &str) -> String {
    if text.is_empty() {
        NONE.into()
    } else {
        text.into()
    }
}

/// Go's `%v` of a bool as upstream's `printBool` spells it.
pub fn title_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// `labels.FormatLabels`: `k=v,k2=v2` sorted by key, `<none>` when empty.
pub fn format_labels(labels: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<(&String, &str)> = labels
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    or_none(&joined)
}

/// `metav1.LabelSelectorAsSelector(selector).String()`: requirements sorted
/// by key, `matchLabels` as `k=v`, expressions as `k in (a,b)`,
/// `k notin (a)`, `k`, `!k`. Empty for a missing or empty selector; `None`
/// when the selector is invalid.
pub fn label_selector(selector: Option<&Value>) -> Option<String> {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return Some(String::new());
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    for (key, value) in map(selector, "/matchLabels").into_iter().flatten() {
        requirements.push((key.clone(), format!("{key}={}", value.as_str()?)));
    }
    for expression in items(selector, "/matchExpressions") {
        let key = text(expression, "/key");
        let values: BTreeSet<&str> = items(expression, "/values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let joined = values.into_iter().collect::<Vec<_>>().join(",");
        let requirement = match text(expression, "/operator") {
            "In" if !joined.is_empty() => format!("{key} in ({joined})"),
            "NotIn" if !joined.is_empty() => format!("{key} notin ({joined})"),
            "Exists" if joined.is_empty() => key.to_owned(),
            "DoesNotExist" if joined.is_empty() => format!("!{key}"),
            _ => return None,
        };
        requirements.push((key.to_owned(), requirement));
    }
    // Go sorts the requirements by key only; for equal keys keep input order.
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    Some(
        requirements
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// `metav1.FormatLabelSelector`: the selector, `<none>` when it selects
/// everything or nothing, `<error>` when it is invalid.
pub fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector(selector) {
        Some(s) if s.is_empty() => NONE.into(),
        Some(s) => s,
        None => "<error>".into(),
    }
}

/// Go's generated `(*metav1.LabelSelector).String()`, a debugging dump that
/// upstream nevertheless prints for admission policy bindings.
pub fn label_selector_dump(selector: &Value) -> String {
    let mut labels: Vec<(&String, &str)> = map(selector, "/matchLabels")
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    labels.sort();
    let labels: String = labels.iter().map(|(k, v)| format!("{k}: {v},")).collect();
    let expressions: String = items(selector, "/matchExpressions")
        .iter()
        .map(|e| {
            let values: Vec<&str> = items(e, "/values")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                text(e, "/key"),
                text(e, "/operator"),
                values.join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
}

/// Upstream's `layoutContainerCells`: container names and images, each
/// joined with commas.
pub fn container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| text(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| text(c, "/image")).collect();
    (names.join(","), images.join(","))
}

/// Upstream's `listWithMoreString`: at most `shown` entries, then
/// `+ N more...`; `<unset>` when there are none.
pub fn list_with_more(entries: &[String], shown: usize) -> String {
    if entries.len() > shown {
        return format!(
            "{} + {} more...",
            entries[..shown].join(","),
            entries.len() - shown
        );
    }
    if entries.is_empty() {
        return UNSET.into();
    }
    entries.join(",")
}

/// The value of an int-or-string field as Go's `IntOrString.String()`.
pub fn int_or_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn api_group(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_maps_sort_by_key() {
        let labels = json!({"tier": "web", "app": "shop"});
        assert_eq!(format_labels(labels.as_object()), "app=shop,tier=web");
        assert_eq!(format_labels(None), "<none>");
        assert_eq!(format_labels(json!({}).as_object()), "<none>");
    }

    #[test]
    fn label_selectors_print_like_upstream() {
        let selector = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["b", "a", "a"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"},
            ],
        });
        assert_eq!(
            format_label_selector(Some(&selector)),
            "app=web,!canary,env notin (prod),tier in (a,b),zone"
        );
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(format_label_selector(None), "<none>");
        let invalid = json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]});
        assert_eq!(format_label_selector(Some(&invalid)), "<error>");
        assert_eq!(label_selector(Some(&invalid)), None);
    }

    #[test]
    fn label_selector_dump_matches_go_string() {
        let selector = json!({
            "matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "k", "operator": "In", "values": ["x", "y"]}],
        });
        assert_eq!(
            label_selector_dump(&selector),
            "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}"
        );
    }

    #[test]
    fn lists_with_more() {
        let entries: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(list_with_more(&entries, 3), "a,b,c + 2 more...");
        assert_eq!(list_with_more(&entries[..3], 3), "a,b,c");
        assert_eq!(list_with_more(&[], 3), "<unset>");
    }

    #[test]
    fn containers_join_names_and_images() {
        let containers = json!([
            {"name": "web", "image": "nginx:1.27"},
            {"name": "log", "image": "busybox"},
        ]);
        assert_eq!(
            container_cells(containers.as_array().unwrap()),
            ("web,log".into(), "nginx:1.27,busybox".into())
        );
    }

    #[test]
    fn api_groups() {
        assert_eq!(api_group("apps/v1"), "apps");
        assert_eq!(api_group("v1"), "");
    }
}
