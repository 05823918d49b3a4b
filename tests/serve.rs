//! The real `keelson up` binary, driven the way users and clients drive it:
//! stock kubectl, kube-rs, and raw TLS clients that check what is on the
//! wire (ALPN, status codes, Status bodies).

mod tls_client;

use std::process::Command;
use std::time::Duration;

use keelson::testing::KeelsonProcess;
use keelson::testing::keelson::keelson_binary;
use tls_client::{H2_AND_HTTP1, HTTP1_ONLY, HttpConnection, client_config, connect, get};

async fn start(args: &[&str]) -> KeelsonProcess {
    KeelsonProcess::start(args)
        .await
        .unwrap_or_else(|e| panic!("starting keelson: {e}"))
}

fn ca_pem(keelson: &KeelsonProcess) -> String {
    std::fs::read_to_string(keelson.data_dir.join("pki/ca.crt")).unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "kubectl failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn up_prints_where_it_listens_and_the_kubeconfig_to_export() {
    let keelson = start(&[]).await;
    let stdout = keelson.stdout_lines();
    assert_eq!(
        stdout,
        [format!(
            "export KUBECONFIG={}",
            keelson.kubeconfig.display()
        )],
        "exactly one line on stdout"
    );
    assert!(keelson.kubeconfig.is_absolute());
    assert!(
        keelson
            .stderr()
            .lines()
            .any(|line| line == format!("Listening on https://127.0.0.1:{}", keelson.port)),
        "{}",
        keelson.stderr()
    );
    assert_ne!(keelson.port, 0);
    for name in [
        "admin.kubeconfig",
        "scheduler.kubeconfig",
        "controller-manager.kubeconfig",
        "pki/ca.crt",
        "pki/ca.key",
        "pki/apiserver.crt",
    ] {
        assert!(keelson.data_dir.join(name).is_file(), "{name}");
    }
}

#[tokio::test]
async fn kubectl_version_shows_a_1_33_server() {
    let keelson = start(&[]).await;
    let output = stdout_of(&keelson.kubectl(&["version", "-o", "json"]));
    let version: serde_json::Value = serde_json::from_str(&output).unwrap();
    let server = &version["serverVersion"];
    assert_eq!(server["major"], "1");
    assert_eq!(server["minor"], "33");
    assert_eq!(server["gitVersion"], "v1.33.0+keelson");
    assert_eq!(
        server["platform"],
        keelson::apiserver::handlers::version::platform()
    );
}

#[tokio::test]
async fn kubectl_get_raw_health_endpoints() {
    let keelson = start(&[]).await;
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/healthz"])),
        "ok"
    );
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/livez"])),
        "ok"
    );
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/readyz?verbose"])),
        "[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n"
    );
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/livez?verbose"])),
        "[+]ping ok\n[+]etcd ok\nlivez check passed\n"
    );
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/readyz/etcd"])),
        "ok"
    );
}

#[tokio::test]
async fn kubectl_sees_not_found_for_paths_not_served() {
    let keelson = start(&[]).await;
    let output = keelson.kubectl(&["get", "--raw", "/no/such/path"]);
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "Error from server (NotFound): the server could not find the requested resource"
    );
}

#[tokio::test]
async fn the_generated_kubeconfigs_load_in_kube_rs() {
    let keelson = start(&[]).await;
    for name in ["admin", "scheduler", "controller-manager"] {
        let path = keelson.data_dir.join(format!("{name}.kubeconfig"));
        let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let version = client.apiserver_version().await.unwrap();
        assert_eq!(version.minor, "33", "{name}");
    }
}

#[tokio::test]
async fn anonymous_clients_read_version_and_health() {
    let keelson = start(&[]).await;
    let anonymous = keelson
        .client_with(|config| config.auth_info = Default::default())
        .await
        .unwrap();
    let version = anonymous.apiserver_version().await.unwrap();
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );

    // And on the wire: no client certificate was presented.
    let response = get(
        keelson.port,
        client_config(&ca_pem(&keelson), None, H2_AND_HTTP1),
        "/healthz",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok");
    assert_eq!(
        response.headers["content-type"],
        "text/plain; charset=utf-8"
    );
}

