//! LIST, with upstream's resourceVersion semantics:
//!
//! | request | served by |
//! | --- | --- |
//! | no `resourceVersion`, no `limit` | cache, once it has caught up with storage (consistent) |
//! | no `resourceVersion`, `limit` | storage, paged at one revision (consistent) |
//! | `resourceVersion=0` | cache as it is (`limit` ignored, as upstream) |
//! | `resourceVersion=N`, `NotOlderThan` or no match without `limit` | cache, once it has seen N |
//! | `resourceVersion=N`, `Exact`, or no match with `limit` | storage at revision N |
//! | `continue` | storage at the token's revision |

use std::sync::Arc;

use super::{ContinueToken, ResourceStore, parse_resource_version, storage_error_unnamed};
use crate::apiserver::registry::cache::CachedObject;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::request::query::{ReadOptions, VersionMatch};
use crate::apiserver::status::ApiError;
use crate::storage::{ListOptions, Revision, StorageError};

/// One page of a list.
pub struct ListPage {
    pub items: Vec<Arc<CachedObject>>,
    pub revision: Revision,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

/// The message of a 410 for a continue token whose revision is compacted.
const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

impl ResourceStore {
    pub async fn list(
        &self,
        namespace: Option<&str>,
        options: &ReadOptions,
        filter: &Filter,
    ) -> Result<ListPage, ApiError> {
        let scope = self.scope_prefix(namespace)?;
        let rv = options.resource_version.as_deref();
        if options.version_match.is_some() && rv.is_none() {
            return Err(ApiError::bad_request(
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if options.continue_token.is_some() && rv.is_some_and(|rv| rv != "0") {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        if options.version_match == Some(VersionMatch::Exact) && rv == Some("0") {
            return Err(ApiError::bad_request(
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ));
        }
        let limit = options.limit.map(|l| l as usize);
        if let Some(token) = &options.continue_token {
            let token = ContinueToken::decode(token)?;
            let start = format!("{scope}{}", token.start);
            let revision = token.revision.max(0) as u64;
            return match self
                .list_storage(&scope, Some(start), revision, limit, filter)
                .await
            {
                Err(ApiError { code, .. }) if code == http::StatusCode::GONE => {
                    // Offer to go on from the same key at the latest
                    // revision (the client decides whether that will do).
                    let mut expired = ApiError::expired(CONTINUE_EXPIRED);
                    expired.continue_token = Some(ContinueToken::latest(token.start).encode());
                    Err(expired)
                }
                other => other,
            };
        }
        match (rv, options.version_match) {
            (None, _) if limit.is_none() => self.list_cache(&scope, filter, None).await,
            (None, _) => self.list_storage(&scope, None, 0, limit, filter).await,
            (Some("0"), _) => self.list_cache(&scope, filter, Some(0)).await,
            (Some(rv), Some(VersionMatch::NotOlderThan)) => {
                let rv = parse_resource_version(rv)?;
                self.list_cache(&scope, filter, Some(rv)).await
            }
            (Some(rv), None) if limit.is_none() => {
                let rv = parse_resource_version(rv)?;
                self.list_cache(&scope, filter, Some(rv)).await
            }
            (Some(rv), _) => {
                let rv = parse_resource_version(rv)?;
                self.list_storage(&scope, None, rv, limit, filter).await
            }
        }
    }

    /// `not_older_than`: `None` for a consistent read, else the revision the
    /// cache must have reached.
    async fn list_cache(
        &self,
        scope: &str,
        filter: &Filter,
        not_older_than: Option<Revision>,
    ) -> Result<ListPage, ApiError> {
        let cache = self.cache()?;
        match not_older_than {
            // A cache that cannot catch up in time (a starved machine, a
            // refill) does not fail the list: storage answers it.
            None if !cache.try_wait_consistent().await => {
                return self.list_storage(scope, None, 0, None, filter).await;
            }
            None => {}
            Some(rv) => cache.wait_for(rv).await?,
        }
        let list = cache.list(scope, filter);
        Ok(ListPage {
            items: list.items,
            revision: list.revision,
            continue_token: None,
            remaining: None,
        })
    }

    /// Pages from storage at `revision` (0: the latest), fetching further
    /// pages until `limit` objects pass the filter, as upstream does.
    async fn list_storage(
        &self,
        scope: &str,
        start: Option<String>,
        revision: Revision,
        limit: Option<usize>,
        filter: &Filter,
    ) -> Result<ListPage, ApiError> {
        let mut items = Vec::new();
        let mut options = ListOptions {
            start_key: start,
            limit: limit.unwrap_or(0),
            revision,
        };
        loop {
            let page = self
                .storage
                .list(scope, options.clone())
                .await
                .map_err(|e| match e {
                    StorageError::Compacted { .. } => ApiError::expired(format!(
                        "The resourceVersion for the provided list is too old. ({e})"
                    )),
                    other => storage_error_unnamed(other),
                })?;
            options.revision = page.revision;
            let mut last_key = None;
            let mut stopped_early = false;
            let decoded = self.decode_all(&page.items).await?;
            for (i, (kv, object)) in page.items.iter().zip(decoded).enumerate() {
                last_key = Some(kv.key.clone());
                if filter.matches(&object.object) {
                    items.push(object);
                    if limit.is_some_and(|l| items.len() >= l) {
                        stopped_early = i + 1 < page.items.len();
                        break;
                    }
                }
            }
            let more = page.more || stopped_early;
            let full = limit.is_some_and(|l| items.len() >= l);
            if !more || full {
                let continue_token = more.then(|| {
                    let last = last_key.clone().unwrap_or_default();
                    let relative = last.strip_prefix(scope).unwrap_or(&last);
                    ContinueToken::new(page.revision, format!("{relative}\0")).encode()
                });
                // The remaining count is only exact when nothing is filtered.
                let remaining = (more && filter.selects_by_key_only() && !stopped_early)
                    .then_some(page.remaining);
                return Ok(ListPage {
                    items,
                    revision: page.revision,
                    continue_token,
                    remaining,
                });
            }
            options.start_key = last_key.map(|k| format!("{k}\0"));
            if let Some(limit) = limit {
                // Ask for what is still missing, at least a little more to
                // amortise filtered-out objects.
                options.limit = (limit - items.len()).max(limit.min(500));
            }
        }
    }
}
