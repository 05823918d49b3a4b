//! Leader election through a `coordination.k8s.io/v1` Lease in
//! `kube-system`, with upstream's timings (lease 15 s, renew deadline
//! 10 s, retry every 2 s) and holder identity (`<host>_<uuid>`), so that a
//! keelson controller-manager and upstream's tools agree on who leads.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};
use kube::{Client, Error};

const NAMESPACE: &str = "kube-system";
const LEASE_DURATION: Duration = Duration::from_secs(15);
const RENEW_DEADLINE: Duration = Duration::from_secs(10);
const RETRY_PERIOD: Duration = Duration::from_secs(2);

/// One candidate for one Lease.
pub struct LeaderElection {
    leases: Api<Lease>,
    name: String,
    identity: String,
}

fn now() -> MicroTime {
    MicroTime(jiff::Timestamp::now())
}

impl LeaderElection {
    pub fn new(client: Client, name: &str) -> LeaderElection {
        let host = crate::pki::serving::host_name().unwrap_or_else(|| "keelson".into());
        LeaderElection {
            leases: Api::namespaced(client, NAMESPACE),
            name: name.to_owned(),
            identity: format!("{host}_{}", uuid::Uuid::new_v4()),
        }
    }

    /// This candidate's `holderIdentity`.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Waits until this candidate holds the Lease.
    pub async fn acquire(&self) {
        tracing::info!(lease = %self.name, identity = %self.identity, "waiting for leadership");
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(lease = %self.name, "became leader");
                    return;
                }
                Ok(false) => {}
                Err(error) => tracing::debug!(%error, "leader election attempt failed"),
            }
            tokio::time::sleep(RETRY_PERIOD).await;
        }
    }

    /// Renews the Lease every retry period; returns when it could not be
    /// renewed within the renew deadline (leadership lost).
    pub async fn hold(&self) {
        let mut renewed = Instant::now();
        loop {
            tokio::time::sleep(RETRY_PERIOD).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => {
                    tracing::error!(lease = %self.name, "another candidate holds the lease");
                    return;
                }
                Err(error) => tracing::warn!(%error, "renewing the lease failed"),
            }
            if renewed.elapsed() > RENEW_DEADLINE {
                tracing::error!(lease = %self.name, "could not renew the lease in time");
                return;
            }
        }
    }

    /// Gives the Lease up (on a clean shutdown), so another candidate can
    /// take it at once.
    pub async fn release(&self) {
        if let Ok(Some(mut lease)) = self.leases.get_opt(&self.name).await {
            let spec = lease.spec.get_or_insert_with(Default::default);
            if spec.holder_identity.as_deref() == Some(self.identity.as_str()) {
                spec.holder_identity = None;
                spec.lease_duration_seconds = Some(1);
                spec.renew_time = Some(now());
                let _ = self
                    .leases
                    .replace(&self.name, &PostParams::default(), &lease)
                    .await;
            }
        }
    }

    /// Takes the Lease if it is free or expired, renews it if it is ours;
    /// `Ok(false)` while another candidate holds it.
    async fn try_acquire_or_renew(&self) -> Result<bool, Error> {
        let Some(mut lease) = self.leases.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    namespace: Some(NAMESPACE.into()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(LEASE_DURATION.as_secs() as i32),
                    acquire_time: Some(now()),
                    renew_time: Some(now()),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.leases.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(Error::Api(status)) if status.code == 409 => Ok(false),
                Err(error) => Err(error),
            };
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        let ours = spec.holder_identity.as_deref() == Some(self.identity.as_str());
        if !ours && held(spec) {
            return Ok(false);
        }
        if !ours {
            spec.holder_identity = Some(self.identity.clone());
            spec.acquire_time = Some(now());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.lease_duration_seconds = Some(LEASE_DURATION.as_secs() as i32);
        spec.renew_time = Some(now());
        // The resourceVersion in `lease` makes this a compare-and-swap:
        // two candidates cannot both take an expired Lease.
        match self
            .leases
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// Whether a Lease's holder is still within its lease duration.
fn held(spec: &LeaseSpec) -> bool {
    let Some(holder) = spec.holder_identity.as_deref() else {
        return false;
    };
    if holder.is_empty() {
        return false;
    }
    let Some(MicroTime(renewed)) = spec.renew_time else {
        return false;
    };
    let duration = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    renewed.as_second() + duration > jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_held_until_its_duration_runs_out() {
        let spec = |holder: Option<&str>, age: i64, duration: i32| LeaseSpec {
            holder_identity: holder.map(Into::into),
            renew_time: Some(MicroTime(
                jiff::Timestamp::now() - jiff::SignedDuration::from_secs(age),
            )),
            lease_duration_seconds: Some(duration),
            ..Default::default()
        };
        assert!(held(&spec(Some("a"), 1, 15)));
        assert!(!held(&spec(Some("a"), 20, 15)));
        assert!(!held(&spec(None, 1, 15)));
        assert!(!held(&spec(Some(""), 1, 15)));
    }
}
