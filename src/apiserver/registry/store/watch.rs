//! WATCH, served from the cache:
//!
//! * no `resourceVersion`: consistent start: wait until the cache has
//!   caught up with storage, then ADDED for every selected object, then
//!   changes;
//! * `resourceVersion=0`: the same from whatever the cache holds;
//! * `resourceVersion=N`: changes after N (410 Gone if the cache's window
//!   no longer reaches back to N);
//! * `sendInitialEvents=true` (WatchList; needs
//!   `resourceVersionMatch=NotOlderThan`): ADDED for every selected object
//!   as of a state not older than N, then a bookmark annotated
//!   `k8s.io/initial-events-end`, then changes.

use super::{ResourceStore, parse_resource_version};
use crate::apiserver::registry::cache::CacheWatch;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::request::query::{ReadOptions, VersionMatch};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::FieldError;

impl ResourceStore {
    pub async fn watch(
        &self,
        namespace: Option<&str>,
        options: &ReadOptions,
        filter: Filter,
    ) -> Result<CacheWatch, ApiError> {
        let scope = self.scope_prefix(namespace)?;
        let cache = self.cache()?;
        let rv = options.resource_version.as_deref();
        if let Some(true) = options.send_initial_events {
            let mut errors = Vec::new();
            if options.version_match != Some(VersionMatch::NotOlderThan) {
                errors.push(FieldError::forbidden(
                    "resourceVersionMatch",
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
            if !options.allow_bookmarks {
                errors.push(FieldError::forbidden(
                    "allowWatchBookmarks",
                    "sendInitialEvents requires setting allowWatchBookmarks to true",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::invalid(
                    "meta.k8s.io",
                    "ListOptions",
                    "",
                    errors.iter().map(FieldError::to_cause).collect(),
                ));
            }
            match rv {
                None => cache.wait_consistent().await?,
                Some(rv) => cache.wait_for(parse_resource_version(rv)?).await?,
            }
            return cache.watch(&scope, filter, None, true, true).await;
        }
        if options.version_match.is_some() && options.send_initial_events.is_none() {
            return Err(ApiError::bad_request(
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        match rv {
            None => {
                cache.wait_consistent().await?;
                cache
                    .watch(&scope, filter, None, false, options.allow_bookmarks)
                    .await
            }
            Some("0") => {
                cache
                    .watch(&scope, filter, None, false, options.allow_bookmarks)
                    .await
            }
            Some(rv) => {
                let rv = parse_resource_version(rv)?;
                cache
                    .watch(&scope, filter, Some(rv), false, options.allow_bookmarks)
                    .await
            }
        }
    }
}
