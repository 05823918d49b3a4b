//! Jobs as kubectl users run them: with simulated nodes their pods run and
//! succeed, so `kubectl wait --for=condition=complete` returns; parallel
//! and Indexed Jobs count completions; failures beyond `backoffLimit`, an
//! `activeDeadlineSeconds` run out and suspension behave as upstream.

mod cluster;

use std::time::Duration;

use cluster::Cluster;
use keelson::testing::node_simulator::background::BackgroundSimulator;
use keelson::testing::{SimulatorOptions, poll_until};

fn simulate(cluster: &Cluster) -> BackgroundSimulator {
    BackgroundSimulator::start(
        &cluster.keelson.kubeconfig,
        SimulatorOptions {
            count: 2,
            job_pod_runtime: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .unwrap()
}

fn job(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n      \
         restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox\n"
    )
}

on_both_backends! {
    async fn jobs_run_to_completion(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster);
        k(&["create", "job", "once", "--image=busybox"]).ok();
        assert_eq!(
            k(&["wait", "--for=condition=complete", "job/once", "--timeout=60s"]).ok(),
            "job.batch/once condition met\n"
        );
        assert_eq!(
            k(&["get", "job", "once", "-o", "jsonpath={.status.succeeded} {.status.active} {.status.conditions[*].type}"]).ok(),
            "1 0 SuccessCriteriaMet Complete"
        );
        assert!(k(&["get", "job", "once"]).ok().contains("Complete   1/1"));

        // Four completions, two at a time.
        let manifest = cluster.file("batch.yaml", &job("batch", "  completions: 4\n  parallelism: 2\n"));
        k(&["create", "-f", &manifest]).ok();
        k(&["wait", "--for=condition=complete", "job/batch", "--timeout=60s"]).ok();
        assert_eq!(k(&["get", "job", "batch", "-o", "jsonpath={.status.succeeded}"]).ok(), "4");
        assert_eq!(k(&["get", "pods", "-l", "job-name=batch", "-o", "name"]).ok().lines().count(), 4);

        // Indexed: one pod per index, each knowing its index.
        let manifest = cluster.file("indexed.yaml", &job("indexed", "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n"));
        k(&["create", "-f", &manifest]).ok();
        k(&["wait", "--for=condition=complete", "job/indexed", "--timeout=60s"]).ok();
        assert_eq!(k(&["get", "job", "indexed", "-o", "jsonpath={.status.completedIndexes}"]).ok(), "0-2");
        let pods = k(&["get", "pods", "-l", "job-name=indexed", "-o",
            "jsonpath={range .items[*]}{.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}={.spec.hostname} {end}"]).ok().to_owned();
        let mut pods: Vec<&str> = pods.split_whitespace().collect();
        pods.sort();
        assert_eq!(pods, ["0=indexed-0", "1=indexed-1", "2=indexed-2"]);
    }

    async fn failing_suspended_and_overdue_jobs(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        // No nodes: pods stay pending unless the test says otherwise.
        let manifest = cluster.file("fragile.yaml", &job("fragile", "  backoffLimit: 0\n"));
        k(&["create", "-f", &manifest]).ok();
        let pod = poll_until("the job's pod", Duration::from_secs(30), || async {
            let name = k(&["get", "pods", "-l", "job-name=fragile", "-o", "jsonpath={.items[0].metadata.name}"]).stdout;
            (!name.is_empty()).then_some(name)
        })
        .await
        .unwrap();
        k(&["patch", "pod", &pod, "--subresource=status", "--type=merge", "-p", r#"{"status":{"phase":"Failed"}}"#]).ok();
        assert_eq!(
            k(&["wait", "--for=condition=failed", "job/fragile", "--timeout=30s"]).ok(),
            "job.batch/fragile condition met\n"
        );
        assert_eq!(
            k(&["get", "job", "fragile", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}: {.status.conditions[?(@.type==\"Failed\")].message}"]).ok(),
            "BackoffLimitExceeded: Job has reached the specified backoff limit"
        );

        // Suspended: no pods until resumed.
        let manifest = cluster.file("later.yaml", &job("later", "  suspend: true\n"));
        k(&["create", "-f", &manifest]).ok();
        cluster.until(&["get", "job", "later", "-o", "jsonpath={.status.conditions[?(@.type==\"Suspended\")].reason}"], "JobSuspended").await;
        assert_eq!(k(&["get", "pods", "-l", "job-name=later", "-o", "name"]).ok(), "");
        k(&["patch", "job", "later", "--type=merge", "-p", r#"{"spec":{"suspend":false}}"#]).ok();
        cluster.until(&["get", "pods", "-l", "job-name=later", "-o", "jsonpath={.items[*].status.phase}"], "Pending").await;
        cluster.until(&["get", "job", "later", "-o", "jsonpath={.status.conditions[?(@.type==\"Suspended\")].status}"], "False").await;

        // Overdue: failed, and its running pod deleted.
        let manifest = cluster.file("slow.yaml", &job("slow", "  activeDeadlineSeconds: 2\n"));
        k(&["create", "-f", &manifest]).ok();
        k(&["wait", "--for=condition=failed", "job/slow", "--timeout=30s"]).ok();
        assert_eq!(
            k(&["get", "job", "slow", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}"]).ok(),
            "DeadlineExceeded"
        );
        cluster.until(&["get", "pods", "-l", "job-name=slow", "-o", "name"], "").await;
    }
}

fn cron_job(name: &str, schedule: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"{schedule}\"\n{extra_spec}  \
         jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          \
         containers:\n          - name: main\n            image: busybox\n"
    )
}

on_both_backends! {
    async fn cron_jobs_fire_on_schedule_in_their_time_zone(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster);
        // Every minute; a successful Job is kept, none more.
        let every_minute = cluster.file("tick.yaml", &cron_job("tick", "* * * * *", "  successfulJobsHistoryLimit: 1\n"));
        k(&["create", "-f", &every_minute]).ok();
        // Every minute of the current (and next) hour in Kolkata, five and
        // a half hours off UTC: only runs if the zone is honoured.
        let kolkata = jiff::Timestamp::now().in_tz("Asia/Kolkata").unwrap();
        let hours = format!("{},{}", kolkata.hour(), (kolkata.hour() + 1) % 24);
        let zoned = cluster.file("zoned.yaml", &cron_job("zoned", &format!("* {hours} * * *"), "  timeZone: Asia/Kolkata\n"));
        k(&["create", "-f", &zoned]).ok();
        let paused = cluster.file("paused.yaml", &cron_job("paused", "* * * * *", "  suspend: true\n"));
        k(&["create", "-f", &paused]).ok();

        let job = poll_until("tick's first job", Duration::from_secs(90), || async {
            let jobs = k(&["get", "jobs", "-o", "jsonpath={.items[*].metadata.name}"]).ok().to_owned();
            jobs.split_whitespace().find(|j| j.starts_with("tick-")).map(str::to_owned)
        })
        .await
        .unwrap();
        k(&["wait", "--for=condition=complete", &format!("job/{job}"), "--timeout=60s"]).ok();
        poll_until("tick's status", Duration::from_secs(30), || async {
            let status = k(&["get", "cronjob", "tick", "-o",
                "jsonpath={.status.lastScheduleTime}|{.status.lastSuccessfulTime}|{.status.active}"]).ok().to_owned();
            let parts: Vec<&str> = status.split('|').collect();
            (!parts[0].is_empty() && !parts[1].is_empty() && parts[2].is_empty()).then_some(())
        })
        .await
        .unwrap();
        // The Job is named after its minute and says when it was due.
        let minute: i64 = job.strip_prefix("tick-").unwrap().parse().unwrap();
        let scheduled = k(&["get", "job", &job, "-o",
            "jsonpath={.metadata.annotations.batch\\.kubernetes\\.io/cronjob-scheduled-timestamp}"]).ok().to_owned();
        let scheduled: jiff::Timestamp = scheduled.parse().unwrap();
        assert_eq!(scheduled.as_second(), minute * 60);
        assert_eq!(
            k(&["get", "job", &job, "-o", "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"]).ok(),
            "CronJob/tick"
        );
        let described = k(&["describe", "cronjob", "tick"]).ok().to_owned();
        assert!(described.contains(&format!("Created job {job}")), "{described}");

        poll_until("zoned's job", Duration::from_secs(90), || async {
            let jobs = k(&["get", "jobs", "-o", "jsonpath={.items[*].metadata.name}"]).ok().to_owned();
            jobs.split_whitespace().any(|j| j.starts_with("zoned-")).then_some(())
        })
        .await
        .unwrap();
        // Suspended: its minutes passed, and nothing ran.
        assert_eq!(k(&["get", "cronjob", "paused", "-o", "jsonpath={.status.lastScheduleTime}"]).ok(), "");
        assert!(!k(&["get", "jobs", "-o", "name"]).ok().contains("paused-"));
    }
}

on_both_backends! {
    async fn finished_jobs_with_a_ttl_are_deleted(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let _nodes = simulate(&cluster);
        let brief = cluster.file("brief.yaml", &job("brief", "  ttlSecondsAfterFinished: 1\n"));
        k(&["create", "-f", &brief]).ok();
        let kept = cluster.file("kept.yaml", &job("kept", ""));
        k(&["create", "-f", &kept]).ok();
        k(&["wait", "--for=condition=complete", "job/kept", "--timeout=60s"]).ok();
        cluster.until(&["get", "jobs", "-o", "name"], "job.batch/kept\n").await;
        cluster.until(&["get", "pods", "-l", "job-name=brief", "-o", "name"], "").await;
    }
}

on_both_backends! {
    async fn pod_failure_policy_fails_or_ignores_by_rule(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let policy = "  podFailurePolicy:\n    rules:\n    \
            - action: FailJob\n      onExitCodes:\n        containerName: main\n        operator: In\n        values: [42]\n    \
            - action: Ignore\n      onPodConditions:\n      - type: DisruptionTarget\n        status: \"True\"\n";
        let first_pod = |job: &str| {
            let selector = format!("job-name={job}");
            async move {
                poll_until("the job's pod", Duration::from_secs(30), || async {
                    let name = k(&["get", "pods", "-l", &selector, "-o", "jsonpath={.items[0].metadata.name}"]).stdout;
                    (!name.is_empty()).then_some(name)
                })
                .await
                .unwrap()
            }
        };
        // No nodes: the test plays kubelet by patching pod status.
        let manifest = cluster.file("exits.yaml", &job("exits", policy));
        k(&["create", "-f", &manifest]).ok();
        let pod = first_pod("exits").await;
        k(&["patch", "pod", &pod, "--subresource=status", "--type=merge", "-p",
            r#"{"status":{"phase":"Failed","containerStatuses":[{"name":"main","image":"busybox","imageID":"","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":42}}}]}}"#]).ok();
        k(&["wait", "--for=condition=failed", "job/exits", "--timeout=30s"]).ok();
        assert_eq!(
            k(&["get", "job", "exits", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}: {.status.conditions[?(@.type==\"Failed\")].message}"]).ok(),
            format!("PodFailurePolicy: Container main for pod default/{pod} failed with exit code 42 matching FailJob rule at index 0")
        );

        // A disrupted pod is replaced without counting as a failure.
        let manifest = cluster.file("evicted.yaml", &job("evicted", policy));
        k(&["create", "-f", &manifest]).ok();
        let pod = first_pod("evicted").await;
        k(&["patch", "pod", &pod, "--subresource=status", "--type=merge", "-p",
            r#"{"status":{"phase":"Failed","conditions":[{"type":"DisruptionTarget","status":"True"}]}}"#]).ok();
        poll_until("a replacement pod", Duration::from_secs(30), || async {
            let pods = k(&["get", "pods", "-l", "job-name=evicted", "-o", "name"]).ok().lines().count();
            (pods == 2).then_some(())
        })
        .await
        .unwrap();
        assert_eq!(k(&["get", "job", "evicted", "-o", "jsonpath={.status.failed} {.status.active}"]).ok(), "0 1");
    }
}
