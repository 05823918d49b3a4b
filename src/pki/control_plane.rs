//! The control plane's certificates under `<data-dir>/pki/`: load what is
//! there, mint what is missing.
//!
//! | file | what |
//! | --- | --- |
//! | `ca.crt`, `ca.key` | the cluster CA |
//! | `apiserver.crt`, `apiserver.key` | the API server's serving certificate |
//! | `admin.crt`, `admin.key` | `kubernetes-admin` in `system:masters` |
//! | `kube-scheduler.crt`, `.key` | `system:kube-scheduler` |
//! | `kube-controller-manager.crt`, `.key` | `system:kube-controller-manager` |

use std::path::{Path, PathBuf};

use crate::apiserver::user::wellknown;

use super::files::{
    Durability, PRIVATE_MODE, PUBLIC_MODE, create_private_dir, read_if_exists, write_atomically,
};
use super::{CertAndKey, CertificateAuthority, CertificateSpec, PkiError, ServingNames};

/// The user name of the admin client certificate (kubeadm's).
pub const ADMIN_USER: &str = "kubernetes-admin";

/// Where each file lives in a `pki/` directory.
#[derive(Clone, Debug)]
pub struct PkiLayout {
    dir: PathBuf,
}

impl PkiLayout {
    pub fn new(dir: impl Into<PathBuf>) -> PkiLayout {
        PkiLayout { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.cert("ca")
    }

    pub fn ca_key(&self) -> PathBuf {
        self.key("ca")
    }

    /// `<dir>/<stem>.crt`
    pub fn cert(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.crt"))
    }

    /// `<dir>/<stem>.key`
    pub fn key(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.key"))
    }
}

/// A control-plane identity with a client certificate of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    Admin,
    Scheduler,
    ControllerManager,
}

impl Identity {
    pub const ALL: [Identity; 3] = [
        Identity::Admin,
        Identity::Scheduler,
        Identity::ControllerManager,
    ];

    /// File stem under `pki/` (and of its kubeconfig's user entry).
    pub fn stem(self) -> &'static str {
        match self {
            Identity::Admin => "admin",
            Identity::Scheduler => "kube-scheduler",
            Identity::ControllerManager => "kube-controller-manager",
        }
    }

    pub fn spec(self) -> CertificateSpec {
        match self {
            Identity::Admin => CertificateSpec::client(ADMIN_USER, &[wellknown::MASTERS]),
            Identity::Scheduler => CertificateSpec::client(wellknown::SCHEDULER, &[]),
            Identity::ControllerManager => {
                CertificateSpec::client(wellknown::CONTROLLER_MANAGER, &[])
            }
        }
    }
}

/// The loaded (or freshly minted) control-plane credentials.
#[derive(Debug)]
pub struct ControlPlanePki {
    pub layout: PkiLayout,
    pub ca: CertificateAuthority,
    /// `None` when the operator supplies the serving certificate.
    pub serving: Option<CertAndKey>,
    pub admin: CertAndKey,
    pub scheduler: CertAndKey,
    pub controller_manager: CertAndKey,
    /// The file stems minted by this call (`ca`, `apiserver`, `admin`, …).
    pub minted: Vec<&'static str>,
}

impl ControlPlanePki {
    /// Loads the credentials in `layout`, minting whatever is missing or
    /// unfit. With `serving_names`, a serving certificate carrying them is
    /// ensured too.
    ///
    /// A CA that exists but cannot be loaded is an error, not a reason to
    /// mint a new one: replacing it would silently break every kubeconfig
    /// and node certificate it ever signed.
    pub fn ensure(
        layout: PkiLayout,
        serving_names: Option<&ServingNames>,
    ) -> Result<ControlPlanePki, PkiError> {
        create_private_dir(layout.dir())?;
        let mut minted = Vec::new();
        let ca = load_or_mint_ca(&layout, &mut minted)?;
        let serving = serving_names
            .map(|names| ensure_leaf(&layout, &ca, "apiserver", &names.spec(), &mut minted))
            .transpose()?;
        let mut client = |identity: Identity| {
            ensure_leaf(&layout, &ca, identity.stem(), &identity.spec(), &mut minted)
        };
        let admin = client(Identity::Admin)?;
        let scheduler = client(Identity::Scheduler)?;
        let controller_manager = client(Identity::ControllerManager)?;
        Ok(ControlPlanePki {
            layout,
            ca,
            serving,
            admin,
            scheduler,
            controller_manager,
            minted,
        })
    }

