//! What counts against a ResourceQuota: the usage of one object, which
//! quotas (by their scopes) an object falls under, and the constraints a
//! quota puts on pods. Shared by the API server's quota admission, which
//! charges usage as objects are written, and the resourcequota controller,
//! which recounts it from what is stored.
//!
//! As upstream's evaluators:
//!
//! * every namespaced resource counts as `count/<resource>[.<group>]`;
//! * the legacy names `pods`, `services`, `secrets`, `configmaps`,
//!   `replicationcontrollers`, `resourcequotas` and
//!   `persistentvolumeclaims` count too;
//! * pods ([`pods`]) add compute requests and limits; Services add
//!   `services.nodeports` and `services.loadbalancers`; claims add their
//!   storage request, overall and per storage class;
//! * scopes apply to pods only: a quota with scopes counts nothing else.

pub mod pods;
mod quantity;

use std::collections::BTreeMap;

use serde_json::Value;

pub use self::quantity::{Quantity, quantity_text, whole};

/// Resource name → amount.
pub type Usage = BTreeMap<String, Quantity>;

/// The object-count name of a resource (`count/pods`,
/// `count/replicasets.apps`).
pub fn count_name(group: &str, plural: &str) -> String {
    if group.is_empty() {
        format!("count/{plural}")
    } else {
        format!("count/{plural}.{group}")
    }
}

/// The legacy object-count name some core resources also have.
fn legacy_count_name(group: &str, plural: &str) -> Option<&'static str> {
    if !group.is_empty() {
        return None;
    }
    Some(match plural {
        "pods" => "pods",
        "services" => "services",
        "secrets" => "secrets",
        "configmaps" => "configmaps",
        "replicationcontrollers" => "replicationcontrollers",
        "resourcequotas" => "resourcequotas",
        "persistentvolumeclaims" => "persistentvolumeclaims",
        _ => return None,
    })
}

/// What `object` (of `group`/`plural`) uses.
pub fn usage(group: &str, plural: &str, object: &Value) -> Usage {
    let mut usage = Usage::new();
    match (group, plural) {
        // `count/pods` counts every pod stored; everything else only
        // the pods that have not finished.
        ("", "pods") if !pods::counts(object) => {
            usage.insert(count_name(group, plural), whole(1));
            return usage;
        }
        ("", "pods") => pods::usage(object, &mut usage),
        ("", "services") => services_usage(object, &mut usage),
        ("", "persistentvolumeclaims") => claim_usage(object, &mut usage),
        _ => {}
    }
    if let Some(legacy) = legacy_count_name(group, plural) {
        usage.insert(legacy.to_owned(), whole(1));
    }
    usage.insert(count_name(group, plural), whole(1));
    usage
}

/// Whether `name` (a key of a quota's `hard`) is something objects of
/// `group`/`plural` can use.
pub fn covers(group: &str, plural: &str, name: &str) -> bool {
    if name == count_name(group, plural) || legacy_count_name(group, plural) == Some(name) {
        return true;
    }
    match (group, plural) {
        ("", "pods") => pods::covers(name),
        ("", "services") => matches!(name, "services.nodeports" | "services.loadbalancers"),
        ("", "persistentvolumeclaims") => {
            name == "requests.storage"
                || name.ends_with(".storageclass.storage.k8s.io/requests.storage")
                || name.ends_with(".storageclass.storage.k8s.io/persistentvolumeclaims")
        }
        _ => false,
    }
}

/// The resources (group, plural) whose objects can use `name` (a key of
/// a quota's `hard`).
pub fn resources_using(name: &str) -> Vec<(String, String)> {
    let mut resources: Vec<(String, String)> = [
        "pods",
        "services",
        "secrets",
        "configmaps",
        "replicationcontrollers",
        "resourcequotas",
        "persistentvolumeclaims",
    ]
    .into_iter()
    .filter(|plural| covers("", plural, name))
    .map(|plural| (String::new(), plural.to_owned()))
    .collect();
    if let Some(counted) = name.strip_prefix("count/") {
        let (plural, group) = counted.split_once('.').unwrap_or((counted, ""));
        let resource = (group.to_owned(), plural.to_owned());
        if !plural.is_empty() && !resources.contains(&resource) {
            resources.push(resource);
        }
    }
    resources
}

/// One scope requirement of a quota (`spec.scopes` entries are `Exists`).
#[derive(Clone, Debug)]
pub struct ScopeRequirement {
    pub scope: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// A quota's scope requirements, from `spec.scopes` and
/// `spec.scopeSelector`.
pub fn scope_requirements(quota: &Value) -> Vec<ScopeRequirement> {
    let spec = &quota["spec"];
    let mut requirements: Vec<ScopeRequirement> = spec["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|scope| ScopeRequirement {
            scope: scope.to_owned(),
            operator: "Exists".into(),
            values: Vec::new(),
        })
        .collect();
    for expression in spec["scopeSelector"]["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        requirements.push(ScopeRequirement {
            scope: expression["scopeName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            operator: expression["operator"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            values: expression["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        });
    }
    requirements
}

