//! Storage: StorageClasses (a provisioner required, reclaim policy Delete
//! and binding mode Immediate by default, nothing but labels and
//! annotations changeable), PersistentVolumeClaims (Filesystem mode,
//! Pending, access modes and a size required, a spec fixed but for growing
//! the request) and PersistentVolumes (Retain, Filesystem, Pending).

use serde_json::{Value, json};

use super::fields::{
    child_object, default_field, differences, elements, get, semantically_equal, string,
};
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::quantity::Quantity;

const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const PVC_SPEC_FIXED: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

pub struct StorageClassStrategy;

pub struct PersistentVolumeClaimStrategy;

pub struct PersistentVolumeStrategy;

impl Strategy for StorageClassStrategy {
    fn default(&self, class: &mut Value) {
        default_field(class, "reclaimPolicy", "Delete");
        default_field(class, "volumeBindingMode", "Immediate");
    }

    fn validate(&self, class: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if string(class, "provisioner").is_empty() {
            errors.push(FieldError::required("provisioner", ""));
        }
        match string(class, "reclaimPolicy") {
            "Delete" | "Retain" | "" => {}
            other => errors.push(FieldError::not_supported(
                "reclaimPolicy",
                other,
                &["Delete", "Retain"],
            )),
        }
        match string(class, "volumeBindingMode") {
            "Immediate" | "WaitForFirstConsumer" | "" => {}
            other => errors.push(FieldError::not_supported(
                "volumeBindingMode",
                other,
                &["Immediate", "WaitForFirstConsumer"],
            )),
        }
        errors
    }

    fn validate_update(&self, class: &Value, old: &Value) -> Vec<FieldError> {
        [
            "parameters",
            "provisioner",
            "reclaimPolicy",
            "volumeBindingMode",
        ]
        .into_iter()
        .filter(|f| !semantically_equal(get(class, f), get(old, f)))
        .map(|f| FieldError::forbidden(f, format!("updates to {f} are forbidden.")))
        .collect()
    }
}

fn validate_access_modes(spec: &Value, errors: &mut Vec<FieldError>) {
    let modes = elements(spec, "accessModes");
    if modes.is_empty() {
        errors.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    for mode in modes {
        let mode = mode.as_str().unwrap_or_default();
        if !ACCESS_MODES.contains(&mode) {
            errors.push(FieldError::not_supported(
                "spec.accessModes",
                mode,
                &ACCESS_MODES,
            ));
        }
    }
}

fn storage_request(spec: &Value) -> Option<&str> {
    spec.pointer("/resources/requests/storage")
        .and_then(Value::as_str)
}

impl Strategy for PersistentVolumeClaimStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn default(&self, claim: &mut Value) {
        if let Some(spec) = claim.get_mut("spec").filter(|s| s.is_object()) {
            default_field(spec, "volumeMode", "Filesystem");
        }
        if let Some(status) = child_object(claim, "status") {
            status.entry("phase").or_insert(json!("Pending"));
        }
    }

    fn validate(&self, claim: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let spec = get(claim, "spec");
        validate_access_modes(spec, &mut errors);
        match storage_request(spec) {
            None => errors.push(FieldError::required("spec.resources[storage]", "")),
            Some(size) => match Quantity::parse(size) {
                Some(q) if q.0 > 0 => {}
                _ => errors.push(FieldError::invalid(
                    "spec.resources[storage]",
                    size,
                    "must be greater than zero",
                )),
            },
        }
        match string(spec, "volumeMode") {
            "" | "Filesystem" | "Block" => {}
            other => errors.push(FieldError::not_supported(
                "spec.volumeMode",
                other,
                &["Block", "Filesystem"],
            )),
        }
        errors
    }

    fn validate_update(&self, claim: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let (spec, old_spec) = (get(claim, "spec"), get(old, "spec"));
        let mut fixed = spec.clone();
        // A request may grow; a claim may be bound once; the class of
        // volume attributes may change.
        fixed["resources"] = get(old_spec, "resources").clone();
        if string(old_spec, "volumeName").is_empty() {
            fixed["volumeName"] = get(old_spec, "volumeName").clone();
        }
        fixed["volumeAttributesClassName"] = get(old_spec, "volumeAttributesClassName").clone();
        if !semantically_equal(&fixed, old_spec) {
            let mut changed = Vec::new();
            differences(old_spec, &fixed, "spec", &mut changed);
            errors.push(FieldError::forbidden(
                "spec",
                format!("{PVC_SPEC_FIXED}\n  changed: {}", changed.join(", ")),
            ));
        }
        let size = |s: &Value| storage_request(s).and_then(Quantity::parse);
        if let (Some(new), Some(before)) = (size(spec), size(old_spec))
            && new < before
        {
            errors.push(FieldError::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than status.capacity",
            ));
        }
        errors
    }
}

