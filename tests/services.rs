//! Issue 4 item 7: Service cluster IPs and node ports, and the
//! `kubernetes` Service. The in-process API for the fine points, kubectl
//! on both backends for what users see, restarts for durability.

mod cluster;

use std::collections::HashSet;
use std::net::IpAddr;

use http::{Method, StatusCode};
use keelson::testing::api::TestApi;
use serde_json::{Value, json};

use cluster::Cluster;

const SERVICES: &str = "/api/v1/namespaces/default/services";
const IPADDRESSES: &str = "/apis/networking.k8s.io/v1/ipaddresses";

fn service(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    if spec.get("ports").is_none() && spec.get("type") != Some(&json!("ExternalName")) {
        spec["ports"] = json!([{"name": "http", "port": 80}]);
    }
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
}

async fn create(api: &TestApi, body: Value) -> keelson::testing::api::Reply {
    api.call(Method::POST, SERVICES, Some(body)).await
}

async fn created(api: &TestApi, body: Value) -> Value {
    let reply = create(api, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()
}

fn in_default_range(ip: &str) -> bool {
    let range: ipnet::IpNet = "10.96.0.0/12".parse().unwrap();
    range.contains(&ip.parse::<IpAddr>().unwrap())
}

async fn ip_address(api: &TestApi, ip: &str) -> (StatusCode, Value) {
    let reply = api
        .call(Method::GET, &format!("{IPADDRESSES}/{ip}"), None)
        .await;
    (reply.status, reply.json())
}

#[tokio::test]
async fn cluster_ips_are_allocated_recorded_and_freed() {
    let api = TestApi::start().await;
    let web = created(&api, service("web", json!({"selector": {"app": "web"}}))).await;
    let spec = &web["spec"];
    let ip = spec["clusterIP"].as_str().unwrap().to_owned();
    assert!(in_default_range(&ip), "{ip}");
    assert_ne!(ip, "10.96.0.1");
    assert_eq!(spec["clusterIPs"], json!([ip]));
    assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
    assert_eq!(spec["ipFamilyPolicy"], "SingleStack");

    let (status, address) = ip_address(&api, &ip).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        address["spec"]["parentRef"],
        json!({"group": "", "resource": "services", "namespace": "default", "name": "web"})
    );
    assert_eq!(
        address["metadata"]["labels"]["ipaddress.kubernetes.io/managed-by"],
        "ipallocator.k8s.io"
    );

    let reply = api
        .call(Method::DELETE, &format!("{SERVICES}/web"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(ip_address(&api, &ip).await.0, StatusCode::NOT_FOUND);
    // The freed address can be had again.
    let again = created(&api, service("again", json!({"clusterIP": ip}))).await;
    assert_eq!(again["spec"]["clusterIP"], json!(ip));
}

#[tokio::test]
async fn a_hundred_services_get_distinct_addresses() {
    let api = TestApi::start().await;
    let mut seen = HashSet::new();
    for i in 0..100 {
        let body = service(&format!("s{i}"), json!({}));
        let ip = created(&api, body).await["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(in_default_range(&ip));
        assert!(seen.insert(ip.clone()), "{ip} handed out twice");
    }
    assert!(!seen.contains("10.96.0.1"));
}

#[tokio::test]
async fn chosen_addresses_are_checked() {
    let api = TestApi::start().await;
    created(&api, service("first", json!({"clusterIP": "10.96.0.50"}))).await;
    let taken = create(&api, service("second", json!({"clusterIP": "10.96.0.50"}))).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        taken.json()["message"],
        "Service \"second\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.50\"}: failed to allocate IP 10.96.0.50: provided IP is already allocated"
    );
    let outside = create(&api, service("third", json!({"clusterIP": "192.0.2.9"}))).await;
    assert_eq!(
        outside.json()["message"],
        "Service \"third\" is invalid: spec.clusterIPs: Invalid value: []string{\"192.0.2.9\"}: failed to allocate IP 192.0.2.9: the provided network does not match the current range"
    );
    let network = create(&api, service("fourth", json!({"clusterIP": "10.96.0.0"}))).await;
    assert_eq!(
        network.json()["message"],
        "Service \"fourth\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.0\"}: failed to allocate IP 10.96.0.0: provided IP 10.96.0.0 is not in the valid range"
    );
    let v6 = create(&api, service("fifth", json!({"ipFamilies": ["IPv6"]}))).await;
    assert_eq!(
        v6.json()["message"],
        "Service \"fifth\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"
    );
    let dual = create(
        &api,
        service("sixth", json!({"ipFamilyPolicy": "RequireDualStack"})),
    )
    .await;
    assert_eq!(
        dual.json()["message"],
        "Service \"sixth\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"
    );
    // A failed create leaves nothing allocated.
    let list = api.call(Method::GET, IPADDRESSES, None).await.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test]
async fn headless_external_name_and_dry_run_take_no_address() {
    let api = TestApi::start().await;
    let headless = created(
        &api,
        service(
            "headless",
            json!({"clusterIP": "None", "selector": {"a": "b"}}),
        ),
    )
    .await;
    assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
    assert_eq!(headless["spec"]["ipFamilies"], json!(["IPv4"]));
    let external = created(
        &api,
        service(
            "db",
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
        ),
    )
    .await;
    assert!(external["spec"].get("clusterIP").is_none());
    let dry = api
        .call(
            Method::POST,
            &format!("{SERVICES}?dryRun=All"),
            Some(service("dry", json!({}))),
        )
        .await;
    assert_eq!(dry.status, StatusCode::CREATED);
    let list = api.call(Method::GET, IPADDRESSES, None).await.json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "only the kubernetes Service's"
    );
}

async fn merge_patch(api: &TestApi, uri: &str, patch: Value) -> keelson::testing::api::Reply {
    api.call_with(
        Method::PATCH,
        uri,
        &[("content-type", "application/merge-patch+json")],
        serde_json::to_vec(&patch).unwrap().into(),
    )
    .await
}

#[tokio::test]
async fn type_changes_allocate_and_free() {
    let api = TestApi::start().await;
    let db = created(
        &api,
        service(
            "db",
            json!({"type": "ExternalName", "externalName": "db.example.com",
        "ports": [{"name": "http", "port": 80}]}),
        ),
    )
    .await;
    assert!(db["spec"].get("clusterIPs").is_none());
    let uri = format!("{SERVICES}/db");
    let to_cluster_ip = merge_patch(
        &api,
        &uri,
        json!({"spec": {"type": "ClusterIP", "externalName": null}}),
    )
    .await;
    assert_eq!(
        to_cluster_ip.status,
        StatusCode::OK,
        "{:?}",
        to_cluster_ip.json()
    );
    let ip = to_cluster_ip.json()["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(in_default_range(&ip));

    let to_node_port = merge_patch(&api, &uri, json!({"spec": {"type": "NodePort"}})).await;
    assert_eq!(
        to_node_port.status,
        StatusCode::OK,
        "{:?}",
        to_node_port.json()
    );
    let node_port = to_node_port.json()["spec"]["ports"][0]["nodePort"]
        .as_i64()
        .unwrap();
    assert!((30000..=32767).contains(&node_port));
    assert_eq!(to_node_port.json()["spec"]["clusterIP"], json!(ip));

    // Back to ClusterIP: the node port is freed and can be had again.
    let back = merge_patch(&api, &uri, json!({"spec": {"type": "ClusterIP"}})).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.json());
    assert!(back.json()["spec"]["ports"][0].get("nodePort").is_none());
    created(
        &api,
        service(
            "np",
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": node_port}]}),
        ),
    )
    .await;

    let to_external = merge_patch(
        &api,
        &uri,
        json!({"spec": {"type": "ExternalName", "externalName": "db.example.com"}}),
    )
    .await;
    assert_eq!(
        to_external.status,
        StatusCode::OK,
        "{:?}",
        to_external.json()
    );
    assert!(to_external.json()["spec"].get("clusterIP").is_none());
    assert_eq!(ip_address(&api, &ip).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn node_ports_are_unique_and_checked() {
    let api = TestApi::start().await;
    let web = created(
        &api,
        service(
            "web",
            json!({"type": "NodePort", "ports": [
        {"name": "http", "port": 80}, {"name": "https", "port": 443, "nodePort": 30443}]}),
        ),
    )
    .await;
    let ports = &web["spec"]["ports"];
    let picked = ports[0]["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&picked));
    assert_eq!(ports[1]["nodePort"], 30443);
    assert_eq!(web["spec"]["externalTrafficPolicy"], "Cluster");

    let duplicate = create(
        &api,
        service(
            "other",
            json!({"type": "NodePort", "ports": [{"port": 81, "nodePort": 30443}]}),
        ),
    )
    .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        duplicate.json()["message"],
        "Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated"
    );
    let outside = create(
        &api,
        service(
            "far",
            json!({"type": "NodePort", "ports": [{"port": 81, "nodePort": 8080}]}),
        ),
    )
    .await;
    assert_eq!(
        outside.json()["message"],
        "Service \"far\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"
    );
    // A load balancer gets node ports and, with Local traffic, a health
    // check port.
    let lb = created(
        &api,
        service(
            "lb",
            json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local"}),
        ),
    )
    .await;
    let hc = lb["spec"]["healthCheckNodePort"].as_i64().unwrap();
    let lb_port = lb["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&hc) && hc != lb_port);

    // Deleting frees them.
    api.call(Method::DELETE, &format!("{SERVICES}/web"), None)
        .await;
    created(
        &api,
        service(
            "reuse",
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30443}]}),
        ),
    )
    .await;
}

