//! `keelson up` and `keelson apiserver`: open the store, ensure the PKI,
//! write the kubeconfigs, serve until SIGTERM/SIGINT.
//!
//! What `up` prints is a contract scripts and tests rely on:
//!
//! * stderr: `Listening on https://<host>:<port>` once the port is bound
//!   (the real port, also with `--secure-port 0`);
//! * stdout: `export KUBECONFIG=<absolute path>/admin.kubeconfig`, once, when
//!   the server is ready to answer.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpListener;

use super::ServerArgs;
use super::service_accounts::{service_account_tokens, signing_key_pem};
use super::storage_backend::open_storage;
use crate::apiserver::authn::Authenticator;
use crate::apiserver::authn::service_account::ServiceAccountAuthenticator;
use crate::apiserver::authn::token_file::StaticTokens;
use crate::apiserver::handlers::Api;
use crate::apiserver::lifecycle::Lifecycle;
use crate::apiserver::serve::tls::{ServingCertificate, load_ca_bundle, server_config};
use crate::apiserver::serve::{self, ServerContext, signals::shutdown_signal};
use crate::apiserver::services::ServiceNetwork;
use crate::apiserver::services::node_ports::PortRange;
use crate::pki::control_plane::Identity;
use crate::pki::kubeconfig::{self, KubeconfigSpec};
use crate::pki::serving::{host_name, parse_service_cluster_ip_ranges};
use crate::pki::{ControlPlanePki, PkiLayout, ServingNames};

/// Which command is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `keelson up`: everything in one process, for one machine.
    Up,
    /// `keelson apiserver`: the API server alone.
    Apiserver,
}

