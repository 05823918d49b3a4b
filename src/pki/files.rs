//! Writing credentials to disk: atomically, and private keys readable by
//! their owner only.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::PkiError;

/// Mode of files holding private keys (and kubeconfigs, which embed them).
pub const PRIVATE_MODE: u32 = 0o600;

/// Mode of files holding only certificates.
pub const PUBLIC_MODE: u32 = 0o644;

/// How hard a write tries to survive a power loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file before the rename and the directory after it: the
    /// new file survives a power loss. For what cannot be re-created (the
    /// CA) or is handed to others.
    Synced,
    /// No fsync. After a power loss the file may be the old one or empty;
    /// for what keelson checks and re-creates at every start (leaf
    /// certificates, kubeconfigs). Each skipped fsync is a journal commit
    /// a busy disk can stall for hundreds of milliseconds.
    Recreatable,
}

/// Writes `contents` to `path` with `mode`, replacing it atomically: other
/// processes see the old file or the new one, never half of one.
pub fn write_atomically(
    path: &Path,
    contents: &[u8],
    mode: u32,
    durability: Durability,
) -> Result<(), PkiError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.tmp"));
    let write = || -> std::io::Result<()> {
        // A temp file left by a crash may have another mode; start afresh so
        // that `mode` applies (it is only used when the file is created).
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)?;
        file.write_all(contents)?;
        if durability == Durability::Synced {
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)?;
        if durability == Durability::Synced
            && let Some(dir) = path.parent()
        {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| PkiError::io(path, e))
}

/// Creates `dir` (and parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| PkiError::io(dir, e))
}

/// The contents of `path`, or `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<String>, PkiError> {
    match std::fs::read_to_string(path) {
        Ok(contents) => Ok(Some(contents)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PkiError::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn private_files_are_owner_only_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.key");
        write_atomically(&path, b"one", PRIVATE_MODE, Durability::Synced).unwrap();
        write_atomically(&path, b"two", PRIVATE_MODE, Durability::Recreatable).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file left behind");
    }

    #[test]
    fn missing_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_if_exists(&dir.path().join("nope")).unwrap().is_none());
    }
}
