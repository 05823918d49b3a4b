//! Issue 6: CustomResourceDefinitions served, validated, pruned,
//! defaulted, printed, converted and watched like built-ins.
//!
//! The first tests drive the API in process (every verb and answer, quick
//! to run); the `on_both_backends!` scenarios run stock kubectl against
//! `keelson up` on the embedded store and on etcd with the CRDs in
//! `crds/`.

mod cluster;
mod conversion_webhook;

use std::time::Duration;

use cluster::Cluster;
use futures::StreamExt;
use http::{Method, StatusCode};
use keelson::testing::api::TestApi;
use keelson::testing::poll_until;
use serde_json::{Value, json};

const CERTIFICATES_CRD: &str = include_str!("../crds/certificates.pki.example.io.yaml");
const POSTGRES_CRD: &str = include_str!("../crds/postgresclusters.db.example.io.yaml");

/// A CRD manifest of `crds/` as JSON.
fn manifest(yaml: &str) -> Value {
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).expect("YAML");
    serde_json::to_value(value).expect("JSON")
}

const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const CERTS: &str = "/apis/pki.example.io/v1/namespaces/default/certificates";
const PGS: &str = "/apis/db.example.io/v1/namespaces/default/postgresclusters";

/// Creates a CRD and waits until it is Established and served.
async fn establish(api: &TestApi, crd: Value) -> Value {
    let name = crd["metadata"]["name"].as_str().unwrap().to_owned();
    let created = api.call(Method::POST, CRDS, Some(crd)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    poll_until(
        "the CRD to be established",
        Duration::from_secs(10),
        || async {
            let crd = api
                .call(Method::GET, &format!("{CRDS}/{name}"), None)
                .await
                .json();
            let established = crd["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Established" && c["status"] == "True");
            established.then_some(crd)
        },
    )
    .await
    .unwrap()
}

fn certificate(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "pki.example.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name},
        "spec": spec,
    })
}