#[tokio::test]
async fn an_unknown_bearer_token_is_401_with_a_status() {
    let keelson = start(&[]).await;
    let response = get(
        keelson.port,
        client_config(&ca_pem(&keelson), None, H2_AND_HTTP1),
        "/version",
        &[("authorization", "Bearer not-a-real-token")],
    )
    .await
    .unwrap();
    assert_eq!(response.status, 401);
    assert_eq!(response.headers["content-type"], "application/json");
    let status = response.json();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["apiVersion"], "v1");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "Unauthorized");
    assert_eq!(status["message"], "Unauthorized");
    assert_eq!(status["code"], 401);

    // kube-rs reports it as an API error with the Status's reason.
    let client = keelson
        .client_with(|config| {
            config.auth_info = kube::config::AuthInfo {
                token: Some("not-a-real-token".to_owned().into()),
                ..Default::default()
            }
        })
        .await
        .unwrap();
    match client.apiserver_version().await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 401);
            assert_eq!(status.reason, "Unauthorized");
        }
        other => panic!("expected a 401 Status, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_from_the_token_auth_file_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, "s3cret,alice,1001,\"devs,ops\"\n").unwrap();
    let keelson = start(&["--token-auth-file", tokens.to_str().unwrap()]).await;
    let config = client_config(&ca_pem(&keelson), None, H2_AND_HTTP1);
    let good = get(
        keelson.port,
        config.clone(),
        "/version",
        &[("authorization", "Bearer s3cret")],
    )
    .await
    .unwrap();
    assert_eq!(good.status, 200, "{}", good.text());
    let bad = get(
        keelson.port,
        config,
        "/version",
        &[("authorization", "Bearer s3cret-not")],
    )
    .await
    .unwrap();
    assert_eq!(bad.status, 401);
}

#[tokio::test]
async fn a_broken_token_file_stops_startup_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, "only,two\n").unwrap();
    let error = KeelsonProcess::start(&["--token-auth-file", tokens.to_str().unwrap()])
        .await
        .err()
        .expect("startup must fail");
    assert!(
        error.contains("must have at least 3 columns (token, user name, user uid), found 2"),
        "{error}"
    );
}

#[tokio::test]
async fn http2_is_negotiated_and_http1_still_works() {
    let keelson = start(&[]).await;
    let ca = ca_pem(&keelson);

    let tls = connect(keelson.port, client_config(&ca, None, H2_AND_HTTP1))
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let mut h2 = HttpConnection::over(tls).await.unwrap();
    let mut second_stream = h2.another_stream();
    // Two requests in flight at once on the one connection.
    let (healthz, readyz) =
        tokio::join!(h2.get("/healthz", &[]), second_stream.get("/readyz", &[]));
    for response in [healthz.unwrap(), readyz.unwrap()] {
        assert_eq!(response.version, http::Version::HTTP_2);
        assert_eq!(response.text(), "ok");
    }

    let tls = connect(keelson.port, client_config(&ca, None, HTTP1_ONLY))
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let mut http1 = HttpConnection::over(tls).await.unwrap();
    let response = http1.get("/version", &[]).await.unwrap();
    assert_eq!(response.version, http::Version::HTTP_11);
    assert_eq!(response.json()["minor"], "33");
    // Keep-alive: a second request on the same connection.
    assert_eq!(http1.get("/healthz", &[]).await.unwrap().text(), "ok");
}

#[tokio::test]
async fn client_certificates_of_the_cluster_ca_are_accepted_and_others_refused() {
    let keelson = start(&[]).await;
    let ca = ca_pem(&keelson);
    let admin_cert = std::fs::read_to_string(keelson.data_dir.join("pki/admin.crt")).unwrap();
    let admin_key = std::fs::read_to_string(keelson.data_dir.join("pki/admin.key")).unwrap();
    let ok = get(
        keelson.port,
        client_config(&ca, Some((&admin_cert, &admin_key)), H2_AND_HTTP1),
        "/healthz",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200);

    let stranger_ca = keelson::pki::CertificateAuthority::mint().unwrap();
    let stranger = stranger_ca
        .issue_client("kubernetes-admin", &["system:masters"])
        .unwrap();
    let refused = get(
        keelson.port,
        client_config(
            &ca,
            Some((&stranger.cert_pem, &stranger.key_pem)),
            H2_AND_HTTP1,
        ),
        "/healthz",
        &[],
    )
    .await;
    assert!(
        refused.is_err(),
        "a certificate from another CA must not get an answer"
    );
}

