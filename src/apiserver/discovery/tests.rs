//! Discovery as clients see it: documents parsed with `k8s-openapi`'s types
//! (what kube-rs does), media types and caching headers as client-go reads
//! them, and the exact bytes upstream writes where that is cheap to pin.

use http::{Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions,
};
use serde_json::Value;

use super::*;
use crate::apiserver::registry::resource::{
    GroupVersionKind, ResourceDescriptor, Scope, Storage, Verb,
};

const V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const V2BETA1: &str = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

fn collect(response: Response<ResponseBody>) -> Answer {
    let (parts, body) = response.into_parts();
    let body = futures::executor::block_on(body.collect())
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn request(method: Method, path: &str, headers: &[(&str, &str)]) -> Request<()> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1:6443");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

fn ask_catalog(catalog: &Catalog, path: &str, headers: &[(&str, &str)]) -> Answer {
    let response = serve(catalog, &request(Method::GET, path, headers))
        .unwrap_or_else(|| panic!("{path} is not a discovery path"));
    collect(response)
}

fn ask(path: &str, headers: &[(&str, &str)]) -> Answer {
    ask_catalog(&Catalog::builtin(), path, headers)
}

fn get(path: &str) -> Answer {
    let answer = ask(path, &[]);
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
    answer
}

fn find<'a>(list: &'a APIResourceList, name: &str) -> &'a APIResource {
    list.resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} is not in {}", list.group_version))
}

#[test]
fn only_discovery_paths_are_answered() {
    let catalog = Catalog::builtin();
    for path in [
        "/",
        "/version",
        "/healthz",
        "/api/v1/pods",
        "/api/v1/namespaces/default/pods",
        "/apis/apps/v1/deployments",
        "/apis//v1",
        "//api",
        "/apisx",
        "/openapi/v2",
    ] {
        assert!(
            serve(&catalog, &request(Method::GET, path, &[])).is_none(),
            "{path} answered"
        );
    }
    for path in [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/apis",
        "/apis/",
        "/apis/apps",
        "/apis/apps/v1/",
    ] {
        assert_eq!(ask(path, &[]).status, StatusCode::OK, "{path}");
    }
}

