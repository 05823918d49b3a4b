//! Endpoints and EndpointSlices as kubectl shows them: a Service lists its
//! pods by readiness and by the port each serves (named target ports
//! looked up per pod), follows relabelled and deleted pods, leaves
//! selector-less Services to their users, and its endpoints go with it.
//! Pod IPs and readiness are written through `pods/status`, as a kubelet
//! writes them.

mod cluster;

use cluster::Cluster;

/// A pod of `app=web` on node `worker` whose container calls `port` "web".
fn pod(name: &str, port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: web\nspec:\n  nodeName: worker\n  \
         containers:\n  - name: main\n    image: nginx\n    ports:\n    - name: web\n      containerPort: {port}\n"
    )
}

/// Reports the pod running at `ip`, ready or not, as its kubelet would.
fn report(cluster: &Cluster, name: &str, ip: &str, ready: bool) {
    let status = serde_json::json!({"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
    }});
    cluster
        .kubectl(&[
            "patch",
            "pod",
            name,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ])
        .ok();
}

on_both_backends! {
    async fn services_list_their_pods_by_readiness_and_port(cluster: Cluster) {
        let k = |args: &[&str]| cluster.kubectl(args);
        let node = cluster.file("node.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: worker\n");
        k(&["create", "-f", &node]).ok();
        let service = cluster.file("service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    team: blue\n\
            spec:\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: web\n");
        k(&["create", "-f", &service]).ok();
        // No pods yet: no subsets, one empty slice.
        cluster.until(&["get", "endpoints", "web", "-o", "jsonpath={.metadata.labels.team}:{.subsets}"], "blue:").await;
        cluster.until(&["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
            "jsonpath={range .items[*]}{.addressType}:{.metadata.labels.endpointslice\\.kubernetes\\.io/managed-by}:{.metadata.ownerReferences[0].name}{end}"],
            "IPv4:endpointslice-controller.k8s.io:web").await;

        for (name, port) in [("a", 8080), ("b", 9090), ("c", 8080)] {
            let manifest = cluster.file(&format!("{name}.yaml"), &pod(name, port));
            k(&["create", "-f", &manifest]).ok();
        }
        report(&cluster, "a", "10.244.0.1", true);
        report(&cluster, "b", "10.244.0.2", true);
        report(&cluster, "c", "10.244.0.3", false);
        // Pods grouped by the port their "web" port is; the one not ready
        // among the not-ready addresses.
        cluster.until(&["get", "endpoints", "web", "-o",
            "jsonpath={range .subsets[*]}{.ports[0].name}/{.ports[0].port}: {.addresses[*].ip} | {.notReadyAddresses[*].ip}; {end}"],
            "http/8080: 10.244.0.1 | 10.244.0.3; http/9090: 10.244.0.2 | ; ").await;
        assert_eq!(
            k(&["get", "endpoints", "web", "-o", "jsonpath={.subsets[0].addresses[0].targetRef.name} {.subsets[0].addresses[0].nodeName}"]).ok(),
            "a worker"
        );
        cluster.until(&["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
            "jsonpath={range .items[*]}{.ports[0].port}: {range .endpoints[*]}{.addresses[0]}={.conditions.ready} {end}; {end}"],
            "8080: 10.244.0.1=true 10.244.0.3=false ; 9090: 10.244.0.2=true ; ").await;
        assert!(k(&["get", "endpoints", "web"]).ok().contains("10.244.0.1:8080,10.244.0.2:9090"));

        // A pod that becomes ready moves; one relabelled out leaves.
        report(&cluster, "c", "10.244.0.3", true);
        k(&["label", "pod", "b", "app=other", "--overwrite"]).ok();
        cluster.until(&["get", "endpoints", "web", "-o",
            "jsonpath={range .subsets[*]}{.ports[0].port}: {.addresses[*].ip}; {end}"],
            "8080: 10.244.0.1 10.244.0.3; ").await;
        cluster.until(&["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
            "jsonpath={range .items[*]}{.ports[0].port}: {.endpoints[*].addresses[0]}; {end}"],
            "8080: 10.244.0.1 10.244.0.3; ").await;
        k(&["delete", "pod", "a", "--grace-period=0", "--force"]).ok();
        cluster.until(&["get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}"], "10.244.0.3").await;

        // A Service without a selector keeps the endpoints its user wrote.
        let manual = cluster.file("manual.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: external\n\
            spec:\n  ports:\n  - port: 5432\n---\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: external\n\
            subsets:\n- addresses:\n  - ip: 192.0.2.10\n  ports:\n  - port: 5432\n");
        k(&["create", "-f", &manual]).ok();
        k(&["label", "service", "external", "touched=yes"]).ok();
        assert_eq!(k(&["get", "endpoints", "external", "-o", "jsonpath={.subsets[0].addresses[0].ip}"]).ok(), "192.0.2.10");

        // Deleted, the Service takes its endpoints along.
        k(&["delete", "service", "web"]).ok();
        cluster.until(&["get", "endpoints,endpointslices", "-l", "team=blue", "-o", "name"], "").await;
    }
}
