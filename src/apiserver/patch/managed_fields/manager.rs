//! Who a write is credited to: the `fieldManager` parameter, else the
//! User-Agent up to its first `/` (`kubectl`, `kube-rs`), as upstream
//! names managers; and the identity of a `managedFields` entry (manager,
//! operation, apiVersion of updates, subresource).

use std::fmt;

use serde_json::Value;

/// The longest `fieldManager` upstream accepts (bytes).
pub const MAX_LENGTH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Whether Go's `unicode.IsPrint` holds for `c`.
fn printable(c: char) -> bool {
    !c.is_control() && (c == ' ' || !c.is_whitespace())
}

/// The manager of a write: `fieldManager` if given, else the User-Agent's
/// product name (printable characters, at most 128 bytes), else
/// `unknown`.
pub fn manager_name(field_manager: Option<&str>, user_agent: Option<&str>) -> String {
    if let Some(manager) = field_manager.filter(|m| !m.is_empty()) {
        return manager.to_owned();
    }
    let product = user_agent
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    let mut name = String::new();
    for c in product.chars().filter(|c| printable(*c)) {
        if name.len() + c.len_utf8() > MAX_LENGTH {
            break;
        }
        name.push(c);
    }
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

/// What identifies a `managedFields` entry: one per manager, operation,
/// subresource and (for updates) API version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ManagerId {
    pub manager: String,
    pub operation: Operation,
    /// Empty for Apply entries, whose version is not part of them.
    pub api_version: String,
    pub subresource: String,
}

impl ManagerId {
    pub fn new(manager: &str, operation: Operation, api_version: &str, subresource: &str) -> Self {
        ManagerId {
            manager: manager.into(),
            operation,
            api_version: match operation {
                Operation::Apply => String::new(),
                Operation::Update => api_version.into(),
            },
            subresource: subresource.into(),
        }
    }

    /// Upstream's identifier (the entry's JSON without fields and time):
    /// what conflicts and capped managers are ordered by.
    pub fn identifier(&self) -> String {
        let mut fields: Vec<(&str, &str)> = Vec::new();
        if !self.manager.is_empty() {
            fields.push(("manager", &self.manager));
        }
        fields.push(("operation", self.operation.as_str()));
        if !self.api_version.is_empty() {
            fields.push(("apiVersion", &self.api_version));
        }
        if !self.subresource.is_empty() {
            fields.push(("subresource", &self.subresource));
        }
        // Go writes the struct's fields in declaration order.
        let parts: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:{}",
                    Value::String((*k).into()),
                    Value::String((*v).into())
                )
            })
            .collect();
        format!("{{{}}}", parts.join(","))
    }
}

/// How conflict messages name a manager: `"kubectl" using apps/v1` for
/// updates, `"kubectl"` for appliers, with the subresource if any.
impl fmt::Display for ManagerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Value::String(self.manager.clone()))?;
        if !self.subresource.is_empty() {
            write!(
                f,
                " with subresource {}",
                Value::String(self.subresource.clone())
            )?;
        }
        if self.operation == Operation::Update {
            write!(f, " using {}", self.api_version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managers_are_named_as_upstream_names_them() {
        assert_eq!(manager_name(Some("mine"), Some("kubectl/v1.32")), "mine");
        assert_eq!(
            manager_name(None, Some("kubectl/v1.32.4 (linux/amd64) kubernetes/abc")),
            "kubectl"
        );
        assert_eq!(manager_name(Some(""), None), "unknown");
        assert_eq!(manager_name(None, Some("a\u{7}b/1")), "ab");
        assert_eq!(manager_name(None, Some(&"x".repeat(200))).len(), 128);
    }

    #[test]
    fn identities_print_as_upstream() {
        let update = ManagerId::new(
            "kubectl-client-side-apply",
            Operation::Update,
            "apps/v1",
            "",
        );
        assert_eq!(
            update.to_string(),
            "\"kubectl-client-side-apply\" using apps/v1"
        );
        assert_eq!(
            update.identifier(),
            "{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\",\"apiVersion\":\"apps/v1\"}"
        );
        let apply = ManagerId::new("kubectl", Operation::Apply, "v1", "status");
        assert_eq!(apply.to_string(), "\"kubectl\" with subresource \"status\"");
        assert_eq!(
            apply.identifier(),
            "{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"subresource\":\"status\"}"
        );
    }
}
