//! Endpoints and EndpointSlices: port protocols default to TCP (and slice
//! port names to ""), addresses and ports are checked, and PUT of missing
//! Endpoints creates them, as upstream allows for the endpoints controller.

use serde_json::Value;

use super::fields::{default_field, elements, elements_mut, int, string};
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::values::{IP_FORMAT, PORT_RANGE, is_ip, is_port};

pub struct EndpointsStrategy;

pub struct EndpointSliceStrategy;

fn validate_port(port: &Value, at: &str, errors: &mut Vec<FieldError>) {
    if let Some(number) = int(port, "port")
        && !is_port(number)
    {
        errors.push(FieldError::invalid(
            format!("{at}.port"),
            number,
            PORT_RANGE,
        ));
    }
    match string(port, "protocol") {
        "TCP" | "UDP" | "SCTP" | "" => {}
        other => errors.push(FieldError::not_supported(
            format!("{at}.protocol"),
            other,
            &["SCTP", "TCP", "UDP"],
        )),
    }
}

impl Strategy for EndpointsStrategy {
    fn default(&self, endpoints: &mut Value) {
        for subset in elements_mut(endpoints, "subsets") {
            for port in elements_mut(subset, "ports") {
                default_field(port, "protocol", "TCP");
            }
        }
    }

    fn validate(&self, endpoints: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (i, subset) in elements(endpoints, "subsets").iter().enumerate() {
            for list in ["addresses", "notReadyAddresses"] {
                for (j, address) in elements(subset, list).iter().enumerate() {
                    let ip = string(address, "ip");
                    if !is_ip(ip) {
                        errors.push(FieldError::invalid(
                            format!("subsets[{i}].{list}[{j}].ip"),
                            ip,
                            IP_FORMAT,
                        ));
                    }
                }
            }
            for (j, port) in elements(subset, "ports").iter().enumerate() {
                validate_port(port, &format!("subsets[{i}].ports[{j}]"), &mut errors);
            }
        }
        errors
    }

    fn allow_create_on_update(&self) -> bool {
        true
    }
}

impl Strategy for EndpointSliceStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn default(&self, slice: &mut Value) {
        for port in elements_mut(slice, "ports") {
            default_field(port, "protocol", "TCP");
            if port.get("name").is_none_or(Value::is_null) {
                port["name"] = Value::String(String::new());
            }
        }
    }

    fn validate(&self, slice: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let address_type = string(slice, "addressType");
        match address_type {
            "IPv4" | "IPv6" | "FQDN" => {}
            "" => errors.push(FieldError::required("addressType", "")),
            other => errors.push(FieldError::not_supported(
                "addressType",
                other,
                &["IPv4", "IPv6", "FQDN"],
            )),
        }
        for (i, endpoint) in elements(slice, "endpoints").iter().enumerate() {
            let addresses = elements(endpoint, "addresses");
            if addresses.is_empty() {
                errors.push(FieldError::required(
                    format!("endpoints[{i}].addresses"),
                    "must contain at least 1 address",
                ));
            }
            for (j, address) in addresses.iter().enumerate() {
                let address = address.as_str().unwrap_or_default();
                let ok = match address_type {
                    "IPv4" => address.parse::<std::net::Ipv4Addr>().is_ok(),
                    "IPv6" => address.parse::<std::net::Ipv6Addr>().is_ok(),
                    _ => true,
                };
                if !ok {
                    errors.push(FieldError::invalid(
                        format!("endpoints[{i}].addresses[{j}]"),
                        address,
                        format!("must be a valid {address_type} address"),
                    ));
                }
            }
        }
        for (i, port) in elements(slice, "ports").iter().enumerate() {
            validate_port(port, &format!("ports[{i}]"), &mut errors);
        }
        errors
    }

    fn validate_update(&self, slice: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if string(slice, "addressType") != string(old, "addressType") {
            errors.push(FieldError::immutable(
                "addressType",
                string(slice, "addressType"),
            ));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_default_and_create_on_update() {
        let mut ep =
            json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
        EndpointsStrategy.default(&mut ep);
        assert_eq!(ep["subsets"][0]["ports"][0]["protocol"], "TCP");
        assert!(EndpointsStrategy.validate(&ep).is_empty());
        assert!(EndpointsStrategy.allow_create_on_update());
        let bad = json!({"subsets": [{"addresses": [{"ip": "nope"}]}]});
        assert_eq!(
            EndpointsStrategy.validate(&bad)[0].line(),
            format!("subsets[0].addresses[0].ip: Invalid value: \"nope\": {IP_FORMAT}")
        );
    }

    #[test]
    fn endpoint_slices() {
        let mut slice = json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}],
            "ports": [{"port": 80}]});
        EndpointSliceStrategy.default(&mut slice);
        assert_eq!(
            slice["ports"][0],
            json!({"port": 80, "protocol": "TCP", "name": ""})
        );
        assert!(EndpointSliceStrategy.validate(&slice).is_empty());
        let mut changed = slice.clone();
        changed["addressType"] = json!("IPv6");
        changed["endpoints"][0]["addresses"][0] = json!("fd00::1");
        assert_eq!(
            EndpointSliceStrategy.validate_update(&changed, &slice)[0].line(),
            "addressType: Invalid value: \"IPv6\": field is immutable"
        );
        let bad = json!({"addressType": "IPv6", "endpoints": [{"addresses": ["10.0.0.1"]}]});
        assert_eq!(
            EndpointSliceStrategy.validate(&bad)[0].line(),
            "endpoints[0].addresses[0]: Invalid value: \"10.0.0.1\": must be a valid IPv6 address"
        );
    }
}