#[test]
fn api_versions() {
    let answer = get("/api");
    let versions: APIVersions = answer.parse();
    assert_eq!(versions.versions, ["v1"]);
    let address = &versions.server_address_by_client_cidrs[0];
    assert_eq!(address.client_cidr, "0.0.0.0/0");
    assert_eq!(address.server_address, "127.0.0.1:6443");
    assert_eq!(
        answer.text(),
        "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":\
         [{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:6443\"}]}\n"
    );
    // HTTP/2 requests name the server in the URI, not in Host.
    let h2 = Request::get("https://10.0.0.1:443/api").body(()).unwrap();
    let versions: APIVersions = collect(serve(&Catalog::builtin(), &h2).unwrap()).parse();
    assert_eq!(
        versions.server_address_by_client_cidrs[0].server_address,
        "10.0.0.1:443"
    );
}

#[test]
fn core_resource_list() {
    let answer = get("/api/v1");
    let json = answer.json();
    assert_eq!(json["kind"], "APIResourceList");
    // Upstream writes the core list without an apiVersion.
    assert!(json.get("apiVersion").is_none());
    let list: APIResourceList = answer.parse();
    assert_eq!(list.group_version, "v1");

    let pods = find(&list, "pods");
    assert_eq!(pods.short_names.as_deref(), Some(&["po".to_owned()][..]));
    assert_eq!(pods.categories.as_deref(), Some(&["all".to_owned()][..]));
    assert!(pods.namespaced);
    assert_eq!(pods.kind, "Pod");
    assert_eq!(pods.singular_name, "pod");

    let status = find(&list, "pods/status");
    assert_eq!(status.kind, "Pod");
    assert_eq!(status.verbs, ["get", "patch", "update"]);
    assert_eq!(status.singular_name, "");
    assert_eq!(status.group, None);
    let eviction = find(&list, "pods/eviction");
    assert_eq!(eviction.group.as_deref(), Some("policy"));
    assert_eq!(eviction.version.as_deref(), Some("v1"));
    assert_eq!(eviction.kind, "Eviction");
    let token = find(&list, "serviceaccounts/token");
    assert_eq!(token.group.as_deref(), Some("authentication.k8s.io"));
    assert_eq!(token.kind, "TokenRequest");
    assert_eq!(find(&list, "namespaces").verbs.len(), 7);
    assert_eq!(find(&list, "bindings").verbs, ["create"]);
    assert!(!find(&list, "nodes").namespaced);

    // Sorted by name, subresources right after their resource.
    let names: Vec<&str> = list.resources.iter().map(|r| r.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(at("pods") < at("pods/attach") && at("pods/status") < at("podtemplates"));
    assert!(at("serviceaccounts/token") < at("services"));

    // Byte for byte as kube-apiserver writes these entries.
    let text = answer.text();
    for entry in [
        r#"{"name":"bindings","singularName":"binding","namespaced":true,"kind":"Binding","verbs":["create"]}"#,
        r#"{"name":"pods/eviction","singularName":"","namespaced":true,"group":"policy","version":"v1","kind":"Eviction","verbs":["create"]}"#,
        r#"{"name":"componentstatuses","singularName":"componentstatus","namespaced":false,"kind":"ComponentStatus","verbs":["get","list"],"shortNames":["cs"]}"#,
        r#"{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"],"storageVersionHash":"xPOwRZ+Yhw8="}"#,
    ] {
        assert!(text.contains(entry), "missing {entry}");
    }
    assert!(text.starts_with(r#"{"kind":"APIResourceList","groupVersion":"v1","resources":["#));
}

#[test]
fn storage_version_hashes_match_upstream() {
    let list: APIResourceList = get("/api/v1").parse();
    let hash = |name: &str| find(&list, name).storage_version_hash.clone();
    // The values kube-apiserver publishes.
    for (name, expected) in [
        ("configmaps", "qFsyl6wFWjQ="),
        ("endpoints", "fWeeMqaN/OA="),
        ("events", "r2yiGXH7wu8="),
        ("namespaces", "Q3oi5N2YM8M="),
        ("nodes", "XwShjMxG9Fs="),
        ("pods", "xPOwRZ+Yhw8="),
        ("services", "0/CO1lhkEBI="),
        ("secrets", "S6u1pOWzb84="),
    ] {
        assert_eq!(hash(name).as_deref(), Some(expected), "{name}");
    }
    // Neither stored nor a resource of its own: no hash.
    assert_eq!(hash("bindings"), None);
    assert_eq!(hash("componentstatuses"), None);
    assert_eq!(hash("pods/status"), None);

    let networking: APIResourceList = get("/apis/networking.k8s.io/v1").parse();
    assert_eq!(
        find(&networking, "ingresses")
            .storage_version_hash
            .as_deref(),
        Some("39NQlfNR+bo=")
    );
    assert_eq!(
        find(&networking, "networkpolicies")
            .storage_version_hash
            .as_deref(),
        Some("YpfwF18m1G8=")
    );

    // One set of objects, one hash, whichever group serves it.
    let events: APIResourceList = get("/apis/events.k8s.io/v1").parse();
    assert_eq!(find(&events, "events").storage_version_hash, hash("events"));
    let v1: APIResourceList = get("/apis/autoscaling/v1").parse();
    let v2: APIResourceList = get("/apis/autoscaling/v2").parse();
    assert_eq!(
        find(&v1, "horizontalpodautoscalers").storage_version_hash,
        find(&v2, "horizontalpodautoscalers").storage_version_hash
    );
}

#[test]
fn group_resource_list() {
    let answer = get("/apis/apps/v1");
    let json = answer.json();
    assert_eq!(json["apiVersion"], "v1");
    let list: APIResourceList = answer.parse();
    assert_eq!(list.group_version, "apps/v1");
    let names: Vec<&str> = list.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ]
    );
    let scale = find(&list, "deployments/scale");
    assert_eq!(scale.group.as_deref(), Some("autoscaling"));
    assert_eq!(scale.version.as_deref(), Some("v1"));
    assert_eq!(scale.kind, "Scale");
    assert_eq!(scale.verbs, ["get", "patch", "update"]);
    assert_eq!(
        find(&list, "deployments").short_names.as_deref(),
        Some(&["deploy".to_owned()][..])
    );
    assert!(answer.text().starts_with(
        r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":["#
    ));

    let reviews: APIResourceList = get("/apis/authorization.k8s.io/v1").parse();
    for review in &reviews.resources {
        assert_eq!(review.verbs, ["create"], "{}", review.name);
        assert_eq!(review.storage_version_hash, None);
    }
    assert!(find(&reviews, "localsubjectaccessreviews").namespaced);
}

#[test]
fn group_list_and_groups() {
    let answer = get("/apis");
    let list: APIGroupList = answer.parse();
    let names: Vec<&str> = list.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apiregistration.k8s.io",
            "apps",
            "events.k8s.io",
            "authentication.k8s.io",
            "authorization.k8s.io",
            "autoscaling",
            "batch",
            "certificates.k8s.io",
            "networking.k8s.io",
            "policy",
            "rbac.authorization.k8s.io",
            "storage.k8s.io",
            "admissionregistration.k8s.io",
            "apiextensions.k8s.io",
            "scheduling.k8s.io",
            "coordination.k8s.io",
            "node.k8s.io",
            "discovery.k8s.io",
            "flowcontrol.apiserver.k8s.io",
        ]
    );
    let autoscaling = &list.groups[5];
    let versions: Vec<&str> = autoscaling
        .versions
        .iter()
        .map(|v| v.group_version.as_str())
        .collect();
    assert_eq!(versions, ["autoscaling/v2", "autoscaling/v1"]);
    assert_eq!(
        autoscaling
            .preferred_version
            .as_ref()
            .unwrap()
            .group_version,
        "autoscaling/v2"
    );
    assert!(answer.text().starts_with(
        r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apiregistration.k8s.io","versions":[{"groupVersion":"apiregistration.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apiregistration.k8s.io/v1","version":"v1"}},"#
    ));

    let answer = get("/apis/autoscaling");
    let group: APIGroup = answer.parse();
    assert_eq!(group.name, "autoscaling");
    assert_eq!(group.preferred_version.unwrap().version, "v2");
    assert_eq!(answer.json()["kind"], "APIGroup");
    assert_eq!(answer.json()["apiVersion"], "v1");
}

#[test]
fn unknown_groups_and_versions_are_not_found() {
    for path in [
        "/api/v2",
        "/api/v1beta1",
        "/apis/extensions",
        "/apis/apps/v1beta1",
        "/apis/apps/v2",
        "/apis/nope/v1",
        "/apis/v1",
    ] {
        // Even when the client accepts nothing we write: existence first.
        let answer = ask(path, &[("accept", "application/vnd.kubernetes.protobuf")]);
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        let status = answer.json();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "NotFound");
        assert_eq!(
            status["message"],
            "the server could not find the requested resource"
        );
    }
}

