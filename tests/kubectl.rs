//! Issue 3 item 11: stock kubectl against `keelson up`, on the embedded
//! store and on etcd. What is checked is what a user sees: stdout, stderr
//! and exit codes, as kubectl prints them against upstream.

mod cluster;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cluster::{Cluster, KUBECTL, KUBECTL_1_27, KUBECTL_1_33, configmap};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The words of each line (column alignment aside).
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// The first two columns of each row, the header included.
fn two_columns(table: &str) -> Vec<(String, String)> {
    rows(table)
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The core ConfigMap flow with kubectl `binary`; `create_flags` go to
/// `create -f` and `replace -f`.
fn core_flow(cluster: &Cluster, binary: &str, create_flags: &[&str]) {
    let run = |args: &[&str]| cluster.run(binary, args);
    let with = |verb: &str, file: &str| {
        let mut args = vec![verb, "-f", file];
        args.extend_from_slice(create_flags);
        cluster.run(binary, &args)
    };
    let file = cluster.file("x.yaml", &configmap("x", None, "v"));
    assert_eq!(with("create", &file).ok(), "configmap/x created\n");
    assert_eq!(
        with("create", &file).failed(),
        format!(
            "Error from server (AlreadyExists): error when creating \"{file}\": configmaps \"x\" already exists\n"
        )
    );

    let yaml = run(&["get", "cm", "x", "-o", "yaml"]);
    let object: serde_json::Value = serde_yaml::from_str(yaml.ok()).unwrap();
    assert_eq!(object["kind"], "ConfigMap");
    assert_eq!(object["apiVersion"], "v1");
    assert_eq!(object["data"]["k"], "v");
    assert_eq!(object["metadata"]["namespace"], "default");
    assert!(
        yaml.stdout
            .starts_with("apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n")
    );
    let json: serde_json::Value =
        serde_json::from_str(run(&["get", "cm", "x", "-o", "json"]).ok()).unwrap();
    assert_eq!(json["metadata"]["uid"], object["metadata"]["uid"]);
    assert!(json["metadata"]["resourceVersion"].as_str().is_some());
    assert_eq!(run(&["get", "cm", "x", "-o", "name"]).ok(), "configmap/x\n");
    assert_eq!(
        run(&["get", "cm", "x", "-o", "jsonpath={.data.k}"]).ok(),
        "v"
    );
    assert_eq!(
        run(&[
            "get",
            "cm",
            "x",
            "-o",
            "custom-columns=NAME:.metadata.name,DATA:.data.k"
        ])
        .ok(),
        "NAME   DATA\nx      v\n"
    );
    // A list (selecting x among the cluster's own ConfigMaps) and a get.
    for wide in [
        &["get", "cm", "--field-selector=metadata.name=x"][..],
        &["get", "cm", "x", "-o", "wide"],
    ] {
        let table = run(wide);
        let lines: Vec<&str> = table.ok().lines().collect();
        assert_eq!(lines.len(), 2, "{table:?}");
        assert_eq!(lines[0], "NAME   DATA   AGE");
        let row = rows(lines[1]).remove(0);
        assert_eq!(row[..2], ["x", "1"]);
        assert!(row[2].ends_with('s'), "{row:?}");
    }

    assert_eq!(
        run(&["label", "cm", "x", "a=b"]).ok(),
        "configmap/x labeled\n"
    );
    assert_eq!(
        run(&["label", "cm", "x", "a=c"]).failed(),
        "error: 'a' already has a value (b), and --overwrite is false\n"
    );
    assert_eq!(
        run(&["label", "cm", "x", "a=c", "--overwrite"]).ok(),
        "configmap/x labeled\n"
    );
    assert_eq!(
        run(&["get", "cm", "x", "-o", "jsonpath={.metadata.labels.a}"]).ok(),
        "c"
    );
    // kubectl 1.27 itself prints "annotate" (fixed in later kubectls).
    let annotated = if binary == KUBECTL_1_27 {
        "configmap/x annotate\n"
    } else {
        "configmap/x annotated\n"
    };
    assert_eq!(run(&["annotate", "cm", "x", "note=hi"]).ok(), annotated);
    assert_eq!(
        run(&["label", "cm", "x", "a-"]).ok(),
        "configmap/x unlabeled\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(run(&["get", "cm", "x", "-o", "json"]).ok()).unwrap();
    assert_eq!(json["metadata"]["annotations"]["note"], "hi");

    let changed = cluster.file("x2.yaml", &configmap("x", None, "w"));
    assert_eq!(with("replace", &changed).ok(), "configmap/x replaced\n");
    assert_eq!(
        run(&["get", "cm", "x", "-o", "jsonpath={.data.k}"]).ok(),
        "w"
    );

    assert_eq!(
        run(&["delete", "cm", "x"]).ok(),
        "configmap \"x\" deleted\n"
    );
    assert_eq!(
        run(&["get", "cm", "x"]).failed(),
        "Error from server (NotFound): configmaps \"x\" not found\n"
    );
    assert_eq!(
        run(&["delete", "cm", "x"]).failed(),
        "Error from server (NotFound): configmaps \"x\" not found\n"
    );
    assert_eq!(
        run(&["get", "cm", "nope"]).failed(),
        "Error from server (NotFound): configmaps \"nope\" not found\n"
    );
    // Nothing in the cluster creates Secrets: an empty list.
    assert_eq!(
        run(&["get", "secrets"]).stderr,
        "No resources found in default namespace.\n"
    );
}

/// Reads lines from a running `kubectl get -w` until `want` matches one.
async fn next_line_matching(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    seen: &mut Vec<String>,
    want: impl Fn(&[String]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(left, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("timed out; watch printed {seen:?}"))
            .unwrap()
            .unwrap_or_else(|| panic!("watch ended; it printed {seen:?}"));
        seen.push(line.clone());
        if want(
            &line
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        ) {
            return;
        }
    }
}

on_both_backends! {
    async fn configmap_flow_kubectl_1_32(cluster: Cluster) {
        core_flow(&cluster, KUBECTL, &[]);
    }

    async fn configmap_flow_kubectl_1_33(cluster: Cluster) {
        core_flow(&cluster, KUBECTL_1_33, &[]);
    }

    async fn configmap_flow_kubectl_1_27_without_client_validation(cluster: Cluster) {
        // The same flow with validation off; the test below (and
        // tests/openapi.rs) cover 1.27's default validation.
        core_flow(&cluster, KUBECTL_1_27, &["--validate=false"]);
    }

    async fn kubectl_1_27_create_with_default_validation(cluster: Cluster) {
        let file = cluster.file("x.yaml", &configmap("x", None, "v"));
        assert_eq!(
            cluster.run(KUBECTL_1_27, &["create", "-f", &file]).ok(),
            "configmap/x created\n"
        );
    }

    async fn server_side_field_validation_rejects_unknown_fields(cluster: Cluster) {
        let file = cluster.file(
            "bogus.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\nbogus: 1\n",
        );
        let ran = cluster.kubectl(&["create", "-f", &file]);
        let stderr = ran.failed();
        assert!(stderr.starts_with("Error from server (BadRequest): error when creating"), "{stderr}");
        assert!(stderr.contains("strict decoding error: unknown field \"bogus\""), "{stderr}");
    }

    async fn generator_commands_kubectl_1_32_and_1_33(cluster: Cluster) {
        for (binary, ns) in [(KUBECTL, "gen32"), (KUBECTL_1_33, "gen33")] {
            let run = |args: &[&str]| cluster.run(binary, args);
            assert_eq!(run(&["create", "namespace", ns]).ok(), format!("namespace/{ns} created\n"));
            assert_eq!(
                run(&["create", "configmap", "c", "-n", ns, "--from-literal=k=v"]).ok(),
                "configmap/c created\n"
            );
            assert_eq!(
                run(&["create", "secret", "generic", "s", "-n", ns, "--from-literal=k=v"]).ok(),
                "secret/s created\n"
            );
            assert_eq!(
                run(&["create", "deployment", "d", "-n", ns, "--image=nginx"]).ok(),
                "deployment.apps/d created\n"
            );
            assert_eq!(
                run(&["get", "cm", "c", "-n", ns, "-o", "jsonpath={.data.k}"]).ok(),
                "v"
            );
        }
    }

    async fn namespaces_workloads_and_their_errors(cluster: Cluster) {
        let ns = cluster.kubectl(&["get", "ns"]);
        assert_eq!(
            two_columns(ns.ok()),
            pairs(&[
                ("NAME", "STATUS"),
                ("default", "Active"),
                ("kube-node-lease", "Active"),
                ("kube-public", "Active"),
                ("kube-system", "Active"),
            ])
        );
        let pods = cluster.kubectl(&["get", "pods", "-A"]);
        assert_eq!((pods.ok(), pods.stderr.as_str()), ("", "No resources found\n"));

        let file = cluster.file(
            "objects.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n\
             \x20   metadata:\n      labels: {app: web}\n    spec:\n      containers:\n\
             \x20     - name: web\n        image: nginx:1.27\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: team\n\
             spec:\n  selector: {app: web}\n  ports:\n  - port: 80\n",
        );
        assert_eq!(
            cluster.kubectl(&["create", "-f", &file]).ok(),
            "namespace/team created\ndeployment.apps/web created\nservice/web created\n"
        );
        let deploy = cluster.kubectl(&["get", "deploy", "-n", "team"]);
        assert_eq!(rows(deploy.ok())[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
        assert_eq!(rows(&deploy.stdout)[1][..2], ["web", "0/2"]);
        assert_eq!(
            cluster.kubectl(&["get", "svc", "-n", "team", "-o", "name"]).ok(),
            "service/web\n"
        );
        assert_eq!(
            cluster.kubectl(&["get", "deploy", "web", "-n", "team", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]).ok(),
            "nginx:1.27"
        );

        let bad = cluster.file(
            "bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n",
        );
        assert_eq!(
            cluster.kubectl(&["create", "-f", &bad]).failed(),
            "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": \
             a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
             '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', \
             regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"
        );

        let missing = cluster.file("missing.yaml", &configmap("c", Some("nope"), "v"));
        assert_eq!(
            cluster.kubectl(&["create", "-f", &missing]).failed(),
            format!("Error from server (NotFound): error when creating \"{missing}\": namespaces \"nope\" not found\n")
        );

    }

    async fn creating_in_a_terminating_namespace_is_forbidden(cluster: Cluster) {
        let ns = cluster.file("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n");
        cluster.kubectl(&["create", "-f", &ns]).ok();
        // Content with a finalizer holds the namespace in Terminating;
        // --wait=false keeps kubectl from waiting for it to go.
        let held = cluster.file(
            "held.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: team\n  finalizers: [example.com/hold]\n",
        );
        cluster.kubectl(&["create", "-f", &held]).ok();
        assert_eq!(
            cluster.kubectl(&["delete", "ns", "team", "--wait=false"]).ok(),
            "namespace \"team\" deleted\n"
        );
        assert_eq!(
            cluster.kubectl(&["get", "ns", "team", "-o", "jsonpath={.status.phase}"]).ok(),
            "Terminating"
        );
        let late = cluster.file("late.yaml", &configmap("c", Some("team"), "v"));
        assert_eq!(
            cluster.kubectl(&["create", "-f", &late]).failed(),
            format!(
                "Error from server (Forbidden): error when creating \"{late}\": configmaps \"c\" is forbidden: \
                 unable to create new content in namespace team because it is being terminated\n"
            )
        );
        }

    async fn removing_the_last_label_leaves_no_labels_field(cluster: Cluster) {
        cluster.kubectl(&["create", "-f", &cluster.file("x.yaml", &configmap("x", None, "v"))]).ok();
        cluster.kubectl(&["label", "cm", "x", "a=b"]).ok();
        assert_eq!(cluster.kubectl(&["label", "cm", "x", "a-"]).ok(), "configmap/x unlabeled\n");
        let json: serde_json::Value =
            serde_json::from_str(cluster.kubectl(&["get", "cm", "x", "-o", "json"]).ok()).unwrap();
        assert!(json["metadata"].get("labels").is_none(), "{json}");
    }

    async fn discovery_api_resources_and_versions(cluster: Cluster) {
        let resources = cluster.kubectl(&["api-resources"]);
        let table = rows(resources.ok());
        assert_eq!(table[0], ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]);
        for row in [
            &["configmaps", "cm", "v1", "true", "ConfigMap"][..],
            &["namespaces", "ns", "v1", "false", "Namespace"],
            &["deployments", "deploy", "apps/v1", "true", "Deployment"],
            &["secrets", "v1", "true", "Secret"],
        ] {
            assert!(table.iter().any(|r| r == row), "{row:?} in {}", resources.stdout);
        }
        let versions = cluster.kubectl(&["api-versions"]);
        let versions: Vec<&str> = versions.ok().lines().collect();
        for version in ["v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1"] {
            assert!(versions.contains(&version), "{version} in {versions:?}");
        }
    }

    async fn chunked_lists_return_every_object(cluster: Cluster) {
        let mut manifests = String::new();
        for i in 0..7 {
            manifests.push_str(&configmap(&format!("c{i}"), None, "v"));
            manifests.push_str("---\n");
        }
        let file = cluster.file("seven.yaml", &manifests);
        cluster.kubectl(&["create", "-f", &file]).ok();
        let listed = cluster.kubectl(&["get", "cm", "--chunk-size=2", "-o", "name", "-v=6"]);
        let names: Vec<&str> = listed.ok().lines().collect();
        // With the root CA every namespace has: eight.
        let mut expected: Vec<String> = (0..7).map(|i| format!("configmap/c{i}")).collect();
        expected.push("configmap/kube-root-ca.crt".into());
        assert_eq!(names, expected);
        let pages = listed
            .stderr
            .lines()
            .filter(|l| l.contains("GET") && l.contains("/configmaps?") && l.contains("limit=2"))
            .count();
        assert_eq!(pages, 4, "8 objects in pages of 2: {}", listed.stderr);
        let table = cluster.kubectl(&["get", "cm", "--chunk-size=2"]);
        assert_eq!(table.ok().lines().count(), 9, "{table:?}");
    }

    async fn get_watch_streams_changes(cluster: Cluster) {
        cluster.kubectl(&["create", "-f", &cluster.file("x.yaml", &configmap("x", None, "v"))]).ok();
        let mut watch = tokio::process::Command::from(cluster.command(KUBECTL, &["get", "cm", "-w"]))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
        let mut seen = Vec::new();
        next_line_matching(&mut lines, &mut seen, |row| row == ["NAME", "DATA", "AGE"]).await;
        next_line_matching(&mut lines, &mut seen, |row| row[..2] == ["kube-root-ca.crt", "1"]).await;
        next_line_matching(&mut lines, &mut seen, |row| row[..2] == ["x", "1"]).await;

        let y = cluster.file("y.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata: {a: '1', b: '2'}\n");
        cluster.kubectl(&["create", "-f", &y]).ok();
        next_line_matching(&mut lines, &mut seen, |row| row[..2] == ["other", "2"]).await;
        let x2 = cluster.file("x2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {k: v, l: w, m: z}\n");
        cluster.kubectl(&["replace", "-f", &x2]).ok();
        next_line_matching(&mut lines, &mut seen, |row| row[..2] == ["x", "3"]).await;
        cluster.kubectl(&["delete", "cm", "other"]).ok();
        next_line_matching(&mut lines, &mut seen, |row| row[..2] == ["other", "2"]).await;
        assert_eq!(seen.len(), 6, "one line per event, nothing else: {seen:?}");
        watch.kill().await.unwrap();
    }

    async fn wait_for_delete_returns_when_another_client_deletes(cluster: Cluster) {
        cluster.kubectl(&["create", "-f", &cluster.file("x.yaml", &configmap("x", None, "v"))]).ok();
        let started = Instant::now();
        let mut waiter = tokio::process::Command::from(
            cluster.command(KUBECTL, &["wait", "--for=delete", "cm/x", "--timeout=20s", "-v=6"]),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
        // Delete once kubectl wait is watching (its -v=6 log shows the request).
        let mut log = BufReader::new(waiter.stderr.take().unwrap()).lines();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = tokio::time::timeout(left, log.next_line())
                .await
                .unwrap_or_else(|_| panic!("kubectl wait never watched: {seen:?}"))
                .unwrap()
                .unwrap_or_else(|| panic!("kubectl wait ended early: {seen:?}"));
            let watching = line.contains("watch=true");
            seen.push(line);
            if watching {
                break;
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = log.next_line().await {} });
        assert_eq!(cluster.kubectl(&["delete", "cm", "x", "--wait=false"]).ok(), "configmap \"x\" deleted\n");
        let output = tokio::time::timeout(Duration::from_secs(15), waiter.wait_with_output())
            .await
            .expect("kubectl wait returns once x is deleted")
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{seen:?}");
        assert_eq!(String::from_utf8(output.stdout).unwrap(), "configmap/x condition met\n");
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
