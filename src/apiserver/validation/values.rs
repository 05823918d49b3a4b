//! Checks of single values that many kinds share: port numbers and
//! names, environment variable names, config keys, IP addresses, and
//! number ranges, with upstream's wording.

pub const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";
pub const NEGATIVE: &str = "must be greater than or equal to 0";
pub const IP_FORMAT: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const IANA_SVC_NAME_MAX: usize = 15;
const CONFIG_KEY_MAX: usize = 253;
const ENV_VAR_NAME_FORMAT: &str = "a valid environment variable name must consist only of printable ASCII characters other than '='";
const CONFIG_KEY_FORMAT: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// Whether `port` is a usable port number (1-65535).
pub fn is_port(port: i64) -> bool {
    (1..=65535).contains(&port)
}

/// Problems with `name` as a port name (an IANA service name).
pub fn port_name_errors(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.len() > IANA_SVC_NAME_MAX {
        errors.push(format!(
            "must be no more than {IANA_SVC_NAME_MAX} characters"
        ));
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errors
            .push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)".into());
    }
    if name.contains("--") {
        errors.push("must not contain consecutive hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errors.push("must not begin or end with a hyphen".into());
    }
    errors
}

/// Problems with `name` as an environment variable name (upstream's
/// relaxed rule, on by default since 1.32).
pub fn env_var_name_errors(name: &str) -> Vec<String> {
    if name
        .bytes()
        .all(|c| (b' '..=b'~').contains(&c) && c != b'=')
    {
        Vec::new()
    } else {
        vec![ENV_VAR_NAME_FORMAT.into()]
    }
}

/// Problems with `key` as a key of ConfigMap or Secret data.
pub fn config_key_errors(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if key.len() > CONFIG_KEY_MAX {
        errors.push(format!("must be no more than {CONFIG_KEY_MAX} characters"));
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        errors.push(CONFIG_KEY_FORMAT.into());
    }
    match key {
        "." => errors.push("must not be '.'".into()),
        ".." => errors.push("must not be '..'".into()),
        _ if key.starts_with("..") => errors.push("must not start with '..'".into()),
        _ => {}
    }
    errors
}

/// Whether `text` is an IP address as upstream accepts one (no leading
/// zeros in IPv4, no zone).
pub fn is_ip(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names() {
        assert!(port_name_errors("http").is_empty());
        assert!(port_name_errors("http-2").is_empty());
        assert_eq!(
            port_name_errors("HTTP"),
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)"
            ]
        );
        assert_eq!(
            port_name_errors("a--b"),
            ["must not contain consecutive hyphens"]
        );
        assert_eq!(
            port_name_errors("-ab"),
            ["must not begin or end with a hyphen"]
        );
        assert_eq!(
            port_name_errors("a-very-long-port-name"),
            ["must be no more than 15 characters"]
        );
        assert_eq!(
            port_name_errors("8080"),
            ["must contain at least one letter (a-z)"]
        );
    }

    #[test]
    fn env_names_and_config_keys() {
        assert!(env_var_name_errors("MY_VAR.x-1").is_empty());
        assert!(env_var_name_errors("1abc").is_empty());
        assert_eq!(env_var_name_errors("A=B"), [ENV_VAR_NAME_FORMAT]);
        assert!(config_key_errors("app.properties").is_empty());
        assert_eq!(config_key_errors("a/b"), [CONFIG_KEY_FORMAT]);
        assert_eq!(config_key_errors(".."), ["must not be '..'"]);
        assert_eq!(config_key_errors("..x"), ["must not start with '..'"]);
    }

    #[test]
    fn ports_and_ips() {
        assert!(is_port(80) && is_port(65535));
        assert!(!is_port(0) && !is_port(65536));
        assert!(is_ip("10.0.0.1") && is_ip("2001:db8::1"));
        assert!(!is_ip("10.0.0") && !is_ip("None"));
    }
}
