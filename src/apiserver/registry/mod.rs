//! The registry: every resource the API serves, described by data, and the
//! generic store that implements each verb once for all of them.
//!
//! * [`resource`]: a resource as data ([`resource::ResourceDescriptor`]);
//! * [`builtin`]: the built-in Kubernetes resources as such descriptions;
//! * [`catalog`]: the set served right now, which CRDs change at runtime;
//! * [`strategy`] and [`kinds`]: what differs per kind;
//! * [`codec`]: the encoding at rest;
//! * [`filter`]: which objects a request selects;
//! * [`store`]: the verbs;
//! * [`subresources`]: scale, binding, eviction and token requests;
//! * [`cache`]: the watch cache that serves lists and watches;
//! * [`versioning`]: conversion between the version stored and the one
//!   served (custom resources).

pub mod builtin;
pub mod cache;
pub mod catalog;
pub mod codec;
pub mod filter;
pub mod kinds;
pub mod resource;
pub mod store;
pub mod strategy;
pub mod subresources;
pub mod versioning;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use self::resource::ResourceDescriptor;
use self::store::hooks::{Admission, SharedAdmission};
use self::store::{Caches, ResourceStore};
use self::strategy::Strategy;
use self::versioning::Versioning;
use crate::storage::Storage;

/// Every served resource's store, by (group, version, plural). Resources
/// can be added and removed while serving (CRDs).
pub struct Registry {
    storage: Arc<dyn Storage>,
    caches: Arc<Caches>,
    admission: Arc<SharedAdmission>,
    stores: RwLock<HashMap<(String, String, String), Arc<ResourceStore>>>,
}

impl Registry {
    pub fn new(storage: Arc<dyn Storage>) -> Registry {
        Registry {
            storage,
            caches: Arc::default(),
            admission: Arc::default(),
            stores: RwLock::default(),
        }
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Serves `descriptor` with `strategy` (replacing what was served there).
    pub fn add(&self, descriptor: ResourceDescriptor, strategy: Arc<dyn Strategy>) {
        let key = (
            descriptor.group.clone(),
            descriptor.version.clone(),
            descriptor.plural.clone(),
        );
        let store = ResourceStore::new(
            Arc::new(descriptor),
            strategy,
            self.storage.clone(),
            self.caches.clone(),
            self.admission.clone(),
        );
        self.stores
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::new(store));
    }

    /// Serves `descriptor` with `strategy`, converting between its stored
    /// and served versions with `versioning` (a custom resource); returns
    /// the store, whose watch cache is started.
    pub fn add_versioned(
        &self,
        descriptor: ResourceDescriptor,
        strategy: Arc<dyn Strategy>,
        versioning: Arc<dyn Versioning>,
    ) -> Arc<ResourceStore> {
        let key = (
            descriptor.group.clone(),
            descriptor.version.clone(),
            descriptor.plural.clone(),
        );
        let store = Arc::new(
            ResourceStore::new(
                Arc::new(descriptor),
                strategy,
                self.storage.clone(),
                self.caches.clone(),
                self.admission.clone(),
            )
            .with_versioning(versioning),
        );
        store.start_cache();
        self.stores
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, store.clone());
        store
    }

    /// Stops serving one resource; requests already holding its store
    /// finish with it.
    pub fn remove(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceStore>> {
        self.stores
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(group.to_owned(), version.to_owned(), plural.to_owned()))
    }

    /// Serves a built-in resource with its kind's strategy.
    pub fn add_builtin(&self, descriptor: ResourceDescriptor) {
        let strategy =
            kinds::strategy_for(&descriptor.group, &descriptor.version, &descriptor.kind);
        self.add(descriptor, strategy);
    }

    /// Starts the watch cache of every stored resource (they fill in the
    /// background).
    pub fn start_caches(&self) {
        let stores: Vec<Arc<ResourceStore>> = self
            .stores
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for store in stores {
            if store.descriptor.key_prefix().is_some() {
                store.start_cache();
            }
        }
    }

    /// Puts `plugin` in front of every resource's creates and updates
    /// (custom resources' too).
    pub fn install_admission(&self, plugin: Arc<dyn Admission>) {
        self.admission.install(plugin);
    }

    /// Puts `hooks` around the writes of a served resource.
    pub fn set_hooks(
        &self,
        group: &str,
        version: &str,
        plural: &str,
        hooks: Arc<dyn store::hooks::WriteHooks>,
    ) {
        let key = (group.to_owned(), version.to_owned(), plural.to_owned());
        let mut stores = self.stores.write().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(&key) {
            let hooked = Arc::new(store.with_hooks(hooks));
            stores.insert(key, hooked);
        }
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceStore>> {
        self.stores
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
    }
}
