//! The pod spec that pods and every pod template (deployments, replica
//! sets, stateful sets, daemon sets, jobs, replication controllers, pod
//! templates) share: upstream's defaults (`SetDefaults_PodSpec`,
//! `SetDefaults_Container`, volumes, probes) and validation
//! (`ValidatePodSpec` and what it calls), on JSON.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::fields::{
    child_object, default_field, default_nonzero, elements, elements_mut, get, int, string,
};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::labels::{label_value_errors, validate_labels};
use crate::apiserver::validation::metadata::qualified_name_errors;
use crate::apiserver::validation::names::{label_errors, subdomain_errors};
use crate::apiserver::validation::quantity::{QUANTITY_FORMAT, Quantity};
use crate::apiserver::validation::values::{
    NEGATIVE, PORT_RANGE, env_var_name_errors, is_port, port_name_errors,
};

/// Mode bits of secret, configMap, downwardAPI and projected volumes
/// (0644).
const DEFAULT_VOLUME_MODE: i64 = 0o644;
/// A projected service account token lives an hour unless asked.
const DEFAULT_TOKEN_EXPIRATION_SECONDS: i64 = 3600;
const MAX_INT32: i64 = i32::MAX as i64;

/// Fields of a volume that name its source (everything but `name`).
fn volume_sources(volume: &Value) -> Vec<&str> {
    volume
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, v)| *k != "name" && !v.is_null())
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// The tag of an image reference as upstream's `ParseImageName` finds it:
/// `latest` when neither a tag nor a digest is given.
pub fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag,
        None if digest.is_some() => "",
        None => "latest",
    }
}

fn default_http_get(handler: &mut Value) {
    if let Some(http_get) = handler.get_mut("httpGet").filter(|v| v.is_object()) {
        default_field(http_get, "path", "/");
        default_field(http_get, "scheme", "HTTP");
    }
}

fn default_probe(probe: &mut Value) {
    if !probe.is_object() {
        return;
    }
    default_nonzero(probe, "timeoutSeconds", 1);
    default_nonzero(probe, "periodSeconds", 10);
    default_nonzero(probe, "successThreshold", 1);
    default_nonzero(probe, "failureThreshold", 3);
    default_http_get(probe);
}

/// Field references name their API version, `v1` unless given.
fn default_field_ref(holder: &mut Value) {
    if let Some(field_ref) = holder.get_mut("fieldRef").filter(|v| v.is_object()) {
        default_field(field_ref, "apiVersion", "v1");
    }
}

fn default_container(container: &mut Value) {
    if !container.is_object() {
        return;
    }
    let pull_policy = if image_tag(string(container, "image")) == "latest" {
        "Always"
    } else {
        "IfNotPresent"
    };
    default_field(container, "imagePullPolicy", pull_policy);
    default_field(container, "terminationMessagePath", "/dev/termination-log");
    default_field(container, "terminationMessagePolicy", "File");
    // A Go struct, not a pointer: always present.
    child_object(container, "resources");
    for port in elements_mut(container, "ports") {
        default_field(port, "protocol", "TCP");
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = container.get_mut(probe) {
            default_probe(probe);
        }
    }
    if let Some(lifecycle) = container.get_mut("lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(handler) = lifecycle.get_mut(hook) {
                default_http_get(handler);
            }
        }
    }
    for env in elements_mut(container, "env") {
        if let Some(value_from) = env.get_mut("valueFrom") {
            default_field_ref(value_from);
        }
    }
}

fn default_volume(volume: &mut Value) {
    if !volume.is_object() {
        return;
    }
    if volume_sources(volume).is_empty() {
        volume["emptyDir"] = json!({});
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(source) = volume.get_mut(source).filter(|v| v.is_object()) {
            default_field(source, "defaultMode", DEFAULT_VOLUME_MODE);
        }
    }
    if let Some(downward) = volume.get_mut("downwardAPI") {
        for item in elements_mut(downward, "items") {
            default_field_ref(item);
        }
    }
    if let Some(projected) = volume.get_mut("projected") {
        for source in elements_mut(projected, "sources") {
            if let Some(token) = source.get_mut("serviceAccountToken") {
                default_field(token, "expirationSeconds", DEFAULT_TOKEN_EXPIRATION_SECONDS);
            }
            if let Some(downward) = source.get_mut("downwardAPI") {
                for item in elements_mut(downward, "items") {
                    default_field_ref(item);
                }
            }
        }
    }
    if let Some(host_path) = volume.get_mut("hostPath").filter(|v| v.is_object()) {
        default_field(host_path, "type", "");
    }
    if let Some(claim_spec) = volume.pointer_mut("/ephemeral/volumeClaimTemplate/spec") {
        default_field(claim_spec, "volumeMode", "Filesystem");
    }
}

