//! The server's life stages that handlers can see: today, whether graceful
//! shutdown has begun.
//!
//! `/readyz` fails from the moment shutdown begins (so load balancers stop
//! sending new requests), and long-running responses such as watch streams
//! end themselves when [`Lifecycle::shutdown_started`] resolves, so that
//! graceful shutdown does not wait for them to time out.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Lifecycle {
    shutting_down: Arc<watch::Sender<bool>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

impl Lifecycle {
    pub fn new() -> Lifecycle {
        Lifecycle {
            shutting_down: Arc::new(watch::channel(false).0),
        }
    }

    /// Marks the start of graceful shutdown. Idempotent.
    pub fn begin_shutdown(&self) {
        self.shutting_down.send_replace(true);
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutting_down.borrow()
    }

    /// Resolves once shutdown has begun (at once if it already has).
    pub async fn shutdown_started(&self) {
        let mut receiver = self.shutting_down.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = receiver.wait_for(|shutting_down| *shutting_down).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_shutdown_begins() {
        let lifecycle = Lifecycle::new();
        assert!(!lifecycle.is_shutting_down());
        let waiter = tokio::spawn({
            let lifecycle = lifecycle.clone();
            async move { lifecycle.shutdown_started().await }
        });
        lifecycle.begin_shutdown();
        waiter.await.unwrap();
        assert!(lifecycle.is_shutting_down());
        // Already begun: resolves at once.
        lifecycle.shutdown_started().await;
    }
}
