//! The `keelson` command line: one binary, one subcommand per role.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "keelson",
    version,
    about = "A Kubernetes control plane in one small binary",
    long_about = "keelson speaks the Kubernetes API. `keelson up` runs the whole control plane \
                  in one process on an embedded store; the other subcommands run its parts \
                  separately."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole control plane in one process on the embedded store.
    Up(UpArgs),
    /// Run only the API server.
    Apiserver,
    /// Run only the scheduler (an ordinary API client).
    Scheduler,
    /// Run only the controllers (ordinary API clients).
    ControllerManager,
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Where keelson keeps its store, certificates and kubeconfigs.
    #[arg(long, default_value = ".keelson", env = "KEELSON_DATA_DIR")]
    pub data_dir: std::path::PathBuf,
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Up(_) => "up",
            Command::Apiserver => "apiserver",
            Command::Scheduler => "scheduler",
            Command::ControllerManager => "controller-manager",
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: Cli) -> ExitCode {
    let name = cli.command.name();
    eprintln!("keelson {name}: not built yet");
    ExitCode::from(2)
}