    /// The client credentials of `identity`.
    pub fn client(&self, identity: Identity) -> &CertAndKey {
        match identity {
            Identity::Admin => &self.admin,
            Identity::Scheduler => &self.scheduler,
            Identity::ControllerManager => &self.controller_manager,
        }
    }
}

fn load_or_mint_ca(
    layout: &PkiLayout,
    minted: &mut Vec<&'static str>,
) -> Result<CertificateAuthority, PkiError> {
    let (cert_path, key_path) = (layout.ca_cert(), layout.ca_key());
    let how_to_replace = "remove ca.crt and ca.key to mint a new CA (every credential it \
                          issued stops working)";
    match (read_if_exists(&cert_path)?, read_if_exists(&key_path)?) {
        (Some(cert_pem), Some(key_pem)) => CertificateAuthority::from_pem(&cert_pem, &key_pem)
            .map_err(|reason| PkiError::Unusable {
                path: cert_path,
                reason: format!("{reason}; {how_to_replace}"),
            }),
        (None, None) => {
            let ca = CertificateAuthority::mint()?;
            let synced = Durability::Synced;
            write_atomically(&key_path, ca.key_pem().as_bytes(), PRIVATE_MODE, synced)?;
            write_atomically(&cert_path, ca.cert_pem().as_bytes(), PUBLIC_MODE, synced)?;
            tracing::info!(path = %cert_path.display(), "minted a new cluster CA");
            minted.push("ca");
            Ok(ca)
        }
        (Some(_), None) => Err(PkiError::Unusable {
            path: key_path,
            reason: format!("missing while ca.crt exists; {how_to_replace}"),
        }),
        (None, Some(_)) => Err(PkiError::Unusable {
            path: cert_path,
            reason: format!("missing while ca.key exists; {how_to_replace}"),
        }),
    }
}

