//! Field selectors: `field=value`, `field==value`, `field!=value`, joined
//! by commas, with `\` escaping `,`, `=` and `!` in values. Which fields a
//! kind supports is the kind's business; this only parses and matches.

/// One term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    pub equals: bool,
}

/// A parsed field selector; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub terms: Vec<FieldTerm>,
}

impl FieldSelector {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn parse(input: &str) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        for part in split_unescaped(input, ',') {
            if part.trim().is_empty() {
                continue;
            }
            let (field, value, equals) = if let Some((f, v)) = split_op(&part, "!=") {
                (f, v, false)
            } else if let Some((f, v)) = split_op(&part, "==") {
                (f, v, true)
            } else if let Some((f, v)) = split_op(&part, "=") {
                (f, v, true)
            } else {
                return Err(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                ));
            };
            terms.push(FieldTerm {
                field: field.trim().to_owned(),
                value: unescape(&value),
                equals,
            });
        }
        Ok(FieldSelector { terms })
    }

    /// The value an `=` term requires of `field`, if any (lets a store
    /// narrow a list to one name or namespace).
    pub fn required(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.equals && t.field == field)
            .map(|t| t.value.as_str())
    }

    /// Matches against the kind's field values; `value_of` answers `None`
    /// for a field the kind does not know (callers reject those first).
    pub fn matches(&self, value_of: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let actual = value_of(&t.field).unwrap_or_default();
            (actual == t.value) == t.equals
        })
    }
}

/// Splits `input` on `sep` not preceded by a backslash; keeps escapes.
fn split_unescaped(input: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in input.chars() {
        if escaped {
            parts.last_mut().unwrap().push(c);
            escaped = false;
        } else if c == '\\' {
            parts.last_mut().unwrap().push(c);
            escaped = true;
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().unwrap().push(c);
        }
    }
    parts
}

/// Splits at the first unescaped `op`.
fn split_op(part: &str, op: &str) -> Option<(String, String)> {
    let bytes = part.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if part[i..].starts_with(op) {
            return Some((part[..i].to_owned(), part[i + op.len()..].to_owned()));
        }
        i += 1;
    }
    None
}

/// Drops the backslash of every `\x` escape (field selector values,
/// quoted strings in headers).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let s = FieldSelector::parse("metadata.name=a,status.phase!=Running").unwrap();
        assert_eq!(s.required("metadata.name"), Some("a"));
        let obj = |f: &str| match f {
            "metadata.name" => Some("a".to_string()),
            "status.phase" => Some("Pending".to_string()),
            _ => None,
        };
        assert!(s.matches(obj));
        let s = FieldSelector::parse("spec.nodeName==").unwrap();
        assert!(s.matches(|_| None));
        let s = FieldSelector::parse(r"metadata.name=a\,b").unwrap();
        assert_eq!(s.terms[0].value, "a,b");
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
