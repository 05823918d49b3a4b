//! `networking.k8s.io` kinds (Ingresses, IngressClasses, NetworkPolicies,
//! ServiceCIDRs, IPAddresses) and `discovery.k8s.io` EndpointSlices.

use serde_json::{Value, json};

use super::core::load_balancer_addresses;
use super::descriptions as doc;
use super::format::{NONE, format_label_selector, items, list_with_more, opt_text, text};
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("networking.k8s.io", "Ingress") => Columns::new(ingress_columns, ingress_cells),
        ("networking.k8s.io", "IngressClass") => {
            Columns::new(ingress_class_columns, ingress_class_cells)
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            Columns::new(network_policy_columns, network_policy_cells)
        }
        ("networking.k8s.io", "ServiceCIDR") => {
            Columns::new(service_cidr_columns, service_cidr_cells)
        }
        ("networking.k8s.io", "IPAddress") => Columns::new(ip_address_columns, ip_address_cells),
        ("discovery.k8s.io", "EndpointSlice") => {
            Columns::new(endpoint_slice_columns, endpoint_slice_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn ingress_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Class",
            "string",
            "The name of the IngressClass resource that should be used for additional configuration",
        ),
        Column::new(
            "Hosts",
            "string",
            "Hosts that incoming requests are matched against before the ingress rule",
        ),
        Column::new(
            "Address",
            "string",
            "Address is a list containing ingress points for the load-balancer",
        ),
        Column::new("Ports", "string", "Ports of TLS configurations that open"),
        age_column(),
    ]
}

/// Upstream's `formatHosts`: the first three hosts, `+ N more...` counting
/// all further rules (with or without host), `*` when no rule has a host.
fn format_hosts(rules: &[Value]) -> String {
    const SHOWN: usize = 3;
    let mut list = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == SHOWN {
            more = true;
        }
        let host = text(rule, "/host");
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".into();
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", rules.len() - SHOWN)
    } else {
        joined
    }
}

fn ingress_cells(ingress: &Value) -> Vec<Value> {
    let ports = if items(ingress, "/spec/tls").is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        name_cell(ingress),
        json!(opt_text(ingress, "/spec/ingressClassName").unwrap_or(NONE)),
        json!(format_hosts(items(ingress, "/spec/rules"))),
        json!(load_balancer_addresses(
            ingress
                .pointer("/status/loadBalancer")
                .unwrap_or(&Value::Null)
        )),
        json!(ports),
        age_cell(ingress),
    ]
}

fn ingress_class_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Controller",
            "string",
            "Controller that is responsible for handling this class",
        ),
        Column::new(
            "Parameters",
            "string",
            "A reference to a resource with additional parameters",
        ),
        age_column(),
    ]
}

fn ingress_class_cells(class: &Value) -> Vec<Value> {
    // `Kind.group/name`, `Kind/name` without a group.
    let parameters = match class.pointer("/spec/parameters").filter(|p| p.is_object()) {
        Some(p) => {
            let kind = match opt_text(p, "/apiGroup") {
                Some(group) => format!("{}.{group}", text(p, "/kind")),
                None => text(p, "/kind").to_owned(),
            };
            format!("{kind}/{}", text(p, "/name"))
        }
        None => NONE.into(),
    };
    vec![
        name_cell(class),
        json!(text(class, "/spec/controller")),
        json!(parameters),
        age_cell(class),
    ]
}

fn network_policy_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Pod-Selector",
            "string",
            doc::NETWORK_POLICY_SPEC_POD_SELECTOR,
        ),
        age_column(),
    ]
}

fn network_policy_cells(policy: &Value) -> Vec<Value> {
    // `podSelector` is a struct upstream, never nil: a missing one selects
    // everything and prints `<none>` like an empty one.
    let selector = policy
        .pointer("/spec/podSelector")
        .cloned()
        .unwrap_or_else(|| json!({}));
    vec![
        name_cell(policy),
        json!(format_label_selector(Some(&selector))),
        age_cell(policy),
    ]
}