/// Upstream's defaults for any pod spec (pods and templates alike).
pub fn default_pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    default_field(spec, "dnsPolicy", "ClusterFirst");
    default_field(spec, "restartPolicy", "Always");
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "terminationGracePeriodSeconds", 30);
    default_field(spec, "schedulerName", "default-scheduler");
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for container in elements_mut(spec, list) {
            default_container(container);
        }
    }
    for volume in elements_mut(spec, "volumes") {
        default_volume(volume);
    }
}

/// The defaults only a Pod gets, not a template (upstream's
/// `SetDefaults_Pod`): requests default to limits, service links on, and
/// with host networking host ports default to container ports.
pub fn default_pod_only(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for list in ["containers", "initContainers"] {
        for container in elements_mut(spec, list) {
            if let Some(resources) = container.get_mut("resources")
                && let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned()
                && let Some(requests) = child_object(resources, "requests")
            {
                for (name, quantity) in limits {
                    requests.entry(name).or_insert(quantity);
                }
            }
            if host_network {
                for port in elements_mut(container, "ports") {
                    let container_port = port.get("containerPort").cloned();
                    if int(port, "hostPort").unwrap_or(0) == 0
                        && let Some(container_port) = container_port
                    {
                        port["hostPort"] = container_port;
                    }
                }
            }
        }
    }
    default_field(spec, "enableServiceLinks", true);
}

/// Which containers a check is about: they differ in what they may set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ContainerKind {
    Regular,
    Init,
}

fn validate_probe(
    probe: &Value,
    path: &str,
    must_succeed_once: bool,
    errors: &mut Vec<FieldError>,
) {
    let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
        .into_iter()
        .filter(|h| !get(probe, h).is_null())
        .collect();
    match handlers.as_slice() {
        [] => errors.push(FieldError::required(path, "must specify a handler type")),
        [_] => {}
        [_, more @ ..] => {
            for extra in more {
                errors.push(FieldError::forbidden(
                    format!("{path}.{extra}"),
                    "may not specify more than 1 handler type",
                ));
            }
        }
    }
    for field in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        if let Some(n) = int(probe, field)
            && n < 0
        {
            errors.push(FieldError::invalid(format!("{path}.{field}"), n, NEGATIVE));
        }
    }
    if must_succeed_once
        && let Some(n) = int(probe, "successThreshold")
        && n != 1
    {
        errors.push(FieldError::invalid(
            format!("{path}.successThreshold"),
            n,
            "must be 1",
        ));
    }
}

fn validate_resources(resources: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let mut parsed: BTreeMap<(&str, String), (Quantity, String)> = BTreeMap::new();
    for part in ["limits", "requests"] {
        let Some(list) = resources.get(part).and_then(Value::as_object) else {
            continue;
        };
        for (name, value) in list {
            let text = value.as_str().unwrap_or_default();
            let at = format!("{path}.{part}[{name}]");
            match Quantity::parse(text) {
                None => errors.push(FieldError::invalid(at, text, QUANTITY_FORMAT)),
                Some(q) if q.0 < 0 => errors.push(FieldError::invalid(at, text, NEGATIVE)),
                Some(q) => {
                    parsed.insert((part, name.clone()), (q, text.to_owned()));
                }
            }
        }
    }
    for ((part, name), (request, request_text)) in &parsed {
        if *part != "requests" {
            continue;
        }
        if let Some((limit, limit_text)) = parsed.get(&("limits", name.clone()))
            && request > limit
        {
            errors.push(FieldError::invalid(
                format!("{path}.requests"),
                request_text.as_str(),
                format!("must be less than or equal to {name} limit of {limit_text}"),
            ));
        }
    }
}

