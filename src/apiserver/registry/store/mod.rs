//! The generic store: every verb implemented once, for every resource,
//! over the [`Storage`] contract, with a kind's [`Strategy`] supplying what
//! differs. One file per verb.

mod continue_token;
mod create;
mod delete;
mod delete_options;
pub mod deletion;
mod get;
pub mod hooks;
mod list;
mod managed;
mod storage_update;
mod update;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use bytes::Bytes;
use serde_json::Value;

pub use self::continue_token::ContinueToken;
pub use self::delete::DeleteOutcome;
pub use self::delete_options::{DeleteOptions, Propagation};
pub use self::list::ListPage;
pub use self::update::Part;

use self::hooks::{Reservation, SharedAdmission, WriteHooks};
use super::cache::{CachedObject, Cacher};
use super::codec;
use super::resource::ResourceDescriptor;
use super::strategy::Strategy;
use super::versioning::Versioning;
use crate::apiserver::patch::managed_fields::FieldTracking;
use crate::apiserver::status::ApiError;
use crate::storage::{KeyValue, Storage, StorageError};

/// `fieldValidation`: what to do with fields the schema does not know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    #[default]
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn parse(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other:?}. Supported values are: Ignore, Warn, Strict"
            ))),
        }
    }

    /// What to do about `unknown_fields` of a body of `kind` in `version`:
    /// the warnings to send, or under Strict the 400 upstream answers (its
    /// decode error, which names the kind and version).
    pub fn check(
        self,
        unknown_fields: &[String],
        kind: &str,
        version: &str,
    ) -> Result<Vec<String>, ApiError> {
        let listed = unknown_fields
            .iter()
            .map(|f| format!("unknown field {f:?}"));
        match self {
            FieldValidation::Ignore => Ok(Vec::new()),
            FieldValidation::Warn => Ok(listed.collect()),
            FieldValidation::Strict if unknown_fields.is_empty() => Ok(Vec::new()),
            FieldValidation::Strict => Err(ApiError::bad_request(format!(
                "{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}",
                listed.collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

/// Options every write takes.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: do everything but store.
    pub dry_run: bool,
    pub field_validation: FieldValidation,
    pub field_manager: Option<String>,
    /// How the write maintains `metadata.managedFields` (requests are
    /// tracked; the server's own writes leave them alone).
    pub managed_fields: FieldTracking,
}

/// A write's result plus the warnings to send in `Warning` headers.
#[derive(Clone, Debug)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
    /// Whether the write created the object (PUT can create).
    pub created: bool,
}

/// The caches of every stored prefix, started on first use and shared by
/// every resource (and version) stored under that prefix that sees its
/// objects the same way (the same [`Versioning`]). A cache lives as long
/// as a store uses it: a custom resource's goes with its definition.
#[derive(Default)]
pub struct Caches {
    started: Mutex<HashMap<String, Weak<Cacher>>>,
}

impl Caches {
    pub fn get(
        &self,
        storage: &Arc<dyn Storage>,
        prefix: &str,
        versioning: Option<&Arc<dyn Versioning>>,
    ) -> Arc<Cacher> {
        let key = match versioning {
            Some(v) => format!("{prefix}#{}", v.cache_key()),
            None => prefix.to_owned(),
        };
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cacher) = started.get(&key).and_then(Weak::upgrade) {
            return cacher;
        }
        started.retain(|_, cacher| cacher.strong_count() > 0);
        let cacher = Cacher::start(storage.clone(), prefix.to_owned(), versioning.cloned());
        started.insert(key, Arc::downgrade(&cacher));
        cacher
    }
}

/// Both reservations, or neither if the second could not be made.
async fn join(
    first: Box<dyn Reservation>,
    second: Result<Box<dyn Reservation>, ApiError>,
) -> Result<Box<dyn Reservation>, ApiError> {
    match second {
        Ok(second) => Ok(Box::new(hooks::All(vec![first, second]))),
        Err(error) => {
            first.revert().await;
            Err(error)
        }
    }
}

/// One resource's store: the descriptor, its strategy, storage and cache.
pub struct ResourceStore {
    pub descriptor: Arc<ResourceDescriptor>,
    pub strategy: Arc<dyn Strategy>,
    storage: Arc<dyn Storage>,
    caches: Arc<Caches>,
    hooks: Option<Arc<dyn WriteHooks>>,
    admission: Arc<SharedAdmission>,
    versioning: Option<Arc<dyn Versioning>>,
    /// This store's watch cache, once started.
    cache: OnceLock<Arc<Cacher>>,
}

impl ResourceStore {
    pub fn new(
        descriptor: Arc<ResourceDescriptor>,
        strategy: Arc<dyn Strategy>,
        storage: Arc<dyn Storage>,
        caches: Arc<Caches>,
        admission: Arc<SharedAdmission>,
    ) -> ResourceStore {
        ResourceStore {
            descriptor,
            strategy,
            storage,
            caches,
            hooks: None,
            admission,
            versioning: None,
            cache: OnceLock::new(),
        }
    }

    /// The same store with objects converted by `versioning` between
    /// storage and the version it serves.
    pub fn with_versioning(mut self, versioning: Arc<dyn Versioning>) -> ResourceStore {
        self.versioning = Some(versioning);
        self.cache = OnceLock::new();
        self
    }

    /// The same store with `hooks` around its writes.
    pub fn with_hooks(&self, hooks: Arc<dyn WriteHooks>) -> ResourceStore {
        ResourceStore {
            descriptor: self.descriptor.clone(),
            strategy: self.strategy.clone(),
            storage: self.storage.clone(),
            caches: self.caches.clone(),
            hooks: Some(hooks),
            admission: self.admission.clone(),
            versioning: self.versioning.clone(),
            cache: self.cache.clone(),
        }
    }

    /// The bytes to store for `object`, in the storage version.
    pub(crate) async fn encode(&self, object: &Value) -> Result<Bytes, ApiError> {
        match &self.versioning {
            Some(versioning) => codec::encode(&versioning.for_storage(object.clone()).await?),
            None => codec::encode(object),
        }
    }

    /// An object read from storage, as this resource serves it.
    pub(crate) async fn decode(&self, kv: &KeyValue) -> Result<Value, ApiError> {
        let object = codec::decode(kv)?;
        match &self.versioning {
            Some(versioning) => {
                let mut objects = [object];
                versioning.read_stored(&mut objects).await?;
                let [object] = objects;
                Ok(object)
            }
            None => Ok(object),
        }
    }

    /// Objects read from storage, as this resource serves them, ready to
    /// encode.
    pub(crate) async fn decode_all(
        &self,
        kvs: &[KeyValue],
    ) -> Result<Vec<Arc<CachedObject>>, ApiError> {
        let mut objects = kvs
            .iter()
            .map(codec::decode)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(versioning) = &self.versioning {
            versioning.read_stored(&mut objects).await?;
        }
        Ok(kvs
            .iter()
            .zip(objects)
            .map(|(kv, object)| {
                Arc::new(CachedObject::new(kv.key.clone(), object, kv.mod_revision))
            })
            .collect())
    }

    /// What the hooks reserve for a new object (nothing without hooks).
    async fn reserve_create(
        &self,
        object: &mut Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let admitted = self
            .admission
            .admit(&self.descriptor, object, None, dry_run)
            .await?;
        let hooked = match &self.hooks {
            Some(hooks) => hooks.before_create(object, dry_run).await,
            None => Ok(Box::new(hooks::Nothing) as Box<dyn Reservation>),
        };
        join(admitted, hooked).await
    }

    /// What the hooks reserve for an update of `old` to `new`.
    async fn reserve_update(
        &self,
        new: &mut Value,
        old: &Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let admitted = self
            .admission
            .admit(&self.descriptor, new, Some(old), dry_run)
            .await?;
        let hooked = match &self.hooks {
            Some(hooks) => hooks.before_update(new, old, dry_run).await,
            None => Ok(Box::new(hooks::Nothing) as Box<dyn Reservation>),
        };
        join(admitted, hooked).await
    }

    /// Tells the hooks that `object` was removed from storage.
    async fn removed(&self, object: &Value) {
        if let Some(hooks) = &self.hooks {
            hooks.after_delete(object).await;
        }
    }

    /// The key prefix of the whole resource; errors for virtual resources.
    fn prefix(&self) -> Result<String, ApiError> {
        self.descriptor
            .key_prefix()
            .ok_or_else(ApiError::method_not_allowed)
    }

    fn key(&self, namespace: Option<&str>, name: &str) -> Result<String, ApiError> {
        self.descriptor
            .object_key(namespace, name)
            .ok_or_else(ApiError::method_not_allowed)
    }

    /// The prefix of the objects a request in `namespace` can see.
    fn scope_prefix(&self, namespace: Option<&str>) -> Result<String, ApiError> {
        self.descriptor
            .namespace_prefix(namespace)
            .ok_or_else(ApiError::method_not_allowed)
    }

    fn cache(&self) -> Result<Arc<Cacher>, ApiError> {
        if let Some(cache) = self.cache.get() {
            return Ok(cache.clone());
        }
        let prefix = self.prefix()?;
        Ok(self
            .cache
            .get_or_init(|| {
                self.caches
                    .get(&self.storage, &prefix, self.versioning.as_ref())
            })
            .clone())
    }

    /// Starts this resource's watch cache now rather than on first use, so
    /// that its window of events begins when the server starts (as
    /// upstream's caches do): a client that lists from storage and then
    /// watches from that revision finds the events it needs.
    pub fn start_cache(&self) {
        let _ = self.cache();
    }

    /// The stored version of `key` (object `name`), decoded; `None` if it
    /// does not exist. Every read-modify-write starts here.
    async fn read_current(
        &self,
        key: &str,
        name: &str,
    ) -> Result<Option<(crate::storage::KeyValue, Value)>, ApiError> {
        let (kv, _) = self
            .storage
            .get(key)
            .await
            .map_err(|e| self.error(e, name))?;
        match kv {
            Some(kv) => {
                let object = self.decode(&kv).await?;
                Ok(Some((kv, object)))
            }
            None => Ok(None),
        }
    }

    /// Like [`Self::read_current`], but a missing object is a 404.
    async fn read_existing(
        &self,
        key: &str,
        name: &str,
    ) -> Result<(crate::storage::KeyValue, Value), ApiError> {
        self.read_current(key, name).await?.ok_or_else(|| {
            ApiError::not_found(&self.descriptor.group, &self.descriptor.plural, name)
        })
    }

    /// A storage error about object `name` as the API reports it.
    fn error(&self, error: StorageError, name: &str) -> ApiError {
        let d = &self.descriptor;
        match error {
            StorageError::NotFound { .. } => ApiError::not_found(&d.group, &d.plural, name),
            StorageError::AlreadyExists { .. } => {
                ApiError::already_exists(&d.group, &d.plural, name)
            }
            StorageError::Conflict { .. } => {
                ApiError::conflict(&d.group, &d.plural, name, ApiError::MODIFIED)
            }
            other => storage_error_unnamed(other),
        }
    }
}

/// A storage error that names no object.
pub fn storage_error_unnamed(error: StorageError) -> ApiError {
    match error {
        StorageError::Compacted { .. } | StorageError::WatcherTooSlow { .. } => {
            ApiError::expired(format!("too old resource version: {error}"))
        }
        StorageError::FutureRevision { requested, current } => ApiError::timeout(format!(
            "Too large resource version: {requested}, current: {current}"
        )),
        StorageError::ValueTooLarge { limit, .. } => ApiError::too_large(limit),
        StorageError::InvalidKey(message) => ApiError::bad_request(message),
        StorageError::Unavailable(message) => ApiError::unavailable(message),
        other => ApiError::internal(other.to_string()),
    }
}

/// Parses a `resourceVersion` parameter.
pub fn parse_resource_version(value: &str) -> Result<u64, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version: {value:?}")))
}
