//! The one thread documents are built on.
//!
//! A build is CPU work that allocates and frees megabytes of short-lived
//! JSON. The allocator keeps freed memory in the arena of the thread that
//! freed it, so builds on whichever blocking thread happens to be free
//! would each leave their own arena inflated; on one thread, every build
//! reuses the memory the last one freed. It also keeps builds off the
//! async workers and one at a time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

fn jobs() -> &'static Mutex<Sender<Job>> {
    static JOBS: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    JOBS.get_or_init(|| {
        let (sender, receiver) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("openapi-build".into())
            .spawn(move || {
                for job in receiver {
                    // A failed build fails its request, not later ones.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start the OpenAPI build thread");
        }
        Mutex::new(sender)
    })
}

/// Runs `work` on the build thread; `None` if it panicked or the thread
/// could not be started.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    jobs()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .ok()?;
    result.await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_and_survives_a_panic() {
        assert_eq!(run(|| 1 + 1).await, Some(2));
        assert_eq!(run(|| -> u8 { panic!("build failed") }).await, None);
        assert_eq!(
            run(|| std::thread::current().name().map(str::to_owned)).await,
            Some(Some("openapi-build".to_owned()))
        );
    }
}
