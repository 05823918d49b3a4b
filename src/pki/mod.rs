//! Certificates for the control plane: the cluster CA, the API server's
//! serving certificate, one client certificate per control-plane identity,
//! and the kubeconfigs that carry them.
//!
//! `keelson up` calls [`ControlPlanePki::ensure`] at every start. The first
//! start mints everything into `<data-dir>/pki/`; later starts load what is
//! there, check it, and re-mint only what is missing or no longer fits (a
//! leaf about to expire, a serving certificate without a newly needed name).
//! The CA is never replaced behind the operator's back: every kubeconfig and
//! node certificate ever handed out depends on it.
//!
//! Every key is ECDSA P-256: minting one takes well under a millisecond, so
//! a fresh start stays fast (an RSA-2048 key alone can take 100 ms).
//!
//! * [`authority`]: the CA, and issuing certificates from it;
//! * [`spec`]: what a certificate must say (subject, usage, names);
//! * [`issued`]: a certificate and its key as PEM, loaded and checked;
//! * [`serving`]: the names the API server's certificate carries;
//! * [`control_plane`]: the set of files under `pki/`;
//! * [`kubeconfig`]: kubeconfig files with embedded credentials;
//! * [`files`], [`lifetime`]: how files are written, how long certificates live.

pub mod authority;
pub mod control_plane;
pub mod error;
pub mod files;
pub mod issued;
pub mod kubeconfig;
pub mod lifetime;
pub mod serving;
pub mod spec;

pub use authority::CertificateAuthority;
pub use control_plane::{ControlPlanePki, PkiLayout};
pub use error::PkiError;
pub use issued::CertAndKey;
pub use serving::ServingNames;
pub use spec::{CertificateSpec, Usage};