#[tokio::test]
async fn the_kubernetes_service_and_its_endpoints() {
    let api = TestApi::start().await;
    let service = api
        .call(Method::GET, &format!("{SERVICES}/kubernetes"), None)
        .await
        .json();
    assert_eq!(service["spec"]["clusterIP"], "10.96.0.1");
    assert_eq!(
        service["spec"]["ports"],
        json!([{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}])
    );
    assert_eq!(
        service["metadata"]["labels"],
        json!({"component": "apiserver", "provider": "kubernetes"})
    );
    let endpoints = api
        .call(
            Method::GET,
            "/api/v1/namespaces/default/endpoints/kubernetes",
            None,
        )
        .await
        .json();
    assert_eq!(
        endpoints["subsets"],
        json!([{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}])
    );
    let slice = api
        .call(
            Method::GET,
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
            None,
        )
        .await
        .json();
    assert_eq!(slice["addressType"], "IPv4");
    assert_eq!(slice["endpoints"][0]["addresses"], json!(["127.0.0.1"]));
    assert_eq!(
        slice["metadata"]["labels"]["kubernetes.io/service-name"],
        "kubernetes"
    );
    let cidr = api
        .call(
            Method::GET,
            "/apis/networking.k8s.io/v1/servicecidrs/kubernetes",
            None,
        )
        .await
        .json();
    assert_eq!(cidr["spec"]["cidrs"], json!(["10.96.0.0/12"]));
    assert_eq!(cidr["status"]["conditions"][0]["type"], "Ready");
    assert_eq!(cidr["status"]["conditions"][0]["status"], "True");
    assert_eq!(ip_address(&api, "10.96.0.1").await.0, StatusCode::OK);
}

