//! ResourceQuota: a create or update that would take a namespace past one
//! of its quotas is refused (403, `exceeded quota: …`), and what it uses
//! is charged to the quotas' `status.used` before the object is stored,
//! so that concurrent writes cannot overrun a quota between two counts of
//! the resourcequota controller. A charge for a write that is then not
//! stored is given back.
//!
//! Quotas are matched by `status.hard`, what the controller has
//! acknowledged: a quota it has not counted yet limits nothing, and one
//! whose usage of a limited resource is unknown refuses the write.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use serde_json::Value;

use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::resource::ResourceDescriptor;
use crate::apiserver::registry::store::hooks::{Admission, Nothing, Reservation};
use crate::apiserver::registry::store::{Part, ResourceStore, WriteOptions};
use crate::apiserver::request::query::ReadOptions;
use crate::apiserver::status::{ApiError, qualified_resource};
use crate::quota::{self, Usage};

/// Resources upstream's plugin leaves alone.
const IGNORED: [(&str, &str); 2] = [("", "events"), ("events.k8s.io", "events")];

pub struct ResourceQuotaAdmission {
    /// Weak: the registry's stores hold this plugin.
    registry: Weak<Registry>,
}

impl ResourceQuotaAdmission {
    pub fn new(registry: &Arc<Registry>) -> ResourceQuotaAdmission {
        ResourceQuotaAdmission {
            registry: Arc::downgrade(registry),
        }
    }
}

/// 403 for `object` of `resource`, worded as upstream's admission errors.
fn forbidden(resource: &ResourceDescriptor, object: &Value, reason: String) -> ApiError {
    let name = object.name().unwrap_or_default();
    let subject = qualified_resource(&resource.group, &resource.plural);
    let message = if name.is_empty() {
        format!("{subject} is forbidden: {reason}")
    } else {
        format!("{subject} \"{name}\" is forbidden: {reason}")
    };
    ApiError::forbidden(&resource.group, &resource.plural, name, message)
}

#[async_trait]
impl Admission for ResourceQuotaAdmission {
    async fn admit(
        &self,
        resource: &ResourceDescriptor,
        new: &Value,
        old: Option<&Value>,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let (group, plural) = (resource.group.as_str(), resource.plural.as_str());
        if !resource.namespaced() || IGNORED.contains(&(group, plural)) {
            return Ok(Box::new(Nothing));
        }
        let quotas = self
            .registry
            .upgrade()
            .and_then(|registry| registry.get("", "v1", "resourcequotas"));
        let (Some(namespace), Some(quotas)) = (new.namespace(), quotas) else {
            return Ok(Box::new(Nothing));
        };
        // The watch cache: a write must not cost a storage read when the
        // namespace has no quota, which is the common case.
        let cached = ReadOptions {
            resource_version: Some("0".into()),
            ..ReadOptions::default()
        };
        let filter = Filter::everything(quotas.strategy.clone(), Some(namespace));
        let page = quotas.list(Some(namespace), &cached, &filter).await?;
        let mut pertinent = Vec::new();
        for item in &page.items {
            let found = &item.object;
            let hard = &found["status"]["hard"];
            if !quota::matches(found, hard, group, plural, new) {
                continue;
            }
            let quota_name = found.name().unwrap_or_default().to_owned();
            let restricted: Vec<&str> = hard
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, _)| name.as_str())
                .filter(|name| quota::covers(group, plural, name))
                .collect();
            if (group, plural) == ("", "pods") {
                quota::pods::constraints(new, &restricted).map_err(|e| {
                    forbidden(resource, new, format!("failed quota: {quota_name}: {e}"))
                })?;
            }
            let unknown: Vec<&str> = restricted
                .iter()
                .copied()
                .filter(|name| found["status"]["used"].get(*name).is_none())
                .collect();
            if !unknown.is_empty() {
                return Err(forbidden(
                    resource,
                    new,
                    format!(
                        "status unknown for quota: {quota_name}, resources: {}",
                        unknown.join(",")
                    ),
                ));
            }
            pertinent.push(quota_name);
        }
        if pertinent.is_empty() {
            return Ok(Box::new(Nothing));
        }
        let mut delta = quota::usage(group, plural, new);
        if let Some(old) = old {
            // An update is charged what it adds, never credited.
            let before = quota::usage(group, plural, old);
            for (name, amount) in &mut delta {
                if let Some(previous) = before.get(name) {
                    amount.0 = (amount.0 - previous.0).max(0);
                }
            }
        }
        delta.retain(|_, amount| !amount.is_zero());
        if delta.is_empty() {
            return Ok(Box::new(Nothing));
        }
        let mut charged = Charged {
            quotas: quotas.clone(),
            namespace: namespace.to_owned(),
            charges: Vec::new(),
        };
        for quota_name in pertinent {
            match charge(&quotas, namespace, &quota_name, &delta, dry_run).await {
                Ok(Some(requested)) => charged.charges.push((quota_name, requested)),
                Ok(None) => {}
                Err(reason) => {
                    Box::new(charged).revert().await;
                    return Err(match reason {
                        Refusal::Exceeded(reason) => forbidden(resource, new, reason),
                        Refusal::Failed(error) => error,
                    });
                }
            }
        }
        Ok(Box::new(charged))
    }
}

