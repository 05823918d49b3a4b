//! A real `etcd` server on loopback, with its own temporary data directory.
//!
//! Tests start one per test (so compaction and revisions are their own),
//! stop it by PID, and can restart it on the same port and data to check
//! that clients ride through an outage.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_loopback_port, poll_until};

/// Where to find the etcd binary: `$KEELSON_ETCD_BIN`, else `etcd` on `PATH`.
pub fn etcd_binary() -> PathBuf {
    std::env::var_os("KEELSON_ETCD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("etcd"))
}

/// A running etcd; killed (and its data removed) when dropped.
pub struct EtcdServer {
    child: Option<Child>,
    client_port: u16,
    peer_port: u16,
    data_dir: tempfile::TempDir,
}

impl EtcdServer {
    /// Starts etcd on free loopback ports and waits until it answers.
    pub async fn start() -> Result<Self, String> {
        let data_dir = tempfile::Builder::new()
            .prefix("keelson-etcd-")
            .tempdir()
            .map_err(|e| format!("creating etcd data dir: {e}"))?;
        let mut server = EtcdServer {
            child: None,
            client_port: 0,
            peer_port: 0,
            data_dir,
        };
        let mut last_error = String::new();
        // A port found free may be taken before etcd binds it: retry a few times.
        for _ in 0..5 {
            server.client_port = free_loopback_port().map_err(|e| e.to_string())?;
            server.peer_port = free_loopback_port().map_err(|e| e.to_string())?;
            match server.spawn_and_wait().await {
                Ok(()) => return Ok(server),
                Err(e) => {
                    last_error = e;
                    server.kill();
                    let _ = std::fs::remove_dir_all(server.data_dir.path().join("data"));
                }
            }
        }
        Err(format!("etcd did not start: {last_error}"))
    }

    /// The client URL, e.g. `http://127.0.0.1:23791`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The PID of the running etcd, if any.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Kills etcd with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills etcd and starts it again on the same ports and data directory.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.kill();
        self.spawn_and_wait().await
    }

    async fn spawn_and_wait(&mut self) -> Result<(), String> {
        let data = self.data_dir.path().join("data");
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::File::create(self.data_dir.path().join("etcd.log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new(etcd_binary())
            .arg("--name=keelson-test")
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=keelson-test={peer}"))
            // Room for the largest object keelson stores (see MAX_VALUE_BYTES).
            .arg("--max-request-bytes=8388608")
            .arg("--quota-backend-bytes=8589934592")
            .arg("--log-level=warn")
            .env(
                "ETCD_UNSUPPORTED_ARCH",
                std::env::consts::ARCH.replace("aarch64", "arm64"),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", etcd_binary().display()))?;
        self.child = Some(child);
        let endpoint = self.endpoint();
        let log_path = self.data_dir.path().join("etcd.log");
        let ready = poll_until("etcd to answer", Duration::from_secs(20), || {
            let endpoint = endpoint.clone();
            async move {
                let mut client = etcd_client::Client::connect(
                    [endpoint],
                    Some(
                        etcd_client::ConnectOptions::new()
                            .with_connect_timeout(Duration::from_millis(500))
                            .with_timeout(Duration::from_secs(1)),
                    ),
                )
                .await
                .ok()?;
                client.status().await.ok().map(|_| ())
            }
        })
        .await;
        if let Err(e) = ready {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .map(|status| format!(" (etcd exited: {status})"))
                .unwrap_or_default();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: String = log.lines().rev().take(10).collect::<Vec<_>>().join("\n");
            return Err(format!("{e}{exited}; log tail:\n{tail}"));
        }
        Ok(())
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.kill();
    }
}