fn validate_container(
    container: &Value,
    path: &str,
    kind: ContainerKind,
    spec: &Value,
    volume_names: &BTreeSet<&str>,
    errors: &mut Vec<FieldError>,
) {
    let image = string(container, "image");
    if image.is_empty() {
        errors.push(FieldError::required(format!("{path}.image"), ""));
    } else if image.trim() != image {
        errors.push(FieldError::invalid(
            format!("{path}.image"),
            image,
            "must not have leading or trailing whitespace",
        ));
    }
    match string(container, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errors.push(FieldError::required(format!("{path}.imagePullPolicy"), "")),
        other => errors.push(FieldError::not_supported(
            format!("{path}.imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    match string(container, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errors.push(FieldError::required(
            format!("{path}.terminationMessagePolicy"),
            "must be 'File' or 'FallbackToLogsOnError'",
        )),
        other => errors.push(FieldError::not_supported(
            format!("{path}.terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }

    let restart_policy = container.get("restartPolicy").and_then(Value::as_str);
    let sidecar = restart_policy == Some("Always");
    match (kind, restart_policy) {
        (_, None) => {}
        (ContainerKind::Regular, Some(_)) => errors.push(FieldError::forbidden(
            format!("{path}.restartPolicy"),
            "may not be set for non-init containers",
        )),
        (ContainerKind::Init, Some("Always")) => {}
        (ContainerKind::Init, Some(other)) => errors.push(FieldError::not_supported(
            format!("{path}.restartPolicy"),
            other,
            &["Always"],
        )),
    }
    for (probe, only_once) in [
        ("livenessProbe", true),
        ("readinessProbe", false),
        ("startupProbe", true),
    ] {
        let value = get(container, probe);
        if value.is_null() {
            continue;
        }
        if kind == ContainerKind::Init && !sidecar {
            errors.push(FieldError::forbidden(
                format!("{path}.{probe}"),
                "may not be set for init containers without restartPolicy=Always",
            ));
        } else if kind == ContainerKind::Init && probe == "readinessProbe" {
            errors.push(FieldError::forbidden(
                format!("{path}.{probe}"),
                "may not be set for init containers",
            ));
        } else {
            validate_probe(value, &format!("{path}.{probe}"), only_once, errors);
        }
    }
    if kind == ContainerKind::Init && !sidecar && !get(container, "lifecycle").is_null() {
        errors.push(FieldError::forbidden(
            format!("{path}.lifecycle"),
            "may not be set for init containers without restartPolicy=Always",
        ));
    }

    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    let mut port_names = BTreeSet::new();
    for (i, port) in elements(container, "ports").iter().enumerate() {
        let at = format!("{path}.ports[{i}]");
        let name = string(port, "name");
        if !name.is_empty() {
            for e in port_name_errors(name) {
                errors.push(FieldError::invalid(format!("{at}.name"), name, e));
            }
            if !port_names.insert(name) {
                errors.push(FieldError::duplicate(format!("{at}.name"), name));
            }
        }
        let container_port = int(port, "containerPort").unwrap_or(0);
        if container_port == 0 {
            errors.push(FieldError::required(format!("{at}.containerPort"), ""));
        } else if !is_port(container_port) {
            errors.push(FieldError::invalid(
                format!("{at}.containerPort"),
                container_port,
                PORT_RANGE,
            ));
        }
        let host_port = int(port, "hostPort").unwrap_or(0);
        if host_port != 0 && !is_port(host_port) {
            errors.push(FieldError::invalid(
                format!("{at}.hostPort"),
                host_port,
                PORT_RANGE,
            ));
        }
        if host_network && host_port != container_port {
            errors.push(FieldError::invalid(
                format!("{at}.hostPort"),
                host_port,
                "must match `containerPort` when `hostNetwork` is true",
            ));
        }
        match string(port, "protocol") {
            "TCP" | "UDP" | "SCTP" => {}
            "" => errors.push(FieldError::required(format!("{at}.protocol"), "")),
            other => errors.push(FieldError::not_supported(
                format!("{at}.protocol"),
                other,
                &["SCTP", "TCP", "UDP"],
            )),
        }
    }

    for (i, env) in elements(container, "env").iter().enumerate() {
        let at = format!("{path}.env[{i}]");
        let name = string(env, "name");
        if name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        } else {
            for e in env_var_name_errors(name) {
                errors.push(FieldError::invalid(format!("{at}.name"), name, e));
            }
        }
        if !string(env, "value").is_empty() && !get(env, "valueFrom").is_null() {
            errors.push(FieldError::invalid(
                format!("{at}.valueFrom"),
                "",
                "may not be specified when `value` is not empty",
            ));
        }
    }

    let mut mount_paths = BTreeSet::new();
    for (i, mount) in elements(container, "volumeMounts").iter().enumerate() {
        let at = format!("{path}.volumeMounts[{i}]");
        let name = string(mount, "name");
        if name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        } else if !volume_names.contains(name) {
            errors.push(FieldError::not_found(format!("{at}.name"), name));
        }
        let mount_path = string(mount, "mountPath");
        if mount_path.is_empty() {
            errors.push(FieldError::required(format!("{at}.mountPath"), ""));
        } else if !mount_paths.insert(mount_path) {
            errors.push(FieldError::invalid(
                format!("{at}.mountPath"),
                mount_path,
                "must be unique",
            ));
        }
    }

    validate_resources(
        get(container, "resources"),
        &format!("{path}.resources"),
        errors,
    );
}

fn validate_volumes<'a>(
    spec: &'a Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> BTreeSet<&'a str> {
    let mut names = BTreeSet::new();
    for (i, volume) in elements(spec, "volumes").iter().enumerate() {
        let at = format!("{path}.volumes[{i}]");
        let name = string(volume, "name");
        if name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        } else {
            for e in label_errors(name) {
                errors.push(FieldError::invalid(format!("{at}.name"), name, e));
            }
            if !names.insert(name) {
                errors.push(FieldError::duplicate(format!("{at}.name"), name));
            }
        }
        let sources = volume_sources(volume);
        match sources.as_slice() {
            [] => errors.push(FieldError::required(
                at.clone(),
                "must specify a volume type",
            )),
            [_] => {}
            [_, more @ ..] => {
                for extra in more {
                    errors.push(FieldError::forbidden(
                        format!("{at}.{extra}"),
                        "may not specify more than 1 volume type",
                    ));
                }
            }
        }
        for (source, required) in [
            ("secret", "secretName"),
            ("configMap", "name"),
            ("hostPath", "path"),
            ("persistentVolumeClaim", "claimName"),
        ] {
            if let Some(source_spec) = volume.get(source).filter(|v| v.is_object())
                && string(source_spec, required).is_empty()
            {
                errors.push(FieldError::required(
                    format!("{at}.{source}.{required}"),
                    "",
                ));
            }
        }
    }
    names
}

/// A toleration as upstream's messages print it (a Go struct; the
/// pointer's address is upstream's too, so any stand-in will do).
fn go_toleration(toleration: &Value) -> String {
    let seconds = match int(toleration, "tolerationSeconds") {
        None => "(*int64)(nil)".to_owned(),
        Some(n) => format!("&{n}"),
    };
    format!(
        "core.Toleration{{Key:{:?}, Operator:{:?}, Value:{:?}, Effect:{:?}, TolerationSeconds:{seconds}}}",
        string(toleration, "key"),
        string(toleration, "operator"),
        string(toleration, "value"),
        string(toleration, "effect"),
    )
}

fn validate_tolerations(spec: &Value, path: &str, errors: &mut Vec<FieldError>) {
    for (i, toleration) in elements(spec, "tolerations").iter().enumerate() {
        let at = format!("{path}.tolerations[{i}]");
        let key = string(toleration, "key");
        let operator = string(toleration, "operator");
        let value = string(toleration, "value");
        let effect = string(toleration, "effect");
        if !key.is_empty() {
            for e in qualified_name_errors(key) {
                errors.push(FieldError::invalid(format!("{at}.key"), key, e));
            }
        } else if operator != "Exists" {
            errors.push(FieldError::invalid(
                format!("{at}.operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if !get(toleration, "tolerationSeconds").is_null() && effect != "NoExecute" {
            errors.push(FieldError::invalid(
                format!("{at}.effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match operator {
            "" | "Equal" => {
                for e in label_value_errors(value) {
                    errors.push(FieldError::invalid(format!("{at}.value"), value, e));
                }
            }
            "Exists" if !value.is_empty() => errors.push(FieldError::invalid_printed(
                format!("{at}.operator"),
                go_toleration(toleration),
                "value must be empty when `operator` is 'Exists'",
            )),
            "Exists" => {}
            other => errors.push(FieldError::not_supported(
                format!("{at}.operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        match effect {
            "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errors.push(FieldError::not_supported(
                format!("{at}.effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
    }
}

/// Upstream's `ValidatePodSpec` (the parts clients run into), for a spec
/// found at `path` (`spec`, `spec.template.spec`, …).
pub fn validate_pod_spec(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let volume_names = validate_volumes(spec, path, &mut errors);

    let containers = elements(spec, "containers");
    if containers.is_empty() {
        errors.push(FieldError::required(format!("{path}.containers"), ""));
    }
    let mut container_names = BTreeSet::new();
    for (list, kind) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
    ] {
        for (i, container) in elements(spec, list).iter().enumerate() {
            let at = format!("{path}.{list}[{i}]");
            let name = string(container, "name");
            if name.is_empty() {
                errors.push(FieldError::required(format!("{at}.name"), ""));
            } else {
                for e in label_errors(name) {
                    errors.push(FieldError::invalid(format!("{at}.name"), name, e));
                }
                if !container_names.insert(name) {
                    errors.push(FieldError::duplicate(format!("{at}.name"), name));
                }
            }
            validate_container(container, &at, kind, spec, &volume_names, &mut errors);
        }
    }

    match string(spec, "restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => errors.push(FieldError::required(format!("{path}.restartPolicy"), "")),
        other => errors.push(FieldError::not_supported(
            format!("{path}.restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    match string(spec, "dnsPolicy") {
        "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" => {}
        "None" => {
            if get(spec, "dnsConfig").is_null() {
                errors.push(FieldError::required(
                    format!("{path}.dnsConfig"),
                    "must provide `dnsConfig` when `dnsPolicy` is None",
                ));
            }
        }
        "" => errors.push(FieldError::required(format!("{path}.dnsPolicy"), "")),
        other => errors.push(FieldError::not_supported(
            format!("{path}.dnsPolicy"),
            other,
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        )),
    }

    for (field, check) in [
        ("nodeName", subdomain_errors as fn(&str) -> Vec<String>),
        ("serviceAccountName", subdomain_errors),
        ("priorityClassName", subdomain_errors),
        ("hostname", label_errors),
        ("subdomain", label_errors),
    ] {
        let value = string(spec, field);
        if !value.is_empty() {
            for e in check(value) {
                errors.push(FieldError::invalid(format!("{path}.{field}"), value, e));
            }
        }
    }
    if let Some(deadline) = int(spec, "activeDeadlineSeconds")
        && !(1..=MAX_INT32).contains(&deadline)
    {
        errors.push(FieldError::invalid(
            format!("{path}.activeDeadlineSeconds"),
            deadline,
            format!("must be between 1 and {MAX_INT32}, inclusive"),
        ));
    }
    if let Some(node_selector) = spec.get("nodeSelector") {
        errors.extend(validate_labels(
            node_selector,
            &format!("{path}.nodeSelector"),
        ));
    }
    validate_tolerations(spec, path, &mut errors);

    let mut gates = BTreeSet::new();
    for (i, gate) in elements(spec, "schedulingGates").iter().enumerate() {
        let at = format!("{path}.schedulingGates[{i}].name");
        let name = string(gate, "name");
        for e in qualified_name_errors(name) {
            errors.push(FieldError::invalid(at.clone(), name, e));
        }
        if !gates.insert(name) {
            errors.push(FieldError::duplicate(at, name));
        }
    }
    errors
}

/// A pod template at `path` (`spec.template`): its labels and its spec.
pub fn validate_template(template: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(labels) = template.pointer("/metadata/labels") {
        errors.extend(validate_labels(labels, &format!("{path}.metadata.labels")));
    }
    errors.extend(validate_pod_spec(
        get(template, "spec"),
        &format!("{path}.spec"),
    ));
    errors
}

/// Upstream's defaults for a pod template (the spec's, no pod-only ones).
pub fn default_template(template: &mut Value) {
    if let Some(spec) = template.get_mut("spec") {
        default_pod_spec(spec);
    }
}

/// The QoS class of a pod with `spec` (upstream's `GetPodQOS`): nothing
/// asked for is BestEffort; CPU and memory limits on every container equal
/// to the requests is Guaranteed; anything else Burstable.
pub fn qos_class(spec: &Value) -> &'static str {
    const COMPUTE: [&str; 2] = ["cpu", "memory"];
    let mut requests: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut guaranteed = true;
    let add = |into: &mut BTreeMap<&'static str, Quantity>, list: &Value| -> BTreeSet<&str> {
        let mut found = BTreeSet::new();
        for name in COMPUTE {
            if let Some(q) = list
                .get(name)
                .and_then(Value::as_str)
                .and_then(Quantity::parse)
                .filter(|q| !q.is_zero())
            {
                into.entry(name).or_default().0 += q.0;
                found.insert(name);
            }
        }
        found
    };
    // Pod-level resources, when given, decide alone.
    let pod_level = get(spec, "resources");
    if pod_level.is_object() && !pod_level.as_object().is_some_and(|m| m.is_empty()) {
        add(&mut requests, get(pod_level, "requests"));
        if add(&mut limits, get(pod_level, "limits")).len() != COMPUTE.len() {
            guaranteed = false;
        }
    } else {
        for list in ["containers", "initContainers"] {
            for container in elements(spec, list) {
                let resources = get(container, "resources");
                add(&mut requests, get(resources, "requests"));
                if add(&mut limits, get(resources, "limits")).len() != COMPUTE.len() {
                    guaranteed = false;
                }
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed
        && requests.iter().all(|(name, q)| limits.get(name) == Some(q))
        && requests.len() == limits.len()
    {
        return "Guaranteed";
    }
    "Burstable"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    fn defaulted(mut spec: Value) -> Value {
        default_pod_spec(&mut spec);
        spec
    }

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx:1.27"), "1.27");
        assert_eq!(image_tag("localhost:5000/app"), "latest");
        assert_eq!(image_tag("localhost:5000/app:v1"), "v1");
        assert_eq!(image_tag("app@sha256:abc"), "");
        assert_eq!(image_tag("app:v2@sha256:abc"), "v2");
    }

    #[test]
    fn spec_and_container_defaults() {
        let spec = defaulted(json!({"containers": [
            {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "nginx:1.27",
             "livenessProbe": {"httpGet": {"port": 80}},
             "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
        ]}));
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["securityContext"], json!({}));
        assert!(spec.get("enableServiceLinks").is_none(), "pods only");
        let a = &spec["containers"][0];
        assert_eq!(a["imagePullPolicy"], "Always");
        assert_eq!(a["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(a["terminationMessagePolicy"], "File");
        assert_eq!(a["resources"], json!({}));
        assert_eq!(a["ports"][0]["protocol"], "TCP");
        let b = &spec["containers"][1];
        assert_eq!(b["imagePullPolicy"], "IfNotPresent");
        assert_eq!(
            b["livenessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                   "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(b["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
    }

    #[test]
    fn volume_defaults() {
        let spec = defaulted(json!({"containers": [], "volumes": [
            {"name": "scratch"},
            {"name": "s", "secret": {"secretName": "x"}},
            {"name": "c", "configMap": {"name": "x"}},
            {"name": "h", "hostPath": {"path": "/x"}},
            {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        ]}));
        let v = &spec["volumes"];
        assert_eq!(v[0]["emptyDir"], json!({}));
        assert_eq!(v[1]["secret"]["defaultMode"], 420);
        assert_eq!(v[2]["configMap"]["defaultMode"], 420);
        assert_eq!(v[3]["hostPath"]["type"], "");
        assert_eq!(v[4]["projected"]["defaultMode"], 420);
        assert_eq!(
            v[4]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            3600
        );
    }

    #[test]
    fn pod_only_defaults() {
        let mut spec = json!({"hostNetwork": true, "containers": [{"name": "a", "image": "x",
            "ports": [{"containerPort": 8080}],
            "resources": {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}}]});
        default_pod_only(&mut spec);
        assert_eq!(spec["enableServiceLinks"], true);
        assert_eq!(spec["containers"][0]["ports"][0]["hostPort"], 8080);
        assert_eq!(
            spec["containers"][0]["resources"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
    }

    #[test]
    fn a_valid_spec_passes() {
        let spec = defaulted(json!({"containers": [{"name": "web", "image": "nginx",
            "ports": [{"name": "http", "containerPort": 80}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data"}],
            "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}]}));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn containers_are_required_and_named_uniquely() {
        let spec = defaulted(json!({"containers": []}));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            ["spec.containers: Required value"]
        );
        let spec = defaulted(json!({
            "initContainers": [{"name": "a", "image": "x"}],
            "containers": [{"name": "a", "image": "x"}, {"name": "Bad", "image": ""}],
        }));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                "spec.containers[0].name: Duplicate value: \"a\"",
                "spec.containers[1].name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.containers[1].image: Required value",
            ]
        );
    }

    #[test]
    fn enums_are_checked() {
        let mut spec = defaulted(json!({"containers": [{"name": "a", "image": "x",
            "imagePullPolicy": "Sometimes"}]}));
        spec["restartPolicy"] = json!("Sometimes");
        spec["dnsPolicy"] = json!("Nearest");
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                "spec.dnsPolicy: Unsupported value: \"Nearest\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"",
            ]
        );
    }

    #[test]
    fn ports_are_checked() {
        let spec = defaulted(json!({"containers": [{"name": "a", "image": "x", "ports": [
            {"name": "http", "containerPort": 70000},
            {"name": "http", "containerPort": 81, "hostPort": -1, "protocol": "ICMP"},
            {"name": "Web_1", "containerPort": 82},
        ]}]}));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
                "spec.containers[0].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive",
                "spec.containers[0].ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.containers[0].ports[2].name: Invalid value: \"Web_1\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ]
        );
    }

    #[test]
    fn volumes_and_mounts_are_checked() {
        let spec = defaulted(json!({"containers": [{"name": "a", "image": "x",
            "volumeMounts": [{"name": "missing", "mountPath": "/m"}, {"name": "v", "mountPath": "/m"}]}],
            "volumes": [{"name": "v"}, {"name": "v", "emptyDir": {}, "secret": {"secretName": "s"}}]}));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                "spec.volumes[1].name: Duplicate value: \"v\"",
                "spec.volumes[1].secret: Forbidden: may not specify more than 1 volume type",
                "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"",
                "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/m\": must be unique",
            ]
        );
    }

    #[test]
    fn resources_and_tolerations_are_checked() {
        let spec = defaulted(json!({"containers": [{"name": "a", "image": "x",
        "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2", "memory": "lots"}}}],
        "tolerations": [
            {"operator": "Equal", "value": "x"},
            {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 1},
        ]}));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                format!("spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": {QUANTITY_FORMAT}"),
                "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1".into(),
                "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"".into(),
                "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set".into(),
            ]
        );
    }

    #[test]
    fn init_containers_and_sidecars() {
        let spec = defaulted(json!({
            "initContainers": [
                {"name": "i", "image": "x", "restartPolicy": "Never", "livenessProbe": {"exec": {"command": ["true"]}}},
                {"name": "s", "image": "x", "restartPolicy": "Always", "livenessProbe": {"exec": {"command": ["true"]}}},
            ],
            "containers": [{"name": "a", "image": "x", "restartPolicy": "Always"}],
        }));
        assert_eq!(
            lines(&validate_pod_spec(&spec, "spec")),
            [
                "spec.initContainers[0].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
            ]
        );
    }

    #[test]
    fn qos_classes() {
        let spec =
            |resources: Value| json!({"containers": [{"name": "a", "resources": resources}]});
        assert_eq!(qos_class(&spec(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&spec(json!({"requests": {"cpu": "100m"}}))),
            "Burstable"
        );
        assert_eq!(
            qos_class(&spec(json!({"limits": {"cpu": "1", "memory": "1Gi"},
                                   "requests": {"cpu": "1000m", "memory": "1Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&spec(json!({"limits": {"cpu": "1", "memory": "1Gi"},
                                   "requests": {"cpu": "500m", "memory": "1Gi"}}))),
            "Burstable"
        );
    }
}
