//! `batch` kinds: Jobs (with 1.33's Status column) and CronJobs.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{
    NONE, container_cells, format_label_selector, int, items, opt_bool, opt_int, opt_text, text,
    title_bool,
};
use super::{Column, Columns, age_cell, age_column, container_columns, name_cell, name_column};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::table::{age, human_duration, seconds_since};

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    match (group, kind) {
        ("batch", "Job") => Some(Columns::new(job_columns, job_cells)),
        ("batch", "CronJob") => Some(Columns::new(cron_job_columns, cron_job_cells)),
        _ => None,
    }
}

fn job_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Status", "string", "Status of the job."),
        Column::new("Completions", "string", doc::JOB_STATUS_SUCCEEDED),
        Column::new("Duration", "string", "Time required to complete the job."),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::JOB_SPEC_SELECTOR).wide(),
    ]
}

/// Whether the first condition of type `kind` is `True`.
fn has_condition(job: &Value, kind: &str) -> bool {
    items(job, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == kind)
        .is_some_and(|c| text(c, "/status") == "True")
}

fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if job.deletion_timestamp().is_some() {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

fn job_completions(job: &Value) -> String {
    let succeeded = int(job, "/status/succeeded");
    if let Some(completions) = opt_int(job, "/spec/completions") {
        return format!("{succeeded}/{completions}");
    }
    match int(job, "/spec/parallelism") {
        parallelism if parallelism > 1 => format!("{succeeded}/1 of {parallelism}"),
        _ => format!("{succeeded}/1"),
    }
}

/// Start to completion, or start to now while the job runs; empty before it
/// starts.
fn job_duration(job: &Value) -> String {
    let timestamp =
        |pointer: &str| opt_text(job, pointer).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let Some(start) = timestamp("/status/startTime") else {
        return String::new();
    };
    let seconds = match timestamp("/status/completionTime") {
        Some(completion) => completion.duration_since(start).as_secs(),
        None => seconds_since(start),
    };
    human_duration(seconds)
}

fn job_cells(job: &Value) -> Vec<Value> {
    let (names, images) = container_cells(items(job, "/spec/template/spec/containers"));
    vec![
        name_cell(job),
        json!(job_status(job)),
        json!(job_completions(job)),
        json!(job_duration(job)),
        age_cell(job),
        json!(names),
        json!(images),
        json!(format_label_selector(job.pointer("/spec/selector"))),
    ]
}

fn cron_job_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Schedule", "string", doc::CRONJOB_SPEC_SCHEDULE),
        Column::new("Timezone", "string", doc::CRONJOB_SPEC_TIME_ZONE),
        Column::new("Suspend", "boolean", doc::CRONJOB_SPEC_SUSPEND),
        Column::new("Active", "integer", doc::CRONJOB_STATUS_ACTIVE),
        Column::new("Last Schedule", "string", doc::CRONJOB_STATUS_LAST_SCHEDULE),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::JOB_SPEC_SELECTOR).wide(),
    ]
}