#[tokio::test]
async fn a_crd_is_established_with_its_names_and_stored_versions() {
    let api = TestApi::start().await;
    let crd = establish(&api, manifest(CERTIFICATES_CRD)).await;
    let conditions = crd["status"]["conditions"].as_array().unwrap();
    let named = conditions
        .iter()
        .find(|c| c["type"] == "NamesAccepted")
        .unwrap();
    assert_eq!(named["status"], "True");
    assert_eq!(named["reason"], "NoConflicts");
    assert_eq!(named["message"], "no conflicts found");
    let established = conditions
        .iter()
        .find(|c| c["type"] == "Established")
        .unwrap();
    assert_eq!(established["reason"], "InitialNamesAccepted");
    assert_eq!(
        crd["status"]["acceptedNames"]["shortNames"],
        json!(["cert", "certs"])
    );
    assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));

    // Discovery, both forms.
    let group = api
        .call(Method::GET, "/apis/pki.example.io/v1", None)
        .await
        .json();
    let certificates = group["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "certificates")
        .unwrap()
        .clone();
    assert_eq!(certificates["kind"], "Certificate");
    assert_eq!(certificates["shortNames"], json!(["cert", "certs"]));
    assert_eq!(certificates["categories"], json!(["pki"]));
    assert!(
        group["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "certificates/status")
    );

    // A second CRD in the group may not take the same plural.
    let mut clash = manifest(CERTIFICATES_CRD);
    clash["metadata"]["name"] = json!("certs.pki.example.io");
    clash["spec"]["names"] = json!({"plural": "certs", "kind": "Cert", "shortNames": ["cert"]});
    let created = api.call(Method::POST, CRDS, Some(clash)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let refused = poll_until(
        "the names to be refused",
        Duration::from_secs(10),
        || async {
            let crd = api
                .call(Method::GET, &format!("{CRDS}/certs.pki.example.io"), None)
                .await
                .json();
            crd["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "NamesAccepted" && c["status"] == "False")
                .cloned()
        },
    )
    .await
    .unwrap();
    assert_eq!(refused["reason"], "ShortNamesConflict");
    assert_eq!(refused["message"], "\"cert\" is already in use");
}

#[tokio::test]
async fn custom_resources_are_pruned_defaulted_and_validated() {
    let api = TestApi::start().await;
    establish(&api, manifest(CERTIFICATES_CRD)).await;

    let created = api
        .call(
            Method::POST,
            CERTS,
            Some(certificate(
                "web",
                json!({"secretName": "web-tls", "dnsNames": ["example.com"],
                       "issuerRef": {"name": "ca"}, "bogus": 1}),
            )),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    assert_eq!(
        created.warnings(),
        vec!["299 - \"unknown field \\\"spec.bogus\\\"\""]
    );
    let web = created.json();
    assert!(web["spec"].get("bogus").is_none(), "pruned");
    assert_eq!(web["spec"]["durationHours"], 2160, "defaulted");
    assert_eq!(web["spec"]["issuerRef"]["kind"], "Issuer");
    assert_eq!(web["metadata"]["generation"], 1);

    let invalid = api
        .call(
            Method::POST,
            CERTS,
            Some(certificate(
                "bad",
                json!({"secretName": "Not_A_Name", "durationHours": "long",
                       "issuerRef": {"kind": "Nobody"}}),
            )),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = invalid.json();
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(
        status["message"],
        "Certificate.pki.example.io \"bad\" is invalid: [spec.durationHours: Invalid value: \"string\": spec.durationHours in body must be of type integer: \"string\", spec.issuerRef.kind: Unsupported value: \"Nobody\": supported values: \"Issuer\", \"ClusterIssuer\", spec.issuerRef.name: Required value, spec.secretName: Invalid value: \"Not_A_Name\": spec.secretName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$']"
    );

    let cel = api
        .call(
            Method::POST,
            CERTS,
            Some(certificate(
                "nameless",
                json!({"secretName": "s", "issuerRef": {"name": "ca"},
                       "durationHours": 10, "renewBefore": 20}),
            )),
        )
        .await;
    assert_eq!(cel.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        cel.json()["message"],
        "Certificate.pki.example.io \"nameless\" is invalid: [spec: Invalid value: \"object\": at least one of commonName or dnsNames must be set, spec: Invalid value: \"object\": renewBefore (20h) must be shorter than durationHours (10h)]"
    );

    // A transition rule: secretName may not change.
    let moved = api
        .call(
            Method::PATCH,
            &format!("{CERTS}/web"),
            Some(json!({"spec": {"secretName": "other"}})),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "strategic merge is refused"
    );
    let moved = api
        .call_with(
            Method::PATCH,
            &format!("{CERTS}/web"),
            &[("content-type", "application/merge-patch+json")],
            serde_json::to_vec(&json!({"spec": {"secretName": "other"}}))
                .unwrap()
                .into(),
        )
        .await;
    assert_eq!(moved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        moved.json()["message"],
        "Certificate.pki.example.io \"web\" is invalid: spec.secretName: Invalid value: \"string\": secretName is immutable"
    );

    // Status goes through its subresource only.
    let mut with_status = web.clone();
    with_status["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}]});
    let ignored = api
        .call(
            Method::PUT,
            &format!("{CERTS}/web"),
            Some(with_status.clone()),
        )
        .await
        .json();
    assert!(ignored.get("status").is_none());
    with_status["metadata"]["resourceVersion"] = ignored["metadata"]["resourceVersion"].clone();
    let updated = api
        .call(
            Method::PUT,
            &format!("{CERTS}/web/status"),
            Some(with_status),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json());
    assert_eq!(updated.json()["status"]["conditions"][0]["status"], "True");
    assert_eq!(updated.json()["metadata"]["generation"], 1);
}

#[tokio::test]
async fn tables_selectors_and_watches() {
    let api = TestApi::start().await;
    establish(&api, manifest(CERTIFICATES_CRD)).await;
    for (name, issuer) in [("a", "ca"), ("b", "letsencrypt"), ("c", "ca")] {
        let created = api
            .call(
                Method::POST,
                CERTS,
                Some(certificate(
                    name,
                    json!({"secretName": name, "commonName": name, "issuerRef": {"name": issuer}}),
                )),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let table = api
        .call_with(
            Method::GET,
            CERTS,
            &[("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")],
            Default::default(),
        )
        .await
        .json();
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, vec!["Name", "Ready", "Secret", "Issuer", "Age"]);
    assert_eq!(table["rows"][1]["cells"][2], "b");
    assert_eq!(table["rows"][1]["cells"][3], "letsencrypt");
    assert_eq!(table["rows"][1]["cells"][1], Value::Null);

    let selected = api
        .call(
            Method::GET,
            &format!("{CERTS}?fieldSelector=spec.issuerRef.name%3Dca"),
            None,
        )
        .await
        .json();
    let names: Vec<&str> = selected["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "c"]);
    let unsupported = api
        .call(
            Method::GET,
            &format!("{CERTS}?fieldSelector=spec.secretName%3Da"),
            None,
        )
        .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unsupported.json()["message"],
        "field label not supported: spec.secretName"
    );

    let page = api
        .call(Method::GET, &format!("{CERTS}?limit=2"), None)
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let token = page["metadata"]["continue"].as_str().unwrap();
    let rest = api
        .call(
            Method::GET,
            &format!("{CERTS}?limit=2&continue={token}"),
            None,
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["metadata"]["name"], "c");

    let rv = page["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, mut events) = api
        .watch(&format!("{CERTS}?watch=true&resourceVersion={rv}"))
        .await;
    assert_eq!(code, StatusCode::OK);
    let deleted = api
        .call(
            Method::DELETE,
            &format!("{CERTS}?fieldSelector=spec.issuerRef.name%3Dletsencrypt"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json());
    let event = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event in time")
        .expect("an event");
    assert_eq!(event["type"], "DELETED");
    assert_eq!(event["object"]["metadata"]["name"], "b");
}

#[tokio::test]
async fn versions_convert_and_scale_follows_its_paths() {
    let api = TestApi::start().await;
    establish(&api, manifest(POSTGRES_CRD)).await;
    let created = api
        .call(
            Method::POST,
            "/apis/db.example.io/v1beta1/namespaces/default/postgresclusters",
            Some(json!({
                "apiVersion": "db.example.io/v1beta1", "kind": "PostgresCluster",
                "metadata": {"name": "main"},
                "spec": {"postgresVersion": 16, "parameters": {"max_connections": 100, "shared_buffers": "128MB"}}
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    assert_eq!(created.json()["apiVersion"], "db.example.io/v1beta1");
    assert_eq!(created.json()["spec"]["storage"], json!({"size": "1Gi"}));
    let v1 = api
        .call(Method::GET, &format!("{PGS}/main"), None)
        .await
        .json();
    assert_eq!(v1["apiVersion"], "db.example.io/v1");
    assert_eq!(v1["spec"]["instances"], 1);

    let scale = api
        .call(Method::GET, &format!("{PGS}/main/scale"), None)
        .await
        .json();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 1);
    assert_eq!(scale["status"]["replicas"], 0);
    let scaled = api
        .call_with(
            Method::PATCH,
            &format!("{PGS}/main/scale"),
            &[("content-type", "application/merge-patch+json")],
            serde_json::to_vec(&json!({"spec": {"replicas": 3}}))
                .unwrap()
                .into(),
        )
        .await;
    assert_eq!(scaled.status, StatusCode::OK, "{}", scaled.json());
    let v1 = api
        .call(Method::GET, &format!("{PGS}/main"), None)
        .await
        .json();
    assert_eq!(v1["spec"]["instances"], 3);
    assert_eq!(v1["metadata"]["generation"], 2);
}

#[tokio::test]
async fn deleting_a_crd_deletes_its_objects_first() {
    let api = TestApi::start().await;
    establish(&api, manifest(CERTIFICATES_CRD)).await;
    for name in ["a", "b"] {
        let created = api
            .call(
                Method::POST,
                CERTS,
                Some(certificate(
                    name,
                    json!({"secretName": name, "commonName": name, "issuerRef": {"name": "ca"}}),
                )),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let deleted = api
        .call(
            Method::DELETE,
            &format!("{CRDS}/certificates.pki.example.io"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.json());
    let marked = deleted.json();
    assert_eq!(
        marked["metadata"]["finalizers"],
        json!(["customresourcecleanup.apiextensions.k8s.io"])
    );
    poll_until("the CRD to go", Duration::from_secs(20), || async {
        let found = api
            .call(
                Method::GET,
                &format!("{CRDS}/certificates.pki.example.io"),
                None,
            )
            .await;
        (found.status == StatusCode::NOT_FOUND).then_some(())
    })
    .await
    .unwrap();
    let gone = api.call(Method::GET, CERTS, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let keys = api
        .storage
        .list("/registry/pki.example.io/certificates/", Default::default())
        .await
        .unwrap();
    assert!(keys.items.is_empty(), "objects removed from storage");
    let discovery = api.call(Method::GET, "/apis", None).await.json();
    assert!(
        !discovery["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "pki.example.io")
    );
}

#[tokio::test]
async fn server_side_apply_merges_by_the_crd_list_types() {
    let api = TestApi::start().await;
    establish(&api, manifest(CERTIFICATES_CRD)).await;
    let api = &api;
    let apply = |manager: &str, names: &[&str]| {
        let body = serde_json::to_vec(&certificate(
            "shared",
            json!({"secretName": "shared", "dnsNames": names, "issuerRef": {"name": "ca"}}),
        ))
        .unwrap();
        let uri = format!("{CERTS}/shared?fieldManager={manager}");
        async move {
            api.call_with(
                Method::PATCH,
                &uri,
                &[("content-type", "application/apply-patch+yaml")],
                body.into(),
            )
            .await
        }
    };
    let first = apply("alice", &["a.example.com"]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json());
    let second = apply("bob", &["b.example.com"]).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.json());
    // A set: each manager owns its own members.
    assert_eq!(
        second.json()["spec"]["dnsNames"],
        json!(["a.example.com", "b.example.com"])
    );
    let managers: Vec<String> = second.json()["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(managers, vec!["alice", "bob"]);
    let bob = &second.json()["metadata"]["managedFields"][1]["fieldsV1"];
    assert_eq!(
        bob["f:spec"]["f:dnsNames"],
        json!({"v:\"b.example.com\"": {}})
    );
}

#[tokio::test]
async fn a_conversion_webhook_converts_between_versions() {
    let webhook = conversion_webhook::start().await;
    let api = TestApi::start().await;
    establish(&api, conversion_webhook::endpoints_crd(&webhook)).await;
    let v2 = "/apis/example.io/v2/namespaces/default/endpoints";
    let created = api
        .call(
            Method::POST,
            v2,
            Some(json!({"apiVersion": "example.io/v2", "kind": "Endpoint",
                        "metadata": {"name": "db", "labels": {"tier": "data"}},
                        "spec": {"host": "db.local", "port": 5432}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    assert_eq!(
        created.json()["spec"],
        json!({"host": "db.local", "port": 5432})
    );
    // Stored in v1, the storage version.
    let stored = api
        .storage
        .get("/registry/example.io/endpoints/default/db")
        .await
        .unwrap()
        .0
        .unwrap();
    let stored: Value = serde_json::from_slice(&stored.value).unwrap();
    assert_eq!(stored["apiVersion"], "example.io/v1");
    assert_eq!(stored["spec"], json!({"hostPort": "db.local:5432"}));

    let v1 = api
        .call(
            Method::GET,
            "/apis/example.io/v1/namespaces/default/endpoints/db",
            None,
        )
        .await
        .json();
    assert_eq!(v1["apiVersion"], "example.io/v1");
    assert_eq!(v1["spec"], json!({"hostPort": "db.local:5432"}));
    assert_eq!(v1["metadata"]["labels"], json!({"tier": "data"}));
    let listed = api.call(Method::GET, v2, None).await.json();
    assert_eq!(listed["items"][0]["spec"]["port"], 5432);
    assert!(webhook.reviews.load(std::sync::atomic::Ordering::SeqCst) >= 2);

    // A webhook that cannot be reached is a 500 naming the CRD.
    drop(webhook);
    let failed = api
        .call(
            Method::POST,
            v2,
            Some(json!({"apiVersion": "example.io/v2", "kind": "Endpoint",
                        "metadata": {"name": "cache"}, "spec": {"host": "c", "port": 1}})),
        )
        .await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        failed.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("conversion webhook for endpoints.example.io failed: "),
        "{}",
        failed.json()
    );
}

/// A custom resource as kube-rs users write one.
#[derive(
    kube::CustomResource, serde::Serialize, serde::Deserialize, Clone, Debug, schemars::JsonSchema,
)]
#[kube(
    group = "kube.example.io",
    version = "v1",
    kind = "Backup",
    namespaced,
    status = "BackupStatus",
    shortname = "bk",
    printcolumn = r#"{"name":"Schedule","type":"string","jsonPath":".spec.schedule"}"#
)]
pub struct BackupSpec {
    schedule: String,
    #[serde(default)]
    retain: u32,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, schemars::JsonSchema)]
pub struct BackupStatus {
    last_run: Option<String>,
}

/// The CRD kube-rs derives, applied and used through kube's typed API.
async fn kube_derive_round_trip(cluster: &Cluster) {
    use kube::CustomResourceExt;
    use kube::api::{Api, Patch, PatchParams, PostParams};
    let client = cluster.client().await;
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(client.clone());
    crds.create(&PostParams::default(), &Backup::crd())
        .await
        .expect("create the CRD");
    poll_until(
        "the Backup CRD to be served",
        Duration::from_secs(20),
        || {
            let crds = crds.clone();
            async move {
                let crd = crds.get("backups.kube.example.io").await.ok()?;
                crd.status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            }
        },
    )
    .await
    .unwrap();
    let backups: Api<Backup> = Api::namespaced(client, "default");
    let nightly = Backup::new(
        "nightly",
        BackupSpec {
            schedule: "0 3 * * *".into(),
            retain: 7,
        },
    );
    let created = backups
        .create(&PostParams::default(), &nightly)
        .await
        .expect("create");
    assert_eq!(created.spec.retain, 7);
    let applied = backups
        .patch(
            "nightly",
            &PatchParams::apply("backup-test").force(),
            &Patch::Apply(serde_json::json!({
                "apiVersion": "kube.example.io/v1", "kind": "Backup",
                "spec": {"schedule": "0 4 * * *"}
            })),
        )
        .await
        .expect("server-side apply");
    assert_eq!(applied.spec.schedule, "0 4 * * *");
    let status = backups
        .patch_status(
            "nightly",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"last_run": "2024-01-01T03:00:00Z"}})),
        )
        .await
        .expect("status");
    assert_eq!(
        status.status.unwrap().last_run.as_deref(),
        Some("2024-01-01T03:00:00Z")
    );
    let listed = backups.list(&Default::default()).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        cluster
            .kubectl(&[
                "get",
                "bk",
                "-o",
                "custom-columns=SCHEDULE:.spec.schedule",
                "--no-headers"
            ])
            .ok(),
        "0 4 * * *\n"
    );
}

/// The cells of each line of a table (the header first), cut where the
/// header's columns start, so that an empty cell is an empty string; the
/// AGE column left out.
fn rows_without_age(table: &str) -> Vec<Vec<String>> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    let mut starts = Vec::new();
    let mut previous = ' ';
    for (i, c) in header.char_indices() {
        if c != ' ' && previous == ' ' {
            starts.push(i);
        }
        previous = c;
    }
    std::iter::once(header)
        .chain(lines)
        .map(|line| {
            starts
                .iter()
                .enumerate()
                .map(|(n, start)| {
                    let end = starts
                        .get(n + 1)
                        .copied()
                        .unwrap_or(line.len())
                        .min(line.len());
                    line.get((*start).min(end)..end)
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .zip(header.split_whitespace())
                .filter(|(_, title)| *title != "AGE")
                .map(|(cell, _)| cell)
                .collect()
        })
        .collect()
}

fn words(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|w| w.to_string()).collect())
        .collect()
}

on_both_backends! {
    async fn kube_rs_custom_resource_round_trips(cluster: Cluster) {
        kube_derive_round_trip(&cluster).await;
    }

    async fn kubectl_serves_a_certificate_crd(cluster: Cluster) {
        let crd = cluster.file("certificates.yaml", CERTIFICATES_CRD);
        assert_eq!(
            cluster.kubectl(&["apply", "-f", &crd]).ok(),
            "customresourcedefinition.apiextensions.k8s.io/certificates.pki.example.io created\n"
        );
        cluster
            .kubectl(&[
                "wait",
                "--for=condition=Established",
                "--timeout=30s",
                "crd/certificates.pki.example.io",
            ])
            .ok();

        let explained = cluster.kubectl(&["explain", "certificate.spec.secretName"]);
        let explained = explained.ok();
        assert!(explained.starts_with("GROUP:      pki.example.io\nKIND:       Certificate\nVERSION:    v1\n"), "{explained}");
        assert!(explained.contains("FIELD: secretName <string>"), "{explained}");
        assert!(
            explained.contains("The Secret the signed certificate and its key are stored in."),
            "{explained}"
        );

        let web = cluster.file(
            "web.yaml",
            "apiVersion: pki.example.io/v1\nkind: Certificate\nmetadata: {name: web}\nspec: {secretName: web-tls, dnsNames: [example.com], issuerRef: {name: ca}}\n",
        );
        assert_eq!(
            cluster.kubectl(&["apply", "-f", &web]).ok(),
            "certificate.pki.example.io/web created\n"
        );
        assert_eq!(
            rows_without_age(cluster.kubectl(&["get", "certs"]).ok()),
            words(&[&["NAME", "READY", "SECRET"], &["web", "", "web-tls"]])
        );
        assert_eq!(
            rows_without_age(cluster.kubectl(&["get", "certificates", "-o", "wide"]).ok()),
            words(&[&["NAME", "READY", "SECRET", "ISSUER"], &["web", "", "web-tls", "ca"]])
        );
        // The category lists it too.
        assert_eq!(
            rows_without_age(cluster.kubectl(&["get", "pki"]).ok()),
            words(&[&["NAME", "READY", "SECRET"], &["web", "", "web-tls"]])
        );
        assert_eq!(
            cluster
                .kubectl(&["get", "certs", "--field-selector", "spec.issuerRef.name=ca", "-o", "name"])
                .ok(),
            "certificate.pki.example.io/web\n"
        );

        let bad = cluster.file(
            "bad.yaml",
            "apiVersion: pki.example.io/v1\nkind: Certificate\nmetadata: {name: bad}\nspec: {secretName: Not_A_Name, durationHours: long, issuerRef: {kind: Nobody}}\n",
        );
        assert_eq!(
            cluster.kubectl(&["apply", "-f", &bad]).failed(),
            "The Certificate \"bad\" is invalid: \n\
             * spec.durationHours: Invalid value: \"string\": spec.durationHours in body must be of type integer: \"string\"\n\
             * spec.issuerRef.kind: Unsupported value: \"Nobody\": supported values: \"Issuer\", \"ClusterIssuer\"\n\
             * spec.issuerRef.name: Required value\n\
             * spec.secretName: Invalid value: \"Not_A_Name\": spec.secretName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'\n"
        );

        let nameless = cluster.file(
            "nameless.yaml",
            "apiVersion: pki.example.io/v1\nkind: Certificate\nmetadata: {name: nameless}\nspec: {secretName: s, issuerRef: {name: ca}}\n",
        );
        assert_eq!(
            cluster.kubectl(&["apply", "-f", &nameless]).failed(),
            "The Certificate \"nameless\" is invalid: spec: Invalid value: \"object\": at least one of commonName or dnsNames must be set\n"
        );

        let pruned = cluster.file(
            "pruned.yaml",
            "apiVersion: pki.example.io/v1\nkind: Certificate\nmetadata: {name: pruned}\nspec: {secretName: p, commonName: p, issuerRef: {name: ca}, bogus: 1}\n",
        );
        cluster.kubectl(&["apply", "--validate=false", "-f", &pruned]).ok();
        assert_eq!(
            cluster
                .kubectl(&["get", "cert", "pruned", "-o", "jsonpath={.spec}"])
                .ok(),
            r#"{"commonName":"p","durationHours":2160,"issuerRef":{"kind":"Issuer","name":"ca"},"secretName":"p"}"#
        );
        // With validation on, kubectl 1.32 asks the server to refuse it.
        let strict = cluster.kubectl(&["apply", "-f", &pruned]);
        assert!(
            strict.failed().contains("unknown field \"spec.bogus\""),
            "{strict:?}"
        );

        assert_eq!(
            cluster
                .kubectl(&["delete", "crd", "certificates.pki.example.io"])
                .ok(),
            "customresourcedefinition.apiextensions.k8s.io \"certificates.pki.example.io\" deleted\n"
        );
        let gone = cluster.kubectl(&["get", "crd", "certificates.pki.example.io"]);
        assert_eq!(
            gone.failed(),
            "Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"certificates.pki.example.io\" not found\n"
        );
        let objects = cluster.kubectl(&["get", "--raw", "/apis/pki.example.io/v1/certificates"]);
        assert_eq!(objects.code, Some(1), "{objects:?}");
    }

    async fn kubectl_scales_a_multi_version_crd(cluster: Cluster) {
        let crd = cluster.file("postgres.yaml", POSTGRES_CRD);
        cluster.kubectl(&["apply", "-f", &crd]).ok();
        cluster
            .kubectl(&[
                "wait",
                "--for=condition=Established",
                "--timeout=30s",
                "crd/postgresclusters.db.example.io",
            ])
            .ok();
        let main = cluster.file(
            "main.yaml",
            "apiVersion: db.example.io/v1beta1\nkind: PostgresCluster\nmetadata: {name: main}\nspec: {postgresVersion: 16}\n",
        );
        cluster.kubectl(&["apply", "-f", &main]).ok();
        assert_eq!(
            cluster
                .kubectl(&["scale", "postgrescluster/main", "--replicas=3"])
                .ok(),
            "postgrescluster.db.example.io/main scaled\n"
        );
        assert_eq!(
            cluster
                .kubectl(&["get", "pgc", "main", "-o", "jsonpath={.apiVersion} {.spec.instances} {.spec.storage.size}"])
                .ok(),
            "db.example.io/v1 3 1Gi"
        );
        assert_eq!(
            rows_without_age(cluster.kubectl(&["get", "postgresclusters"]).ok()),
            words(&[&["NAME", "INSTANCES", "READY", "VERSION"], &["main", "3", "", "16"]])
        );
        assert_eq!(
            cluster
                .kubectl(&[
                    "get",
                    "postgresclusters.v1beta1.db.example.io",
                    "main",
                    "-o",
                    "jsonpath={.apiVersion}"
                ])
                .ok(),
            "db.example.io/v1beta1"
        );
    }
}
