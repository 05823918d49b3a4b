//! The API server's flags, named as kube-apiserver names them so that
//! operators' habits (and scripts) carry over.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::apiserver::services::node_ports::DEFAULT_NODE_PORT_RANGE;
use crate::pki::serving::DEFAULT_SERVICE_CLUSTER_IP_RANGE;

#[derive(Clone, Debug, clap::Args)]
pub struct ServerArgs {
    /// Where keelson keeps its store, certificates and kubeconfigs.
    #[arg(long, default_value = ".keelson", env = "KEELSON_DATA_DIR")]
    pub data_dir: PathBuf,

    /// The port to serve HTTPS on. 0 picks a free port (printed at start).
    #[arg(long, default_value_t = 6443)]
    pub secure_port: u16,

    /// The address to listen on. [default: 127.0.0.1 for `up`, 0.0.0.0 for
    /// `apiserver`]
    #[arg(long)]
    pub bind_address: Option<IpAddr>,

    /// etcd endpoints, comma-separated (e.g. http://127.0.0.1:2379). Empty:
    /// the embedded store in the data directory.
    #[arg(long, value_delimiter = ',')]
    pub etcd_servers: Vec<String>,

    /// The serving certificate (PEM, chain leaf first). Default: one minted
    /// under <data-dir>/pki and signed by the cluster CA.
    #[arg(long, requires = "tls_private_key_file")]
    pub tls_cert_file: Option<PathBuf>,

    /// The private key of --tls-cert-file (PEM).
    #[arg(long, requires = "tls_cert_file")]
    pub tls_private_key_file: Option<PathBuf>,

    /// CA bundle (PEM) that client certificates must chain to. Default: the
    /// cluster CA under <data-dir>/pki.
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,

    /// Static bearer tokens, CSV: token,user,uid[,"group1,group2"].
    #[arg(long)]
    pub token_auth_file: Option<PathBuf>,

    /// The range (CIDR) Service ClusterIPs come from; two for dual stack.
    /// Its first address is the `kubernetes` Service's.
    #[arg(long, default_value = DEFAULT_SERVICE_CLUSTER_IP_RANGE)]
    pub service_cluster_ip_range: String,

    /// The ports NodePort and LoadBalancer Services get node ports from
    /// (`base-last`, `base+offset` or one port).
    #[arg(long, default_value = DEFAULT_NODE_PORT_RANGE)]
    pub service_node_port_range: String,

    /// The address the `kubernetes` Service's endpoints point at. [default:
    /// the bind address, or 127.0.0.1 when it is 0.0.0.0 or ::]
    #[arg(long)]
    pub advertise_address: Option<IpAddr>,

    /// The issuer (`iss`) of service-account tokens; repeat to accept
    /// tokens of earlier issuers too (the first signs). [default:
    /// https://kubernetes.default.svc.cluster.local]
    #[arg(long, value_name = "URL")]
    pub service_account_issuer: Vec<String>,

    /// The private key (PEM, RSA or ECDSA P-256/P-384) service-account
    /// tokens are signed with. Default: <data-dir>/pki/sa.key, an ECDSA
    /// P-256 key minted at first start.
    #[arg(long)]
    pub service_account_signing_key_file: Option<PathBuf>,

    /// More keys (PEM public keys, certificates or private keys) tokens are
    /// verified with, comma-separated or repeated: keys that signed tokens
    /// before a rotation.
    #[arg(long, value_delimiter = ',')]
    pub service_account_key_file: Vec<PathBuf>,

    /// The audiences (comma-separated) a token must name one of to be good
    /// for this API. [default: the issuers]
    #[arg(long, value_delimiter = ',')]
    pub api_audiences: Vec<String>,

    /// The JWKS URL the issuer's discovery document names. [default:
    /// https://<this server's address>/openid/v1/jwks]
    #[arg(long, value_name = "URL")]
    pub service_account_jwks_uri: Option<String>,

    /// `up` only: give every ServiceAccount a token Secret, as Kubernetes
    /// did before 1.24 (older clients and test suites wait for one).
    #[arg(long)]
    pub legacy_service_account_token_secrets: bool,
}

impl ServerArgs {
    /// The etcd endpoints given, without empty entries
    /// (`--etcd-servers=` means none).
    pub fn etcd_endpoints(&self) -> Vec<String> {
        self.etcd_servers
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("keelson").chain(args.iter().copied()))
    }

    #[test]
    fn upstream_flag_names_and_defaults() {
        let Command::Up(args) = parse(&["up"]).unwrap().command else {
            panic!("not up");
        };
        assert_eq!(args.secure_port, 6443);
        assert_eq!(args.bind_address, None);
        assert_eq!(args.service_cluster_ip_range, "10.96.0.0/12");
        assert_eq!(args.service_node_port_range, "30000-32767");
        assert_eq!(args.advertise_address, None);
        assert!(args.etcd_endpoints().is_empty());

        let Command::Apiserver(args) = parse(&[
            "apiserver",
            "--secure-port=0",
            "--bind-address=::1",
            "--etcd-servers=http://a:2379,http://b:2379",
            "--token-auth-file=/t.csv",
            "--service-cluster-ip-range=10.0.0.0/16",
        ])
        .unwrap()
        .command
        else {
            panic!("not apiserver");
        };
        assert_eq!(args.secure_port, 0);
        assert_eq!(args.bind_address, Some("::1".parse().unwrap()));
        assert_eq!(args.etcd_endpoints(), ["http://a:2379", "http://b:2379"]);
        assert_eq!(args.token_auth_file.unwrap().to_str(), Some("/t.csv"));
    }

    #[test]
    fn service_account_flags_as_upstream_spells_them() {
        let Command::Apiserver(args) = parse(&[
            "apiserver",
            "--service-account-issuer=https://new",
            "--service-account-issuer=https://old",
            "--service-account-signing-key-file=/sa.key",
            "--service-account-key-file=/a.pub,/b.pub",
            "--service-account-key-file=/c.pub",
            "--api-audiences=api,vault",
            "--service-account-jwks-uri=https://new/keys",
        ])
        .unwrap()
        .command
        else {
            panic!("not apiserver");
        };
        assert_eq!(args.service_account_issuer, ["https://new", "https://old"]);
        assert_eq!(
            args.service_account_signing_key_file.unwrap().to_str(),
            Some("/sa.key")
        );
        assert_eq!(args.service_account_key_file.len(), 3);
        assert_eq!(args.api_audiences, ["api", "vault"]);
        assert_eq!(
            args.service_account_jwks_uri.as_deref(),
            Some("https://new/keys")
        );
    }

    #[test]
    fn an_empty_etcd_servers_flag_means_embedded() {
        let Command::Up(args) = parse(&["up", "--etcd-servers="]).unwrap().command else {
            panic!("not up");
        };
        assert!(args.etcd_endpoints().is_empty());
    }

    #[test]
    fn a_certificate_needs_its_key() {
        assert!(parse(&["up", "--tls-cert-file=/c.crt"]).is_err());
        assert!(parse(&["up", "--tls-private-key-file=/c.key"]).is_err());
        assert!(parse(&["up", "--tls-cert-file=/c", "--tls-private-key-file=/k"]).is_ok());
    }
}