fn cron_job_cells(cron_job: &Value) -> Vec<Value> {
    let job_spec = cron_job
        .pointer("/spec/jobTemplate/spec")
        .unwrap_or(&Value::Null);
    let (names, images) = container_cells(items(job_spec, "/template/spec/containers"));
    let last_schedule =
        opt_text(cron_job, "/status/lastScheduleTime").map_or_else(|| NONE.into(), age);
    // Defaulting sets `suspend: false`; upstream prints a bool pointer as
    // True/False.
    let suspend = title_bool(opt_bool(cron_job, "/spec/suspend").unwrap_or(false));
    vec![
        name_cell(cron_job),
        json!(text(cron_job, "/spec/schedule")),
        json!(opt_text(cron_job, "/spec/timeZone").unwrap_or(NONE)),
        json!(suspend),
        json!(items(cron_job, "/status/active").len()),
        json!(last_schedule),
        age_cell(cron_job),
        json!(names),
        json!(images),
        json!(format_label_selector(job_spec.pointer("/selector"))),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ago, cells, column_names};

    fn job(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "backup", "creationTimestamp": ago(5 * 3600)},
               "spec": spec, "status": status})
    }

    #[test]
    fn job_columns_match_1_33() {
        assert_eq!(
            column_names("batch", "Job"),
            [
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers (wide)",
                "Images (wide)",
                "Selector (wide)"
            ]
        );
    }

    #[test]
    fn complete_job() {
        let j = job(
            json!({"completions": 1, "parallelism": 1,
                   "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}},
                   "template": {"spec": {"containers": [{"name": "backup", "image": "restic"}]}}}),
            json!({"succeeded": 1, "startTime": ago(2 * 3600), "completionTime": ago(2 * 3600 - 95),
                   "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                  {"type": "Complete", "status": "True"}]}),
        );
        assert_eq!(
            cells("batch", "Job", &j),
            vec![
                json!("backup"),
                json!("Complete"),
                json!("1/1"),
                json!("95s"),
                json!("5h"),
                json!("backup"),
                json!("restic"),
                json!("batch.kubernetes.io/controller-uid=abc"),
            ]
        );
    }

    #[test]
    fn job_statuses() {
        let with = |conditions: Value| job(json!({}), json!({"conditions": conditions}));
        let status = |j: &Value| cells("batch", "Job", j)[1].clone();
        assert_eq!(status(&with(json!([]))), json!("Running"));
        assert_eq!(
            status(&with(json!([{"type": "Failed", "status": "True"}]))),
            json!("Failed")
        );
        assert_eq!(
            status(&with(json!([{"type": "Suspended", "status": "True"}]))),
            json!("Suspended")
        );
        assert_eq!(
            status(&with(json!([{"type": "FailureTarget", "status": "True"}]))),
            json!("FailureTarget")
        );
        assert_eq!(
            status(&with(json!([{"type": "Suspended", "status": "False"}]))),
            json!("Running")
        );
        let mut deleting = with(json!([{"type": "Suspended", "status": "True"}]));
        deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(status(&deleting), json!("Terminating"));
    }

    #[test]
    fn job_completions_and_running_duration() {
        let running = job(
            json!({"parallelism": 3}),
            json!({"succeeded": 1, "startTime": ago(20 * 60)}),
        );
        let c = cells("batch", "Job", &running);
        assert_eq!(c[2..4], [json!("1/1 of 3"), json!("20m")]);
        let single = job(json!({"parallelism": 1}), json!({}));
        let c = cells("batch", "Job", &single);
        assert_eq!(c[2..4], [json!("0/1"), json!("")]);
        let indexed = job(
            json!({"completions": 5, "parallelism": 2}),
            json!({"succeeded": 4}),
        );
        assert_eq!(cells("batch", "Job", &indexed)[2], json!("4/5"));
    }

    #[test]
    fn cron_job() {
        assert_eq!(
            column_names("batch", "CronJob"),
            [
                "Name",
                "Schedule",
                "Timezone",
                "Suspend",
                "Active",
                "Last Schedule",
                "Age",
                "Containers (wide)",
                "Images (wide)",
                "Selector (wide)"
            ]
        );
        let cj = json!({
            "metadata": {"name": "nightly", "creationTimestamp": ago(10 * 86400)},
            "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "suspend": false,
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                         {"name": "backup", "image": "restic"}]}}}}},
            "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(5 * 3600)},
        });
        assert_eq!(
            cells("batch", "CronJob", &cj),
            vec![
                json!("nightly"),
                json!("0 3 * * *"),
                json!("Europe/Paris"),
                json!("False"),
                json!(1),
                json!("5h"),
                json!("10d"),
                json!("backup"),
                json!("restic"),
                json!("<none>"),
            ]
        );
        let never = json!({"metadata": {"name": "n"},
                           "spec": {"schedule": "@hourly", "suspend": true}});
        let c = cells("batch", "CronJob", &never);
        assert_eq!(
            c[2..6],
            [json!("<none>"), json!("True"), json!(0), json!("<none>")]
        );
    }
}
