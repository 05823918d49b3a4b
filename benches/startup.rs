//! `keelson up` start-up and idle footprint: time from spawning the process
//! to the first `/readyz` = `ok`, with a fresh data directory (everything
//! minted) and with an existing one (everything loaded), and the resident
//! memory of an idle server. Prints numbers; asserts nothing.
//!
//! `cargo bench --bench startup` (release build of the binary).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

const RUNS: usize = 7;
const POLL_EVERY: Duration = Duration::from_millis(1);
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

fn spawn(data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_keelson"))
        .arg("up")
        .arg("--data-dir")
        .arg(data_dir)
        .arg(format!("--secure-port={port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning keelson")
}

/// One `GET /readyz`, trusting the CA in `data_dir`; `true` on `ok`.
async fn ready(data_dir: &Path, port: u16) -> bool {
    let Ok(ca_pem) = std::fs::read(data_dir.join("pki/ca.crt")) else {
        return false;
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&ca_pem).flatten() {
        let _ = roots.add(cert);
    }
    let Ok(builder) = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions() else {
        return false;
    };
    let config = builder.with_root_certificates(roots).with_no_client_auth();
    let Ok(tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
    let Ok(tls) = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
    else {
        return false;
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await
    else {
        return false;
    };
    tokio::spawn(connection);
    let request = http::Request::get("/readyz")
        .header("host", "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let Ok(response) = sender.send_request(request).await else {
        return false;
    };
    let ok_status = response.status().is_success();
    let body = response.into_body().collect().await.map(|b| b.to_bytes());
    ok_status && body.is_ok_and(|b| b == "ok")
}

/// Spawns keelson on `data_dir` and waits for readiness: the elapsed time.
async fn time_to_ready(data_dir: &Path) -> (Duration, Child, u16) {
    let port = keelson::testing::free_loopback_port().unwrap();
    let started = Instant::now();
    let child = spawn(data_dir, port);
    while !ready(data_dir, port).await {
        assert!(
            started.elapsed() < GIVE_UP_AFTER,
            "keelson never became ready"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
    (started.elapsed(), child, port)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn vm_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn summary(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<28} min {:>6.1} ms   median {:>6.1} ms   max {:>6.1} ms   ({} runs)",
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`. Test runners also start bench targets
    // (`cargo test --all-targets`, nextest's `--list`); for them this is
    // not a test, so it lists nothing and does nothing.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let mut fresh = Vec::new();
    let mut existing = Vec::new();
    let mut idle_rss = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let (elapsed, child, _) = time_to_ready(dir.path()).await;
        fresh.push(elapsed);
        stop(child);

        let (elapsed, child, _) = time_to_ready(dir.path()).await;
        existing.push(elapsed);
        // Idle: ready, answered one request, nothing since.
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(rss) = vm_rss_kib(child.id()) {
            idle_rss.push(rss);
        }
        stop(child);
    }
    println!("keelson up: spawn → /readyz ok (release build)");
    summary("fresh data dir (mint all)", &mut fresh);
    summary("existing data dir (reuse)", &mut existing);
    idle_rss.sort();
    if let (Some(min), Some(max)) = (idle_rss.first(), idle_rss.last()) {
        println!(
            "idle RSS                     min {:>6.1} MB   median {:>6.1} MB   max {:>6.1} MB",
            *min as f64 / 1024.0,
            idle_rss[idle_rss.len() / 2] as f64 / 1024.0,
            *max as f64 / 1024.0
        );
    }
}