impl Role {
    /// `up` is a local development cluster and stays on loopback unless
    /// told otherwise; `apiserver` listens everywhere, as upstream's does.
    fn default_bind_address(self) -> IpAddr {
        match self {
            Role::Up => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Role::Apiserver => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

/// The kubeconfig file written for each identity, in the data directory.
pub fn kubeconfig_file_name(identity: Identity) -> &'static str {
    match identity {
        Identity::Admin => "admin.kubeconfig",
        Identity::Scheduler => "scheduler.kubeconfig",
        Identity::ControllerManager => "controller-manager.kubeconfig",
    }
}

/// Runs `role` with `args` until a shutdown signal; `Err` says why it
/// could not start.
pub fn run(args: ServerArgs, role: Role) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(run_async(args, role))
}

async fn run_async(args: ServerArgs, role: Role) -> Result<(), String> {
    let started = Instant::now();
    let data_dir = prepare_data_dir(&args.data_dir)?;
    let service_ranges = parse_service_cluster_ip_ranges(&args.service_cluster_ip_range)?;
    let node_ports = PortRange::parse(&args.service_node_port_range)
        .map_err(|e| format!("--service-node-port-range: {e}"))?;
    let bind_address = args
        .bind_address
        .unwrap_or_else(|| role.default_bind_address());

    // Bind first: a port already in use is the likeliest failure, and it
    // should not cost minting anything.
    let requested = SocketAddr::new(bind_address, args.secure_port);
    let listener = TcpListener::bind(requested)
        .await
        .map_err(|e| format!("listening on {requested}: {e}"))?;
    let local_address = listener
        .local_addr()
        .map_err(|e| format!("listening on {requested}: {e}"))?;
    let server_url = kubeconfig::server_url(local_address);

    let storage = open_storage(&args.etcd_endpoints(), &data_dir).await?;

    let operator_certificate = args
        .tls_cert_file
        .as_ref()
        .zip(args.tls_private_key_file.as_ref());
    let serving_names = operator_certificate.is_none().then(|| {
        ServingNames::for_apiserver(host_name().as_deref(), &service_ranges, bind_address)
    });
    let pki = ControlPlanePki::ensure(PkiLayout::new(data_dir.join("pki")), serving_names.as_ref())
        .map_err(|e| format!("certificates: {e}"))?;

    // The serving certificate, and the CA clients must trust for it.
    let (serving, serving_trust_anchor) = match operator_certificate {
        Some((cert_path, key_path)) => {
            let certificate = ServingCertificate::from_files(cert_path, key_path)?;
            let chain_pem = std::fs::read_to_string(cert_path)
                .map_err(|e| format!("{}: {e}", cert_path.display()))?;
            (certificate, last_pem_certificate(&chain_pem))
        }
        None => {
            let minted = pki
                .serving
                .as_ref()
                .ok_or("no serving certificate was minted")?;
            let certificate = ServingCertificate::from_pem(
                &minted.cert_pem,
                &minted.key_pem,
                "pki/apiserver.crt",
            )?;
            (certificate, pki.ca.cert_pem().to_owned())
        }
    };
    let client_cas = match &args.client_ca_file {
        Some(path) => {
            let bundle = load_ca_bundle(path)?;
            if !bundle.contains(pki.ca.cert_der()) {
                tracing::warn!(
                    client_ca_file = %path.display(),
                    "the cluster CA is not in --client-ca-file: the kubeconfigs in the data \
                     directory will not authenticate"
                );
            }
            bundle
        }
        None => vec![pki.ca.cert_der().clone()],
    };
    let tls = server_config(serving, &client_cas)?;

    let service_accounts = Arc::new(service_account_tokens(&args, &data_dir, local_address)?);

    let admin_kubeconfig = write_kubeconfigs(&data_dir, &pki, &server_url, &serving_trust_anchor)?;

    let lifecycle = Lifecycle::new();
    let network = ServiceNetwork {
        cluster_ip_ranges: service_ranges.clone(),
        node_ports,
        advertise_address: args
            .advertise_address
            .unwrap_or_else(|| advertised(local_address.ip())),
        secure_port: local_address.port(),
    };
    let api = Arc::new(
        Api::start_with(
            storage.clone(),
            lifecycle.clone(),
            &network,
            service_accounts.clone(),
        )
        .await
        .map_err(|e| format!("starting the API: {e}"))?,
    );

    let mut authenticator = Authenticator::new();
    if let Some(path) = &args.token_auth_file {
        let tokens = StaticTokens::load(path)?;
        tracing::info!(path = %path.display(), tokens = tokens.len(), "loaded static tokens");
        authenticator = authenticator.with_token_authenticator(Arc::new(tokens));
    }
    authenticator = authenticator.with_token_authenticator(Arc::new(
        ServiceAccountAuthenticator::new(service_accounts, api.registry.clone()),
    ));
    api.reviews.set_token_chain(authenticator.clone());
    let handler = api.into_handler();
    let context = Arc::new(ServerContext {
        authenticator,
        handler,
    });
    let server = tokio::spawn(serve::serve(listener, tls, context, lifecycle.clone()));

    // Plain lines rather than log records: their wording is a contract
    // (scripts and tests parse them) and must not depend on RUST_LOG.
    eprintln!("Listening on {server_url}");
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        data_dir = %data_dir.display(),
        minted = ?pki.minted,
        "ready"
    );
    if role == Role::Up {
        let options = crate::controllers::Options {
            root_ca: Some(serving_trust_anchor.clone()),
            service_account_key: Some(signing_key_pem(&args, &data_dir)?),
            legacy_token_secrets: args.legacy_service_account_token_secrets,
            cluster_signing: Some(std::sync::Arc::new(
                crate::pki::CertificateAuthority::from_pem(pki.ca.cert_pem(), &pki.ca.key_pem())?,
            )),
            ..Default::default()
        };
        start_controllers(&data_dir, options, &lifecycle);
        super::scheduler::start_in_process(
            &data_dir.join(kubeconfig_file_name(Identity::Scheduler)),
            &lifecycle,
        );
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "export KUBECONFIG={}", admin_kubeconfig.display());
        let _ = stdout.flush();
    }

    let signal = shutdown_signal().await;
    tracing::info!(
        signal,
        "shutting down gracefully; a second signal exits at once"
    );
    lifecycle.begin_shutdown();
    tokio::spawn(async {
        let signal = shutdown_signal().await;
        eprintln!("{signal} again: exiting now");
        std::process::exit(1);
    });
    let _ = server.await;
    // The handler (and through it the store) is released with the
    // connections; dropping our handle lets the embedded store's writer
    // finish what is queued before the process exits.
    drop(storage);
    Ok(())
}

