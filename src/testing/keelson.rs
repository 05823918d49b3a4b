//! A real `keelson` process for integration tests: started on a free
//! loopback port with its own data directory, waited for until `/readyz`
//! answers, killed when dropped.
//!
//! ```ignore
//! let keelson = KeelsonProcess::start(&[]).await?;
//! let client = keelson.client().await?;
//! let output = keelson.kubectl(&["get", "--raw", "/healthz"]);
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::poll_until;

/// How long a start may take before the helper gives up. Generous: CI
/// machines are slow and debug builds slower; keelson itself needs a
/// fraction of a second.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where to find the keelson binary: `$KEELSON_BIN`, else
/// `$CARGO_BIN_EXE_keelson` (set by cargo-nextest at run time), else
/// `keelson` next to the running test's `deps/` directory (where cargo puts
/// it for integration tests).
pub fn keelson_binary() -> PathBuf {
    for variable in ["KEELSON_BIN", "CARGO_BIN_EXE_keelson"] {
        if let Some(path) = std::env::var_os(variable) {
            return PathBuf::from(path);
        }
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let dir = exe.parent()?;
            let dir = if dir.ends_with("deps") {
                dir.parent()?
            } else {
                dir
            };
            Some(dir.join("keelson"))
        })
        .unwrap_or_else(|| PathBuf::from("keelson"))
}

/// What the process has printed so far.
#[derive(Debug, Default)]
struct Printed {
    stdout: Vec<String>,
    stderr: Vec<String>,
}

/// A running keelson.
pub struct KeelsonProcess {
    child: Option<Child>,
    subcommand: String,
    args: Vec<String>,
    printed: Arc<Mutex<Printed>>,
    /// The HTTPS port it listens on.
    pub port: u16,
    /// The data directory (absolute).
    pub data_dir: PathBuf,
    /// `<data_dir>/admin.kubeconfig`.
    pub kubeconfig: PathBuf,
    _temp_dir: Option<tempfile::TempDir>,
}

impl KeelsonProcess {
    /// `keelson up` with `args` in a fresh temporary data directory, on a
    /// free port. `--data-dir` and `--secure-port` are set by the helper.
    pub async fn start(args: &[&str]) -> Result<KeelsonProcess, String> {
        let temp_dir = tempfile::Builder::new()
            .prefix("keelson-test-")
            .tempdir()
            .map_err(|e| format!("creating a data dir: {e}"))?;
        let mut process = KeelsonProcess::start_in(temp_dir.path(), "up", args).await?;
        process._temp_dir = Some(temp_dir);
        Ok(process)
    }

    /// `keelson <subcommand>` (`up` or `apiserver`) with `args` in
    /// `data_dir` (kept afterwards), on a free loopback port.
    pub async fn start_in(
        data_dir: &Path,
        subcommand: &str,
        args: &[&str],
    ) -> Result<KeelsonProcess, String> {
        let data_dir = data_dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let mut process = KeelsonProcess {
            child: None,
            subcommand: subcommand.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            printed: Arc::default(),
            port: 0,
            kubeconfig: data_dir.join("admin.kubeconfig"),
            data_dir,
            _temp_dir: None,
        };
        process.spawn_and_wait(0).await?;
        Ok(process)
    }

    /// Stops the process gracefully and starts it again with the same
    /// arguments, data directory and port, so kubeconfigs stay valid.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.terminate()?;
        self.spawn_and_wait(self.port).await
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> Result<ExitStatus, String> {
        let mut child = self.child.take().ok_or("keelson is not running")?;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .map_err(|e| format!("running kill: {e}"))?;
        if !status.success() {
            let _ = child.kill();
        }
        child
            .wait()
            .map_err(|e| format!("waiting for keelson: {e}"))
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The PID, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Everything the process wrote to stdout so far, one entry per line.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.printed
            .lock()
            .map(|p| p.stdout.clone())
            .unwrap_or_default()
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.printed
            .lock()
            .map(|p| p.stderr.join("\n"))
            .unwrap_or_default()
    }

