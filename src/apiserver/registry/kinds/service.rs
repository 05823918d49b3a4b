//! Services: DNS-1035 names, upstream's defaults (type, session affinity,
//! port protocols and target ports, traffic policies, IP families), the
//! values a client may leave out of an update (cluster IPs, node ports),
//! validation of ports, types and IPs, and the `spec.clusterIP` and
//! `spec.type` field selectors. Allocating cluster IPs and node ports is
//! the allocator's job, not this one's.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::fields::{
    default_field, elements, elements_mut, get, int, is_unset, selectable, string,
};
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::labels::validate_labels;
use crate::apiserver::validation::names::{NameRule, label_errors, subdomain_errors};
use crate::apiserver::validation::values::{
    IP_FORMAT, PORT_RANGE, is_ip, is_port, port_name_errors,
};

/// How long ClientIP affinity sticks unless told (three hours).
const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS: i64 = 10800;
const HEADLESS: &str = "None";

pub struct ServiceStrategy;

fn service_type(service: &Value) -> &str {
    string(get(service, "spec"), "type")
}

/// Whether traffic can reach the service from outside the cluster.
fn externally_accessible(spec: &Value) -> bool {
    matches!(string(spec, "type"), "LoadBalancer" | "NodePort")
        || (string(spec, "type") == "ClusterIP" && !elements(spec, "externalIPs").is_empty())
}

/// `clusterIP` and `clusterIPs` say the same thing; fill whichever is
/// missing from the other, as upstream's REST layer does.
fn reconcile_cluster_ips(spec: &mut Value) {
    let first = elements(spec, "clusterIPs")
        .first()
        .and_then(Value::as_str)
        .map(str::to_owned);
    let single = string(spec, "clusterIP").to_owned();
    match (single.is_empty(), first) {
        (false, None) => spec["clusterIPs"] = json!([single]),
        (true, Some(first)) => spec["clusterIP"] = json!(first),
        _ => {}
    }
}

/// The IP families and policy of a new service, for a single-stack IPv4
/// cluster: what the allocator would settle on.
fn default_ip_families(spec: &mut Value) {
    if string(spec, "type") == "ExternalName" {
        return;
    }
    let headless = string(spec, "clusterIP") == HEADLESS;
    let selectorless = get(spec, "selector")
        .as_object()
        .is_none_or(|m| m.is_empty());
    if headless && selectorless {
        // Headless services without selectors carry endpoints of any family.
        default_field(spec, "ipFamilyPolicy", "RequireDualStack");
        default_field(spec, "ipFamilies", json!(["IPv4", "IPv6"]));
        return;
    }
    default_field(spec, "ipFamilyPolicy", "SingleStack");
    if elements(spec, "ipFamilies").is_empty() {
        let family = match string(spec, "clusterIP").parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(_)) => "IPv6",
            _ => "IPv4",
        };
        spec["ipFamilies"] = json!([family]);
    }
}