/// `keelson up`'s controller-manager: in this process, but an API client
/// like any other, with its own identity (the kubeconfig minted for it).
fn start_controllers(data_dir: &Path, options: crate::controllers::Options, lifecycle: &Lifecycle) {
    let kubeconfig = data_dir.join(kubeconfig_file_name(Identity::ControllerManager));
    let lifecycle = lifecycle.clone();
    tokio::spawn(async move {
        let client = match super::controller_manager::client_from_kubeconfig(
            &kubeconfig,
            "kube-controller-manager",
        )
        .await
        {
            Ok((client, _)) => client,
            Err(error) => {
                tracing::error!(%error, "controller-manager not started");
                return;
            }
        };
        // Unlike a lone controller-manager, which exits when it loses the
        // Lease, this one stands for election again.
        loop {
            let shutdown = lifecycle.shutdown_started();
            match crate::controllers::run(client.clone(), options.clone(), shutdown).await {
                Ok(()) => return,
                Err(error) => tracing::error!(%error, "controller-manager stopped; restarting"),
            }
            tokio::time::sleep(crate::controllers::RETRY).await;
        }
    });
}

/// The address the `kubernetes` Service's endpoints point at when
/// `--advertise-address` is not given: the bind address, or loopback for a
/// wildcard.
fn advertised(bind: IpAddr) -> IpAddr {
    if bind.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        bind
    }
}

/// Creates the data directory if needed; its absolute path.
fn prepare_data_dir(data_dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(data_dir)
        .and_then(|()| data_dir.canonicalize())
        .map_err(|e| format!("data directory {}: {e}", data_dir.display()))
}

/// Writes one kubeconfig per control-plane identity; the admin's path.
fn write_kubeconfigs(
    data_dir: &Path,
    pki: &ControlPlanePki,
    server_url: &str,
    certificate_authority_pem: &str,
) -> Result<PathBuf, String> {
    for identity in Identity::ALL {
        let path = data_dir.join(kubeconfig_file_name(identity));
        kubeconfig::write(
            &path,
            &KubeconfigSpec {
                server: server_url,
                certificate_authority_pem,
                user_name: identity.stem(),
                credentials: pki.client(identity),
            },
        )
        .map_err(|e| format!("writing kubeconfig: {e}"))?;
    }
    Ok(data_dir.join(kubeconfig_file_name(Identity::Admin)))
}

/// The last certificate of a PEM chain: for an operator's serving
/// certificate, the best guess at the CA clients must trust.
fn last_pem_certificate(chain_pem: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    match chain_pem.rfind(BEGIN) {
        Some(start) => {
            let rest = &chain_pem[start..];
            let end = rest
                .find("-----END CERTIFICATE-----")
                .map(|at| at + "-----END CERTIFICATE-----".len())
                .unwrap_or(rest.len());
            format!("{}\n", &rest[..end])
        }
        None => chain_pem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_certificate_of_a_chain_is_the_anchor() {
        let chain = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n\
                     -----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            last_pem_certificate(chain),
            "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n"
        );
    }

    #[test]
    fn the_advertised_address_is_the_bind_address_unless_it_is_a_wildcard() {
        assert_eq!(
            advertised("0.0.0.0".parse().unwrap()),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            advertised("192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn up_stays_on_loopback_and_apiserver_listens_everywhere() {
        assert!(Role::Up.default_bind_address().is_loopback());
        assert!(Role::Apiserver.default_bind_address().is_unspecified());
    }
}
