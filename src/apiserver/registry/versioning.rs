//! Versions at rest and on the wire: a resource whose objects are stored in
//! one version and served in another (a custom resource with several
//! versions) converts between them here, between the store and storage.
//!
//! The store works in the version it serves: what it reads from storage is
//! converted (and, for custom resources, pruned and defaulted) on the way
//! in, what it writes is converted to the storage version on the way out.
//! Built-in kinds need none of this and have no [`Versioning`].

use async_trait::async_trait;
use serde_json::Value;

use crate::apiserver::status::ApiError;

#[async_trait]
pub trait Versioning: Send + Sync {
    /// What distinguishes this conversion from another of the same stored
    /// objects: caches of one storage prefix are shared only by stores
    /// whose versionings have the same key.
    fn cache_key(&self) -> &str;

    /// Objects as stored, made into what this resource serves (in place,
    /// in order).
    async fn read_stored(&self, objects: &mut [Value]) -> Result<(), ApiError>;

    /// An object as served, made into what is stored.
    async fn for_storage(&self, object: Value) -> Result<Value, ApiError>;
}