#[tokio::test]
async fn a_restart_reuses_the_ca_and_old_kubeconfigs_keep_working() {
    let mut keelson = start(&[]).await;
    let ca_before = std::fs::read(keelson.data_dir.join("pki/ca.crt")).unwrap();
    let kubeconfig_before = std::fs::read(&keelson.kubeconfig).unwrap();
    let old_copy = keelson.data_dir.join("old-admin.kubeconfig");
    std::fs::write(&old_copy, &kubeconfig_before).unwrap();

    keelson.restart().await.unwrap();

    let ca_after = std::fs::read(keelson.data_dir.join("pki/ca.crt")).unwrap();
    assert_eq!(ca_before, ca_after, "the CA is reused, byte for byte");
    assert_eq!(
        std::fs::read(&keelson.kubeconfig).unwrap(),
        kubeconfig_before,
        "same port, same credentials: the same kubeconfig"
    );
    let output = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&old_copy)
        .args(["get", "--raw", "/healthz"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), "ok");
    let stderr = keelson.stderr();
    assert!(
        stderr.contains("minted=[]") && !stderr.contains("re-minting"),
        "nothing is minted on a restart: {stderr}"
    );
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let mut keelson = start(&[]).await;
    let status = keelson.terminate().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        keelson.stderr().contains("shutting down gracefully"),
        "{}",
        keelson.stderr()
    );
}

#[tokio::test]
async fn the_apiserver_subcommand_serves_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let keelson = KeelsonProcess::start_in(dir.path(), "apiserver", &[])
        .await
        .unwrap();
    assert!(
        keelson.stdout_lines().is_empty(),
        "only `up` prints the export line"
    );
    assert_eq!(
        stdout_of(&keelson.kubectl(&["get", "--raw", "/healthz"])),
        "ok"
    );
}

#[tokio::test]
async fn etcd_servers_puts_the_cluster_in_etcd() {
    let etcd = keelson::testing::EtcdServer::start().await.unwrap();
    let flag = format!("--etcd-servers={}", etcd.endpoint());
    let keelson = KeelsonProcess::start(&[&flag]).await.unwrap();
    assert!(
        !keelson.data_dir.join("store").exists(),
        "no embedded store with --etcd-servers"
    );
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(keelson.client().await.unwrap());
    let namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "in-etcd"}})).unwrap();
    namespaces
        .create(&Default::default(), &namespace)
        .await
        .unwrap();
    let listed = keelson.kubectl(&["get", "namespace", "in-etcd", "-o", "name"]);
    assert_eq!(stdout_of(&listed).trim(), "namespace/in-etcd");
    let mut client = etcd_client::Client::connect([etcd.endpoint()], None)
        .await
        .unwrap();
    let stored = client
        .get("/registry/namespaces/in-etcd", None)
        .await
        .unwrap();
    assert_eq!(
        stored.kvs().len(),
        1,
        "the namespace is stored in etcd under upstream's key"
    );
}

#[test]
fn the_scheduler_and_the_controller_manager_need_a_kubeconfig() {
    for subcommand in ["scheduler", "controller-manager"] {
        let output = Command::new(keelson_binary())
            .arg(subcommand)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{subcommand}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(
                "the following required arguments were not provided:\n  --kubeconfig <KUBECONFIG>"
            ),
            "{subcommand}: {output:?}"
        );
    }
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let occupied = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = occupied.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(keelson_binary())
            .arg("up")
            .arg("--data-dir")
            .arg(dir.path())
            .arg(format!("--secure-port={port}"))
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("listening on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(
        !dir.path().join("pki").exists(),
        "nothing is minted when the port is taken"
    );
}