impl Strategy for PersistentVolumeStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn default(&self, volume: &mut Value) {
        if let Some(spec) = volume.get_mut("spec").filter(|s| s.is_object()) {
            default_field(spec, "persistentVolumeReclaimPolicy", "Retain");
            default_field(spec, "volumeMode", "Filesystem");
        }
        if let Some(status) = child_object(volume, "status") {
            status.entry("phase").or_insert(json!("Pending"));
        }
    }

    fn validate(&self, volume: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let spec = get(volume, "spec");
        validate_access_modes(spec, &mut errors);
        if get(spec, "capacity")
            .as_object()
            .is_none_or(|c| c.is_empty())
        {
            errors.push(FieldError::required("spec.capacity", ""));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    #[test]
    fn storage_classes() {
        let mut class = json!({"provisioner": "rancher.io/local-path", "parameters": {"a": "b"}});
        StorageClassStrategy.default(&mut class);
        assert_eq!(class["reclaimPolicy"], "Delete");
        assert_eq!(class["volumeBindingMode"], "Immediate");
        assert!(StorageClassStrategy.validate(&class).is_empty());
        assert_eq!(
            lines(&StorageClassStrategy.validate(&json!({"provisioner": ""}))),
            ["provisioner: Required value"]
        );
        let mut changed = class.clone();
        changed["parameters"] = json!({"a": "c"});
        assert_eq!(
            lines(&StorageClassStrategy.validate_update(&changed, &class)),
            ["parameters: Forbidden: updates to parameters are forbidden."]
        );
    }

    #[test]
    fn claims() {
        let mut claim = json!({"spec": {"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}}}});
        PersistentVolumeClaimStrategy.default(&mut claim);
        assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
        assert_eq!(claim["status"]["phase"], "Pending");
        assert!(PersistentVolumeClaimStrategy.validate(&claim).is_empty());
        assert_eq!(
            lines(&PersistentVolumeClaimStrategy.validate(&json!({"spec": {}}))),
            [
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value",
            ]
        );
        let mut grown = claim.clone();
        grown["spec"]["resources"]["requests"]["storage"] = json!("2Gi");
        grown["spec"]["volumeName"] = json!("pv-1");
        assert!(
            PersistentVolumeClaimStrategy
                .validate_update(&grown, &claim)
                .is_empty()
        );
        let mut changed = claim.clone();
        changed["spec"]["accessModes"] = json!(["ReadWriteMany"]);
        let found = lines(&PersistentVolumeClaimStrategy.validate_update(&changed, &claim));
        assert!(
            found[0].starts_with(&format!("spec: Forbidden: {PVC_SPEC_FIXED}")),
            "{found:?}"
        );
    }

    #[test]
    fn volumes() {
        let mut volume = json!({"spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"},
            "hostPath": {"path": "/x"}}});
        PersistentVolumeStrategy.default(&mut volume);
        assert_eq!(volume["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(volume["spec"]["volumeMode"], "Filesystem");
        assert_eq!(volume["status"]["phase"], "Pending");
        assert!(PersistentVolumeStrategy.validate(&volume).is_empty());
    }
}
