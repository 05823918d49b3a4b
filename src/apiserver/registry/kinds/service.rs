//! Services: DNS-1035 names, upstream's defaults (type, session affinity,
//! port protocols and target ports, traffic policies, IP families), the
//! values a client may leave out of an update (cluster IPs, node ports),
//! validation of ports, types and IPs, and the `spec.clusterIP` and
//! `spec.type` field selectors. Allocating cluster IPs and node ports (and settling IP
//! families) is the allocator's job (`apiserver::services`), not this one's;
//! on update this keeps what was allocated and drops what a type change
//! makes meaningless, as upstream's strategy does.

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

fn needs_cluster_ip(spec: &Value) -> bool {
    string(spec, "type") != "ExternalName"
}

fn needs_node_ports(spec: &Value) -> bool {
    matches!(string(spec, "type"), "NodePort" | "LoadBalancer")
}

fn needs_health_check_port(spec: &Value) -> bool {
    string(spec, "type") == "LoadBalancer" && string(spec, "externalTrafficPolicy") == "Local"
}

fn node_ports(spec: &Value) -> BTreeSet<i64> {
    elements(spec, "ports")
        .iter()
        .filter_map(|p| int(p, "nodePort"))
        .filter(|p| *p != 0)
        .collect()
}

/// What the server allocated stays when an update leaves it out and the
/// Service still needs it (upstream's `patchAllocatedValues`): cluster IPs
/// and families, node ports (matched by port name, unless another port
/// now uses them) and the health check node port.
fn keep_allocated_values(spec: &mut Value, old: &Value) {
    if needs_cluster_ip(old) && needs_cluster_ip(spec) {
        for allocated in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            let empty = match spec.get(allocated) {
                Some(Value::Array(a)) => a.is_empty(),
                other => is_unset(other),
            };
            if empty && let Some(value) = old.get(allocated) {
                spec[allocated] = value.clone();
            }
        }
    }
    if needs_node_ports(old) && needs_node_ports(spec) {
        let used: BTreeSet<i64> = node_ports(old)
            .intersection(&node_ports(spec))
            .copied()
            .collect();
        let by_name: Vec<(String, i64)> = elements(old, "ports")
            .iter()
            .map(|p| {
                (
                    string(p, "name").to_owned(),
                    int(p, "nodePort").unwrap_or(0),
                )
            })
            .collect();
        for port in elements_mut(spec, "ports") {
            if int(port, "nodePort").unwrap_or(0) != 0 {
                continue;
            }
            let name = string(port, "name").to_owned();
            if let Some((_, old_port)) = by_name.iter().find(|(n, _)| *n == name)
                && *old_port != 0
                && !used.contains(old_port)
            {
                port["nodePort"] = json!(old_port);
            }
        }
    }
    if needs_health_check_port(old)
        && needs_health_check_port(spec)
        && int(spec, "healthCheckNodePort").unwrap_or(0) == 0
        && let Some(port) = old.get("healthCheckNodePort")
    {
        spec["healthCheckNodePort"] = port.clone();
    }
}

fn remove(spec: &mut Value, field: &str) {
    if let Some(map) = spec.as_object_mut() {
        map.remove(field);
    }
}

/// Drops what a type change makes meaningless, where the server may have
/// set it and the client did not change it (upstream's
/// `dropTypeDependentFields`): the allocator then frees it.
fn drop_type_dependent_fields(spec: &mut Value, old: &Value) {
    if needs_cluster_ip(old) && !needs_cluster_ip(spec) {
        if elements(spec, "clusterIPs") == elements(old, "clusterIPs") {
            remove(spec, "clusterIP");
            remove(spec, "clusterIPs");
        }
        if elements(spec, "ipFamilies") == elements(old, "ipFamilies") {
            remove(spec, "ipFamilies");
        }
        if spec.get("ipFamilyPolicy") == old.get("ipFamilyPolicy") {
            remove(spec, "ipFamilyPolicy");
        }
    }
    if needs_node_ports(old)
        && !needs_node_ports(spec)
        && node_ports(old).is_superset(&node_ports(spec))
    {
        for port in elements_mut(spec, "ports") {
            remove(port, "nodePort");
        }
    }
    if needs_health_check_port(old)
        && !needs_health_check_port(spec)
        && spec.get("healthCheckNodePort") == old.get("healthCheckNodePort")
    {
        remove(spec, "healthCheckNodePort");
    }
    if string(old, "type") == "LoadBalancer"
        && string(spec, "type") != "LoadBalancer"
        && spec.get("allocateLoadBalancerNodePorts") == old.get("allocateLoadBalancerNodePorts")
    {
        remove(spec, "allocateLoadBalancerNodePorts");
    }
    if externally_accessible(old)
        && !externally_accessible(spec)
        && spec.get("externalTrafficPolicy") == old.get("externalTrafficPolicy")
    {
        remove(spec, "externalTrafficPolicy");
    }
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
        }
    }

    fn prepare_for_update(&self, service: &mut Value, old: &Value) {
        let (Some(spec), Some(old_spec)) = (
            service.get_mut("spec").filter(|s| s.is_object()),
            old.get("spec"),
        ) else {
            return;
        };
        if is_unset(spec.get("type")) {
            spec["type"] = old_spec["type"].clone();
        }
        keep_allocated_values(spec, old_spec);
        reconcile_cluster_ips(spec);
        drop_type_dependent_fields(spec, old_spec);
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
    fn headless_services_need_no_ports() {
        let spec = &created(json!({"spec": {"clusterIP": "None"}}))["spec"];
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
    fn type_changes_drop_what_the_server_set() {
        let mut old = web();
        old["spec"]["type"] = json!("NodePort");
        old["spec"]["clusterIP"] = json!("10.96.0.10");
        let mut old = created(old);
        old["spec"]["ports"][0]["nodePort"] = json!(30080);
        let mut to_cluster_ip = old.clone();
        to_cluster_ip["spec"]["type"] = json!("ClusterIP");
        ServiceStrategy.prepare_for_update(&mut to_cluster_ip, &old);
        assert!(to_cluster_ip["spec"]["ports"][0].get("nodePort").is_none());
        assert!(to_cluster_ip["spec"].get("externalTrafficPolicy").is_none());
        assert_eq!(to_cluster_ip["spec"]["clusterIP"], "10.96.0.10");
        let mut external = old.clone();
        external["spec"]["type"] = json!("ExternalName");
        external["spec"]["externalName"] = json!("db.example.com");
        ServiceStrategy.prepare_for_update(&mut external, &old);
        assert!(external["spec"].get("clusterIP").is_none());
        assert!(external["spec"].get("clusterIPs").is_none());
        assert!(ServiceStrategy.validate(&external).is_empty());
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
