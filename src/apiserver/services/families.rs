//! A Service's `ipFamilyPolicy` and `ipFamilies`, settled against the
//! families the cluster serves (upstream's `initIPFamilyFields`): inferred
//! from the cluster IPs a user gave, defaulted to the cluster's first
//! family, doubled for dual-stack policies on a dual-stack cluster, and
//! refused (422) where the cluster cannot serve them.

use serde_json::{Value, json};

use super::ip_range::Family;
use crate::apiserver::registry::kinds::fields::{elements, string};
use crate::apiserver::validation::FieldError;

pub const HEADLESS: &str = "None";

fn strings(spec: &Value, field: &str) -> Vec<String> {
    elements(spec, field)
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `[]string{"a", "b"}`: how upstream prints a list of strings.
pub fn go_strings(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn policy_value(spec: &Value) -> Value {
    spec.get("ipFamilyPolicy").cloned().unwrap_or(Value::Null)
}

fn family_of(ip: &str) -> Option<Family> {
    ip.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| Family::of(&ip))
}

/// Checks the cluster-IP fields' shapes (upstream's
/// `ValidateServiceClusterIPsRelatedFields`): the loose validation the
/// allocator needs before it can trust them.
fn shape_errors(spec: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let cluster_ip = string(spec, "clusterIP");
    let ips = strings(spec, "clusterIPs");
    if !cluster_ip.is_empty() {
        match ips.first() {
            None => errors.push(FieldError::required("spec.clusterIPs", "")),
            Some(first) if first != cluster_ip => errors.push(FieldError::invalid_printed(
                "spec.clusterIPs",
                go_strings(&ips),
                "first value must match `clusterIP`",
            )),
            _ => {}
        }
    } else if !ips.is_empty() {
        errors.push(FieldError::invalid_printed(
            "spec.clusterIPs",
            go_strings(&ips),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut bad_ips = false;
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && ip == HEADLESS {
            if ips.len() > 1 {
                bad_ips = true;
                errors.push(FieldError::invalid_printed(
                    "spec.clusterIPs",
                    go_strings(&ips),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        if family_of(ip).is_none() {
            bad_ips = true;
            errors.push(FieldError::invalid(
                format!("spec.clusterIPs[{i}]"),
                ip.as_str(),
                crate::apiserver::validation::values::IP_FORMAT,
            ));
        }
    }
    if ips.len() > 2 {
        errors.push(FieldError::invalid_printed(
            "spec.clusterIPs",
            go_strings(&ips),
            "may only hold up to 2 values",
        ));
    }
    if bad_ips {
        return errors;
    }
    if ips.len() == 2 && family_of(&ips[0]) == family_of(&ips[1]) {
        errors.push(FieldError::invalid_printed(
            "spec.clusterIPs",
            go_strings(&ips),
            "may specify no more than one IP for each IP family",
        ));
    }
    let families = strings(spec, "ipFamilies");
    let headless = ips.len() == 1 && ips[0] == HEADLESS;
    if !headless {
        for (i, (ip, family)) in ips.iter().zip(&families).enumerate() {
            let wanted = Family::parse(family);
            if wanted.is_some() && family_of(ip) != wanted {
                errors.push(FieldError::invalid(
                    format!("spec.clusterIPs[{i}]"),
                    ip.as_str(),
                    format!("expected an {family} value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errors
}

/// Settles the family fields of `spec` (a Service being created, or
/// updated from `old`) on a cluster serving `cluster` (first = default).
pub fn settle(
    spec: &mut Value,
    old: Option<&Value>,
    cluster: &[Family],
) -> Result<(), Vec<FieldError>> {
    if string(spec, "type") == "ExternalName" {
        return Ok(());
    }
    let headless_selectorless = string(spec, "clusterIP") == HEADLESS
        && spec
            .get("selector")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty());
    // A PreferDualStack service that keeps its IPs and families is left
    // alone, whatever the cluster became since.
    if let Some(old) = old
        && string(spec, "ipFamilyPolicy") == "PreferDualStack"
        && string(old, "ipFamilyPolicy") == "PreferDualStack"
        && string(spec, "type") == string(old, "type")
        && string(spec, "type") != "ExternalName"
        && strings(spec, "clusterIPs") == strings(old, "clusterIPs")
        && strings(spec, "ipFamilies") == strings(old, "ipFamilies")
    {
        return Ok(());
    }
    if spec.get("ipFamilyPolicy").is_none_or(Value::is_null) {
        let inherited = old
            .and_then(|o| o.get("ipFamilyPolicy"))
            .filter(|p| !p.is_null())
            .cloned();
        spec["ipFamilyPolicy"] = match inherited {
            Some(policy) => policy,
            None if headless_selectorless => json!("RequireDualStack"),
            None => json!("SingleStack"),
        };
    }
    let errors = shape_errors(spec);
    if !errors.is_empty() {
        return Err(errors);
    }
    let policy = string(spec, "ipFamilyPolicy").to_owned();
    let mut errors = Vec::new();
    if let Some(old) = old {
        if policy == "SingleStack" {
            // Clear intent to drop the secondary IP and family.
            if strings(spec, "clusterIPs") == strings(old, "clusterIPs")
                && strings(spec, "clusterIPs").len() > 1
            {
                spec["clusterIPs"] = json!([strings(spec, "clusterIPs")[0]]);
            }
            if strings(spec, "ipFamilies") == strings(old, "ipFamilies")
                && strings(spec, "ipFamilies").len() > 1
            {
                spec["ipFamilies"] = json!([strings(spec, "ipFamilies")[0]]);
            }
        } else {
            let (ips, old_ips) = (strings(spec, "clusterIPs"), strings(old, "clusterIPs"));
            if !ips.is_empty() && ips.len() < old_ips.len() {
                errors.push(FieldError::invalid(
                    "spec.ipFamilyPolicy",
                    policy_value(spec),
                    "must be 'SingleStack' to release the secondary cluster IP",
                ));
            }
            let (families, old_families) =
                (strings(spec, "ipFamilies"), strings(old, "ipFamilies"));
            if !families.is_empty() && families.len() < old_families.len() {
                errors.push(FieldError::invalid(
                    "spec.ipFamilyPolicy",
                    policy_value(spec),
                    "must be 'SingleStack' to release the secondary IP family",
                ));
            }
        }
    }
    if policy == "SingleStack" {
        if strings(spec, "clusterIPs").len() == 2 {
            errors.push(FieldError::invalid("spec.ipFamilyPolicy", policy_value(spec), "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
        }
        if strings(spec, "ipFamilies").len() == 2 {
            errors.push(FieldError::invalid("spec.ipFamilyPolicy", policy_value(spec), "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
        }
    }
    // Families follow the IPs a user chose.
    let ips = strings(spec, "clusterIPs");
    let mut families = strings(spec, "ipFamilies");
    for (i, ip) in ips.iter().enumerate() {
        if ip == HEADLESS {
            break;
        }
        let Some(family) = family_of(ip) else { break };
        if i >= families.len() {
            if cluster.contains(&family) {
                families.push(family.name().to_owned());
            } else {
                errors.push(FieldError::invalid_printed(
                    format!("spec.clusterIPs[{i}]"),
                    go_strings(&ips),
                    format!("{} is not configured on this cluster", family.name()),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let default = cluster.first().copied().unwrap_or(Family::V4);
    if headless_selectorless {
        if families.is_empty() {
            families.push(default.name().to_owned());
        }
        if families.len() < 2 && policy != "SingleStack" {
            let other = Family::parse(&families[0]).unwrap_or(default).other();
            families.push(other.name().to_owned());
        }
        spec["ipFamilies"] = json!(families);
        return Ok(());
    }
    if policy == "RequireDualStack" && cluster.len() < 2 {
        errors.push(FieldError::invalid(
            "spec.ipFamilyPolicy",
            policy_value(spec),
            "this cluster is not configured for dual-stack services",
        ));
    }
    for (i, family) in families.iter().enumerate() {
        if !Family::parse(family).is_some_and(|f| cluster.contains(&f)) {
            errors.push(FieldError::invalid(
                format!("spec.ipFamilies[{i}]"),
                family.as_str(),
                "not configured on this cluster",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if families.is_empty() {
        families.push(default.name().to_owned());
    }
    if policy != "SingleStack" && families.len() == 1 && cluster.len() == 2 {
        let other = Family::parse(&families[0]).unwrap_or(default).other();
        families.push(other.name().to_owned());
    }
    spec["ipFamilies"] = json!(families);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().iter().map(FieldError::line).collect()
    }

    #[test]
    fn single_stack_defaults() {
        let mut spec = json!({"type": "ClusterIP", "selector": {"a": "b"}});
        settle(&mut spec, None, &[Family::V4]).unwrap();
        assert_eq!(spec["ipFamilyPolicy"], "SingleStack");
        assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
        let mut v6 =
            json!({"type": "ClusterIP", "clusterIP": "fd00::5", "clusterIPs": ["fd00::5"]});
        assert_eq!(
            lines(settle(&mut v6, None, &[Family::V4])),
            [
                "spec.clusterIPs[0]: Invalid value: []string{\"fd00::5\"}: IPv6 is not configured on this cluster"
            ]
        );
    }

    #[test]
    fn dual_stack_policies() {
        let cluster = [Family::V6, Family::V4];
        let mut prefer = json!({"type": "ClusterIP", "ipFamilyPolicy": "PreferDualStack"});
        settle(&mut prefer, None, &cluster).unwrap();
        assert_eq!(prefer["ipFamilies"], json!(["IPv6", "IPv4"]));
        let mut require = json!({"type": "ClusterIP", "ipFamilyPolicy": "RequireDualStack"});
        assert_eq!(
            lines(settle(&mut require, None, &[Family::V4])),
            [
                "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"
            ]
        );
        let mut two = json!({"type": "ClusterIP", "ipFamilies": ["IPv4", "IPv6"]});
        assert_eq!(
            lines(settle(&mut two, None, &cluster)),
            [
                "spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"
            ]
        );
    }

    #[test]
    fn headless_and_external_names() {
        let mut headless =
            json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]});
        settle(&mut headless, None, &[Family::V4]).unwrap();
        assert_eq!(headless["ipFamilyPolicy"], "RequireDualStack");
        assert_eq!(headless["ipFamilies"], json!(["IPv4", "IPv6"]));
        let mut external = json!({"type": "ExternalName", "externalName": "x.example"});
        settle(&mut external, None, &[Family::V4]).unwrap();
        assert!(external.get("ipFamilies").is_none());
    }

    #[test]
    fn shapes_are_checked_first() {
        let mut spec =
            json!({"type": "ClusterIP", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.2"]});
        assert_eq!(
            lines(settle(&mut spec, None, &[Family::V4])),
            [
                "spec.clusterIPs: Invalid value: []string{\"10.0.0.2\"}: first value must match `clusterIP`"
            ]
        );
    }
}
