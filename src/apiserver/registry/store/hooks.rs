//! Hooks around a resource's writes, for what a strategy cannot do alone
//! because it needs storage: a Service's cluster IPs and node ports are
//! reserved before the Service is stored and freed when it goes (upstream's
//! `BeginCreate`/`BeginUpdate`/`AfterDelete`).

use async_trait::async_trait;
use serde_json::Value;

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