    /// The admin kubeconfig as a `kube::Config`.
    pub async fn config(&self) -> Result<kube::Config, String> {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig)
            .map_err(|e| format!("reading {}: {e}", self.kubeconfig.display()))?;
        kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .map_err(|e| format!("loading {}: {e}", self.kubeconfig.display()))
    }

    /// A client authenticated as the admin (`kubernetes-admin`,
    /// `system:masters`).
    pub async fn client(&self) -> Result<kube::Client, String> {
        self.client_with(|_| {}).await
    }

    /// A client from the admin kubeconfig changed by `edit`: e.g.
    /// `|c| c.auth_info = Default::default()` for an anonymous client.
    pub async fn client_with(
        &self,
        edit: impl FnOnce(&mut kube::Config),
    ) -> Result<kube::Client, String> {
        let mut config = self.config().await?;
        edit(&mut config);
        kube::Client::try_from(config).map_err(|e| format!("building a client: {e}"))
    }

    /// Runs stock `kubectl --kubeconfig <admin.kubeconfig> <args>`.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running kubectl: {e}"))
    }

    async fn spawn_and_wait(&mut self, port: u16) -> Result<(), String> {
        *self.printed.lock().map_err(|e| e.to_string())? = Printed::default();
        let mut command = Command::new(keelson_binary());
        command
            .arg(&self.subcommand)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--secure-port")
            .arg(port.to_string());
        if !self.args.iter().any(|a| a.starts_with("--bind-address")) {
            command.arg("--bind-address=127.0.0.1");
        }
        let mut child = command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", keelson_binary().display()))?;
        capture(child.stdout.take(), self.printed.clone(), |p| &mut p.stdout);
        capture(child.stderr.take(), self.printed.clone(), |p| &mut p.stderr);
        self.child = Some(child);

        let printed = self.printed.clone();
        let listening = poll_until("keelson to print its port", START_TIMEOUT, || {
            let exited = self.exited();
            let port = printed.lock().ok().and_then(|p| listening_port(&p.stderr));
            async move {
                match (port, exited) {
                    (Some(port), _) => Some(Ok(port)),
                    (None, Some(status)) => Some(Err(format!("keelson exited: {status}"))),
                    (None, None) => None,
                }
            }
        })
        .await
        .and_then(|found| found);
        self.port = match listening {
            Ok(port) => port,
            Err(e) => return Err(self.failure(&e)),
        };

        let client = match self.client().await {
            Ok(client) => client,
            Err(e) => return Err(self.failure(&e)),
        };
        let ready = poll_until("/readyz to answer ok", START_TIMEOUT, || {
            let client = client.clone();
            let exited = self.exited();
            async move {
                if let Some(status) = exited {
                    return Some(Err(format!("keelson exited: {status}")));
                }
                let request = http::Request::get("/readyz").body(Vec::new()).ok()?;
                match client.request_text(request).await {
                    Ok(body) if body == "ok" => Some(Ok(())),
                    _ => None,
                }
            }
        })
        .await
        .and_then(|ready| ready);
        ready.map_err(|e| self.failure(&e))
    }

    /// The exit status, if the process has exited.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    fn failure(&mut self, what: &str) -> String {
        self.kill();
        format!("{what}; keelson's stderr:\n{}", self.stderr())
    }
}

impl Drop for KeelsonProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The port in a `Listening on https://<host>:<port>` line.
fn listening_port(lines: &[String]) -> Option<u16> {
    lines
        .iter()
        .find_map(|line| line.strip_prefix("Listening on https://"))
        .and_then(|address| address.rsplit(':').next())
        .and_then(|port| port.trim().parse().ok())
}

/// Copies lines from `pipe` into the field of `printed` that `field` picks.
fn capture<R: std::io::Read + Send + 'static>(
    pipe: Option<R>,
    printed: Arc<Mutex<Printed>>,
    field: fn(&mut Printed) -> &mut Vec<String>,
) {
    let Some(pipe) = pipe else { return };
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            match printed.lock() {
                Ok(mut printed) => field(&mut printed).push(line),
                Err(_) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_the_listening_line() {
        let lines = vec![
            "some log".to_owned(),
            "Listening on https://127.0.0.1:40123".to_owned(),
        ];
        assert_eq!(listening_port(&lines), Some(40123));
        assert_eq!(
            listening_port(&["Listening on https://[::1]:6443".to_owned()]),
            Some(6443)
        );
        assert_eq!(listening_port(&["nothing".to_owned()]), None);
    }
}
