//! Stock kubectl (1.32+ sends built-in kinds as Kubernetes protobuf)
//! against the real `keelson up` binary: the everyday `kubectl create`
//! commands succeed and what they created reads back.

use keelson::testing::KeelsonProcess;
use serde_json::Value;

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "kubectl failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout_of(output)).unwrap()
}

#[tokio::test]
async fn kubectl_create_commands_send_protobuf_and_succeed() {
    let keelson = KeelsonProcess::start(&[])
        .await
        .unwrap_or_else(|e| panic!("starting keelson: {e}"));

    stdout_of(&keelson.kubectl(&["create", "namespace", "team"]));
    stdout_of(&keelson.kubectl(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "team",
        "--from-literal=a=b",
    ]));
    stdout_of(&keelson.kubectl(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "team",
        "--from-literal=password=hunter2",
    ]));
    stdout_of(&keelson.kubectl(&["create", "deployment", "web", "-n", "team", "--image=nginx"]));

    let configmap =
        json_of(&keelson.kubectl(&["get", "configmap", "settings", "-n", "team", "-o", "json"]));
    assert_eq!(configmap["data"]["a"], "b");
    let secret = json_of(&keelson.kubectl(&["get", "secret", "creds", "-n", "team", "-o", "json"]));
    assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
    let deployment =
        json_of(&keelson.kubectl(&["get", "deployment", "web", "-n", "team", "-o", "json"]));
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx"
    );
    assert_eq!(deployment["spec"]["replicas"], 1);
    // Go's value fields arrive even when zero; stored, they are left out
    // as upstream's JSON leaves them out.
    let template = &deployment["spec"]["template"];
    assert_eq!(template["metadata"].get("generation"), None, "{template}");
    assert_eq!(
        template["spec"]["containers"][0].get("stdin"),
        None,
        "{template}"
    );
    assert_eq!(template["spec"].get("hostNetwork"), None, "{template}");

    // Deletion sends protobuf DeleteOptions.
    stdout_of(&keelson.kubectl(&["delete", "configmap", "settings", "-n", "team"]));
    let gone = keelson.kubectl(&["get", "configmap", "settings", "-n", "team"]);
    assert!(!gone.status.success());
}
