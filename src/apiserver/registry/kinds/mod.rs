//! Per-kind strategies: what differs about each built-in kind. A kind not
//! listed here uses [`DefaultStrategy`].

mod namespace;

use std::sync::Arc;

use super::strategy::{DefaultStrategy, Strategy};

pub use self::namespace::NamespaceStrategy;

/// The strategy of a built-in kind.
pub fn strategy_for(group: &str, kind: &str) -> Arc<dyn Strategy> {
    match (group, kind) {
        ("", "Namespace") => Arc::new(NamespaceStrategy),
        _ => Arc::new(DefaultStrategy),
    }
}
