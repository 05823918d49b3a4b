//! The store the flags select: the embedded store in `<data-dir>/store`,
//! or etcd when `--etcd-servers` is given.

use std::path::Path;
use std::sync::Arc;

use crate::storage::Storage;
use crate::storage::embedded::EmbeddedStorage;

/// The data directory's subdirectory holding the embedded store.
pub const EMBEDDED_STORE_DIR: &str = "store";

/// Opens the store for `etcd_endpoints` (empty: embedded in `data_dir`).
pub fn open_storage(
    etcd_endpoints: &[String],
    data_dir: &Path,
) -> Result<Arc<dyn Storage>, String> {
    if !etcd_endpoints.is_empty() {
        return open_etcd(etcd_endpoints);
    }
    let dir = data_dir.join(EMBEDDED_STORE_DIR);
    let store = EmbeddedStorage::open(&dir)
        .map_err(|e| format!("opening the embedded store in {}: {e}", dir.display()))?;
    Ok(Arc::new(store))
}

/// The etcd backend goes here once `storage::etcd` exists. Until then the
/// flag fails loudly rather than silently using the embedded store.
fn open_etcd(endpoints: &[String]) -> Result<Arc<dyn Storage>, String> {
    Err(format!(
        "--etcd-servers={}: the etcd backend is not built yet; leave --etcd-servers empty to \
         use the embedded store in the data directory",
        endpoints.join(",")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_is_refused_clearly_until_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let err = open_storage(&["http://127.0.0.1:2379".into()], dir.path())
            .err()
            .unwrap();
        assert!(err.contains("not built yet"), "{err}");
        assert!(!dir.path().join(EMBEDDED_STORE_DIR).exists());
    }

    #[tokio::test]
    async fn no_endpoints_is_the_embedded_store_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open_storage(&[], dir.path()).unwrap();
        storage.current_revision().await.unwrap();
        assert!(dir.path().join(EMBEDDED_STORE_DIR).is_dir());
    }
}
