use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = keelson::cli::Cli::parse();
    keelson::cli::init_logging();
    keelson::cli::run(cli)
}
