//! Kubeconfig files with embedded credentials, the form stock `kubectl`,
//! client-go and kube-rs all load.
//!
//! Credentials are embedded (`*-data` fields) rather than referenced by path
//! so that a kubeconfig can be copied to another machine and still work.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::files::{Durability, PRIVATE_MODE, write_atomically};
use super::{CertAndKey, PkiError};

/// The cluster entry's name.
pub const CLUSTER_NAME: &str = "keelson";
/// The context entry's name (the current context).
pub const CONTEXT_NAME: &str = "keelson";

/// What one kubeconfig holds.
#[derive(Clone, Copy, Debug)]
pub struct KubeconfigSpec<'a> {
    /// `https://host:port`.
    pub server: &'a str,
    /// The CA that signed the serving certificate (PEM).
    pub certificate_authority_pem: &'a str,
    /// The user entry's name.
    pub user_name: &'a str,
    /// The client certificate and key.
    pub credentials: &'a CertAndKey,
}

/// The URL clients use to reach a server listening on `listen`: a wildcard
/// address is reached on loopback, a specific one as itself.
pub fn server_url(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        listen.ip()
    };
    // SocketAddr's Display brackets IPv6 addresses, as URLs need.
    format!("https://{}", SocketAddr::new(host, listen.port()))
}

#[derive(Serialize)]
struct File<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    clusters: [Named<'a, Cluster<'a>>; 1],
    contexts: [Named<'a, Context<'a>>; 1],
    #[serde(rename = "current-context")]
    current_context: &'a str,
    preferences: std::collections::BTreeMap<String, String>,
    users: [Named<'a, User>; 1],
}

#[derive(Serialize)]
struct Named<'a, T> {
    name: &'a str,
    #[serde(flatten)]
    value: T,
}

#[derive(Serialize)]
struct Cluster<'a> {
    cluster: ClusterFields<'a>,
}

#[derive(Serialize)]
struct ClusterFields<'a> {
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: String,
    server: &'a str,
}

#[derive(Serialize)]
struct Context<'a> {
    context: ContextFields<'a>,
}

#[derive(Serialize)]
struct ContextFields<'a> {
    cluster: &'a str,
    user: &'a str,
}

#[derive(Serialize)]
struct User {
    user: UserFields,
}

#[derive(Serialize)]
struct UserFields {
    #[serde(rename = "client-certificate-data")]
    client_certificate_data: String,
    #[serde(rename = "client-key-data")]
    client_key_data: String,
}

/// The kubeconfig as YAML text.
pub fn render(spec: &KubeconfigSpec<'_>) -> String {
    let file = File {
        api_version: "v1",
        kind: "Config",
        clusters: [Named {
            name: CLUSTER_NAME,
            value: Cluster {
                cluster: ClusterFields {
                    certificate_authority_data: STANDARD.encode(spec.certificate_authority_pem),
                    server: spec.server,
                },
            },
        }],
        contexts: [Named {
            name: CONTEXT_NAME,
            value: Context {
                context: ContextFields {
                    cluster: CLUSTER_NAME,
                    user: spec.user_name,
                },
            },
        }],
        current_context: CONTEXT_NAME,
        preferences: Default::default(),
        users: [Named {
            name: spec.user_name,
            value: User {
                user: UserFields {
                    client_certificate_data: STANDARD.encode(&spec.credentials.cert_pem),
                    client_key_data: STANDARD.encode(&spec.credentials.key_pem),
                },
            },
        }],
    };
    // Serializing plain strings and maps cannot fail.
    serde_yaml::to_string(&file).unwrap_or_default()
}

/// Writes the kubeconfig to `path`, readable by its owner only (it holds a
/// private key). A file that already says the same is left alone: restarts
/// on the same port then cost no fsync, and tools watching the file see no
/// change.
pub fn write(path: &Path, spec: &KubeconfigSpec<'_>) -> Result<(), PkiError> {
    let contents = render(spec);
    if std::fs::read(path).is_ok_and(|existing| existing == contents.as_bytes()) {
        return Ok(());
    }
    // Kubeconfigs are rewritten at every start, so a power loss costs
    // nothing that is not re-created.
    write_atomically(
        path,
        contents.as_bytes(),
        PRIVATE_MODE,
        Durability::Recreatable,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificateAuthority;

    #[test]
    fn urls_reach_wildcards_on_loopback() {
        assert_eq!(
            server_url("0.0.0.0:6443".parse().unwrap()),
            "https://127.0.0.1:6443"
        );
        assert_eq!(server_url("[::]:1".parse().unwrap()), "https://127.0.0.1:1");
        assert_eq!(
            server_url("192.0.2.1:6443".parse().unwrap()),
            "https://192.0.2.1:6443"
        );
        assert_eq!(
            server_url("[::1]:6443".parse().unwrap()),
            "https://[::1]:6443"
        );
    }

    #[test]
    fn an_unchanged_kubeconfig_is_not_rewritten() {
        let ca = CertificateAuthority::mint().unwrap();
        let admin = ca.issue_client("kubernetes-admin", &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.kubeconfig");
        let spec = |server| KubeconfigSpec {
            server,
            certificate_authority_pem: ca.cert_pem(),
            user_name: "admin",
            credentials: &admin,
        };
        write(&path, &spec("https://127.0.0.1:1")).unwrap();
        let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
        let first = inode(&path);
        write(&path, &spec("https://127.0.0.1:1")).unwrap();
        assert_eq!(inode(&path), first, "same contents: the file is left alone");
        write(&path, &spec("https://127.0.0.1:2")).unwrap();
        assert_ne!(inode(&path), first, "a new port: replaced atomically");
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("127.0.0.1:2")
        );
    }

    #[tokio::test]
    async fn kube_rs_loads_what_we_write() {
        let ca = CertificateAuthority::mint().unwrap();
        let admin = ca
            .issue_client("kubernetes-admin", &["system:masters"])
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.kubeconfig");
        write(
            &path,
            &KubeconfigSpec {
                server: "https://127.0.0.1:6443",
                certificate_authority_pem: ca.cert_pem(),
                user_name: "admin",
                credentials: &admin,
            },
        )
        .unwrap();
        let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
        assert_eq!(kubeconfig.current_context.as_deref(), Some("keelson"));
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        let roots = config.root_cert.expect("CA data");
        assert_eq!(roots, vec![ca.cert_der().to_vec()]);
        let embedded_cert = config.auth_info.client_certificate_data.expect("cert data");
        assert_eq!(
            STANDARD.decode(embedded_cert).unwrap(),
            admin.cert_pem.as_bytes()
        );
        // Building a client parses the embedded key: it must be one rustls takes.
        kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(
                kube::config::Kubeconfig::read_from(&path).unwrap(),
                &Default::default(),
            )
            .await
            .unwrap(),
        )
        .unwrap();
    }
}
