//! The facts about built-in resources that clients depend on.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn all() -> Vec<ResourceDescriptor> {
    builtin_resources()
}

fn find(group: &str, version: &str, plural: &str) -> ResourceDescriptor {
    all()
        .into_iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
        .unwrap_or_else(|| panic!("{group}/{version} {plural} is not built in"))
}

fn names(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

fn subresource_names(r: &ResourceDescriptor) -> Vec<&str> {
    r.subresources.iter().map(|s| s.name.as_str()).collect()
}

const STATUS: &[Verb] = &[Verb::Get, Verb::Patch, Verb::Update];

/// Every resource kube-apiserver 1.33 serves from a GA version by default,
/// with its subresources: a change here is a change clients will see.
#[test]
fn the_served_set_is_exactly_upstreams() {
    let expected: &[(&str, &str, &[&str])] = &[
        ("v1", "bindings", &[]),
        ("v1", "componentstatuses", &[]),
        ("v1", "configmaps", &[]),
        ("v1", "endpoints", &[]),
        ("v1", "events", &[]),
        ("v1", "limitranges", &[]),
        ("v1", "namespaces", &["finalize", "status"]),
        ("v1", "nodes", &["proxy", "status"]),
        ("v1", "persistentvolumeclaims", &["status"]),
        ("v1", "persistentvolumes", &["status"]),
        (
            "v1",
            "pods",
            &[
                "attach",
                "binding",
                "ephemeralcontainers",
                "eviction",
                "exec",
                "log",
                "portforward",
                "proxy",
                "resize",
                "status",
            ],
        ),
        ("v1", "podtemplates", &[]),
        ("v1", "replicationcontrollers", &["scale", "status"]),
        ("v1", "resourcequotas", &["status"]),
        ("v1", "secrets", &[]),
        ("v1", "serviceaccounts", &["token"]),
        ("v1", "services", &["proxy", "status"]),
        (
            "admissionregistration.k8s.io/v1",
            "mutatingwebhookconfigurations",
            &[],
        ),
        (
            "admissionregistration.k8s.io/v1",
            "validatingadmissionpolicies",
            &["status"],
        ),
        (
            "admissionregistration.k8s.io/v1",
            "validatingadmissionpolicybindings",
            &[],
        ),
        (
            "admissionregistration.k8s.io/v1",
            "validatingwebhookconfigurations",
            &[],
        ),
        (
            "apiextensions.k8s.io/v1",
            "customresourcedefinitions",
            &["status"],
        ),
        ("apiregistration.k8s.io/v1", "apiservices", &["status"]),
        ("apps/v1", "controllerrevisions", &[]),
        ("apps/v1", "daemonsets", &["status"]),
        ("apps/v1", "deployments", &["scale", "status"]),
        ("apps/v1", "replicasets", &["scale", "status"]),
        ("apps/v1", "statefulsets", &["scale", "status"]),
        ("authentication.k8s.io/v1", "selfsubjectreviews", &[]),
        ("authentication.k8s.io/v1", "tokenreviews", &[]),
        ("authorization.k8s.io/v1", "localsubjectaccessreviews", &[]),
        ("authorization.k8s.io/v1", "selfsubjectaccessreviews", &[]),
        ("authorization.k8s.io/v1", "selfsubjectrulesreviews", &[]),
        ("authorization.k8s.io/v1", "subjectaccessreviews", &[]),
        ("autoscaling/v1", "horizontalpodautoscalers", &["status"]),
        ("autoscaling/v2", "horizontalpodautoscalers", &["status"]),
        ("batch/v1", "cronjobs", &["status"]),
        ("batch/v1", "jobs", &["status"]),
        (
            "certificates.k8s.io/v1",
            "certificatesigningrequests",
            &["approval", "status"],
        ),
        ("coordination.k8s.io/v1", "leases", &[]),
        ("discovery.k8s.io/v1", "endpointslices", &[]),
        ("events.k8s.io/v1", "events", &[]),
        (
            "flowcontrol.apiserver.k8s.io/v1",
            "flowschemas",
            &["status"],
        ),
        (
            "flowcontrol.apiserver.k8s.io/v1",
            "prioritylevelconfigurations",
            &["status"],
        ),
        ("networking.k8s.io/v1", "ingressclasses", &[]),
        ("networking.k8s.io/v1", "ingresses", &["status"]),
        ("networking.k8s.io/v1", "ipaddresses", &[]),
        ("networking.k8s.io/v1", "networkpolicies", &[]),
        ("networking.k8s.io/v1", "servicecidrs", &["status"]),
        ("node.k8s.io/v1", "runtimeclasses", &[]),
        ("policy/v1", "poddisruptionbudgets", &["status"]),
        ("rbac.authorization.k8s.io/v1", "clusterrolebindings", &[]),
        ("rbac.authorization.k8s.io/v1", "clusterroles", &[]),
        ("rbac.authorization.k8s.io/v1", "rolebindings", &[]),
        ("rbac.authorization.k8s.io/v1", "roles", &[]),
        ("scheduling.k8s.io/v1", "priorityclasses", &[]),
        ("storage.k8s.io/v1", "csidrivers", &[]),
        ("storage.k8s.io/v1", "csinodes", &[]),
        ("storage.k8s.io/v1", "csistoragecapacities", &[]),
        ("storage.k8s.io/v1", "storageclasses", &[]),
        ("storage.k8s.io/v1", "volumeattachments", &["status"]),
    ];
    let expected: BTreeSet<(String, String, Vec<String>)> = expected
        .iter()
        .map(|(gv, plural, subs)| {
            (
                (*gv).to_owned(),
                (*plural).to_owned(),
                subs.iter().map(|s| (*s).to_owned()).collect(),
            )
        })
        .collect();
    let actual: BTreeSet<(String, String, Vec<String>)> = all()
        .iter()
        .map(|r| {
            (
                r.api_version(),
                r.plural.clone(),
                r.subresources.iter().map(|s| s.name.clone()).collect(),
            )
        })
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(all().len(), expected.len(), "a resource is described twice");
}

#[test]
fn every_group_and_version_is_ordered() {
    for r in all() {
        let listed = GROUP_ORDER
            .iter()
            .find(|(g, _)| *g == r.group)
            .unwrap_or_else(|| panic!("group {:?} has no place in GROUP_ORDER", r.group));
        assert!(
            listed.1.contains(&r.version.as_str()),
            "{} is not a listed version",
            r.api_version()
        );
    }
}

#[test]
fn names_follow_upstream_conventions() {
    for r in all() {
        assert_eq!(r.singular, r.kind.to_lowercase(), "{}", r.plural);
        assert_eq!(r.plural, r.plural.to_lowercase());
        assert!(!r.verbs.is_empty(), "{} has no verbs", r.plural);
        for s in &r.subresources {
            assert!(!s.verbs.is_empty(), "{}/{} has no verbs", r.plural, s.name);
        }
    }
}

#[test]
fn short_names_are_upstreams() {
    let mut short: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in all() {
        for s in &r.short_names {
            short.entry(s.clone()).or_default().insert(r.plural.clone());
        }
    }
    let expected: &[(&str, &str)] = &[
        ("cj", "cronjobs"),
        ("cm", "configmaps"),
        ("crd", "customresourcedefinitions"),
        ("crds", "customresourcedefinitions"),
        ("cs", "componentstatuses"),
        ("csr", "certificatesigningrequests"),
        ("deploy", "deployments"),
        ("ds", "daemonsets"),
        ("ep", "endpoints"),
        ("ev", "events"),
        ("hpa", "horizontalpodautoscalers"),
        ("ing", "ingresses"),
        ("ip", "ipaddresses"),
        ("limits", "limitranges"),
        ("netpol", "networkpolicies"),
        ("no", "nodes"),
        ("ns", "namespaces"),
        ("pc", "priorityclasses"),
        ("pdb", "poddisruptionbudgets"),
        ("po", "pods"),
        ("pv", "persistentvolumes"),
        ("pvc", "persistentvolumeclaims"),
        ("quota", "resourcequotas"),
        ("rc", "replicationcontrollers"),
        ("rs", "replicasets"),
        ("sa", "serviceaccounts"),
        ("sc", "storageclasses"),
        ("sts", "statefulsets"),
        ("svc", "services"),
    ];
    let expected: BTreeMap<String, BTreeSet<String>> = expected
        .iter()
        .map(|(s, p)| ((*s).to_owned(), BTreeSet::from([(*p).to_owned()])))
        .collect();
    // One short name never stands for two different resources.
    assert_eq!(short, expected);
    assert_eq!(names(&find("", "v1", "pods").short_names), ["po"]);
    assert_eq!(
        names(&find("apiextensions.k8s.io", "v1", "customresourcedefinitions").short_names),
        ["crd", "crds"]
    );
}

#[test]
fn categories_are_upstreams() {
    let in_category = |category: &str| -> BTreeSet<String> {
        all()
            .iter()
            .filter(|r| r.categories.iter().any(|c| c == category))
            .map(|r| format!("{}/{}", r.api_version(), r.plural))
            .collect()
    };
    let all_category: BTreeSet<String> = [
        "v1/pods",
        "v1/replicationcontrollers",
        "v1/services",
        "apps/v1/daemonsets",
        "apps/v1/deployments",
        "apps/v1/replicasets",
        "apps/v1/statefulsets",
        "autoscaling/v1/horizontalpodautoscalers",
        "autoscaling/v2/horizontalpodautoscalers",
        "batch/v1/cronjobs",
        "batch/v1/jobs",
    ]
    .map(String::from)
    .into();
    assert_eq!(in_category("all"), all_category);
    let extensions: BTreeSet<String> = [
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        "admissionregistration.k8s.io/v1/validatingadmissionpolicies",
        "admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
        "admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        "apiextensions.k8s.io/v1/customresourcedefinitions",
        "apiregistration.k8s.io/v1/apiservices",
    ]
    .map(String::from)
    .into();
    assert_eq!(in_category("api-extensions"), extensions);
    let known = ["all", "api-extensions"];
    for r in all() {
        for c in &r.categories {
            assert!(
                known.contains(&c.as_str()),
                "{}: unexpected category {c}",
                r.plural
            );
        }
    }
}

#[test]
fn verbs_are_upstreams() {
    let full = Verb::ALL.to_vec();
    let special: BTreeMap<&str, Vec<Verb>> = [
        ("bindings", vec![Verb::Create]),
        ("componentstatuses", vec![Verb::Get, Verb::List]),
        (
            "namespaces",
            vec![
                Verb::Create,
                Verb::Delete,
                Verb::Get,
                Verb::List,
                Verb::Patch,
                Verb::Update,
                Verb::Watch,
            ],
        ),
        ("selfsubjectreviews", vec![Verb::Create]),
        ("tokenreviews", vec![Verb::Create]),
        ("localsubjectaccessreviews", vec![Verb::Create]),
        ("selfsubjectaccessreviews", vec![Verb::Create]),
        ("selfsubjectrulesreviews", vec![Verb::Create]),
        ("subjectaccessreviews", vec![Verb::Create]),
    ]
    .into();
    for r in all() {
        let expected = special.get(r.plural.as_str()).unwrap_or(&full);
        assert_eq!(&r.verbs, expected, "{}/{}", r.api_version(), r.plural);
    }
    assert!(!find("", "v1", "namespaces").supports(Verb::DeleteCollection));
    assert!(find("", "v1", "events").supports(Verb::DeleteCollection));
    assert!(find("", "v1", "serviceaccounts").supports(Verb::Watch));
}

#[test]
fn subresources_answer_with_upstreams_kinds_and_verbs() {
    let scale = GroupVersionKind::new("autoscaling", "v1", "Scale");
    for (group, plural) in [
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("", "replicationcontrollers"),
    ] {
        let r = find(group, "v1", plural);
        let s = r.subresource("scale").unwrap();
        assert_eq!(s.kind, scale, "{plural}/scale");
        assert_eq!(s.verbs, STATUS, "{plural}/scale");
    }

    let pods = find("", "v1", "pods");
    let sub = |name: &str| pods.subresource(name).unwrap().clone();
    let core = |kind: &str| GroupVersionKind::new("", "v1", kind);
    assert_eq!(sub("status").kind, core("Pod"));
    assert_eq!(sub("status").verbs, STATUS);
    assert_eq!(sub("binding").kind, core("Binding"));
    assert_eq!(sub("binding").verbs, [Verb::Create]);
    assert_eq!(
        sub("eviction").kind,
        GroupVersionKind::new("policy", "v1", "Eviction")
    );
    assert_eq!(sub("eviction").verbs, [Verb::Create]);
    assert_eq!(sub("log").kind, core("Pod"));
    assert_eq!(sub("log").verbs, [Verb::Get]);
    assert_eq!(sub("exec").kind, core("PodExecOptions"));
    assert_eq!(sub("exec").verbs, [Verb::Create, Verb::Get]);
    assert_eq!(sub("attach").kind, core("PodAttachOptions"));
    assert_eq!(sub("attach").verbs, [Verb::Create, Verb::Get]);
    assert_eq!(sub("portforward").kind, core("PodPortForwardOptions"));
    assert_eq!(sub("portforward").verbs, [Verb::Create, Verb::Get]);
    assert_eq!(sub("proxy").kind, core("PodProxyOptions"));
    assert_eq!(
        sub("proxy").verbs,
        [
            Verb::Create,
            Verb::Delete,
            Verb::Get,
            Verb::Patch,
            Verb::Update
        ]
    );
    assert_eq!(sub("ephemeralcontainers").kind, core("Pod"));
    assert_eq!(sub("ephemeralcontainers").verbs, STATUS);
    assert_eq!(sub("resize").kind, core("Pod"));
    assert_eq!(sub("resize").verbs, STATUS);

    let nodes = find("", "v1", "nodes");
    assert_eq!(
        nodes.subresource("proxy").unwrap().kind,
        core("NodeProxyOptions")
    );
    let services = find("", "v1", "services");
    assert_eq!(
        services.subresource("proxy").unwrap().kind,
        core("ServiceProxyOptions")
    );
    let namespaces = find("", "v1", "namespaces");
    assert_eq!(
        namespaces.subresource("finalize").unwrap().verbs,
        [Verb::Update]
    );
    assert_eq!(
        namespaces.subresource("finalize").unwrap().kind,
        core("Namespace")
    );

    let token = find("", "v1", "serviceaccounts");
    let token = token.subresource("token").unwrap();
    assert_eq!(
        token.kind,
        GroupVersionKind::new("authentication.k8s.io", "v1", "TokenRequest")
    );
    assert_eq!(token.verbs, [Verb::Create]);

    let csr = find("certificates.k8s.io", "v1", "certificatesigningrequests");
    assert_eq!(subresource_names(&csr), ["approval", "status"]);
    assert_eq!(csr.subresource("approval").unwrap().kind, csr.gvk());

    // Every `status` reads and writes the parent itself.
    for r in all() {
        if let Some(status) = r.subresource("status") {
            assert_eq!(status.kind, r.gvk(), "{}/status", r.plural);
            assert_eq!(status.verbs, STATUS, "{}/status", r.plural);
        }
        let sorted = {
            let mut names = subresource_names(&r);
            names.sort_unstable();
            names
        };
        assert_eq!(
            subresource_names(&r),
            sorted,
            "{} subresources unsorted",
            r.plural
        );
    }
}

#[test]
fn scopes_are_upstreams() {
    let cluster: BTreeSet<String> = all()
        .iter()
        .filter(|r| r.scope == Scope::Cluster)
        .map(|r| r.plural.clone())
        .collect();
    let expected: BTreeSet<String> = [
        "apiservices",
        "certificatesigningrequests",
        "clusterrolebindings",
        "clusterroles",
        "componentstatuses",
        "csidrivers",
        "csinodes",
        "customresourcedefinitions",
        "flowschemas",
        "ingressclasses",
        "ipaddresses",
        "mutatingwebhookconfigurations",
        "namespaces",
        "nodes",
        "persistentvolumes",
        "priorityclasses",
        "prioritylevelconfigurations",
        "runtimeclasses",
        "selfsubjectaccessreviews",
        "selfsubjectreviews",
        "selfsubjectrulesreviews",
        "servicecidrs",
        "storageclasses",
        "subjectaccessreviews",
        "tokenreviews",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
        "validatingwebhookconfigurations",
        "volumeattachments",
    ]
    .map(String::from)
    .into();
    assert_eq!(cluster, expected);
    assert_eq!(
        find("authorization.k8s.io", "v1", "localsubjectaccessreviews").scope,
        Scope::Namespaced
    );
    assert_eq!(find("", "v1", "bindings").scope, Scope::Namespaced);
}

#[test]
fn storage_matches_kube_apiserver() {
    let stored = |group: &str, version: &str, plural: &str| -> (String, GroupVersionKind) {
        match find(group, version, plural).storage {
            Storage::Stored { path, version } => (path, version),
            Storage::Virtual => panic!("{plural} is not stored"),
        }
    };
    let gvk = GroupVersionKind::new;
    assert_eq!(
        stored("", "v1", "pods"),
        ("pods".into(), gvk("", "v1", "Pod"))
    );
    assert_eq!(stored("", "v1", "services").0, "services/specs");
    assert_eq!(stored("", "v1", "endpoints").0, "services/endpoints");
    assert_eq!(stored("", "v1", "nodes").0, "minions");
    assert_eq!(stored("", "v1", "replicationcontrollers").0, "controllers");
    assert_eq!(stored("networking.k8s.io", "v1", "ingresses").0, "ingress");
    assert_eq!(
        stored("apps", "v1", "deployments"),
        ("deployments".into(), gvk("apps", "v1", "Deployment"))
    );
    assert_eq!(stored("coordination.k8s.io", "v1", "leases").0, "leases");
    assert_eq!(
        stored("discovery.k8s.io", "v1", "endpointslices").0,
        "endpointslices"
    );
    assert_eq!(
        stored("apiextensions.k8s.io", "v1", "customresourcedefinitions").0,
        "apiextensions.k8s.io/customresourcedefinitions"
    );
    assert_eq!(
        stored("apiregistration.k8s.io", "v1", "apiservices").0,
        "apiregistration.k8s.io/apiservices"
    );

    // Two groups, one set of objects.
    let core_events = stored("", "v1", "events");
    assert_eq!(core_events, ("events".into(), gvk("", "v1", "Event")));
    assert_eq!(stored("events.k8s.io", "v1", "events"), core_events);

    // Two versions, one set of objects, kept in the newer form.
    let hpa = (
        "horizontalpodautoscalers".into(),
        gvk("autoscaling", "v2", "HorizontalPodAutoscaler"),
    );
    assert_eq!(stored("autoscaling", "v1", "horizontalpodautoscalers"), hpa);
    assert_eq!(stored("autoscaling", "v2", "horizontalpodautoscalers"), hpa);

    // GA in 1.33, stored as beta for one more release.
    assert_eq!(
        stored("networking.k8s.io", "v1", "servicecidrs"),
        (
            "servicecidrs".into(),
            gvk("networking.k8s.io", "v1beta1", "ServiceCIDR")
        )
    );
    assert_eq!(
        stored("networking.k8s.io", "v1", "ipaddresses").1,
        gvk("networking.k8s.io", "v1beta1", "IPAddress")
    );

    for plural in ["bindings", "componentstatuses"] {
        assert_eq!(find("", "v1", plural).storage, Storage::Virtual, "{plural}");
    }
    for r in all()
        .iter()
        .filter(|r| r.group.starts_with("authentication") || r.group.starts_with("authorization"))
    {
        assert_eq!(r.storage, Storage::Virtual, "{}", r.plural);
    }
}

/// Objects under one key prefix must all be encoded the same way, and one
/// resource's keys must never fall under another's prefix (a list or watch
/// of one would return the other's objects).
#[test]
fn storage_paths_are_unique_per_storage_version() {
    let mut by_path: BTreeMap<String, (GroupVersionKind, String)> = BTreeMap::new();
    let mut by_kind: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in all() {
        let Storage::Stored { path, version } = &r.storage else {
            continue;
        };
        let this = format!("{}/{}", r.api_version(), r.plural);
        if let Some((other_version, other)) = by_path.get(path) {
            assert_eq!(
                other_version, version,
                "{this} and {other} share /registry/{path}/ in different encodings"
            );
        } else {
            by_path.insert(path.clone(), (version.clone(), this.clone()));
        }
        // One stored group/kind, one place.
        let group_kind = (version.group.clone(), version.kind.clone());
        let previous = by_kind.entry(group_kind).or_insert_with(|| path.clone());
        assert_eq!(
            previous, path,
            "{this}: {} stored in two places",
            version.kind
        );
    }
    let prefixes: Vec<String> = by_path.keys().map(|p| format!("/registry/{p}/")).collect();
    for a in &prefixes {
        for b in &prefixes {
            assert!(a == b || !b.starts_with(a.as_str()), "{b} lies under {a}");
        }
    }
}
