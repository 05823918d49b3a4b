//! String formats a CRD schema may require (`format: date-time` …), checked
//! as upstream's validator checks them. Formats upstream does not know
//! are not checked (it strips them from the schema too).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use base64::Engine;

/// Whether `value` is a valid `format` string; unknown formats pass.
pub fn valid(format: &str, value: &str) -> bool {
    match format {
        "date-time" | "datetime" => value.parse::<jiff::Timestamp>().is_ok(),
        "date" => value.len() == 10 && jiff::civil::Date::from_str(value).is_ok(),
        "duration" => go_duration(value),
        "uuid" | "uuid3" | "uuid4" | "uuid5" => uuid(value, format),
        "ipv4" => Ipv4Addr::from_str(value).is_ok(),
        "ipv6" => Ipv6Addr::from_str(value).is_ok(),
        "cidr" => value.parse::<ipnet::IpNet>().is_ok(),
        "mac" => mac(value),
        "hostname" => hostname(value),
        "email" => email(value),
        "byte" => base64::engine::general_purpose::STANDARD
            .decode(value)
            .is_ok(),
        "uri" => uri(value),
        _ => true,
    }
}

/// Go's `time.ParseDuration` syntax: `300ms`, `-1.5h`, `2h45m`.
fn go_duration(value: &str) -> bool {
    let s = value.strip_prefix(['+', '-']).unwrap_or(value);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 || rest[..digits].matches('.').count() > 1 || &rest[..digits] == "." {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn uuid(value: &str, format: &str) -> bool {
    let Ok(parsed) = uuid::Uuid::parse_str(value) else {
        return false;
    };
    if value.len() != 36 {
        return false;
    }
    match format {
        "uuid3" => parsed.get_version_num() == 3,
        "uuid4" => parsed.get_version_num() == 4,
        "uuid5" => parsed.get_version_num() == 5,
        _ => true,
    }
}

fn mac(value: &str) -> bool {
    let groups: Vec<&str> = value.split([':', '-']).collect();
    matches!(groups.len(), 6 | 8 | 20)
        && groups
            .iter()
            .all(|g| g.len() == 2 && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn hostname(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && value.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn email(value: &str) -> bool {
    match value.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && hostname(domain),
        None => false,
    }
}

fn uri(value: &str) -> bool {
    match value.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(valid("date-time", "2024-01-02T03:04:05Z"));
        assert!(!valid("date-time", "yesterday"));
        assert!(valid("date", "2024-01-02"));
        assert!(valid("duration", "1h30m"));
        assert!(valid("duration", "1.5s"));
        assert!(!valid("duration", "1 hour"));
        assert!(valid("uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
        assert!(!valid("uuid4", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
        assert!(valid("ipv4", "10.0.0.1"));
        assert!(!valid("ipv4", "10.0.0.256"));
        assert!(valid("cidr", "10.0.0.0/8"));
        assert!(valid("hostname", "example.com"));
        assert!(!valid("hostname", "-bad-.com"));
        assert!(valid("email", "a@example.com"));
        assert!(valid("mac", "00:1a:2b:3c:4d:5e"));
        assert!(valid("byte", "aGVsbG8="));
        assert!(valid("uri", "https://example.com/x"));
        assert!(valid("k8s-anything", "whatever"));
    }
}