/// Whether `quota` counts `object`: it limits something the object can
/// use (by `hard`, which is `status.hard` for admission and `spec.hard`
/// for the controller) and the object is in all of its scopes.
pub fn matches(quota: &Value, hard: &Value, group: &str, plural: &str, object: &Value) -> bool {
    let limits_something = hard
        .as_object()
        .is_some_and(|hard| hard.keys().any(|name| covers(group, plural, name)));
    if !limits_something {
        return false;
    }
    let requirements = scope_requirements(quota);
    if requirements.is_empty() {
        return true;
    }
    (group, plural) == ("", "pods") && requirements.iter().all(|r| pods::in_scope(object, r))
}

/// `hard` (a quota's `spec.hard` or `status.hard`) read as amounts;
/// entries that are not quantities are left out.
pub fn read_list(list: &Value) -> Usage {
    list.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, text)| Some((name.clone(), Quantity::parse(text.as_str()?)?)))
        .collect()
}

/// `usage` as a ResourceList (`{"cpu": "500m", ...}`).
pub fn write_list(usage: &Usage) -> Value {
    Value::Object(
        usage
            .iter()
            .map(|(name, amount)| (name.clone(), Value::String(quantity_text(name, *amount))))
            .collect(),
    )
}

/// `name=amount` pairs sorted by name, as upstream's messages print them.
pub fn pretty(usage: &Usage) -> String {
    usage
        .iter()
        .map(|(name, amount)| format!("{name}={}", quantity_text(name, *amount)))
        .collect::<Vec<_>>()
        .join(",")
}

fn services_usage(service: &Value, usage: &mut Usage) {
    let spec = &service["spec"];
    let kind = spec["type"].as_str().unwrap_or("ClusterIP");
    let ports = spec["ports"].as_array().map_or(0, Vec::len) as i128;
    let node_ports = match kind {
        "NodePort" => ports,
        "LoadBalancer" if spec["allocateLoadBalancerNodePorts"] != Value::Bool(false) => ports,
        _ => 0,
    };
    usage.insert("services.nodeports".into(), whole(node_ports));
    usage.insert(
        "services.loadbalancers".into(),
        whole(i128::from(kind == "LoadBalancer")),
    );
}

fn claim_usage(claim: &Value, usage: &mut Usage) {
    let class = claim["spec"]["storageClassName"]
        .as_str()
        .or_else(|| {
            claim["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"].as_str()
        })
        .filter(|c| !c.is_empty());
    let request = claim["spec"]["resources"]["requests"]["storage"]
        .as_str()
        .and_then(Quantity::parse);
    // A claim's capacity can outgrow its request (resized up): count the larger.
    let capacity = claim["status"]["capacity"]["storage"]
        .as_str()
        .and_then(Quantity::parse);
    let storage = request.max(capacity);
    if let Some(class) = class {
        usage.insert(
            format!("{class}.storageclass.storage.k8s.io/persistentvolumeclaims"),
            whole(1),
        );
        if let Some(storage) = storage {
            usage.insert(
                format!("{class}.storageclass.storage.k8s.io/requests.storage"),
                storage,
            );
        }
    }
    if let Some(storage) = storage {
        usage.insert("requests.storage".into(), storage);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_object_counts_by_its_count_name() {
        let used = usage("apps", "replicasets", &json!({}));
        assert_eq!(pretty(&used), "count/replicasets.apps=1");
        let used = usage("", "configmaps", &json!({}));
        assert_eq!(pretty(&used), "configmaps=1,count/configmaps=1");
    }

    #[test]
    fn hard_names_lead_to_the_resources_that_use_them() {
        let core = |plural: &str| (String::new(), plural.to_owned());
        assert_eq!(resources_using("requests.cpu"), [core("pods")]);
        assert_eq!(resources_using("services.nodeports"), [core("services")]);
        assert_eq!(resources_using("count/secrets"), [core("secrets")]);
        assert_eq!(
            resources_using("count/replicasets.apps"),
            [("apps".to_owned(), "replicasets".to_owned())]
        );
        assert_eq!(
            resources_using("requests.storage"),
            [core("pods"), core("persistentvolumeclaims")]
        );
    }

    #[test]
    fn services_count_node_ports_and_load_balancers() {
        let service =
            json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(
            pretty(&usage("", "services", &service)),
            "count/services=1,services=1,services.loadbalancers=1,services.nodeports=2"
        );
    }

    #[test]
    fn scoped_quotas_count_only_pods() {
        let quota = json!({"spec": {"scopes": ["BestEffort"]}});
        let hard = json!({"pods": "5", "configmaps": "5"});
        let pod = json!({"spec": {"containers": [{"name": "c"}]}});
        assert!(matches(&quota, &hard, "", "pods", &pod));
        assert!(!matches(&quota, &hard, "", "configmaps", &json!({})));
        let unscoped = json!({"spec": {}});
        assert!(matches(&unscoped, &hard, "", "configmaps", &json!({})));
        assert!(!matches(&unscoped, &hard, "", "secrets", &json!({})));
    }

    #[test]
    fn claims_count_storage_per_class() {
        let claim = json!({"spec": {"storageClassName": "gold", "resources": {"requests": {"storage": "10Gi"}}}});
        assert_eq!(
            pretty(&usage("", "persistentvolumeclaims", &claim)),
            "count/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/requests.storage=10Gi,persistentvolumeclaims=1,requests.storage=10Gi"
        );
    }
}
