//! The `keelson` command line: one binary, one subcommand per role.
//!
//! * [`server_args`]: the API server's flags (upstream names);
//! * [`control_plane`]: `keelson up` and `keelson apiserver`;
//! * [`controller_manager`]: `keelson controller-manager`;
//! * [`scheduler`]: `keelson scheduler`;
//! * [`dev`]: `keelson dev simulate-nodes`, tools for development;
//! * [`storage_backend`]: which store the flags select;
//! * [`service_accounts`]: the service-account token keys and settings.

pub mod control_plane;
pub mod controller_manager;
pub mod dev;
pub mod scheduler;
pub mod server_args;
pub mod service_accounts;
pub mod storage_backend;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use self::control_plane::Role;
pub use self::server_args::ServerArgs;

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
    Up(ServerArgs),
    /// Run only the API server.
    Apiserver(ServerArgs),
    /// Run only the scheduler (an ordinary API client).
    Scheduler(scheduler::SchedulerArgs),
    /// Run only the controllers (ordinary API clients).
    ControllerManager(controller_manager::ControllerManagerArgs),
    /// Development tools (e.g. `keelson dev simulate-nodes`).
    Dev(dev::DevArgs),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Up(_) => "up",
            Command::Apiserver(_) => "apiserver",
            Command::Scheduler(_) => "scheduler",
            Command::ControllerManager(_) => "controller-manager",
            Command::Dev(_) => "dev",
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour only for people: piped logs (tests, systemd) stay greppable.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: Cli) -> ExitCode {
    let name = cli.command.name();
    let result = match cli.command {
        Command::Up(args) => control_plane::run(args, Role::Up),
        Command::Apiserver(args) => control_plane::run(args, Role::Apiserver),
        Command::ControllerManager(args) => controller_manager::run(args),
        Command::Dev(args) => dev::run(args),
        Command::Scheduler(args) => scheduler::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keelson {name}: {message}");
            ExitCode::FAILURE
        }
    }
}
