//! `make bench`: the storage backends side by side.
//!
//! Runs the same workloads on the embedded store and on a real etcd started
//! on loopback for the purpose, and prints throughput, latency percentiles
//! and the embedded/etcd ratio. Numbers, never pass/fail: CI does not run
//! this.
//!
//! Workloads:
//! * `put`: creates of distinct keys, durable, at 1 and 64 concurrent writers;
//! * `get`: point reads of existing keys, 16 concurrent readers;
//! * `list`: a full list of 10k keys, and the same list in pages of 500;
//! * `watch`: how long after a write is acknowledged its event reaches a
//!   watcher (0 when it arrives before the acknowledgement), and from the
//!   start of the write call to delivery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use keelson::storage::embedded::EmbeddedStorage;
use keelson::storage::etcd::EtcdStorage;
use keelson::storage::{ListOptions, Storage, WatchEvent};
use keelson::testing::EtcdServer;

const VALUE_BYTES: usize = 1024;
const PUTS_PER_RUN: usize = 20_000;
const GETS: usize = 50_000;
const LIST_KEYS: usize = 10_000;
const LIST_ROUNDS: usize = 20;
const WATCH_EVENTS: usize = 2_000;

/// One measured number.
#[derive(Clone, Copy)]
enum Figure {
    OpsPerSec(f64),
    Latency(Duration),
    Bytes(u64),
}

impl Figure {
    fn value(self) -> f64 {
        match self {
            Figure::OpsPerSec(v) => v,
            Figure::Latency(d) => d.as_secs_f64(),
            Figure::Bytes(b) => b as f64,
        }
    }

    fn show(self) -> String {
        match self {
            Figure::OpsPerSec(v) => format!("{v:.0}/s"),
            Figure::Latency(d) if d < Duration::from_millis(1) => {
                format!("{:.1}µs", d.as_secs_f64() * 1e6)
            }
            Figure::Latency(d) => format!("{:.2}ms", d.as_secs_f64() * 1e3),
            Figure::Bytes(b) => format!("{:.1}MiB", b as f64 / (1024.0 * 1024.0)),
        }
    }
}

struct Report {
    rows: Vec<(String, Vec<Figure>)>,
}

impl Report {
    fn add(&mut self, backend: usize, name: &str, figure: Figure) {
        match self.rows.iter_mut().find(|(n, _)| n == name) {
            Some((_, figures)) => {
                figures.resize(backend, Figure::Bytes(0));
                figures.push(figure);
            }
            None => {
                let mut figures = vec![Figure::Bytes(0); backend];
                figures.push(figure);
                self.rows.push((name.to_owned(), figures));
            }
        }
    }

    fn add_latencies(&mut self, backend: usize, name: &str, mut samples: Vec<Duration>) {
        samples.sort_unstable();
        for (label, q) in [("p50", 0.50), ("p99", 0.99)] {
            self.add(
                backend,
                &format!("{name} {label}"),
                Figure::Latency(percentile(&samples, q)),
            );
        }
    }

