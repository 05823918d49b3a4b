//! The OpenAPI service: which documents describe the API right now.
//!
//! Documents are built lazily, on the first request that needs them, from
//! the catalog snapshot of that moment and the runtime schemas
//! ([`OpenApi::set_schema`]); v2 and v3 separately. When the catalog
//! changes (a resource added or removed) or a schema is set, the next
//! request starts a new generation, whose documents get new hashes; the
//! old generation is freed when the last request holding it finishes.

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use jiff::Timestamp;
use serde_json::Value;

use super::custom::CustomSchemas;
use super::documents::{V2, V3, build_v2, build_v3};
use crate::apiserver::handlers::version::VersionInfo;
use crate::apiserver::registry::catalog::{Catalog, CatalogSnapshot};
use crate::apiserver::registry::resource::GroupVersionKind;

/// The documents of one catalog snapshot and schema set, each built on
/// first use.
pub struct Generation {
    snapshot: Arc<CatalogSnapshot>,
    schemas_version: u64,
    custom: CustomSchemas,
    /// When this generation began: the documents' `Last-Modified`.
    pub since: Timestamp,
    v2: OnceLock<V2>,
    v3: OnceLock<V3>,
}

impl Generation {
    fn version() -> String {
        VersionInfo::current().git_version
    }

    /// Whether the v2 (or else the v3) documents are built.
    pub fn built(&self, v2: bool) -> bool {
        if v2 {
            self.v2.get().is_some()
        } else {
            self.v3.get().is_some()
        }
    }

    /// The v2 document, built if it is not yet. Blocks while building.
    pub fn v2(&self) -> &V2 {
        self.v2
            .get_or_init(|| build_v2(&self.snapshot, &self.custom, &Self::version()))
    }

    /// The v3 documents, built if they are not yet. Blocks while building.
    pub fn v3(&self) -> &V3 {
        self.v3
            .get_or_init(|| build_v3(&self.snapshot, &self.custom, &Self::version()))
    }
}

/// Runtime schemas and the current generation of documents.
#[derive(Default)]
pub struct OpenApi {
    /// The runtime schemas and how many times they changed.
    schemas: RwLock<(u64, CustomSchemas)>,
    current: Mutex<Option<Arc<Generation>>>,
}

impl OpenApi {
    pub fn new() -> OpenApi {
        OpenApi::default()
    }

    /// Describes the served kind `gvk` with `schema` (Swagger 2.0 form,
    /// references as `#/definitions/<name>`), published as definition
    /// `name`: how a custom resource's schema gets into the documents.
    pub fn set_schema(&self, gvk: &GroupVersionKind, name: &str, schema: &Value) {
        let mut schemas = self.schemas.write().unwrap_or_else(|e| e.into_inner());
        schemas.1.insert(gvk, name, schema);
        schemas.0 += 1;
    }

    /// Stops describing `gvk` with a runtime schema.
    pub fn remove_schema(&self, gvk: &GroupVersionKind) {
        let mut schemas = self.schemas.write().unwrap_or_else(|e| e.into_inner());
        schemas.1.remove(gvk);
        schemas.0 += 1;
    }

    /// The generation describing what `catalog` serves now.
    pub fn generation(&self, catalog: &Catalog) -> Arc<Generation> {
        let snapshot = catalog.snapshot();
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match current.as_ref() {
            Some(generation)
                if Arc::ptr_eq(&generation.snapshot, &snapshot)
                    && generation.schemas_version == schemas.0 =>
            {
                generation.clone()
            }
            _ => {
                let generation = Arc::new(Generation {
                    snapshot,
                    schemas_version: schemas.0,
                    custom: schemas.1.clone(),
                    since: Timestamp::now(),
                    v2: OnceLock::new(),
                    v3: OnceLock::new(),
                });
                *current = Some(generation.clone());
                generation
            }
        }
    }
}
