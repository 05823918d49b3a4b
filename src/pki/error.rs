//! What can go wrong while minting, loading or writing certificates.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("minting a certificate: {0}")]
    Mint(#[from] rcgen::Error),

    /// Existing material that cannot be used and must not be silently
    /// replaced (the CA).
    #[error("{}: {reason}", path.display())]
    Unusable { path: PathBuf, reason: String },

    /// A request the minting code cannot express.
    #[error("{0}")]
    Unsupported(String),
}

impl PkiError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> PkiError {
        PkiError::Io {
            path: path.into(),
            source,
        }
    }
}