#[test]
fn unacceptable_media_types_are_406() {
    for path in ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1"] {
        let answer = ask(path, &[("accept", "application/vnd.kubernetes.protobuf")]);
        assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE, "{path}");
        assert_eq!(answer.json()["reason"], "NotAcceptable");
        assert_eq!(answer.json()["code"], 406);
    }
    let answer = ask(
        "/api/v1",
        &[(
            "accept",
            "application/vnd.kubernetes.protobuf, application/json",
        )],
    );
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
}

#[test]
fn other_methods_are_not_allowed() {
    let catalog = Catalog::builtin();
    let answer = collect(serve(&catalog, &request(Method::POST, "/apis", &[])).unwrap());
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["reason"], "MethodNotAllowed");

    let head = collect(serve(&catalog, &request(Method::HEAD, "/api/v1", &[])).unwrap());
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header(header::CONTENT_TYPE), "application/json");
    assert!(head.body.is_empty());
}

/// The shape client-go's aggregated discovery decoder expects.
fn check_aggregated_shape(doc: &Value, api_version: &str) {
    assert_eq!(doc["kind"], "APIGroupDiscoveryList");
    assert_eq!(doc["apiVersion"], api_version);
    assert_eq!(doc["metadata"], serde_json::json!({}));
    for item in doc["items"].as_array().unwrap() {
        assert!(item["metadata"]["creationTimestamp"].is_null());
        assert!(
            item["metadata"]
                .as_object()
                .unwrap()
                .contains_key("creationTimestamp")
        );
        let versions = item["versions"].as_array().unwrap();
        assert!(!versions.is_empty());
        for version in versions {
            assert!(version["version"].is_string());
            assert_eq!(version["freshness"], "Current");
            for resource in version["resources"].as_array().unwrap() {
                assert!(resource["resource"].is_string());
                assert!(resource["singularResource"].is_string());
                let scope = resource["scope"].as_str().unwrap();
                assert!(scope == "Namespaced" || scope == "Cluster", "{scope}");
                assert!(resource["responseKind"]["kind"].is_string());
                assert!(resource["responseKind"]["group"].is_string());
                assert!(resource["responseKind"]["version"].is_string());
                assert!(!resource["verbs"].as_array().unwrap().is_empty());
                for key in ["shortNames", "categories", "subresources"] {
                    if let Some(value) = resource.get(key) {
                        assert!(
                            !value.as_array().unwrap().is_empty(),
                            "empty {key} is omitted"
                        );
                    }
                }
                for sub in resource
                    .get("subresources")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    assert!(sub["subresource"].is_string());
                    assert!(sub["responseKind"]["kind"].is_string());
                    assert!(sub["verbs"].is_array());
                }
            }
        }
    }
}

