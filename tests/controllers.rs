//! The controller-manager against a real `keelson up` (which runs it
//! in-process) and as a separate `keelson controller-manager` process:
//! default ServiceAccounts, the root CA ConfigMap, namespace deletion, and
//! leader election between two copies.

mod cluster;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cluster::Cluster;
use keelson::testing::keelson::keelson_binary;
use keelson::testing::{KeelsonProcess, poll_until};

/// Polls `kubectl args…` until it succeeds; its stdout.
async fn eventually(cluster: &Cluster, what: &str, args: &[&str]) -> String {
    poll_until(what, Duration::from_secs(30), || async {
        let ran = cluster.kubectl(args);
        (ran.code == Some(0)).then_some(ran.stdout)
    })
    .await
    .unwrap()
}

on_both_backends! {
    async fn every_namespace_gets_a_default_account_and_the_root_ca(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "team"]).ok();
        eventually(&cluster, "the default service account", &["get", "serviceaccount", "default", "-n", "team"]).await;
        let published = eventually(
            &cluster,
            "kube-root-ca.crt",
            &["get", "configmap", "kube-root-ca.crt", "-n", "team", "-o", "jsonpath={.data.ca\\.crt}"],
        )
        .await;
        let kubeconfig: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&cluster.keelson.kubeconfig).unwrap()).unwrap();
        let ca = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(published, String::from_utf8(ca).unwrap());

        // Deleted, it comes back.
        k(&["delete", "serviceaccount", "default", "-n", "team"]).ok();
        eventually(&cluster, "the default service account again", &["get", "serviceaccount", "default", "-n", "team"]).await;
        // The system namespaces have theirs too.
        eventually(&cluster, "kube-system's account", &["get", "serviceaccount", "default", "-n", "kube-system"]).await;
    }

    async fn a_deleted_namespace_is_emptied_then_removed(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "namespace", "doomed"]).ok();
        k(&["create", "configmap", "settings", "-n", "doomed", "--from-literal=a=b"]).ok();
        k(&["create", "secret", "generic", "password", "-n", "doomed", "--from-literal=p=q"]).ok();
        k(&["create", "deployment", "web", "-n", "doomed", "--image=nginx"]).ok();
        k(&["run", "loose", "-n", "doomed", "--image=busybox"]).ok();
        assert_eq!(
            k(&["delete", "namespace", "doomed", "--timeout=60s"]).ok(),
            "namespace \"doomed\" deleted\n"
        );
        assert_eq!(
            k(&["get", "namespace", "doomed"]).failed(),
            "Error from server (NotFound): namespaces \"doomed\" not found\n"
        );

        // Content with a finalizer holds the namespace, and its conditions
        // say why; once the finalizer goes, so does the namespace.
        k(&["create", "namespace", "held"]).ok();
        k(&["create", "configmap", "kept", "-n", "held"]).ok();
        k(&["patch", "configmap", "kept", "-n", "held", "--type=merge", "-p",
            r#"{"metadata":{"finalizers":["example.com/hold"]}}"#]).ok();
        k(&["delete", "namespace", "held", "--wait=false"]).ok();
        let condition = poll_until("the condition to name the finalizer", Duration::from_secs(30), || async {
            let message = k(&["get", "namespace", "held", "-o",
                "jsonpath={.status.conditions[?(@.type==\"NamespaceFinalizersRemaining\")].message}"]).stdout;
            message.contains("example.com/hold").then_some(message)
        })
        .await
        .unwrap();
        assert_eq!(
            condition,
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
        );
        assert_eq!(
            k(&["get", "namespace", "held", "-o", "jsonpath={.status.phase}"]).ok(),
            "Terminating"
        );
        k(&["patch", "configmap", "kept", "-n", "held", "--type=merge", "-p",
            r#"{"metadata":{"finalizers":null}}"#]).ok();
        k(&["wait", "--for=delete", "namespace/held", "--timeout=60s"]).ok();
    }
}

/// A `keelson controller-manager` child, killed when dropped.
struct ControllerManager(Child);

impl ControllerManager {
    fn start(kubeconfig: &std::path::Path) -> ControllerManager {
        let child = Command::new(keelson_binary())
            .arg("controller-manager")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting keelson controller-manager");
        ControllerManager(child)
    }
}

impl Drop for ControllerManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lease_holder(api: &KeelsonProcess) -> String {
    let out = api.kubectl(&[
        "get",
        "lease",
        "kube-controller-manager",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_second_controller_manager_takes_over_when_the_leader_dies() {
    let data = tempfile::tempdir().unwrap();
    let api = KeelsonProcess::start_in(data.path(), "apiserver", &[])
        .await
        .unwrap();
    let kubeconfig = api.data_dir.join("controller-manager.kubeconfig");
    let mut first = ControllerManager::start(&kubeconfig);
    let leader = poll_until("a leader", Duration::from_secs(30), || async {
        Some(lease_holder(&api)).filter(|h| !h.is_empty())
    })
    .await
    .unwrap();
    let _second = ControllerManager::start(&kubeconfig);
    let acts = |namespace: &'static str| {
        let api = &api;
        async move {
            assert!(
                api.kubectl(&["create", "namespace", namespace])
                    .status
                    .success()
            );
            poll_until("the default account", Duration::from_secs(40), || async {
                api.kubectl(&["get", "serviceaccount", "default", "-n", namespace])
                    .status
                    .success()
                    .then_some(())
            })
            .await
            .unwrap();
        }
    };
    acts("first").await;
    // The standby waits: the lease stays with the leader.
    assert_eq!(lease_holder(&api), leader);

    // The leader dies without handing over: the standby takes the Lease
    // once it expires, and acts.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let successor = poll_until("a new leader", Duration::from_secs(40), || async {
        Some(lease_holder(&api)).filter(|h| !h.is_empty() && *h != leader)
    })
    .await
    .unwrap();
    assert_ne!(successor, leader);
    acts("second").await;
}

/// A ConfigMap manifest owned by `owner` (name, uid).
fn owned(name: &str, owner: (&str, &str), block: bool, finalizer: Option<&str>) -> String {
    let finalizers = finalizer
        .map(|f| format!("  finalizers: [{f}]\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{finalizers}  ownerReferences:\n  - {{apiVersion: v1, kind: ConfigMap, name: {}, uid: {}, blockOwnerDeletion: {block}}}\n",
        owner.0, owner.1
    )
}

fn uid_of(cluster: &Cluster, kind: &str, name: &str) -> String {
    cluster
        .kubectl(&["get", kind, name, "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .to_owned()
}

async fn gone(cluster: &Cluster, what: &str, kind: &str, name: &str) {
    poll_until(what, Duration::from_secs(30), || async {
        (cluster.kubectl(&["get", kind, name]).code == Some(1)).then_some(())
    })
    .await
    .unwrap();
}

on_both_backends! {
    async fn the_garbage_collector_follows_owner_references(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        for owner in ["background", "orphaning", "foreground"] {
            k(&["create", "configmap", owner]).ok();
        }
        // Background: the dependent follows its owner.
        let uid = uid_of(&cluster, "configmap", "background");
        k(&["create", "-f", &cluster.file("b.yaml", &owned("b-child", ("background", &uid), false, None))]).ok();
        k(&["delete", "configmap", "background"]).ok();
        gone(&cluster, "the background dependent", "configmap", "b-child").await;

        // Orphan: the dependent stays, without the reference.
        let uid = uid_of(&cluster, "configmap", "orphaning");
        k(&["create", "-f", &cluster.file("o.yaml", &owned("o-child", ("orphaning", &uid), false, None))]).ok();
        k(&["delete", "configmap", "orphaning", "--cascade=orphan"]).ok();
        gone(&cluster, "the orphaning owner", "configmap", "orphaning").await;
        assert_eq!(
            k(&["get", "configmap", "o-child", "-o", "jsonpath={.metadata.ownerReferences}"]).ok(),
            ""
        );

        // Foreground: the owner waits for a blocking dependent.
        let uid = uid_of(&cluster, "configmap", "foreground");
        k(&["create", "-f", &cluster.file("f.yaml", &owned("f-child", ("foreground", &uid), true, Some("example.com/hold")))]).ok();
        k(&["delete", "configmap", "foreground", "--cascade=foreground", "--wait=false"]).ok();
        poll_until("the dependent to be deleted first", Duration::from_secs(30), || async {
            let marked = k(&["get", "configmap", "f-child", "-o", "jsonpath={.metadata.deletionTimestamp}"]).stdout;
            (!marked.is_empty()).then_some(())
        })
        .await
        .unwrap();
        assert_eq!(
            k(&["get", "configmap", "foreground", "-o", "jsonpath={.metadata.finalizers}"]).ok(),
            r#"["foregroundDeletion"]"#
        );
        k(&["patch", "configmap", "f-child", "--type=merge", "-p", r#"{"metadata":{"finalizers":null}}"#]).ok();
        gone(&cluster, "the foreground owner", "configmap", "foreground").await;

        // A dependent whose owner never existed is collected.
        k(&["create", "-f", &cluster.file("d.yaml", &owned("dangling", ("nobody", "00000000-0000-0000-0000-000000000000"), false, None))]).ok();
        gone(&cluster, "the dangling dependent", "configmap", "dangling").await;
        // Nothing else was touched.
        k(&["get", "configmap", "o-child"]).ok();
    }

    async fn a_foreground_deletion_spares_dependents_another_owner_holds(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "configmap", "leaving"]).ok();
        k(&["create", "configmap", "staying"]).ok();
        let leaving = uid_of(&cluster, "configmap", "leaving");
        let staying = uid_of(&cluster, "configmap", "staying");
        k(&["create", "-f", &cluster.file("only.yaml", &owned("only-child", ("leaving", &leaving), true, None))]).ok();
        k(&["create", "-f", &cluster.file("shared.yaml", &owned("shared-child", ("leaving", &leaving), true, None))]).ok();
        let second_owner = format!(
            r#"[{{"op":"add","path":"/metadata/ownerReferences/-","value":{{"apiVersion":"v1","kind":"ConfigMap","name":"staying","uid":"{staying}"}}}}]"#
        );
        k(&["patch", "configmap", "shared-child", "--type=json", "-p", &second_owner]).ok();
        k(&["delete", "configmap", "leaving", "--cascade=foreground", "--wait=false"]).ok();
        gone(&cluster, "the foreground owner", "configmap", "leaving").await;
        gone(&cluster, "its only child", "configmap", "only-child").await;
        // The shared child stays, owned by the other owner alone.
        assert_eq!(
            k(&["get", "configmap", "shared-child", "-o", "jsonpath={.metadata.ownerReferences[*].name}"]).ok(),
            "staying"
        );
    }

    async fn a_foreground_deletion_around_an_ownership_cycle_finishes(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        // ring-0 ← ring-1 ← ring-2 ← ring-0, every reference blocking.
        for i in 0..3 {
            k(&["create", "configmap", &format!("ring-{i}")]).ok();
        }
        let uids: Vec<String> = (0..3).map(|i| uid_of(&cluster, "configmap", &format!("ring-{i}"))).collect();
        for i in 0..3 {
            let owner = (i + 2) % 3;
            let patch = format!(
                r#"{{"metadata":{{"ownerReferences":[{{"apiVersion":"v1","kind":"ConfigMap","name":"ring-{owner}","uid":"{}","blockOwnerDeletion":true}}]}}}}"#,
                uids[owner]
            );
            k(&["patch", "configmap", &format!("ring-{i}"), "--type=merge", "-p", &patch]).ok();
        }
        k(&["delete", "configmap", "ring-0", "--cascade=foreground", "--wait=false"]).ok();
        for i in 0..3 {
            gone(&cluster, "every object of the cycle", "configmap", &format!("ring-{i}")).await;
        }
    }
}

fn stdout(output: std::process::Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Who a bearer token is, by a SelfSubjectReview made with it.
fn whoami_with_token(cluster: &Cluster, token: &str) -> cluster::Ran {
    let kubeconfig = cluster.token_kubeconfig(token);
    cluster.kubectl_as(
        &kubeconfig,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
    )
}

on_both_backends! {
    async fn token_secrets_users_create_are_filled_and_authenticate(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        k(&["create", "serviceaccount", "robot"]).ok();
        // Not created for every account unless asked for.
        assert_eq!(k(&["get", "serviceaccount", "robot", "-o", "jsonpath={.secrets}"]).ok(), "");
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: robot-token\n  annotations: {kubernetes.io/service-account.name: robot}\ntype: kubernetes.io/service-account-token\n";
        k(&["create", "-f", &cluster.file("secret.yaml", secret)]).ok();
        let token = poll_until("the token to be filled in", Duration::from_secs(30), || async {
            let b64 = k(&["get", "secret", "robot-token", "-o", "jsonpath={.data.token}"]).stdout;
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.trim()).ok()
                .filter(|t| !t.is_empty())
                .map(|t| String::from_utf8(t).unwrap())
        })
        .await
        .unwrap();
        assert_eq!(whoami_with_token(&cluster, &token).ok(), "system:serviceaccount:default:robot");
        // The token lives as long as its Secret.
        k(&["delete", "secret", "robot-token"]).ok();
        poll_until("the token to be refused", Duration::from_secs(30), || async {
            (whoami_with_token(&cluster, &token).code == Some(1)).then_some(())
        })
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn legacy_token_secrets_are_created_for_every_account_when_asked() {
    let keelson = KeelsonProcess::start(&["--legacy-service-account-token-secrets"])
        .await
        .unwrap();
    assert!(
        keelson
            .kubectl(&["create", "namespace", "old-style"])
            .status
            .success()
    );
    let secret = poll_until(
        "the default account's token secret",
        Duration::from_secs(30),
        || async {
            // The account itself may not be there yet.
            let got = keelson.kubectl(&[
                "get",
                "serviceaccount",
                "default",
                "-n",
                "old-style",
                "-o",
                "jsonpath={.secrets[0].name}",
            ]);
            let listed = String::from_utf8_lossy(&got.stdout).into_owned();
            (got.status.success() && !listed.is_empty()).then_some(listed)
        },
    )
    .await
    .unwrap();
    assert!(secret.starts_with("default-token-"), "{secret}");
    assert_eq!(
        stdout(keelson.kubectl(&[
            "get",
            "secret",
            &secret,
            "-n",
            "old-style",
            "-o",
            "jsonpath={.type}"
        ])),
        "kubernetes.io/service-account-token"
    );
    let keys = stdout(keelson.kubectl(&[
        "get",
        "secret",
        &secret,
        "-n",
        "old-style",
        "-o",
        "go-template={{range $k, $v := .data}}{{$k}} {{end}}",
    ]));
    assert_eq!(keys, "ca.crt namespace token ");
}

/// A PKCS#10 request for `common_name` in `organization` with `dns` names,
/// and its key (both PEM).
fn certificate_request(common_name: &str, organization: &str, dns: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let names: Vec<String> = dns.iter().map(|d| d.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, organization);
    let request = params.serialize_request(&key).unwrap();
    (request.pem().unwrap(), key.serialize_pem())
}

fn csr_manifest(name: &str, request_pem: &str, signer: &str, usages: &str) -> String {
    let request = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, request_pem);
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\n\
         spec:\n  request: {request}\n  signerName: {signer}\n  usages: {usages}\n  expirationSeconds: 3600\n"
    )
}

#[tokio::test]
async fn approved_kubelet_certificate_requests_are_signed_by_the_cluster_ca() {
    let cluster = Cluster::embedded().await;
    let k = |args: &[&str]| cluster.kubectl(args);
    let (request, key) = certificate_request("system:node:worker-1", "system:nodes", &[]);
    let manifest = cluster.file(
        "client.yaml",
        &csr_manifest(
            "worker-1-client",
            &request,
            "kubernetes.io/kube-apiserver-client-kubelet",
            "[digital signature, client auth]",
        ),
    );
    k(&["create", "-f", &manifest]).ok();
    // Not issued before it is approved.
    assert_eq!(
        k(&[
            "get",
            "csr",
            "worker-1-client",
            "-o",
            "jsonpath={.status.certificate}"
        ])
        .ok(),
        ""
    );
    k(&["certificate", "approve", "worker-1-client"]).ok();
    let issued = poll_until("the certificate", Duration::from_secs(30), || async {
        let ran = k(&[
            "get",
            "csr",
            "worker-1-client",
            "-o",
            "jsonpath={.status.certificate}",
        ]);
        (!ran.stdout.is_empty()).then_some(ran.stdout)
    })
    .await
    .unwrap();
    assert!(
        k(&["get", "csr", "worker-1-client"])
            .ok()
            .contains("Approved,Issued")
    );
    // The certificate authenticates as the node.
    let cert = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &issued).unwrap();
    let admin: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&cluster.keelson.kubeconfig).unwrap())
            .unwrap();
    let encode =
        |pem: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pem);
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "node",
        "clusters": [{"name": "keelson", "cluster": admin["clusters"][0]["cluster"]}],
        "users": [{"name": "node", "user": {
            "client-certificate-data": encode(&cert), "client-key-data": encode(key.as_bytes())}}],
        "contexts": [{"name": "node", "context": {"cluster": "keelson", "user": "node"}}],
    });
    let kubeconfig = cluster.file("node.kubeconfig", &serde_yaml::to_string(&config).unwrap());
    assert_eq!(
        cluster
            .kubectl_as(
                &kubeconfig,
                &[
                    "auth",
                    "whoami",
                    "-o",
                    "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"
                ]
            )
            .ok(),
        r#"system:node:worker-1 ["system:nodes","system:authenticated"]"#
    );

    // A serving request without a DNS or IP name is refused by the signer.
    let (request, _) = certificate_request("system:node:worker-1", "system:nodes", &[]);
    let manifest = cluster.file(
        "serving.yaml",
        &csr_manifest(
            "worker-1-serving",
            &request,
            "kubernetes.io/kubelet-serving",
            "[digital signature, server auth]",
        ),
    );
    k(&["create", "-f", &manifest]).ok();
    k(&["certificate", "approve", "worker-1-serving"]).ok();
    let failure = poll_until("the Failed condition", Duration::from_secs(30), || async {
        let ran = k(&["get", "csr", "worker-1-serving", "-o",
            "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}: {.status.conditions[?(@.type==\"Failed\")].message}"]);
        (ran.stdout.starts_with("SignerValidationFailure")).then_some(ran.stdout)
    })
    .await
    .unwrap();
    assert_eq!(
        failure,
        "SignerValidationFailure: DNS or IP subjectAltName is required"
    );
    assert!(
        k(&["get", "csr", "worker-1-serving"])
            .ok()
            .contains("Approved,Failed")
    );
}
