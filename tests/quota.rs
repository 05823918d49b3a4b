//! ResourceQuota as a user meets it through kubectl: the controller fills
//! in what the namespace uses, admission refuses what would exceed a limit
//! with upstream's message, and deleting objects gives their usage back.

mod cluster;

use std::time::Duration;

use cluster::Cluster;
use keelson::testing::poll_until;

/// Polls until `jsonpath` of quota `name` in `namespace` reads `expected`.
async fn quota_reads(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    jsonpath: &str,
    expected: &str,
) {
    let template = format!("jsonpath={jsonpath}");
    poll_until(
        &format!("quota {name} to read {jsonpath} = {expected}"),
        Duration::from_secs(30),
        || async {
            let ran = cluster.kubectl(&["get", "quota", name, "-n", namespace, "-o", &template]);
            (ran.stdout == expected).then_some(())
        },
    )
    .await
    .unwrap();
}

fn pod(name: &str, resources: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: main\n    image: busybox\n    resources: {resources}\n"
    )
}

on_both_backends! {
    async fn quota_counts_objects_and_refuses_what_exceeds_it(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "team"]).ok();
        k(&["create", "quota", "objects", "-n", "team", "--hard=configmaps=3,count/secrets=5,services.nodeports=1"]).ok();
        // Every resource it limits is reported, at zero when nothing counts;
        // the root CA ConfigMap every namespace has counts.
        quota_reads(&cluster, "team", "objects", "{.status.used}",
            r#"{"configmaps":"1","count/secrets":"0","services.nodeports":"0"}"#).await;
        assert_eq!(
            k(&["get", "quota", "objects", "-n", "team", "-o", "jsonpath={.status.hard}"]).ok(),
            r#"{"configmaps":"3","count/secrets":"5","services.nodeports":"1"}"#
        );

        k(&["create", "configmap", "one", "-n", "team"]).ok();
        k(&["create", "configmap", "two", "-n", "team"]).ok();
        assert_eq!(
            k(&["create", "configmap", "three", "-n", "team"]).failed(),
            "error: failed to create configmap: configmaps \"three\" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=3, limited: configmaps=3\n"
        );
        k(&["create", "secret", "generic", "password", "-n", "team", "--from-literal=p=q"]).ok();
        quota_reads(&cluster, "team", "objects", "{.status.used}",
            r#"{"configmaps":"3","count/secrets":"1","services.nodeports":"0"}"#).await;

        // A NodePort service with two ports needs two node ports.
        assert!(
            k(&["create", "service", "nodeport", "web", "-n", "team", "--tcp=80:80,443:443"])
                .failed()
                .contains("exceeded quota: objects, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1"),
        );

        // Deleting gives the usage back, and the next create fits.
        k(&["delete", "configmap", "one", "-n", "team"]).ok();
        quota_reads(&cluster, "team", "objects", "{.status.used.configmaps}", "2").await;
        k(&["create", "configmap", "three", "-n", "team"]).ok();
        // Other namespaces are not limited.
        k(&["create", "configmap", "four", "-n", "default"]).ok();
    }

    async fn quota_on_compute_resources_sums_pod_requests(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "compute"]).ok();
        k(&["create", "quota", "compute", "-n", "compute", "--hard=pods=2,requests.cpu=1,requests.memory=1Gi,limits.memory=2Gi"]).ok();
        quota_reads(&cluster, "compute", "compute", "{.status.used}",
            r#"{"limits.memory":"0","pods":"0","requests.cpu":"0","requests.memory":"0"}"#).await;

        // A pod that does not say what it needs cannot be charged.
        let unbounded = cluster.file("unbounded.yaml", &pod("unbounded", "{}"));
        assert_eq!(
            k(&["create", "-n", "compute", "-f", &unbounded]).failed(),
            format!("Error from server (Forbidden): error when creating \"{unbounded}\": pods \"unbounded\" is forbidden: failed quota: compute: must specify limits.memory for: main; requests.cpu for: main; requests.memory for: main\n")
        );

        let sized = "{requests: {cpu: 600m, memory: 256Mi}, limits: {memory: 512Mi}}";
        let first = cluster.file("first.yaml", &pod("first", sized));
        k(&["create", "-n", "compute", "-f", &first]).ok();
        quota_reads(&cluster, "compute", "compute", "{.status.used}",
            r#"{"limits.memory":"512Mi","pods":"1","requests.cpu":"600m","requests.memory":"256Mi"}"#).await;
        let second = cluster.file("second.yaml", &pod("second", sized));
        assert_eq!(
            k(&["create", "-n", "compute", "-f", &second]).failed(),
            format!("Error from server (Forbidden): error when creating \"{second}\": pods \"second\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1\n")
        );
        let small = cluster.file("small.yaml", &pod("small", "{requests: {cpu: 400m, memory: 256Mi}, limits: {memory: 512Mi}}"));
        k(&["create", "-n", "compute", "-f", &small]).ok();
        quota_reads(&cluster, "compute", "compute", "{.status.used}",
            r#"{"limits.memory":"1Gi","pods":"2","requests.cpu":"1","requests.memory":"512Mi"}"#).await;

        // `kubectl describe` shows used against hard.
        assert_eq!(
            k(&["describe", "quota", "compute", "-n", "compute"]).ok(),
            "Name:            compute\nNamespace:       compute\nResource         Used   Hard\n--------         ----   ----\n\
             limits.memory    1Gi    2Gi\npods             2      2\nrequests.cpu     1      1\nrequests.memory  512Mi  1Gi\n"
        );

        k(&["delete", "pod", "first", "-n", "compute", "--wait=false"]).ok();
        quota_reads(&cluster, "compute", "compute", "{.status.used.requests\\.cpu}", "400m").await;
    }

    async fn scoped_quotas_count_only_the_pods_in_their_scope(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "scoped"]).ok();
        k(&["create", "quota", "best-effort", "-n", "scoped", "--hard=pods=1", "--scopes=BestEffort"]).ok();
        k(&["create", "quota", "not-best-effort", "-n", "scoped", "--hard=pods=5", "--scopes=NotBestEffort"]).ok();
        quota_reads(&cluster, "scoped", "best-effort", "{.status.used.pods}", "0").await;
        quota_reads(&cluster, "scoped", "not-best-effort", "{.status.used.pods}", "0").await;

        k(&["run", "free", "-n", "scoped", "--image=busybox"]).ok();
        let sized = cluster.file("sized.yaml", &pod("sized", "{requests: {cpu: 100m}}"));
        k(&["create", "-n", "scoped", "-f", &sized]).ok();
        quota_reads(&cluster, "scoped", "best-effort", "{.status.used.pods}", "1").await;
        quota_reads(&cluster, "scoped", "not-best-effort", "{.status.used.pods}", "1").await;
        // A second best-effort pod exceeds only its scope's quota.
        assert_eq!(
            k(&["run", "free-again", "-n", "scoped", "--image=busybox"]).failed(),
            "Error from server (Forbidden): pods \"free-again\" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1\n"
        );
        // ConfigMaps are not pods: a scoped quota never counts them.
        k(&["create", "configmap", "settings", "-n", "scoped"]).ok();
    }

    async fn object_counts_follow_resources_of_any_group(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "apps"]).ok();
        k(&["create", "deployment", "first", "-n", "apps", "--image=nginx"]).ok();
        // The quota counts what existed before it.
        k(&["create", "quota", "deployments", "-n", "apps", "--hard=count/deployments.apps=2"]).ok();
        quota_reads(&cluster, "apps", "deployments", "{.status.used}", r#"{"count/deployments.apps":"1"}"#).await;
        k(&["create", "deployment", "second", "-n", "apps", "--image=nginx"]).ok();
        assert_eq!(
            k(&["create", "deployment", "third", "-n", "apps", "--image=nginx"]).failed(),
            "error: failed to create deployment: deployments.apps \"third\" is forbidden: exceeded quota: deployments, requested: count/deployments.apps=1, used: count/deployments.apps=2, limited: count/deployments.apps=2\n"
        );
        k(&["delete", "deployment", "first", "-n", "apps"]).ok();
        quota_reads(&cluster, "apps", "deployments", "{.status.used}", r#"{"count/deployments.apps":"1"}"#).await;
    }
}