fn service_cidr_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("CIDRs", "string", doc::SERVICE_CIDR_CIDRS),
        age_column(),
    ]
}

fn service_cidr_cells(cidr: &Value) -> Vec<Value> {
    let cidrs: Vec<&str> = items(cidr, "/spec/cidrs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    vec![name_cell(cidr), json!(cidrs.join(",")), age_cell(cidr)]
}

/// Upstream declares two columns for IPAddress yet fills three cells (the
/// third is the age); the table keeps that shape.
fn ip_address_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("ParentRef", "string", doc::IP_ADDRESS_PARENT_REF),
    ]
}

fn ip_address_cells(address: &Value) -> Vec<Value> {
    // `resource.group/namespace/name` in lower case, no namespace part for
    // cluster-scoped parents.
    let parent = match address.pointer("/spec/parentRef").filter(|p| p.is_object()) {
        Some(p) => {
            let resource = match text(p, "/group") {
                "" => text(p, "/resource").to_owned(),
                group => format!("{}.{group}", text(p, "/resource")),
            };
            let mut name = resource.to_lowercase();
            if let Some(namespace) = opt_text(p, "/namespace").filter(|n| !n.is_empty()) {
                name = format!("{name}/{namespace}");
            }
            format!("{name}/{}", text(p, "/name"))
        }
        None => NONE.into(),
    };
    vec![name_cell(address), json!(parent), age_cell(address)]
}

fn endpoint_slice_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("AddressType", "string", doc::ENDPOINT_SLICE_ADDRESS_TYPE),
        Column::new("Ports", "string", doc::ENDPOINT_SLICE_PORTS),
        Column::new("Endpoints", "string", doc::ENDPOINT_SLICE_ENDPOINTS),
        age_column(),
    ]
}

