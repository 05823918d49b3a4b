//! A node simulator on a thread and runtime of its own, for tests whose
//! runtime is blocked while they run `kubectl` (single-threaded
//! `#[tokio::test]`s): it keeps renewing and running pods regardless.

use std::path::Path;

use tokio::sync::oneshot;

use super::{NodeSimulator, SimulatorOptions};

/// A simulator running in the background; dropping it stops it.
pub struct BackgroundSimulator {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    names: Vec<String>,
}

impl BackgroundSimulator {
    /// Registers the nodes through `kubeconfig` and returns once they
    /// and their leases exist.
    pub fn start(
        kubeconfig: &Path,
        options: SimulatorOptions,
    ) -> Result<BackgroundSimulator, String> {
        let kubeconfig = kubeconfig.to_owned();
        let (started_tx, started) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = started_tx.send(Err(format!("runtime: {error}")));
                    return;
                }
            };
            runtime.block_on(async move {
                let client = match crate::cli::controller_manager::client_from_kubeconfig(
                    &kubeconfig,
                    "keelson-node-simulator",
                )
                .await
                {
                    Ok((client, _)) => client,
                    Err(error) => {
                        let _ = started_tx.send(Err(error));
                        return;
                    }
                };
                match NodeSimulator::start(client, options).await {
                    Ok(simulator) => {
                        let _ = started_tx.send(Ok(simulator.node_names()));
                        let _ = stopped.await;
                        drop(simulator);
                    }
                    Err(error) => {
                        let _ = started_tx.send(Err(error));
                    }
                }
            });
        });
        let names = started
            .recv()
            .map_err(|_| "the node simulator thread ended".to_owned())??;
        Ok(BackgroundSimulator {
            stop: Some(stop),
            thread: Some(thread),
            names,
        })
    }

    pub fn node_names(&self) -> &[String] {
        &self.names
    }
}

impl Drop for BackgroundSimulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
