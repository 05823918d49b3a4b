//! Name rules: DNS-1123 subdomains and labels, path segments, qualified
//! names — each returning upstream's wording of what is wrong.

/// The rule a kind's object names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// RFC 1123 subdomain (most kinds: configmaps, pods, deployments, …).
    Subdomain,
    /// RFC 1123 label (namespaces, …).
    Label,
    /// RFC 1035 label: an RFC 1123 label that starts with a letter
    /// (services, whose names become DNS names and environment variables).
    Dns1035Label,
    /// Anything usable as a path segment (RBAC roles, …).
    PathSegment,
}

const SUBDOMAIN_MAX: usize = 253;
const LABEL_MAX: usize = 63;

const SUBDOMAIN_FORMAT: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_FORMAT: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_FORMAT: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || *c == b'-')
        && !b.iter().any(|c| c.is_ascii_uppercase())
}

/// Problems with `name` as an RFC 1123 subdomain (empty when valid).
pub fn subdomain_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > SUBDOMAIN_MAX {
        errors.push(format!("must be no more than {SUBDOMAIN_MAX} characters"));
    }
    if !name.split('.').all(is_label) {
        errors.push(SUBDOMAIN_FORMAT.into());
    }
    errors
}

/// Problems with `name` as an RFC 1123 label (empty when valid).
pub fn label_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > LABEL_MAX {
        errors.push(format!("must be no more than {LABEL_MAX} characters"));
    }
    if !is_label(name) {
        errors.push(LABEL_FORMAT.into());
    }
    errors
}

/// Problems with `name` as an RFC 1035 label (empty when valid).
pub fn dns1035_label_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > LABEL_MAX {
        errors.push(format!("must be no more than {LABEL_MAX} characters"));
    }
    if !(is_label(name) && name.as_bytes()[0].is_ascii_lowercase()) {
        errors.push(DNS1035_LABEL_FORMAT.into());
    }
    errors
}

/// Problems with `name` as a path segment (empty when valid).
pub fn path_segment_errors(name: &str) -> Vec<String> {
    if name == "." || name == ".." {
        return vec![format!("may not be '{name}'")];
    }
    ["/", "%"]
        .iter()
        .filter(|bad| name.contains(*bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect()
}

impl NameRule {
    /// Problems with `name` under this rule. With `prefix`, a trailing `-`
    /// is allowed (a generateName prefix gets random characters appended).
    pub fn errors(self, name: &str, prefix: bool) -> Vec<String> {
        let name = if prefix {
            name.strip_suffix('-')
                .map_or(name.to_owned(), |n| format!("{n}a"))
        } else {
            name.to_owned()
        };
        match self {
            NameRule::Subdomain => subdomain_errors(&name),
            NameRule::Label => label_errors(&name),
            NameRule::Dns1035Label => dns1035_label_errors(&name),
            NameRule::PathSegment => path_segment_errors(&name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(subdomain_errors("web-1.example").is_empty());
        assert_eq!(
            subdomain_errors("Bad_Name"),
            vec![SUBDOMAIN_FORMAT.to_string()]
        );
        assert!(!subdomain_errors(&"a".repeat(254)).is_empty());
        assert!(label_errors("kube-system").is_empty());
        assert!(!label_errors("a.b").is_empty());
        assert!(path_segment_errors("system:admin").is_empty());
        assert_eq!(
            path_segment_errors("a/b"),
            vec!["may not contain '/'".to_string()]
        );
        assert!(NameRule::Subdomain.errors("web-", true).is_empty());
        assert!(!NameRule::Subdomain.errors("web-", false).is_empty());
    }

    #[test]
    fn dns1035_labels_start_with_a_letter() {
        assert!(dns1035_label_errors("web-1").is_empty());
        assert_eq!(
            dns1035_label_errors("1web"),
            vec![DNS1035_LABEL_FORMAT.to_string()]
        );
        assert!(label_errors("1web").is_empty());
        assert!(!dns1035_label_errors("Web").is_empty());
        assert!(!dns1035_label_errors("a.b").is_empty());
        assert!(NameRule::Dns1035Label.errors("svc-", true).is_empty());
        assert!(!NameRule::Subdomain.errors("web-", false).is_empty());
    }
}
