//! `keelson up` on either backend, for the kubectl and kube-rs acceptance
//! tests, and a macro that runs one scenario on both.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use keelson::testing::{EtcdServer, KeelsonProcess};

/// kubectl 1.32 on `PATH`; older and newer ones from the Cloud SDK.
pub const KUBECTL: &str = "kubectl";
pub const KUBECTL_1_27: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";
pub const KUBECTL_1_33: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";

/// A running keelson and, on the etcd backend, its etcd.
pub struct Cluster {
    pub keelson: KeelsonProcess,
    pub backend: &'static str,
    files: tempfile::TempDir,
    // Dropped after keelson (fields drop in order).
    _etcd: Option<EtcdServer>,
}

/// What a kubectl run printed.
#[derive(Debug)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Ran {
    /// stdout, after checking the run succeeded.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "kubectl failed: {self:?}");
        &self.stdout
    }

    /// stderr, after checking the run failed with exit code 1 and printed
    /// nothing on stdout.
    #[track_caller]
    pub fn failed(&self) -> &str {
        assert_eq!(self.code, Some(1), "kubectl should fail: {self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        &self.stderr
    }
}

impl Cluster {
    pub async fn embedded() -> Cluster {
        let keelson = KeelsonProcess::start(&[])
            .await
            .unwrap_or_else(|e| panic!("starting keelson: {e}"));
        Cluster::new(keelson, "embedded", None)
    }

    pub async fn etcd() -> Cluster {
        let etcd = EtcdServer::start()
            .await
            .unwrap_or_else(|e| panic!("starting etcd: {e}"));
        let flag = format!("--etcd-servers={}", etcd.endpoint());
        let keelson = KeelsonProcess::start(&[&flag])
            .await
            .unwrap_or_else(|e| panic!("starting keelson on etcd: {e}"));
        Cluster::new(keelson, "etcd", Some(etcd))
    }

    fn new(keelson: KeelsonProcess, backend: &'static str, etcd: Option<EtcdServer>) -> Cluster {
        let cluster = Cluster {
            keelson,
            backend,
            files: tempfile::tempdir().unwrap(),
            _etcd: etcd,
        };
        cluster.wait_for_controllers();
        cluster
    }

    /// Waits until the controllers have done what they do to a fresh
    /// cluster (the `default` namespace's `default` ServiceAccount and
    /// `kube-root-ca.crt`), so that what tests list is what a user of a
    /// settled cluster sees.
    fn wait_for_controllers(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        for (kind, name) in [
            ("serviceaccount", "default"),
            ("configmap", "kube-root-ca.crt"),
        ] {
            while self.kubectl(&["get", kind, name, "-n", "default"]).code != Some(0) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the controllers did not create {kind} {name} in 30s"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }

    pub async fn client(&self) -> kube::Client {
        self.keelson.client().await.unwrap()
    }

    /// Writes `content` to a file named `name` in a temp dir; its path.
    pub fn file(&self, name: &str, content: &str) -> String {
        let path = self.files.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// A kubectl command (`binary`) for this cluster, with its own cache
    /// directory so no discovery cached for another server (on a reused
    /// port) is read.
    pub fn command(&self, binary: &str, args: &[&str]) -> Command {
        self.command_with(binary, &self.keelson.kubeconfig, args)
    }

    /// [`Self::command`] with another kubeconfig (another identity).
    pub fn command_with(
        &self,
        binary: &str,
        kubeconfig: &std::path::Path,
        args: &[&str],
    ) -> Command {
        let mut command = Command::new(binary);
        command
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache_dir())
            .args(args)
            .stdin(Stdio::null());
        command
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.files.path().join("kubectl-cache")
    }

    /// Runs `binary args…` and returns what it printed.
    pub fn run(&self, binary: &str, args: &[&str]) -> Ran {
        ran(self.command(binary, args))
    }

    /// `kubectl` (1.32) `args…`.
    pub fn kubectl(&self, args: &[&str]) -> Ran {
        self.run(KUBECTL, args)
    }

    /// Polls `kubectl args…` until its stdout is `expected` (for a minute
    /// at most).
    pub async fn until(&self, args: &[&str], expected: &str) {
        keelson::testing::poll_until(
            &format!("kubectl {} to print {expected:?}", args.join(" ")),
            std::time::Duration::from_secs(60),
            || async { (self.kubectl(args).stdout == expected).then_some(()) },
        )
        .await
        .unwrap();
    }

    /// `kubectl` (1.32) `args…` with `kubeconfig` (e.g. a
    /// [`Self::token_kubeconfig`]).
    pub fn kubectl_as(&self, kubeconfig: &str, args: &[&str]) -> Ran {
        ran(self.command_with(KUBECTL, std::path::Path::new(kubeconfig), args))
    }

    /// A kubeconfig for this cluster that authenticates with a bearer
    /// `token`; its path.
    pub fn token_kubeconfig(&self, token: &str) -> String {
        let admin: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&self.keelson.kubeconfig).unwrap())
                .unwrap();
        let server = &admin["clusters"][0]["cluster"]["server"];
        let ca = &admin["clusters"][0]["cluster"]["certificate-authority-data"];
        let config = serde_json::json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "token",
            "clusters": [{"name": "keelson", "cluster": {"server": server, "certificate-authority-data": ca}}],
            "users": [{"name": "token", "user": {"token": token}}],
            "contexts": [{"name": "token", "context": {"cluster": "keelson", "user": "token"}}],
        });
        self.file("token.kubeconfig", &serde_yaml::to_string(&config).unwrap())
    }
}

fn ran(mut command: Command) -> Ran {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    Ran {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        code: output.status.code(),
    }
}

/// A ConfigMap manifest.
pub fn configmap(name: &str, namespace: Option<&str>, value: &str) -> String {
    let namespace = namespace
        .map(|ns| format!("  namespace: {ns}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{namespace}data:\n  k: {value}\n"
    )
}

/// Defines, for each `async fn name(cluster: Cluster) { … }`, a module
/// `name` with two tests: `embedded` and `etcd`. Attributes before the fn
/// (`#[ignore = "…"]`) apply to both.
#[macro_export]
macro_rules! on_both_backends {
    ($( $(#[$attr:meta])* async fn $name:ident($cluster:ident: Cluster) $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn scenario($cluster: Cluster) $body

                $(#[$attr])*
                #[tokio::test]
                async fn embedded() {
                    scenario(Cluster::embedded().await).await
                }

                $(#[$attr])*
                #[tokio::test]
                async fn etcd() {
                    scenario(Cluster::etcd().await).await
                }
            }
        )*
    };
}