fn endpoint_slice_cells(slice: &Value) -> Vec<Value> {
    // A port is its number, else its name, else `*` (all ports).
    let ports: Vec<String> = items(slice, "/ports")
        .iter()
        .map(
            |port| match (port["port"].as_i64(), opt_text(port, "/name")) {
                (Some(number), _) => number.to_string(),
                (None, Some(name)) => name.to_owned(),
                (None, None) => "*".into(),
            },
        )
        .collect();
    let addresses: Vec<String> = items(slice, "/endpoints")
        .iter()
        .flat_map(|endpoint| items(endpoint, "/addresses"))
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    vec![
        name_cell(slice),
        json!(text(slice, "/addressType")),
        json!(list_with_more(&ports, 3)),
        json!(list_with_more(&addresses, 3)),
        age_cell(slice),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};

    #[test]
    fn ingress() {
        assert_eq!(
            column_names("networking.k8s.io", "Ingress"),
            ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
        );
        let ingress = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(3 * 3600)},
            "spec": {"ingressClassName": "nginx",
                     "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
                     "tls": [{"hosts": ["a.example.com"]}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"},
                                                    {"hostname": "lb.example.net"}]}},
        });
        assert_eq!(
            cells("networking.k8s.io", "Ingress", &ingress),
            vec![
                json!("web"),
                json!("nginx"),
                json!("a.example.com,b.example.com"),
                json!("203.0.113.5,lb.example.net"),
                json!("80, 443"),
                json!("3h"),
            ]
        );
        let bare = json!({"metadata": {"name": "x"}, "spec": {"rules": [{"http": {}}]}});
        assert_eq!(
            cells("networking.k8s.io", "Ingress", &bare)[1..5],
            [json!("<none>"), json!("*"), json!(""), json!("80")]
        );
    }

    #[test]
    fn ingress_with_many_hosts() {
        let ingress = json!({"metadata": {"name": "x"}, "spec": {"rules": [
            {"host": "a"}, {}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}});
        // Three shown; the rest counted by rule, hostless ones included.
        assert_eq!(
            cells("networking.k8s.io", "Ingress", &ingress)[2],
            json!("a,b,c + 3 more...")
        );
    }

    #[test]
    fn ingress_class() {
        let class = json!({
            "metadata": {"name": "nginx", "creationTimestamp": ago(3 * 3600)},
            "spec": {"controller": "k8s.io/ingress-nginx",
                     "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters",
                                    "name": "external-lb"}},
        });
        assert_eq!(
            cells("networking.k8s.io", "IngressClass", &class),
            vec![
                json!("nginx"),
                json!("k8s.io/ingress-nginx"),
                json!("IngressParameters.k8s.example.com/external-lb"),
                json!("3h")
            ]
        );
        let plain = json!({"metadata": {"name": "c"}, "spec": {"controller": "x"}});
        assert_eq!(
            cells("networking.k8s.io", "IngressClass", &plain)[2],
            json!("<none>")
        );
    }

    #[test]
    fn network_policy() {
        let policy = json!({"metadata": {"name": "deny", "creationTimestamp": ago(3 * 3600)},
                            "spec": {"podSelector": {"matchLabels": {"role": "db"}}}});
        assert_eq!(
            cells("networking.k8s.io", "NetworkPolicy", &policy),
            vec![json!("deny"), json!("role=db"), json!("3h")]
        );
        let all = json!({"metadata": {"name": "all"}, "spec": {"podSelector": {}}});
        assert_eq!(
            cells("networking.k8s.io", "NetworkPolicy", &all)[1],
            json!("<none>")
        );
    }

    #[test]
    fn service_cidr_and_ip_address() {
        let cidr = json!({"metadata": {"name": "kubernetes", "creationTimestamp": ago(3 * 3600)},
                          "spec": {"cidrs": ["10.96.0.0/12", "fd00:10:96::/112"]}});
        assert_eq!(
            cells("networking.k8s.io", "ServiceCIDR", &cidr),
            vec![
                json!("kubernetes"),
                json!("10.96.0.0/12,fd00:10:96::/112"),
                json!("3h")
            ]
        );
        let address = json!({"metadata": {"name": "10.96.0.1", "creationTimestamp": ago(3 * 3600)},
                             "spec": {"parentRef": {"group": "", "resource": "services",
                                                    "namespace": "default", "name": "kubernetes"}}});
        assert_eq!(
            column_names("networking.k8s.io", "IPAddress"),
            ["Name", "ParentRef"]
        );
        assert_eq!(
            cells("networking.k8s.io", "IPAddress", &address),
            vec![
                json!("10.96.0.1"),
                json!("services/default/kubernetes"),
                json!("3h")
            ]
        );
        let grouped = json!({"metadata": {"name": "a"},
                             "spec": {"parentRef": {"group": "Gateway.Networking.k8s.io",
                                                    "resource": "Gateways", "name": "gw"}}});
        assert_eq!(
            cells("networking.k8s.io", "IPAddress", &grouped)[1],
            json!("gateways.gateway.networking.k8s.io/gw")
        );
    }

    #[test]
    fn endpoint_slice() {
        assert_eq!(
            column_names("discovery.k8s.io", "EndpointSlice"),
            ["Name", "AddressType", "Ports", "Endpoints", "Age"]
        );
        let slice = json!({
            "metadata": {"name": "web-abcde", "creationTimestamp": ago(3 * 3600)},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80}, {"name": "metrics"}, {}, {"port": 9090}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]},
                          {"addresses": ["10.0.0.4"]}],
        });
        assert_eq!(
            cells("discovery.k8s.io", "EndpointSlice", &slice),
            vec![
                json!("web-abcde"),
                json!("IPv4"),
                json!("80,metrics,* + 1 more..."),
                json!("10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."),
                json!("3h"),
            ]
        );
        let empty = json!({"metadata": {"name": "e"}, "addressType": "IPv6"});
        assert_eq!(
            cells("discovery.k8s.io", "EndpointSlice", &empty)[2..4],
            [json!("<unset>"), json!("<unset>")]
        );
    }
}