fn validate_ports(spec: &Value, errors: &mut Vec<FieldError>) {
    let kind = string(spec, "type");
    let ports = elements(spec, "ports");
    let headless = string(spec, "clusterIP") == HEADLESS;
    if ports.is_empty() && kind != "ExternalName" && !headless {
        errors.push(FieldError::required("spec.ports", ""));
    }
    let require_names = ports.len() > 1;
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let at = format!("spec.ports[{i}]");
        let name = string(port, "name");
        if name.is_empty() {
            if require_names {
                errors.push(FieldError::required(format!("{at}.name"), ""));
            }
        } else {
            for e in label_errors(name) {
                errors.push(FieldError::invalid(format!("{at}.name"), name, e));
            }
            if !names.insert(name) {
                errors.push(FieldError::duplicate(format!("{at}.name"), name));
            }
        }
        let number = int(port, "port").unwrap_or(0);
        if !is_port(number) {
            errors.push(FieldError::invalid(
                format!("{at}.port"),
                number,
                PORT_RANGE,
            ));
        }
        let protocol = string(port, "protocol");
        match protocol {
            "TCP" | "UDP" | "SCTP" => {}
            "" => errors.push(FieldError::required(format!("{at}.protocol"), "")),
            other => errors.push(FieldError::not_supported(
                format!("{at}.protocol"),
                other,
                &["SCTP", "TCP", "UDP"],
            )),
        }
        match get(port, "targetPort") {
            Value::Number(n) => {
                let n = n.as_i64().unwrap_or(0);
                if !is_port(n) {
                    errors.push(FieldError::invalid(
                        format!("{at}.targetPort"),
                        n,
                        PORT_RANGE,
                    ));
                }
            }
            Value::String(s) => {
                for e in port_name_errors(s) {
                    errors.push(FieldError::invalid(
                        format!("{at}.targetPort"),
                        s.as_str(),
                        e,
                    ));
                }
            }
            _ => {}
        }
        let node_port = int(port, "nodePort").unwrap_or(0);
        if node_port != 0 {
            if kind == "ClusterIP" {
                errors.push(FieldError::forbidden(
                    format!("{at}.nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else if !is_port(node_port) {
                errors.push(FieldError::invalid(
                    format!("{at}.nodePort"),
                    node_port,
                    PORT_RANGE,
                ));
            }
        }
        if !seen.insert((number, protocol)) {
            errors.push(FieldError::duplicate(at, port.clone()));
        }
    }
}

fn validate_enum(spec: &Value, field: &str, supported: &[&str], errors: &mut Vec<FieldError>) {
    let value = string(spec, field);
    if !value.is_empty() && !supported.contains(&value) {
        errors.push(FieldError::not_supported(
            format!("spec.{field}"),
            value,
            supported,
        ));
    }
}

fn validate_spec(spec: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let kind = string(spec, "type");
    match kind {
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        "" => errors.push(FieldError::required("spec.type", "")),
        other => errors.push(FieldError::not_supported(
            "spec.type",
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    validate_ports(spec, &mut errors);
    match string(spec, "sessionAffinity") {
        "None" | "ClientIP" => {}
        "" => errors.push(FieldError::required("spec.sessionAffinity", "")),
        other => errors.push(FieldError::not_supported(
            "spec.sessionAffinity",
            other,
            &["ClientIP", "None"],
        )),
    }
    if let Some(selector) = spec.get("selector") {
        errors.extend(validate_labels(selector, "spec.selector"));
    }
    if kind == "ExternalName" {
        let name = string(spec, "externalName");
        if name.is_empty() {
            errors.push(FieldError::required("spec.externalName", ""));
        } else {
            let name = name.strip_suffix('.').unwrap_or(name);
            for e in subdomain_errors(name) {
                errors.push(FieldError::invalid("spec.externalName", name, e));
            }
        }
    } else {
        let cluster_ips = elements(spec, "clusterIPs");
        for (i, ip) in cluster_ips.iter().enumerate() {
            let ip = ip.as_str().unwrap_or_default();
            if ip == HEADLESS && i == 0 && cluster_ips.len() == 1 {
                continue;
            }
            if !is_ip(ip) {
                errors.push(FieldError::invalid(
                    format!("spec.clusterIPs[{i}]"),
                    ip,
                    IP_FORMAT,
                ));
            }
        }
        let cluster_ip = string(spec, "clusterIP");
        if let Some(first) = cluster_ips.first().and_then(Value::as_str)
            && first != cluster_ip
        {
            errors.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                first,
                "must match `clusterIP` when `clusterIP` is set",
            ));
        }
    }
    for (i, ip) in elements(spec, "externalIPs").iter().enumerate() {
        let ip = ip.as_str().unwrap_or_default();
        if !is_ip(ip) {
            errors.push(FieldError::invalid(
                format!("spec.externalIPs[{i}]"),
                ip,
                IP_FORMAT,
            ));
        }
    }
    validate_enum(
        spec,
        "externalTrafficPolicy",
        &["Cluster", "Local"],
        &mut errors,
    );
    validate_enum(
        spec,
        "internalTrafficPolicy",
        &["Cluster", "Local"],
        &mut errors,
    );
    validate_enum(
        spec,
        "ipFamilyPolicy",
        &["SingleStack", "PreferDualStack", "RequireDualStack"],
        &mut errors,
    );
    for (i, family) in elements(spec, "ipFamilies").iter().enumerate() {
        let family = family.as_str().unwrap_or_default();
        if family != "IPv4" && family != "IPv6" {
            errors.push(FieldError::not_supported(
                format!("spec.ipFamilies[{i}]"),
                family,
                &["IPv4", "IPv6"],
            ));
        }
    }
    errors
}

fn go_strings(values: &[Value]) -> String {
    let body: Vec<String> = values
        .iter()
        .map(|v| format!("{:?}", v.as_str().unwrap_or_default()))
        .collect();
    format!("[]string{{{}}}", body.join(", "))
}

impl Strategy for ServiceStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::Dns1035Label
    }

    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn default(&self, service: &mut Value) {
        let Some(spec) = service.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        default_field(spec, "sessionAffinity", "None");
        match string(spec, "sessionAffinity") {
            "None" => {
                if let Some(map) = spec.as_object_mut() {
                    map.remove("sessionAffinityConfig");
                }
            }
            "ClientIP"
                if spec
                    .pointer("/sessionAffinityConfig/clientIP/timeoutSeconds")
                    .is_none_or(Value::is_null) =>
            {
                spec["sessionAffinityConfig"] = json!({
                    "clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT_SECONDS}
                });
            }
            _ => {}
        }
        default_field(spec, "type", "ClusterIP");
        for port in elements_mut(spec, "ports") {
            default_field(port, "protocol", "TCP");
            let target = port.get("targetPort");
            if is_unset(target) || target.and_then(Value::as_i64) == Some(0) {
                port["targetPort"] = get(port, "port").clone();
            }
        }
        if externally_accessible(spec) {
            default_field(spec, "externalTrafficPolicy", "Cluster");
        }
        if matches!(
            string(spec, "type"),
            "ClusterIP" | "NodePort" | "LoadBalancer"
        ) {
            default_field(spec, "internalTrafficPolicy", "Cluster");
        }
        if string(spec, "type") == "LoadBalancer" {
            default_field(spec, "allocateLoadBalancerNodePorts", true);
        }
    }

    fn prepare_for_create(&self, service: &mut Value) {
        service["status"] = json!({"loadBalancer": {}});
        if let Some(spec) = service.get_mut("spec").filter(|s| s.is_object()) {
            default_field(spec, "type", "ClusterIP");
            reconcile_cluster_ips(spec);
            default_ip_families(spec);
        }
    }

    fn prepare_for_update(&self, service: &mut Value, old: &Value) {
        let (Some(spec), Some(old_spec)) = (
            service.get_mut("spec").filter(|s| s.is_object()),
            old.get("spec"),
        ) else {
            return;
        };
        // What the server allocated stays unless the client names it.
        let same_kind =
            string(spec, "type") == string(old_spec, "type") || string(spec, "type").is_empty();
        if same_kind {
            for allocated in [
                "clusterIP",
                "clusterIPs",
                "ipFamilies",
                "ipFamilyPolicy",
                "healthCheckNodePort",
            ] {
                if is_unset(spec.get(allocated))
                    && let Some(value) = old_spec.get(allocated)
                {
                    spec[allocated] = value.clone();
                }
            }
            let old_ports = elements(old_spec, "ports").to_vec();
            for port in elements_mut(spec, "ports") {
                if int(port, "nodePort").unwrap_or(0) != 0 {
                    continue;
                }
                let matching = old_ports.iter().find(|o| {
                    int(o, "port") == int(port, "port")
                        && (string(o, "protocol") == string(port, "protocol")
                            || string(port, "protocol").is_empty())
                });
                if let Some(node_port) = matching.and_then(|o| o.get("nodePort")) {
                    port["nodePort"] = node_port.clone();
                }
            }
        }
        reconcile_cluster_ips(spec);
    }

    fn validate(&self, service: &Value) -> Vec<FieldError> {
        validate_spec(get(service, "spec"))
    }

    fn validate_update(&self, service: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let (spec, old_spec) = (get(service, "spec"), get(old, "spec"));
        // Cluster IPs are fixed, unless the service becomes or stops being
        // an ExternalName (which has none).
        if service_type(service) == "ExternalName" || service_type(old) == "ExternalName" {
            return errors;
        }
        let (new_ips, old_ips) = (
            elements(spec, "clusterIPs"),
            elements(old_spec, "clusterIPs"),
        );
        for (i, before) in old_ips.iter().enumerate() {
            match new_ips.get(i) {
                Some(after) if after == before => {}
                // Dropping a secondary IP is a downgrade upstream allows.
                None if i > 0 => {}
                _ => {
                    errors.push(FieldError::invalid_printed(
                        format!("spec.clusterIPs[{i}]"),
                        go_strings(new_ips),
                        "may not change once set",
                    ));
                    break;
                }
            }
        }
        errors
    }

    fn field_value(&self, service: &Value, field: &str) -> FieldLookup {
        match field {
            "spec.clusterIP" => selectable(service, "/spec/clusterIP"),
            "spec.type" => selectable(service, "/spec/type"),
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(mut service: Value) -> Value {
        ServiceStrategy.prepare_for_create(&mut service);
        ServiceStrategy.default(&mut service);
        service
    }

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    fn web() -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
            "ports": [{"port": 80}]}})
    }

    #[test]
    fn defaults() {
        let service = created(web());
        assert_eq!(
            service["spec"],
            json!({
                "selector": {"app": "web"},
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                "type": "ClusterIP",
                "sessionAffinity": "None",
                "internalTrafficPolicy": "Cluster",
                "ipFamilyPolicy": "SingleStack",
                "ipFamilies": ["IPv4"],
            })
        );
        assert_eq!(service["status"], json!({"loadBalancer": {}}));
        assert!(ServiceStrategy.validate(&service).is_empty());
    }

    #[test]
    fn externally_reachable_defaults() {
        let mut service = web();
        service["spec"]["type"] = json!("LoadBalancer");
        service["spec"]["sessionAffinity"] = json!("ClientIP");
        let spec = &created(service)["spec"];
        assert_eq!(spec["externalTrafficPolicy"], "Cluster");
        assert_eq!(spec["allocateLoadBalancerNodePorts"], true);
        assert_eq!(
            spec["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
            10800
        );
    }

    #[test]
    fn headless_without_selector_is_dual_stack() {
        let spec = &created(json!({"spec": {"clusterIP": "None"}}))["spec"];
        assert_eq!(spec["ipFamilyPolicy"], "RequireDualStack");
        assert_eq!(spec["clusterIPs"], json!(["None"]));
        assert!(validate_spec(spec).is_empty());
    }

    #[test]
    fn names_are_dns_1035_labels() {
        assert_eq!(ServiceStrategy.name_rule(), NameRule::Dns1035Label);
    }

    #[test]
    fn ports_are_checked() {
        let service = created(json!({"spec": {"type": "ClusterIP", "ports": [
            {"name": "http", "port": 80},
            {"port": 0, "nodePort": 30080, "targetPort": "Http_X"},
            {"name": "http", "port": 80, "protocol": "ICMP"},
        ]}}));
        assert_eq!(
            lines(&ServiceStrategy.validate(&service)),
            [
                "spec.ports[1].name: Required value",
                "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].targetPort: Invalid value: \"Http_X\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                "spec.ports[2].name: Duplicate value: \"http\"",
                "spec.ports[2].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
        let service = created(json!({"spec": {"selector": {"a": "b"}}}));
        assert_eq!(
            lines(&ServiceStrategy.validate(&service)),
            ["spec.ports: Required value"]
        );
    }

    #[test]
    fn types_ips_and_selectors_are_checked() {
        let mut service = created(web());
        service["spec"]["type"] = json!("Magic");
        service["spec"]["clusterIP"] = json!("10.0.0.300");
        service["spec"]["clusterIPs"] = json!(["10.0.0.300"]);
        service["spec"]["selector"] = json!({"app": "-bad"});
        let found = lines(&ServiceStrategy.validate(&service));
        assert_eq!(
            found[0],
            "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
        );
        assert!(found[1].starts_with("spec.selector: Invalid value: \"-bad\""));
        assert_eq!(
            found[2],
            format!("spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": {IP_FORMAT}")
        );
        let external = created(json!({"spec": {"type": "ExternalName"}}));
        assert_eq!(
            lines(&ServiceStrategy.validate(&external)),
            ["spec.externalName: Required value"]
        );
    }

    #[test]
    fn cluster_ips_and_node_ports_survive_updates_and_cannot_change() {
        let mut old = web();
        old["spec"]["type"] = json!("NodePort");
        old["spec"]["clusterIP"] = json!("10.96.0.10");
        let mut old = created(old);
        old["spec"]["ports"][0]["nodePort"] = json!(30080);
        let mut new = web();
        new["spec"]["type"] = json!("NodePort");
        ServiceStrategy.prepare_for_update(&mut new, &old);
        ServiceStrategy.default(&mut new);
        assert_eq!(new["spec"]["clusterIP"], "10.96.0.10");
        assert_eq!(new["spec"]["ports"][0]["nodePort"], 30080);
        assert!(ServiceStrategy.validate_update(&new, &old).is_empty());
        new["spec"]["clusterIP"] = json!("10.96.0.11");
        new["spec"]["clusterIPs"] = json!(["10.96.0.11"]);
        assert_eq!(
            lines(&ServiceStrategy.validate_update(&new, &old)),
            [
                "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"
            ]
        );
    }

    #[test]
    fn field_selectors() {
        let service = created(web());
        assert_eq!(
            ServiceStrategy.field_value(&service, "spec.type"),
            FieldLookup::Value("ClusterIP".into())
        );
        assert_eq!(
            ServiceStrategy.field_value(&json!({}), "spec.clusterIP"),
            FieldLookup::Value("".into())
        );
        assert_eq!(
            ServiceStrategy.field_value(&service, "spec.ports"),
            FieldLookup::Unsupported
        );
    }
}
