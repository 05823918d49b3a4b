//! Crash durability of the embedded store: a child process writes as fast
//! as it can and reports every acknowledged write; the test kills it with
//! SIGKILL mid-stream, reopens the store, and checks that every
//! acknowledged write is there and that the revisions have no holes.
//!
//! The child is this test binary itself, re-run with `--ignored --exact
//! crash_child_writer` and the store's directory in `KEELSON_CRASH_DIR`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use bytes::Bytes;
use keelson::storage::embedded::EmbeddedStorage;
use keelson::storage::{ListOptions, Storage};

const CHILD_DIR_ENV: &str = "KEELSON_CRASH_DIR";
/// Acknowledged writes to see before pulling the plug.
const ACKS_BEFORE_KILL: usize = 3000;
const WRITERS: usize = 16;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash_child_writer", "--nocapture"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut lines = stdout.lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some((key, revision)) = parse_ack(&line) {
            acked.insert(key, revision);
            if acked.len() == ACKS_BEFORE_KILL {
                break;
            }
        }
    }
    assert_eq!(acked.len(), ACKS_BEFORE_KILL, "the child stopped early");
    child.kill().unwrap();
    // Acknowledgements already printed before the kill count too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some((key, revision)) = parse_ack(&line) {
            acked.insert(key, revision);
        }
    }
    child.wait().unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = EmbeddedStorage::open(dir.path()).expect("the store reopens after a crash");
        let current = store.current_revision().await.unwrap();
        let all = store.list("/crash/", ListOptions::default()).await.unwrap();
        let stored: BTreeMap<String, u64> = all
            .items
            .into_iter()
            .map(|kv| (kv.key, kv.mod_revision))
            .collect();
        for (key, revision) in &acked {
            assert_eq!(
                stored.get(key),
                Some(revision),
                "acknowledged write {key} was lost"
            );
        }
        // Only creates were written: revisions 1..=current, one key each.
        let mut revisions: Vec<u64> = stored.values().copied().collect();
        revisions.sort_unstable();
        assert_eq!(
            revisions,
            (1..=current).collect::<Vec<_>>(),
            "holes in the revisions"
        );
        // And the reopened store goes on from there.
        let next = store
            .create("/crash/after", Bytes::from("x"))
            .await
            .unwrap();
        assert_eq!(next.mod_revision, current + 1);
    });
}

fn parse_ack(line: &str) -> Option<(String, u64)> {
    let rest = line.strip_prefix("ACK ")?;
    let (revision, key) = rest.split_once(' ')?;
    Some((key.to_owned(), revision.parse().ok()?))
}

/// The child: only runs when the parent sets the directory.
#[test]
#[ignore = "run by acknowledged_writes_survive_sigkill as its child process"]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let store = Arc::new(EmbeddedStorage::open(dir).unwrap());
        let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let store = store.clone();
            let out = out.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("/crash/{writer}/{i}");
                    let kv = store
                        .create(&key, Bytes::from(vec![b'v'; 512]))
                        .await
                        .unwrap();
                    let mut out = out.lock().unwrap();
                    writeln!(out, "ACK {} {key}", kv.mod_revision).unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}