/// Loads `<stem>.crt`/`.key` if they still fit `spec` and `ca`; otherwise
/// mints and writes a replacement. Leaves are cheap to re-mint and nothing
/// but keelson's own files refers to them.
fn ensure_leaf(
    layout: &PkiLayout,
    ca: &CertificateAuthority,
    stem: &'static str,
    spec: &CertificateSpec,
    minted: &mut Vec<&'static str>,
) -> Result<CertAndKey, PkiError> {
    let (cert_path, key_path) = (layout.cert(stem), layout.key(stem));
    if let Some(existing) = CertAndKey::load(&cert_path, &key_path)? {
        match existing.problem(ca, spec) {
            None => return Ok(existing),
            Some(reason) => {
                tracing::info!(path = %cert_path.display(), %reason, "re-minting certificate");
            }
        }
    }
    let fresh = ca.issue(spec)?;
    // A leaf lost to a power loss is found unusable and re-minted at the
    // next start.
    fresh.save(&cert_path, &key_path, Durability::Recreatable)?;
    minted.push(stem);
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::serving::parse_service_cluster_ip_ranges;

    fn names(host: &str) -> ServingNames {
        let ranges = parse_service_cluster_ip_ranges("10.96.0.0/12").unwrap();
        ServingNames::for_apiserver(Some(host), &ranges, "127.0.0.1".parse().unwrap())
    }

    #[test]
    fn first_start_mints_all_and_the_next_reuses_all() {
        let dir = tempfile::tempdir().unwrap();
        let layout = PkiLayout::new(dir.path().join("pki"));
        let first = ControlPlanePki::ensure(layout.clone(), Some(&names("a"))).unwrap();
        assert_eq!(
            first.minted,
            [
                "ca",
                "apiserver",
                "admin",
                "kube-scheduler",
                "kube-controller-manager"
            ]
        );
        let second = ControlPlanePki::ensure(layout.clone(), Some(&names("a"))).unwrap();
        assert!(second.minted.is_empty(), "{:?}", second.minted);
        assert_eq!(first.ca.cert_pem(), second.ca.cert_pem());
        assert_eq!(first.admin, second.admin);
        assert_eq!(first.serving, second.serving);
    }

    #[test]
    fn only_what_is_missing_or_unfit_is_reminted() {
        let dir = tempfile::tempdir().unwrap();
        let layout = PkiLayout::new(dir.path().join("pki"));
        let first = ControlPlanePki::ensure(layout.clone(), Some(&names("a"))).unwrap();
        std::fs::remove_file(layout.key("kube-scheduler")).unwrap();
        // A new host name no longer fits the serving certificate.
        let second = ControlPlanePki::ensure(layout.clone(), Some(&names("b"))).unwrap();
        assert_eq!(second.minted, ["apiserver", "kube-scheduler"]);
        assert_eq!(first.ca.cert_pem(), second.ca.cert_pem());
        assert_eq!(first.admin, second.admin);
        assert_ne!(first.scheduler, second.scheduler);
    }

    #[test]
    fn leaves_emptied_by_a_power_loss_are_reminted() {
        // Leaves are written without fsync; an empty file is what a power
        // loss can leave behind.
        let dir = tempfile::tempdir().unwrap();
        let layout = PkiLayout::new(dir.path().join("pki"));
        ControlPlanePki::ensure(layout.clone(), Some(&names("a"))).unwrap();
        std::fs::write(layout.cert("admin"), "").unwrap();
        std::fs::write(layout.key("apiserver"), "").unwrap();
        let again = ControlPlanePki::ensure(layout.clone(), Some(&names("a"))).unwrap();
        assert_eq!(again.minted, ["apiserver", "admin"]);
    }

    #[test]
    fn leaves_of_another_ca_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let layout = PkiLayout::new(dir.path().join("pki"));
        ControlPlanePki::ensure(layout.clone(), None).unwrap();
        std::fs::remove_file(layout.ca_cert()).unwrap();
        std::fs::remove_file(layout.ca_key()).unwrap();
        let again = ControlPlanePki::ensure(layout.clone(), None).unwrap();
        assert_eq!(
            again.minted,
            ["ca", "admin", "kube-scheduler", "kube-controller-manager"]
        );
    }

    #[test]
    fn a_broken_ca_is_an_error_not_a_silent_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let layout = PkiLayout::new(dir.path().join("pki"));
        ControlPlanePki::ensure(layout.clone(), None).unwrap();
        let before = std::fs::read(layout.ca_cert()).unwrap();
        std::fs::write(layout.ca_key(), "garbage").unwrap();
        let err = ControlPlanePki::ensure(layout.clone(), None).unwrap_err();
        assert!(
            err.to_string().contains("remove ca.crt and ca.key"),
            "{err}"
        );
        assert_eq!(std::fs::read(layout.ca_cert()).unwrap(), before);
        std::fs::remove_file(layout.ca_key()).unwrap();
        let err = ControlPlanePki::ensure(layout, None).unwrap_err();
        assert!(
            err.to_string().contains("missing while ca.crt exists"),
            "{err}"
        );
    }

    #[test]
    fn identities_are_the_upstream_users_and_groups() {
        assert_eq!(Identity::Admin.spec().common_name, "kubernetes-admin");
        assert_eq!(Identity::Admin.spec().organizations, ["system:masters"]);
        assert_eq!(
            Identity::Scheduler.spec().common_name,
            "system:kube-scheduler"
        );
        assert_eq!(
            Identity::ControllerManager.spec().common_name,
            "system:kube-controller-manager"
        );
    }
}
