//! Round trips of real objects (JSON → protobuf → JSON), and golden tests
//! decoding bytes that k8s-pb's independently generated prost messages
//! wrote.

use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use prost::Message;
use serde_json::{Value, json};

use super::{decode, decode_watch_events, encode, encode_watch_event};

fn round_trip(object: Value) {
    let bytes = encode(&object).unwrap_or_else(|e| panic!("encoding {object}: {e}"));
    assert!(bytes.starts_with(b"k8s\0"));
    let back = decode(&bytes).unwrap();
    assert_eq!(back, object);
}

#[test]
fn pod_round_trips() {
    round_trip(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "6c0b5d0e-2f6b-4b8c-9d55-0d0b8f1c1a11",
            "resourceVersion": "42",
            "generation": 1,
            "creationTimestamp": "2024-01-02T03:04:05Z",
            "labels": {"app": "web"},
            "annotations": {"note": "x"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                "uid": "1", "controller": true, "blockOwnerDeletion": true
            }],
            "managedFields": [{
                "manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                "time": "2024-01-02T03:04:05Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
            }]
        },
        "spec": {
            "containers": [{
                "name": "nginx",
                "image": "nginx:1.27",
                "args": ["-g", "daemon off;"],
                "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}],
                "resources": {
                    "limits": {"cpu": "500m", "memory": "128Mi"},
                    "requests": {"cpu": "250m"}
                },
                "readinessProbe": {
                    "httpGet": {"path": "/", "port": "http", "scheme": "HTTP"},
                    "periodSeconds": 10
                },
                "livenessProbe": {"tcpSocket": {"port": 80}},
                "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false},
                "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "a"}}}]
            }],
            "volumes": [
                {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420}}
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "enableServiceLinks": false
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "startTime": "2024-01-02T03:04:06Z",
            "conditions": [{"type": "Ready", "status": "True",
                            "lastTransitionTime": "2024-01-02T03:04:07Z"}]
        }
    }));
}

#[test]
fn configmap_secret_service_deployment_round_trip() {
    round_trip(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default"},
        "data": {"a": "b"},
        "binaryData": {"bin": "AAEC/w=="},
        "immutable": false
    }));
    round_trip(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="}
    }));
    round_trip(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10", "fd00::10"],
            "externalIPs": ["192.0.2.1"],
            "ipFamilies": ["IPv4", "IPv6"],
            "ipFamilyPolicy": "PreferDualStack",
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                {"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}
            ],
            "sessionAffinity": "None"
        },
        "status": {"loadBalancer": {}}
    }));
    round_trip(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
            }
        },
        "status": {"observedGeneration": 1, "replicas": 2}
    }));
}

#[test]
fn lists_status_and_options_round_trip() {
    round_trip(json!({
        "apiVersion": "v1", "kind": "ConfigMapList",
        "metadata": {"resourceVersion": "7", "continue": "abc", "remainingItemCount": 3},
        "items": [
            {"metadata": {"name": "a"}, "data": {"x": "1"}},
            {"metadata": {"name": "b"}}
        ]
    }));
    round_trip(json!({
        "apiVersion": "v1", "kind": "Status",
        "metadata": {},
        "status": "Failure",
        "message": "configmaps \"x\" not found",
        "reason": "NotFound",
        "details": {"name": "x", "kind": "configmaps"},
        "code": 404
    }));
    round_trip(json!({
        "apiVersion": "v1", "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Foreground",
        "preconditions": {"uid": "u", "resourceVersion": "5"},
        "dryRun": ["All"]
    }));
}

#[test]
fn events_keep_micro_time_and_durations_read_as_go_strings() {
    round_trip(json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "e", "namespace": "default"},
        "eventTime": "2024-01-02T03:04:05.123456Z",
        "reportingController": "keelson",
        "reportingInstance": "keelson-1",
        "action": "Created",
        "reason": "Created",
        "regarding": {"kind": "Pod", "name": "web", "namespace": "default"}
    }));
    round_trip(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "w"},
        "webhooks": [{
            "name": "w.example.com",
            "clientConfig": {"caBundle": "AAEC", "service": {"namespace": "n", "name": "s", "port": 443}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods"], "scope": "*"}],
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 10
        }]
    }));
}

#[test]
fn crd_schemas_round_trip() {
    round_trip(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": true,
                    "properties": {
                        "spec": {"type": "object",
                                 "required": ["size"],
                                 "properties": {"size": {"type": "integer", "minimum": 1.0}},
                                 "additionalProperties": false},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "any": {"default": {"a": [1, 2]}}
                    }
                }}
            }]
        }
    }));
}

#[test]
fn unknown_kinds_and_garbage_are_errors() {
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}});
    assert!(matches!(
        encode(&widget),
        Err(super::ProtobufError::UnknownKind { .. })
    ));
    assert!(decode(b"{\"kind\":\"ConfigMap\"}").is_err());
    assert!(decode(b"k8s\0\x0a\xff").is_err());
}

/// What kubectl sends for `kubectl create configmap x --from-literal=a=b`:
/// Go writes every non-pointer field, so the empty strings and the zero
/// `creationTimestamp` come over the wire.
fn kubectl_configmap() -> core::ConfigMap {
    core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            name: Some("x".into()),
            generate_name: Some(String::new()),
            namespace: Some(String::new()),
            uid: Some(String::new()),
            resource_version: Some(String::new()),
            generation: Some(0),
            creation_timestamp: Some(meta::Time::default()),
            ..Default::default()
        }),
        data: [("a".to_owned(), "b".to_owned())].into(),
        binary_data: [("bin".to_owned(), vec![0, 1, 2, 255])].into(),
        immutable: None,
    }
}

fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = k8s_pb::apimachinery::pkg::runtime::Unknown {
        type_meta: Some(k8s_pb::apimachinery::pkg::runtime::TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut bytes = b"k8s\0".to_vec();
    bytes.extend(unknown.encode_to_vec());
    bytes
}

#[test]
fn golden_configmap_from_k8s_pb() {
    let bytes = envelope("v1", "ConfigMap", kubectl_configmap().encode_to_vec());
    assert_eq!(
        decode(&bytes).unwrap(),
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            // `generation` is a Go value field: its zero is left out.
            "metadata": {"name": "x", "creationTimestamp": null},
            "data": {"a": "b"},
            "binaryData": {"bin": "AAEC/w=="}
        })
    );
}

#[test]
fn golden_service_and_deployment_from_k8s_pb() {
    use k8s_pb::api::apps::v1 as apps;
    use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
    let service = core::Service {
        metadata: Some(meta::ObjectMeta {
            name: Some("web".into()),
            creation_timestamp: Some(meta::Time {
                seconds: Some(1_704_164_645),
                nanos: Some(0),
            }),
            ..Default::default()
        }),
        spec: Some(core::ServiceSpec {
            cluster_ips: vec!["10.96.0.10".into()],
            external_ips: vec!["192.0.2.1".into()],
            ports: vec![core::ServicePort {
                port: Some(80),
                target_port: Some(IntOrString {
                    r#type: Some(1),
                    int_val: Some(0),
                    str_val: Some("http".into()),
                }),
                node_port: Some(0),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    };
    let bytes = envelope("v1", "Service", service.encode_to_vec());
    assert_eq!(
        decode(&bytes).unwrap(),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "creationTimestamp": "2024-01-02T03:04:05Z"},
            "spec": {
                "clusterIPs": ["10.96.0.10"],
                "externalIPs": ["192.0.2.1"],
                // `nodePort` is a Go value field: its zero is left out.
                "ports": [{"port": 80, "targetPort": "http"}]
            }
        })
    );

    let deployment = apps::Deployment {
        metadata: Some(meta::ObjectMeta {
            name: Some("web".into()),
            generation: Some(0),
            ..Default::default()
        }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(1),
            // Go writes value fields even when zero; a pointer's zero is kept.
            paused: Some(false),
            min_ready_seconds: Some(0),
            progress_deadline_seconds: Some(0),
            strategy: Some(apps::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString {
                        r#type: Some(1),
                        int_val: None,
                        str_val: Some("25%".into()),
                    }),
                    max_surge: Some(IntOrString {
                        r#type: Some(0),
                        int_val: Some(2),
                        str_val: None,
                    }),
                }),
            }),
            template: Some(core::PodTemplateSpec {
                metadata: None,
                spec: Some(core::PodSpec {
                    containers: vec![core::Container {
                        name: Some("nginx".into()),
                        image: Some("nginx".into()),
                        stdin: Some(false),
                        tty: Some(false),
                        resources: Some(core::ResourceRequirements {
                            limits: [(
                                "cpu".to_owned(),
                                k8s_pb::apimachinery::pkg::api::resource::Quantity {
                                    string: Some("500m".into()),
                                },
                            )]
                            .into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let bytes = envelope("apps/v1", "Deployment", deployment.encode_to_vec());
    assert_eq!(
        decode(&bytes).unwrap(),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "progressDeadlineSeconds": 0,
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 2}},
                "template": {"spec": {"containers": [{
                    "name": "nginx", "image": "nginx",
                    "resources": {"limits": {"cpu": "500m"}}
                }]}}
            }
        })
    );
}

#[test]
fn encoded_objects_decode_with_k8s_pb() {
    let object = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "ns", "creationTimestamp": "2024-01-02T03:04:05Z"},
        "data": {"a": "b"}
    });
    let bytes = encode(&object).unwrap();
    let unknown =
        k8s_pb::apimachinery::pkg::runtime::Unknown::decode(&bytes[4..]).expect("an Unknown");
    let type_meta = unknown.type_meta.unwrap();
    assert_eq!(type_meta.api_version.as_deref(), Some("v1"));
    assert_eq!(type_meta.kind.as_deref(), Some("ConfigMap"));
    let configmap = core::ConfigMap::decode(unknown.raw.unwrap().as_slice()).unwrap();
    let metadata = configmap.metadata.unwrap();
    assert_eq!(metadata.name.as_deref(), Some("x"));
    assert_eq!(metadata.namespace.as_deref(), Some("ns"));
    assert_eq!(
        metadata.creation_timestamp.unwrap().seconds,
        Some(1_704_164_645)
    );
    assert_eq!(configmap.data.get("a").map(String::as_str), Some("b"));
}

#[test]
fn watch_events_are_length_prefixed_watch_event_messages() {
    let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    let mut stream = encode_watch_event("ADDED", &object).unwrap();
    stream.extend(encode_watch_event("DELETED", &object).unwrap());
    // Independently: the first frame is a k8s-pb WatchEvent whose object is
    // an enveloped ConfigMap.
    let length = u32::from_be_bytes(stream[..4].try_into().unwrap()) as usize;
    let event = meta::WatchEvent::decode(&stream[4..4 + length]).unwrap();
    assert_eq!(event.r#type.as_deref(), Some("ADDED"));
    let raw = event.object.unwrap().raw.unwrap();
    assert!(raw.starts_with(b"k8s\0"));
    assert_eq!(
        decode_watch_events(&stream).unwrap(),
        vec![
            json!({"type": "ADDED", "object": object}),
            json!({"type": "DELETED", "object": object}),
        ]
    );
}