/// The CLUSTER-IP column of `kubectl get svc <name> --no-headers`.
fn cluster_ip_column(cluster: &Cluster, name: &str) -> String {
    let row = cluster.kubectl(&["get", "svc", name, "--no-headers"]);
    row.ok().split_whitespace().nth(2).unwrap().to_owned()
}

on_both_backends! {
    async fn kubectl_sees_cluster_ips_node_ports_and_the_apiserver(cluster: Cluster) {
        assert_eq!(
            cluster.kubectl(&["create", "service", "clusterip", "web", "--tcp=80:8080"]).ok(),
            "service/web created\n"
        );
        let ip = cluster_ip_column(&cluster, "web");
        assert!(in_default_range(&ip), "{ip}");
        assert_eq!(cluster_ip_column(&cluster, "kubernetes"), "10.96.0.1");

        let endpoints = cluster.kubectl(&["get", "endpoints", "kubernetes", "--no-headers"]);
        let port = cluster.keelson.url().rsplit(':').next().unwrap().trim_end_matches('/').to_owned();
        let endpoints = endpoints.ok();
        assert_eq!(endpoints.split_whitespace().nth(1), Some(format!("127.0.0.1:{port}").as_str()), "{endpoints}");

        assert_eq!(
            cluster.kubectl(&["create", "service", "nodeport", "np", "--tcp=80:80", "--node-port=30080"]).ok(),
            "service/np created\n"
        );
        assert_eq!(
            cluster.kubectl(&["get", "svc", "np", "-o", "jsonpath={.spec.ports[0].nodePort}"]).ok(),
            "30080"
        );
        assert_eq!(
            cluster.kubectl(&["create", "service", "nodeport", "np2", "--tcp=81:81", "--node-port=30080"]).failed(),
            "error: failed to create NodePort service: Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated\n"
        );
        let taken = cluster.kubectl(&["create", "service", "clusterip", "copy", "--tcp=80:80", &format!("--clusterip={ip}")]);
        assert_eq!(
            taken.failed(),
            format!("error: failed to create ClusterIP service: Service \"copy\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated\n")
        );
        assert_eq!(cluster.kubectl(&["delete", "svc", "web"]).ok(), "service \"web\" deleted\n");
        assert_eq!(
            cluster.kubectl(&["create", "service", "clusterip", "copy", "--tcp=80:80", &format!("--clusterip={ip}")]).ok(),
            "service/copy created\n"
        );
    }

    async fn addresses_survive_a_restart(cluster: Cluster) {
        let mut cluster = cluster;
        let mut before = HashSet::new();
        for i in 0..5 {
            cluster.kubectl(&["create", "service", "clusterip", &format!("a{i}"), "--tcp=80:80"]).ok();
            before.insert(cluster_ip_column(&cluster, &format!("a{i}")));
        }
        cluster.keelson.restart().await.unwrap();
        assert_eq!(cluster_ip_column(&cluster, "kubernetes"), "10.96.0.1");
        let mut all = before.clone();
        for i in 0..20 {
            cluster.kubectl(&["create", "service", "clusterip", &format!("b{i}"), "--tcp=80:80"]).ok();
            let ip = cluster_ip_column(&cluster, &format!("b{i}"));
            assert!(all.insert(ip.clone()), "{ip} handed out twice across a restart");
        }
        for i in 0..5 {
            assert!(before.contains(&cluster_ip_column(&cluster, &format!("a{i}"))));
        }
    }
}