    fn print(&self, backends: &[&str]) {
        println!();
        print!("{:<34}", "metric");
        for b in backends {
            print!("{b:>14}");
        }
        println!("{:>16}", "embedded/etcd");
        for (name, figures) in &self.rows {
            print!("{name:<34}");
            for f in figures {
                print!("{:>14}", f.show());
            }
            if let [embedded, etcd] = figures.as_slice()
                && etcd.value() > 0.0
            {
                print!("{:>15.2}x", embedded.value() / etcd.value());
            }
            println!();
        }
        println!();
        println!("ratios: for /s higher is better for embedded; for latencies and sizes lower is.");
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

fn value() -> Bytes {
    Bytes::from(vec![b'v'; VALUE_BYTES])
}

/// Creates `total` distinct keys under `prefix` with `concurrency` writers.
async fn puts(
    store: &Arc<dyn Storage>,
    prefix: &str,
    total: usize,
    concurrency: usize,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let store = store.clone();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in (w..total).step_by(concurrency) {
                let t = Instant::now();
                store
                    .create(&format!("{prefix}{i:06}"), value())
                    .await
                    .expect("create");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    (total as f64 / started.elapsed().as_secs_f64(), latencies)
}

async fn bench_backend(store: Arc<dyn Storage>, backend: usize, report: &mut Report) {
    // put, 1 writer and 64 writers.
    let (rate, lat) = puts(&store, "/bench/put1/", PUTS_PER_RUN / 10, 1).await;
    report.add(backend, "put x1 writer", Figure::OpsPerSec(rate));
    report.add_latencies(backend, "put x1 latency", lat);
    let (rate, lat) = puts(&store, "/bench/put64/", PUTS_PER_RUN, 64).await;
    report.add(backend, "put x64 writers", Figure::OpsPerSec(rate));
    report.add_latencies(backend, "put x64 latency", lat);

    // get, 16 readers over the keys just written.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in (r..GETS).step_by(16) {
                let key = format!("/bench/put64/{:06}", (i * 7919) % PUTS_PER_RUN);
                let t = Instant::now();
                let (kv, _) = store.get(&key).await.expect("get");
                assert!(kv.is_some());
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    report.add(
        backend,
        "get x16 readers",
        Figure::OpsPerSec(GETS as f64 / started.elapsed().as_secs_f64()),
    );
    report.add_latencies(backend, "get latency", latencies);

    // list 10k keys.
    puts(&store, "/bench/list/", LIST_KEYS, 64).await;
    let mut full = Vec::new();
    let mut paged = Vec::new();
    for _ in 0..LIST_ROUNDS {
        let t = Instant::now();
        let list = store
            .list("/bench/list/", ListOptions::default())
            .await
            .expect("list");
        assert_eq!(list.items.len(), LIST_KEYS);
        full.push(t.elapsed());

        let t = Instant::now();
        let mut options = ListOptions {
            limit: 500,
            ..Default::default()
        };
        let mut seen = 0;
        loop {
            let page = store
                .list("/bench/list/", options.clone())
                .await
                .expect("page");
            seen += page.items.len();
            if !page.more {
                break;
            }
            options.revision = page.revision;
            options.start_key = Some(format!("{}\0", page.items.last().unwrap().key));
        }
        assert_eq!(seen, LIST_KEYS);
        paged.push(t.elapsed());
    }
    report.add_latencies(backend, "list 10k keys", full);
    report.add_latencies(backend, "list 10k in pages of 500", paged);

    // watch delivery.
    let start = store.current_revision().await.unwrap();
    let mut watch = store.watch("/bench/watch/", start).await.unwrap();
    let received: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let sink = received.clone();
    let watcher = tokio::spawn(async move {
        let mut n = 0;
        while n < WATCH_EVENTS {
            match watch.next().await {
                Some(Ok(WatchEvent::Put { kv, .. })) => {
                    sink.lock().unwrap().insert(kv.key, Instant::now());
                    n += 1;
                }
                Some(Ok(_)) => {}
                other => panic!("watch failed: {other:?}"),
            }
        }
    });
    let mut sent = Vec::new();
    for i in 0..WATCH_EVENTS {
        let key = format!("/bench/watch/{i:06}");
        let t = Instant::now();
        store.create(&key, value()).await.unwrap();
        sent.push((key, t, Instant::now()));
    }
    watcher.await.unwrap();
    let received = received.lock().unwrap();
    let mut after_ack = Vec::new();
    let mut after_call = Vec::new();
    for (key, called, acked) in sent {
        let at = received[&key];
        after_ack.push(at.saturating_duration_since(acked));
        after_call.push(at.saturating_duration_since(called));
    }
    report.add_latencies(backend, "watch delivery after ack", after_ack);
    report.add_latencies(backend, "watch delivery after call", after_call);
}

fn rss_of(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo test --benches` asks for the list of benchmarks: none to run there.
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut report = Report { rows: Vec::new() };

        let dir = tempfile::tempdir().unwrap();
        let embedded: Arc<dyn Storage> = Arc::new(EmbeddedStorage::open(dir.path()).unwrap());
        eprintln!(
            "benchmarking the embedded store in {}",
            dir.path().display()
        );
        let before = rss_of(std::process::id(), "VmRSS:");
        bench_backend(embedded.clone(), 0, &mut report).await;
        let after = rss_of(std::process::id(), "VmRSS:");
        drop(embedded);
        report.add(
            0,
            "store memory (RSS growth)",
            Figure::Bytes(after.saturating_sub(before)),
        );
        report.add(0, "data on disk", Figure::Bytes(dir_size(dir.path())));

        let server = EtcdServer::start().await.expect("start etcd");
        eprintln!("benchmarking etcd at {}", server.endpoint());
        let etcd: Arc<dyn Storage> = Arc::new(
            EtcdStorage::connect(vec![server.endpoint()])
                .await
                .expect("connect to etcd"),
        );
        bench_backend(etcd, 1, &mut report).await;
        let pid = server.pid().unwrap_or(0);
        report.add(
            1,
            "store memory (RSS growth)",
            Figure::Bytes(rss_of(pid, "VmRSS:")),
        );
        report.add(
            1,
            "data on disk",
            Figure::Bytes(dir_size(server.data_dir())),
        );

        report.print(&["embedded", "etcd"]);
    });
}