#[test]
fn aggregated_apis() {
    let accept = format!("{V2},{V2BETA1},application/json");
    let answer = ask("/apis", &[("accept", &accept)]);
    assert_eq!(answer.status, StatusCode::OK);
    // client-go recognises the document by these parameters.
    assert_eq!(answer.header(header::CONTENT_TYPE), V2);
    assert_eq!(answer.header(header::VARY), "Accept");
    let doc = answer.json();
    check_aggregated_shape(&doc, "apidiscovery.k8s.io/v2");
    assert!(answer.text().starts_with(
        r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[{"metadata":{"name":"apiregistration.k8s.io","creationTimestamp":null},"versions":[{"version":"v1","resources":[{"resource":"apiservices","responseKind":{"group":"","version":"","kind":"APIService"},"scope":"Cluster","singularResource":"apiservice","verbs":["#
    ));

    let items = doc["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    let legacy: APIGroupList = get("/apis").parse();
    let legacy_names: Vec<&str> = legacy.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, legacy_names);

    let group = |name: &str| {
        items
            .iter()
            .find(|i| i["metadata"]["name"] == name)
            .unwrap()
    };
    let autoscaling: Vec<&str> = group("autoscaling")["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(autoscaling, ["v2", "v1"]);

    let apps = &group("apps")["versions"][0]["resources"];
    let deployments = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .unwrap();
    assert_eq!(
        deployments["responseKind"],
        serde_json::json!({"group": "", "version": "", "kind": "Deployment"})
    );
    assert_eq!(deployments["shortNames"], serde_json::json!(["deploy"]));
    assert_eq!(deployments["categories"], serde_json::json!(["all"]));
    assert_eq!(
        deployments["subresources"],
        serde_json::json!([
            {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]},
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"}, "verbs": ["get", "patch", "update"]},
        ])
    );
}

#[test]
fn aggregated_core_group() {
    let answer = ask("/api", &[("accept", V2)]);
    assert_eq!(answer.header(header::CONTENT_TYPE), V2);
    let doc = answer.json();
    check_aggregated_shape(&doc, "apidiscovery.k8s.io/v2");
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    // The core group has no name.
    assert_eq!(
        items[0]["metadata"],
        serde_json::json!({"creationTimestamp": null})
    );
    let resources = items[0]["versions"][0]["resources"].as_array().unwrap();
    let pods = resources.iter().find(|r| r["resource"] == "pods").unwrap();
    assert_eq!(pods["shortNames"], serde_json::json!(["po"]));
    let eviction = pods["subresources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subresource"] == "eviction")
        .unwrap();
    assert_eq!(
        eviction["responseKind"],
        serde_json::json!({"group": "policy", "version": "v1", "kind": "Eviction"})
    );
    // No resource of a group/version is lost in the conversion.
    let legacy: APIResourceList = get("/api/v1").parse();
    let top_level = legacy
        .resources
        .iter()
        .filter(|r| !r.name.contains('/'))
        .count();
    assert_eq!(resources.len(), top_level);
    let subresources: usize = resources
        .iter()
        .map(|r| {
            r.get("subresources")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(subresources, legacy.resources.len() - top_level);
}

#[test]
fn aggregated_v2beta1() {
    let answer = ask(
        "/apis",
        &[("accept", &format!("{V2BETA1},application/json"))],
    );
    assert_eq!(answer.header(header::CONTENT_TYPE), V2BETA1);
    check_aggregated_shape(&answer.json(), "apidiscovery.k8s.io/v2beta1");
}

#[test]
fn aggregated_requests_elsewhere_get_the_plain_document() {
    // Accepted (as upstream accepts it) but the per-group documents have no
    // aggregated form.
    let answer = ask("/apis/apps/v1", &[("accept", V2)]);
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
    let list: APIResourceList = answer.parse();
    assert_eq!(list.group_version, "apps/v1");
    assert!(answer.headers.get(header::ETAG).is_none());
}

#[test]
fn legacy_clients_get_the_legacy_documents() {
    for accept in ["application/json, */*", "*/*", "application/json"] {
        let answer = ask("/apis", &[("accept", accept)]);
        assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
        let _: APIGroupList = answer.parse();
        assert!(answer.headers.get(header::ETAG).is_none());
    }
}

#[test]
fn aggregated_documents_revalidate_with_etags() {
    let catalog = Catalog::builtin();
    let first = ask_catalog(&catalog, "/apis", &[("accept", V2)]);
    let etag = first.header(header::ETAG).to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 130,
        "{etag}"
    );
    assert_eq!(first.header(header::CACHE_CONTROL), "public");

    let again = ask_catalog(
        &catalog,
        "/apis",
        &[("accept", V2), ("if-none-match", &etag)],
    );
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), etag);

    // A pretty rendering of the same document has the same tag.
    let pretty = ask_catalog(&catalog, "/apis?pretty=true", &[("accept", V2)]);
    assert_eq!(pretty.header(header::ETAG), etag);

    // A new resource is a new document.
    catalog.upsert(vec![crontabs("v1")]);
    let changed = ask_catalog(
        &catalog,
        "/apis",
        &[("accept", V2), ("if-none-match", &etag)],
    );
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header(header::ETAG), etag);
}

fn crontabs(version: &str) -> ResourceDescriptor {
    ResourceDescriptor {
        group: "stable.example.com".into(),
        version: version.into(),
        kind: "CronTab".into(),
        plural: "crontabs".into(),
        singular: "crontab".into(),
        short_names: vec!["ct".into()],
        categories: vec!["all".into()],
        scope: Scope::Namespaced,
        verbs: Verb::ALL.to_vec(),
        subresources: vec![],
        storage: Storage::Stored {
            path: "stable.example.com/crontabs".into(),
            version: GroupVersionKind::new("stable.example.com", "v1", "CronTab"),
        },
    }
}

#[test]
fn catalog_changes_show_up_in_discovery() {
    let catalog = Catalog::builtin();
    assert_eq!(
        ask_catalog(&catalog, "/apis/stable.example.com", &[]).status,
        StatusCode::NOT_FOUND
    );
    catalog.upsert(vec![crontabs("v1"), crontabs("v2beta1")]);

    let groups: APIGroupList = ask_catalog(&catalog, "/apis", &[]).parse();
    let last = groups.groups.last().unwrap();
    assert_eq!(last.name, "stable.example.com");
    assert_eq!(last.preferred_version.as_ref().unwrap().version, "v1");
    let list: APIResourceList =
        ask_catalog(&catalog, "/apis/stable.example.com/v2beta1", &[]).parse();
    assert_eq!(list.resources[0].name, "crontabs");
    assert_eq!(
        list.resources[0].short_names.as_deref(),
        Some(&["ct".to_owned()][..])
    );

    catalog.remove("stable.example.com", "crontabs");
    assert_eq!(
        ask_catalog(&catalog, "/apis/stable.example.com/v1", &[]).status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn yaml_and_pretty_output() {
    let yaml = ask("/apis/apps", &[("accept", "application/yaml")]);
    assert_eq!(yaml.status, StatusCode::OK);
    assert_eq!(yaml.header(header::CONTENT_TYPE), "application/yaml");
    let doc: Value = serde_yaml::from_slice(&yaml.body).unwrap();
    assert_eq!(doc["kind"], "APIGroup");
    assert_eq!(doc["preferredVersion"]["groupVersion"], "apps/v1");

    let aggregated_yaml = ask(
        "/apis",
        &[(
            "accept",
            "application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )],
    );
    assert_eq!(
        aggregated_yaml.header(header::CONTENT_TYPE),
        "application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    let doc: Value = serde_yaml::from_slice(&aggregated_yaml.body).unwrap();
    check_aggregated_shape(&doc, "apidiscovery.k8s.io/v2");

    let compact = get("/apis/apps").text();
    assert!(!compact.contains("\n  "));
    let pretty = |path: &str, headers: &[(&str, &str)]| ask(path, headers).text().contains("\n  ");
    assert!(pretty("/apis/apps?pretty=true", &[]));
    assert!(pretty("/apis/apps?pretty=1", &[]));
    assert!(pretty(
        "/apis/apps",
        &[("accept", "application/json;pretty=1")]
    ));
    assert!(pretty("/apis/apps", &[("user-agent", "curl/8.5.0")]));
    assert!(!pretty(
        "/apis/apps?pretty=false",
        &[("user-agent", "curl/8.5.0")]
    ));
    assert!(!pretty(
        "/apis/apps",
        &[("user-agent", "kubectl/v1.33.0 (linux/amd64)")]
    ));
    // Pretty output parses to the same document.
    let pretty_doc: APIGroup = ask("/apis/apps?pretty=true", &[]).parse();
    let compact_doc: APIGroup = get("/apis/apps").parse();
    assert_eq!(pretty_doc, compact_doc);
}
