//! The store the flags select: the embedded store in `<data-dir>/store`,
//! or etcd when `--etcd-servers` is given.

use std::path::Path;
use std::sync::Arc;

use crate::storage::Storage;
use crate::storage::embedded::EmbeddedStorage;
use crate::storage::etcd::EtcdStorage;

/// The data directory's subdirectory holding the embedded store.
pub const EMBEDDED_STORE_DIR: &str = "store";

/// Opens the store for `etcd_endpoints` (empty: embedded in `data_dir`).
pub async fn open_storage(
    etcd_endpoints: &[String],
    data_dir: &Path,
) -> Result<Arc<dyn Storage>, String> {
    if !etcd_endpoints.is_empty() {
        let store = EtcdStorage::connect(etcd_endpoints.to_vec())
            .await
            .map_err(|e| format!("--etcd-servers={}: {e}", etcd_endpoints.join(",")))?;
        return Ok(Arc::new(store));
    }
    let dir = data_dir.join(EMBEDDED_STORE_DIR);
    let store = EmbeddedStorage::open(&dir)
        .map_err(|e| format!("opening the embedded store in {}: {e}", dir.display()))?;
    Ok(Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_etcd_is_a_clear_error_and_no_embedded_store() {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::testing::free_loopback_port().unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let err = open_storage(std::slice::from_ref(&endpoint), dir.path())
            .await
            .err()
            .unwrap();
        assert!(err.contains(&endpoint), "{err}");
        assert!(!dir.path().join(EMBEDDED_STORE_DIR).exists());
    }

    #[tokio::test]
    async fn etcd_servers_select_etcd() {
        let etcd = crate::testing::EtcdServer::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let storage = open_storage(&[etcd.endpoint()], dir.path()).await.unwrap();
        storage.current_revision().await.unwrap();
        assert!(!dir.path().join(EMBEDDED_STORE_DIR).exists());
    }

    #[tokio::test]
    async fn no_endpoints_is_the_embedded_store_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let storage = open_storage(&[], dir.path()).await.unwrap();
        storage.current_revision().await.unwrap();
        assert!(dir.path().join(EMBEDDED_STORE_DIR).is_dir());
    }
}