enum Refusal {
    Exceeded(String),
    Failed(ApiError),
}

/// Adds `delta` to one quota's `status.used` if it stays within
/// `status.hard`, re-checking against the latest quota on every attempt.
/// Returns what was charged (the part of `delta` the quota limits).
async fn charge(
    quotas: &ResourceStore,
    namespace: &str,
    name: &str,
    delta: &Usage,
    dry_run: bool,
) -> Result<Option<Usage>, Refusal> {
    let mut charged = None;
    let mut exceeded = None;
    let options = WriteOptions {
        dry_run,
        ..WriteOptions::default()
    };
    let result = quotas
        .guaranteed_update(Some(namespace), name, Part::Status, &options, |current| {
            let hard = quota::read_list(&current["status"]["hard"]);
            let mut used = quota::read_list(&current["status"]["used"]);
            let requested: Usage = delta
                .iter()
                .filter(|(name, _)| hard.contains_key(*name))
                .map(|(name, amount)| (name.clone(), *amount))
                .collect();
            let over: Vec<&String> = requested
                .iter()
                .filter(|(name, amount)| {
                    let now = used.get(*name).map_or(0, |u| u.0);
                    now + amount.0 > hard[*name].0
                })
                .map(|(name, _)| name)
                .collect();
            if !over.is_empty() {
                let pick = |list: &Usage| -> Usage {
                    over.iter()
                        .map(|name| {
                            (
                                name.to_string(),
                                list.get(*name).copied().unwrap_or_default(),
                            )
                        })
                        .collect()
                };
                let reason = format!(
                    "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                    quota::pretty(&pick(&requested)),
                    quota::pretty(&pick(&used)),
                    quota::pretty(&pick(&hard)),
                );
                exceeded = Some(reason.clone());
                return Err(ApiError::forbidden("", "resourcequotas", name, reason));
            }
            for (name, amount) in &requested {
                used.entry(name.clone()).or_default().0 += amount.0;
            }
            let mut new = current.clone();
            new["status"]["used"] = merged(&current["status"]["used"], &used, &requested);
            charged = Some(requested);
            Ok(new)
        })
        .await;
    match result {
        Ok(_) => Ok(charged),
        Err(_) if exceeded.is_some() => Err(Refusal::Exceeded(exceeded.unwrap_or_default())),
        // The quota went away meanwhile: nothing to charge.
        Err(error) if error.code == http::StatusCode::NOT_FOUND => Ok(None),
        Err(error) => Err(Refusal::Failed(error)),
    }
}

/// `status.used` with the `changed` entries rewritten from `used`, the
/// others kept as written.
fn merged(current: &Value, used: &Usage, changed: &Usage) -> Value {
    let mut out = current.as_object().cloned().unwrap_or_default();
    for name in changed.keys() {
        out.insert(
            name.clone(),
            Value::String(quota::quantity_text(name, used[name])),
        );
    }
    Value::Object(out)
}

/// What one write was charged, by quota; given back if it is not stored.
struct Charged {
    quotas: Arc<ResourceStore>,
    namespace: String,
    charges: Vec<(String, Usage)>,
}

#[async_trait]
impl Reservation for Charged {
    async fn commit(self: Box<Self>) {}

    async fn revert(self: Box<Self>) {
        for (name, requested) in &self.charges {
            let result = self
                .quotas
                .guaranteed_update(
                    Some(&self.namespace),
                    name,
                    Part::Status,
                    &WriteOptions::default(),
                    |current| {
                        let mut used = quota::read_list(&current["status"]["used"]);
                        for (name, amount) in requested {
                            let entry = used.entry(name.clone()).or_default();
                            entry.0 = (entry.0 - amount.0).max(0);
                        }
                        let mut new = current.clone();
                        new["status"]["used"] =
                            merged(&current["status"]["used"], &used, requested);
                        Ok(new)
                    },
                )
                .await;
            if let Err(error) = result {
                // The controller's next count puts it right.
                tracing::debug!(%error, quota = %name, "quota charge not given back");
            }
        }
    }
}
