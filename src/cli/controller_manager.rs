//! `keelson controller-manager`: the controllers alone, as an API client
//! of any Kubernetes API server (upstream's flag names), and the in-process
//! copy `keelson up` runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use clap::{ArgAction, Args};
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::apiserver::serve::signals::shutdown_signal;
use crate::controllers::{self, Options};

#[derive(Debug, Args)]
pub struct ControllerManagerArgs {
    /// The kubeconfig to reach the API server with (its identity should be
    /// `system:kube-controller-manager`).
    #[arg(long)]
    pub kubeconfig: PathBuf,

    /// Run only while holding the `kube-controller-manager` Lease in
    /// `kube-system`, so that one of several copies acts.
    #[arg(long, default_value_t = true, action = ArgAction::Set)]
    pub leader_elect: bool,

    /// The controllers to run: names, `*` for all, `-name` to leave one out.
    #[arg(long, value_delimiter = ',', default_value = "*")]
    pub controllers: Vec<String>,

    /// The CA bundle (PEM) published as `kube-root-ca.crt`. Default: the
    /// kubeconfig's certificate authority.
    #[arg(long)]
    pub root_ca_file: Option<PathBuf>,

    /// The private key (PEM) legacy service-account token Secrets are
    /// signed with: the API server's `--service-account-signing-key-file`.
    /// Without it the serviceaccount-token controller does not run.
    #[arg(long)]
    pub service_account_private_key_file: Option<PathBuf>,

    /// Give every ServiceAccount a token Secret, as Kubernetes did before
    /// 1.24.
    #[arg(long)]
    pub legacy_service_account_token_secrets: bool,

    /// How long a node may go without a heartbeat before it is marked
    /// Unknown and tainted unreachable (a Go duration: `40s`, `1m`).
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    pub node_monitor_grace_period: Duration,

    /// How many terminated pods may exist before the oldest are deleted.
    #[arg(long, default_value_t = 12_500)]
    pub terminated_pod_gc_threshold: usize,

    /// The CA certificate (PEM) approved CertificateSigningRequests are
    /// issued with (with `--cluster-signing-key-file`); without it the
    /// csrsigning controller does not run.
    #[arg(long, requires = "cluster_signing_key_file")]
    pub cluster_signing_cert_file: Option<PathBuf>,

    /// The CA's private key (PEM).
    #[arg(long, requires = "cluster_signing_cert_file")]
    pub cluster_signing_key_file: Option<PathBuf>,

    /// The longest certificate the csrsigning controller issues.
    #[arg(long, default_value = "8760h", value_parser = parse_duration)]
    pub cluster_signing_duration: Duration,
}

/// A Go-style duration: a sequence of numbers with units `ms`, `s`, `m`,
/// `h` (`1m30s`, `500ms`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?} (e.g. 40s, 1m30s, 500ms)");
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return Err(invalid()),
        };
        total += Duration::from_secs_f64(seconds);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// A client for `kubeconfig` and the CA bundle (PEM) it trusts, if any.
/// Its User-Agent names `component` (`kube-controller-manager`), which is
/// also the field manager its writes are recorded under, as upstream's.
pub async fn client_from_kubeconfig(
    path: &Path,
    component: &str,
) -> Result<(Client, Option<String>), String> {
    let kubeconfig = Kubeconfig::read_from(path)
        .map_err(|e| format!("reading kubeconfig {}: {e}", path.display()))?;
    let cluster = kubeconfig.clusters.first().and_then(|c| c.cluster.as_ref());
    let ca = match cluster {
        Some(cluster) => match (
            &cluster.certificate_authority_data,
            &cluster.certificate_authority,
        ) {
            (Some(data), _) => base64::engine::general_purpose::STANDARD
                .decode(data)
                .ok()
                .and_then(|pem| String::from_utf8(pem).ok()),
            (None, Some(file)) => std::fs::read_to_string(file).ok(),
            (None, None) => None,
        },
        None => None,
    };
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
    let agent = format!(
        "{component}/{} ({}/{}) keelson",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Ok(value) = http::HeaderValue::from_str(&agent) {
        config.headers.push((http::header::USER_AGENT, value));
    }
    let client = Client::try_from(config).map_err(|e| format!("API client: {e}"))?;
    Ok((client, ca))
}

pub fn run(args: ControllerManagerArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let (client, ca) =
            client_from_kubeconfig(&args.kubeconfig, "kube-controller-manager").await?;
        let root_ca = match &args.root_ca_file {
            Some(file) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| format!("--root-ca-file {}: {e}", file.display()))?,
            ),
            None => ca,
        };
        let service_account_key = match &args.service_account_private_key_file {
            Some(file) => Some(std::fs::read_to_string(file).map_err(|e| {
                format!("--service-account-private-key-file {}: {e}", file.display())
            })?),
            None => None,
        };
        let cluster_signing = match (
            &args.cluster_signing_cert_file,
            &args.cluster_signing_key_file,
        ) {
            (Some(cert), Some(key)) => {
                let read = |file: &PathBuf| {
                    std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))
                };
                let authority =
                    crate::pki::CertificateAuthority::from_pem(&read(cert)?, &read(key)?)
                        .map_err(|e| format!("--cluster-signing-cert-file: {e}"))?;
                Some(std::sync::Arc::new(authority))
            }
            _ => None,
        };
        let options = Options {
            controllers: args.controllers,
            leader_elect: args.leader_elect,
            root_ca,
            service_account_key,
            legacy_token_secrets: args.legacy_service_account_token_secrets,
            node_monitor_grace_period: args.node_monitor_grace_period,
            terminated_pod_gc_threshold: args.terminated_pod_gc_threshold,
            cluster_signing,
            cluster_signing_duration: args.cluster_signing_duration,
        };
        let shutdown = async {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "shutting down");
        };
        controllers::run(client, options, shutdown).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        assert_eq!(parse_duration("40s"), Ok(Duration::from_secs(40)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("40").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("3x").is_err());
    }
}
