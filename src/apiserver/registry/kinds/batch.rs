//! Jobs and CronJobs (batch/v1): upstream's defaults, the selector and pod
//! labels a Job gets from its uid unless it picks its own
//! (`manualSelector`), validation of counts, completion modes, restart
//! policies and cron schedules, what may not change on update, and the
//! `status.successful` field selector of Jobs.

use serde_json::{Map, Value, json};

use super::fields::{
    child_object, default_field, elements_mut, get, int, semantically_equal, string,
};
use super::pod_spec::{default_template, validate_template};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::{FieldLookup, GarbageCollection, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::labels::{
    as_selector, go_label_selector, go_string_map, string_map, validate_label_selector,
};
use crate::apiserver::validation::values::NEGATIVE;
use crate::cron;

pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";
/// Jobs name their pods `<cronjob>-<time>`, which must stay a label.
const CRONJOB_NAME_MAX: usize = 52;
const MAX_INT32: i64 = i32::MAX as i64;

pub struct JobStrategy;

pub struct CronJobStrategy;

fn manual_selector(spec: &Value) -> bool {
    spec.get("manualSelector").and_then(Value::as_bool) == Some(true)
}

/// The selector and pod labels a Job without `manualSelector` gets: its
/// pods carry its name and uid, and it selects them by uid. Labels the
/// client set are left for validation to judge.
fn generate_selector(job: &mut Value) {
    let name = job.name().unwrap_or_default().to_owned();
    let uid = job.uid().unwrap_or_default().to_owned();
    let Some(spec) = job.get_mut("spec").filter(|s| s.is_object()) else {
        return;
    };
    let Some(template) = child_object(spec, "template") else {
        return;
    };
    let mut template = Value::Object(std::mem::take(template));
    if let Some(labels) = child_object(&mut template, "metadata")
        .map(|m| {
            let labels = m.entry("labels").or_insert_with(|| json!({}));
            if !labels.is_object() {
                *labels = json!({});
            }
            labels
        })
        .and_then(Value::as_object_mut)
    {
        for key in [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL] {
            labels.entry(key).or_insert_with(|| json!(name));
        }
        for key in [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL] {
            labels.entry(key).or_insert_with(|| json!(uid));
        }
    }
    spec["template"] = template;
    if let Some(selector) = child_object(spec, "selector")
        && let Some(match_labels) = {
            let m = selector.entry("matchLabels").or_insert_with(|| json!({}));
            if !m.is_object() {
                *m = json!({});
            }
            m.as_object_mut()
        }
    {
        match_labels
            .entry(CONTROLLER_UID_LABEL)
            .or_insert_with(|| json!(uid));
    }
}

/// A Job that generates its selector must carry exactly the generated one.
fn validate_generated_selector(job: &Value, errors: &mut Vec<FieldError>) {
    let spec = get(job, "spec");
    if manual_selector(spec) {
        return;
    }
    let Some(labels) = spec
        .pointer("/template/metadata/labels")
        .filter(|l| l.is_object())
    else {
        return;
    };
    let uid = job.uid().unwrap_or_default();
    let name = job.name().unwrap_or_default();
    for (key, expected) in [
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (CONTROLLER_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
        (JOB_NAME_LABEL, name),
    ] {
        let found = string(labels, key);
        if found != expected {
            errors.push(FieldError::invalid(
                format!("spec.template.metadata.labels[{key}]"),
                found,
                format!("must be '{expected}'"),
            ));
        }
    }
    if uid.is_empty() {
        errors.push(FieldError::required("metadata.uid", ""));
    }
    let expected = json!({"matchLabels": {CONTROLLER_UID_LABEL: uid}});
    if !semantically_equal(get(spec, "selector"), &expected) {
        errors.push(FieldError::invalid_printed(
            "spec.selector",
            go_label_selector(get(spec, "selector")),
            "`selector` not auto-generated",
        ));
    }
}

fn non_negative(spec: &Value, path: &str, field: &str, errors: &mut Vec<FieldError>) {
    if let Some(n) = int(spec, field)
        && n < 0
    {
        errors.push(FieldError::invalid(format!("{path}.{field}"), n, NEGATIVE));
    }
}

/// A Job spec at `path` (`spec`, or `spec.jobTemplate.spec` of a CronJob,
/// whose selector is only made when its Jobs are).
fn validate_job_spec(spec: &Value, path: &str, is_template: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        non_negative(spec, path, field, &mut errors);
    }
    let template = get(spec, "template");
    let selector = get(spec, "selector");
    if selector.is_null() {
        if !is_template {
            errors.push(FieldError::required(format!("{path}.selector"), ""));
        }
    } else {
        errors.extend(validate_label_selector(
            selector,
            &format!("{path}.selector"),
        ));
        let labels = template.pointer("/metadata/labels").unwrap_or(&Value::Null);
        if let Some(parsed) = as_selector(selector)
            && !parsed.matches(&string_map(labels))
        {
            errors.push(FieldError::invalid_printed(
                format!("{path}.template.metadata.labels"),
                go_string_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    match string(spec, "completionMode") {
        "" | "NonIndexed" => {}
        "Indexed" => {
            if int(spec, "completions").is_none() {
                errors.push(FieldError::required(
                    format!("{path}.completions"),
                    "when completion mode is Indexed",
                ));
            }
        }
        other => errors.push(FieldError::not_supported(
            format!("{path}.completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        )),
    }
    match string(spec, "podReplacementPolicy") {
        "" | "Failed" | "TerminatingOrFailed" => {}
        other => errors.push(FieldError::not_supported(
            format!("{path}.podReplacementPolicy"),
            other,
            &["Failed", "TerminatingOrFailed"],
        )),
    }
    errors.extend(validate_template(template, &format!("{path}.template")));
    let restart = string(get(template, "spec"), "restartPolicy");
    let restart_path = format!("{path}.template.spec.restartPolicy");
    if !get(spec, "podFailurePolicy").is_null() && restart != "Never" {
        errors.push(FieldError::invalid(
            restart_path,
            restart,
            "only \"Never\" is supported when podFailurePolicy is specified",
        ));
    } else if restart != "OnFailure" && restart != "Never" {
        errors.push(FieldError::not_supported(
            restart_path,
            restart,
            &["OnFailure", "Never"],
        ));
    }
    errors
}

/// Upstream's Job defaults for a spec (also used inside CronJobs' job
/// templates only for the pod template).
fn default_job_spec(spec: &mut Value) {
    if int(spec, "completions").is_none() && int(spec, "parallelism").is_none() {
        spec["completions"] = json!(1);
        spec["parallelism"] = json!(1);
    }
    default_field(spec, "parallelism", 1);
    let backoff = if int(spec, "backoffLimitPerIndex").is_some() {
        MAX_INT32
    } else {
        6
    };
    default_field(spec, "backoffLimit", backoff);
    default_field(spec, "completionMode", "NonIndexed");
    default_field(spec, "suspend", false);
    let has_failure_policy = !get(spec, "podFailurePolicy").is_null();
    if let Some(policy) = spec.get_mut("podFailurePolicy") {
        for rule in elements_mut(policy, "rules") {
            for condition in elements_mut(rule, "onPodConditions") {
                default_field(condition, "status", "True");
            }
        }
    }
    default_field(
        spec,
        "podReplacementPolicy",
        if has_failure_policy {
            "Failed"
        } else {
            "TerminatingOrFailed"
        },
    );
    default_field(spec, "manualSelector", false);
}

impl Strategy for JobStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    /// batch/v1 keeps a deleted Job's pods unless told otherwise, for
    /// compatibility with its first clients (kubectl asks for Background).
    fn garbage_collection(&self) -> GarbageCollection {
        GarbageCollection::OrphanDependents
    }

    fn default(&self, job: &mut Value) {
        let template_labels = job
            .pointer("/spec/template/metadata/labels")
            .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
            .cloned();
        if let Some(labels) = template_labels
            && job.labels().is_empty()
        {
            job.set_meta("labels", labels);
        }
        let Some(spec) = job.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        default_job_spec(spec);
        if let Some(template) = spec.get_mut("template") {
            default_template(template);
        }
    }

    fn prepare_for_create(&self, job: &mut Value) {
        job["status"] = json!({});
        if !manual_selector(get(job, "spec")) {
            generate_selector(job);
        }
    }

    fn validate(&self, job: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_generated_selector(job, &mut errors);
        errors.extend(validate_job_spec(get(job, "spec"), "spec", false));
        errors
    }

    fn validate_update(&self, job: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let (spec, old_spec) = (get(job, "spec"), get(old, "spec"));
        if !semantically_equal(get(spec, "selector"), get(old_spec, "selector")) {
            errors.push(FieldError::invalid_printed(
                "spec.selector",
                go_label_selector(get(spec, "selector")),
                "field is immutable",
            ));
        }
        for fixed in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex"] {
            if !semantically_equal(get(spec, fixed), get(old_spec, fixed)) {
                errors.push(FieldError::immutable(
                    format!("spec.{fixed}"),
                    get(spec, fixed).clone(),
                ));
            }
        }
        // Indexed Jobs may scale completions with parallelism; others not.
        let elastic = string(spec, "completionMode") == "Indexed"
            && int(spec, "completions") == int(spec, "parallelism");
        if !elastic && int(spec, "completions") != int(old_spec, "completions") {
            errors.push(FieldError::immutable(
                "spec.completions",
                get(spec, "completions").clone(),
            ));
        }
        // The pod template is fixed once the Job exists (upstream lets a
        // suspended Job that never started change scheduling directives).
        let suspended = old_spec.get("suspend").and_then(Value::as_bool) == Some(true);
        if !suspended && !semantically_equal(get(spec, "template"), get(old_spec, "template")) {
            errors.push(FieldError::immutable(
                "spec.template",
                get(spec, "template").clone(),
            ));
        }
        errors
    }

    fn field_value(&self, job: &Value, field: &str) -> FieldLookup {
        match field {
            // Upstream's name for `status.succeeded`.
            "status.successful" => FieldLookup::Value(
                job.pointer("/status/succeeded")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .to_string(),
            ),
            _ => FieldLookup::Unsupported,
        }
    }
}

impl Strategy for CronJobStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn default(&self, cron_job: &mut Value) {
        let Some(spec) = cron_job.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        default_field(spec, "concurrencyPolicy", "Allow");
        default_field(spec, "suspend", false);
        default_field(spec, "successfulJobsHistoryLimit", 3);
        default_field(spec, "failedJobsHistoryLimit", 1);
        if let Some(template) = spec.pointer_mut("/jobTemplate/spec/template") {
            default_template(template);
        }
    }

    fn prepare_for_create(&self, cron_job: &mut Value) {
        cron_job["status"] = Value::Object(Map::new());
    }

    fn validate(&self, cron_job: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(name) = cron_job.name()
            && name.len() > CRONJOB_NAME_MAX
        {
            errors.push(FieldError::invalid(
                "metadata.name",
                name,
                format!("must be no more than {CRONJOB_NAME_MAX} characters"),
            ));
        }
        let spec = get(cron_job, "spec");
        let schedule = string(spec, "schedule");
        if schedule.is_empty() {
            errors.push(FieldError::required("spec.schedule", ""));
        } else {
            if let Err(e) = cron::parse(schedule) {
                errors.push(FieldError::invalid("spec.schedule", schedule, e));
            }
            if schedule.contains("TZ") {
                errors.push(FieldError::invalid(
                    "spec.schedule",
                    schedule,
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                ));
            }
        }
        if let Some(zone) = spec.get("timeZone").and_then(Value::as_str) {
            if zone.eq_ignore_ascii_case("local") {
                errors.push(FieldError::invalid(
                    "spec.timeZone",
                    zone,
                    "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
                ));
            } else if jiff::tz::TimeZone::get(zone).is_err() {
                errors.push(FieldError::invalid(
                    "spec.timeZone",
                    zone,
                    format!("unknown time zone {zone}"),
                ));
            }
        }
        match string(spec, "concurrencyPolicy") {
            "Allow" | "Forbid" | "Replace" => {}
            "" => errors.push(FieldError::required("spec.concurrencyPolicy", "")),
            other => errors.push(FieldError::not_supported(
                "spec.concurrencyPolicy",
                other,
                &["Allow", "Forbid", "Replace"],
            )),
        }
        for field in [
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        ] {
            non_negative(spec, "spec", field, &mut errors);
        }
        let job_template = get(spec, "jobTemplate");
        if let Some(labels) = job_template.pointer("/metadata/labels") {
            errors.extend(crate::apiserver::validation::labels::validate_labels(
                labels,
                "spec.jobTemplate.metadata.labels",
            ));
        }
        errors.extend(validate_job_spec(
            get(job_template, "spec"),
            "spec.jobTemplate.spec",
            true,
        ));
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "6a1c0b7e-0000-4000-8000-000000000001";

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    fn created(strategy: &dyn Strategy, mut object: Value) -> Value {
        object.set_meta("uid", UID);
        strategy.prepare_for_create(&mut object);
        strategy.default(&mut object);
        object
    }

    fn pi() -> Value {
        json!({"metadata": {"name": "pi"}, "spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "pi", "image": "perl:5.34"}]}}}})
    }

    #[test]
    fn job_defaults_and_generated_selector() {
        let job = created(&JobStrategy, pi());
        let spec = &job["spec"];
        assert_eq!(spec["parallelism"], 1);
        assert_eq!(spec["completions"], 1);
        assert_eq!(spec["backoffLimit"], 6);
        assert_eq!(spec["completionMode"], "NonIndexed");
        assert_eq!(spec["suspend"], false);
        assert_eq!(spec["manualSelector"], false);
        assert_eq!(spec["podReplacementPolicy"], "TerminatingOrFailed");
        assert_eq!(
            spec["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": UID}})
        );
        let expected_labels = json!({
            "batch.kubernetes.io/controller-uid": UID,
            "batch.kubernetes.io/job-name": "pi",
            "controller-uid": UID,
            "job-name": "pi",
        });
        assert_eq!(spec["template"]["metadata"]["labels"], expected_labels);
        assert_eq!(job["metadata"]["labels"], expected_labels);
        assert_eq!(lines(&JobStrategy.validate(&job)), Vec::<String>::new());
    }

    #[test]
    fn parallel_jobs_keep_unset_completions() {
        let mut job = pi();
        job["spec"]["parallelism"] = json!(3);
        let job = created(&JobStrategy, job);
        assert!(job["spec"].get("completions").is_none());
        assert_eq!(job["spec"]["parallelism"], 3);
    }

    #[test]
    fn job_validation() {
        let mut job = pi();
        job["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        job["spec"]["backoffLimit"] = json!(-1);
        job["spec"]["completionMode"] = json!("Indexed");
        job["spec"]["parallelism"] = json!(2);
        let job = created(&JobStrategy, job);
        assert_eq!(
            lines(&JobStrategy.validate(&job)),
            [
                "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
                "spec.completions: Required value: when completion mode is Indexed",
                "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
            ]
        );
    }

    #[test]
    fn a_chosen_selector_needs_manual_selector() {
        let mut job = pi();
        job["spec"]["selector"] = json!({"matchLabels": {"app": "pi"}});
        job["spec"]["template"]["metadata"] = json!({"labels": {"app": "pi"}});
        let job = created(&JobStrategy, job);
        let found = lines(&JobStrategy.validate(&job));
        assert!(
            found.contains(&format!(
                "spec.selector: Invalid value: {}: `selector` not auto-generated",
                go_label_selector(&job["spec"]["selector"])
            )),
            "{found:?}"
        );
        let mut manual = pi();
        manual["spec"]["manualSelector"] = json!(true);
        manual["spec"]["selector"] = json!({"matchLabels": {"app": "pi"}});
        manual["spec"]["template"]["metadata"] = json!({"labels": {"app": "pi"}});
        let manual = created(&JobStrategy, manual);
        assert_eq!(lines(&JobStrategy.validate(&manual)), Vec::<String>::new());
    }

    #[test]
    fn job_updates() {
        let old = created(&JobStrategy, pi());
        let mut new = old.clone();
        new["spec"]["activeDeadlineSeconds"] = json!(100);
        assert!(JobStrategy.validate_update(&new, &old).is_empty());
        new["spec"]["completions"] = json!(5);
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:6");
        let found = lines(&JobStrategy.validate_update(&new, &old));
        assert_eq!(
            found[0],
            "spec.completions: Invalid value: 5: field is immutable"
        );
        assert!(found[1].starts_with("spec.template: Invalid value: "));
    }

    #[test]
    fn job_field_selector() {
        assert_eq!(
            JobStrategy.field_value(&json!({"status": {"succeeded": 2}}), "status.successful"),
            FieldLookup::Value("2".into())
        );
        assert_eq!(
            JobStrategy.field_value(&json!({}), "status.successful"),
            FieldLookup::Value("0".into())
        );
        assert_eq!(
            JobStrategy.field_value(&json!({}), "status.succeeded"),
            FieldLookup::Unsupported
        );
    }

    fn hello() -> Value {
        json!({"metadata": {"name": "hello"}, "spec": {"schedule": "*/1 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                "containers": [{"name": "hello", "image": "busybox"}]}}}}}})
    }

    #[test]
    fn cronjob_defaults() {
        let cj = created(&CronJobStrategy, hello());
        let spec = &cj["spec"];
        assert_eq!(spec["concurrencyPolicy"], "Allow");
        assert_eq!(spec["suspend"], false);
        assert_eq!(spec["successfulJobsHistoryLimit"], 3);
        assert_eq!(spec["failedJobsHistoryLimit"], 1);
        let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(pod["containers"][0]["imagePullPolicy"], "Always");
        assert!(spec["jobTemplate"]["spec"].get("backoffLimit").is_none());
        assert_eq!(lines(&CronJobStrategy.validate(&cj)), Vec::<String>::new());
    }

    #[test]
    fn cronjob_validation() {
        let mut cj = hello();
        cj["metadata"]["name"] = json!("a".repeat(53));
        cj["spec"]["schedule"] = json!("61 * * * *");
        cj["spec"]["concurrencyPolicy"] = json!("Sometimes");
        cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        let cj = created(&CronJobStrategy, cj);
        assert_eq!(
            lines(&CronJobStrategy.validate(&cj)),
            [
                format!("metadata.name: Invalid value: \"{}\": must be no more than 52 characters", "a".repeat(53)),
                "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61".into(),
                "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"".into(),
                "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"".into(),
            ]
        );
        let mut cj = created(&CronJobStrategy, hello());
        cj["spec"]["schedule"] = json!("CRON_TZ=UTC 0 * * * *");
        assert_eq!(
            lines(&CronJobStrategy.validate(&cj)),
            [
                "spec.schedule: Invalid value: \"CRON_TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            ]
        );
        let mut cj = created(&CronJobStrategy, hello());
        cj["spec"]["timeZone"] = json!("Mars/Olympus_Mons");
        assert_eq!(
            lines(&CronJobStrategy.validate(&cj)),
            [
                "spec.timeZone: Invalid value: \"Mars/Olympus_Mons\": unknown time zone Mars/Olympus_Mons"
            ]
        );
        cj["spec"]["timeZone"] = json!("Europe/Berlin");
        assert!(CronJobStrategy.validate(&cj).is_empty());
    }
}
