//! Hooks around a resource's writes, for what a strategy cannot do alone
//! because it needs storage: a Service's cluster IPs and node ports are
//! reserved before the Service is stored and freed when it goes (upstream's
//! `BeginCreate`/`BeginUpdate`/`AfterDelete`); and admission that every
//! resource's writes go through ([`SharedAdmission`]).

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use serde_json::Value;

use crate::apiserver::registry::resource::ResourceDescriptor;
use crate::apiserver::status::ApiError;

/// What a hook reserved for one write: kept if the write is stored,
/// given back if it is not.
#[async_trait]
pub trait Reservation: Send {
    /// The write was stored: finish (free what the new object no longer
    /// holds).
    async fn commit(self: Box<Self>);
    /// The write failed: give back what was reserved for it.
    async fn revert(self: Box<Self>);
}

/// A reservation of nothing.
pub struct Nothing;

#[async_trait]
impl Reservation for Nothing {
    async fn commit(self: Box<Self>) {}
    async fn revert(self: Box<Self>) {}
}

#[async_trait]
pub trait WriteHooks: Send + Sync {
    /// Called with a new object that passed validation, before it is
    /// stored; may fill it in.
    async fn before_create(
        &self,
        object: &mut Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError>;

    /// Called with the object an update is about to store over `old`.
    async fn before_update(
        &self,
        new: &mut Value,
        old: &Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError>;

    /// Called once an object is removed from storage.
    async fn after_delete(&self, object: &Value);
}

/// Commits or reverts `reservation` as the write it was made for went.
pub async fn settle<T>(reservation: Box<dyn Reservation>, result: &Result<T, ApiError>) {
    match result {
        Ok(_) => reservation.commit().await,
        Err(_) => reservation.revert().await,
    }
}

/// Admission that needs storage and applies to every resource (upstream's
/// ResourceQuota plugin): asked before each create and update is stored,
/// after the kind's own defaulting and validation.
#[async_trait]
pub trait Admission: Send + Sync {
    /// Admits `new` (replacing `old` on an update) of `resource`; what it
    /// reserved is kept if the write is stored.
    async fn admit(
        &self,
        resource: &ResourceDescriptor,
        new: &Value,
        old: Option<&Value>,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError>;
}

/// The [`Admission`] plugins every store of a registry asks; installed
/// once the stores they read exist.
#[derive(Default)]
pub struct SharedAdmission {
    plugins: RwLock<Vec<Arc<dyn Admission>>>,
}

impl SharedAdmission {
    pub fn install(&self, plugin: Arc<dyn Admission>) {
        self.plugins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(plugin);
    }

    /// Asks every plugin in turn; one refusal gives back what the others
    /// reserved.
    pub async fn admit(
        &self,
        resource: &ResourceDescriptor,
        new: &Value,
        old: Option<&Value>,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let plugins = self
            .plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut reserved = Vec::new();
        for plugin in plugins {
            match plugin.admit(resource, new, old, dry_run).await {
                Ok(reservation) => reserved.push(reservation),
                Err(error) => {
                    Box::new(All(reserved)).revert().await;
                    return Err(error);
                }
            }
        }
        Ok(Box::new(All(reserved)))
    }
}

/// Several reservations made for one write.
pub struct All(pub Vec<Box<dyn Reservation>>);

#[async_trait]
impl Reservation for All {
    async fn commit(self: Box<Self>) {
        for reservation in self.0 {
            reservation.commit().await;
        }
    }
    async fn revert(self: Box<Self>) {
        for reservation in self.0 {
            reservation.revert().await;
        }
    }
}
