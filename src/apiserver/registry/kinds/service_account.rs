//! ServiceAccounts: no rules beyond the defaults, but a DELETE answers with
//! the deleted account, as upstream's does.

use crate::apiserver::registry::strategy::Strategy;

pub struct ServiceAccountStrategy;

impl Strategy for ServiceAccountStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }
}
