//! The signals that stop the server: SIGTERM (what Kubernetes and systemd
//! send) and SIGINT (Ctrl-C).

use tokio::signal::unix::{SignalKind, signal};

/// Resolves with the signal's name when SIGTERM or SIGINT arrives.
pub async fn shutdown_signal() -> &'static str {
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the default action (exit) still applies.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    }
}
