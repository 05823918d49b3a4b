//! The garbage collector: objects whose owners are gone are deleted, and
//! owners deleted with `propagationPolicy` Orphan or Foreground are
//! finished as upstream does.
//!
//! It watches every resource the server serves that can be listed,
//! watched and deleted (found through discovery, so custom resources too,
//! re-discovered every 30 s) and keeps a graph of `ownerReferences` by
//! uid. A change marks the object and, when it is gone or being deleted,
//! its dependents; marked objects are then looked at once all watches have
//! listed:
//!
//! * an owner being deleted with the `orphan` finalizer: its dependents
//!   lose their reference to it, then the finalizer goes;
//! * an owner with `foregroundDeletion`: its dependents are deleted (in
//!   the foreground too); once none that blocks it is left, the finalizer
//!   goes;
//! * a dependent none of whose owners exist any more (checked with a GET,
//!   not just the graph) is deleted — in the foreground if an owner waits
//!   for it; one with some owners left just loses the dangling references.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use serde_json::json;
use tokio::sync::mpsc;

use super::RETRY;

const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";
const REDISCOVER: Duration = Duration::from_secs(30);

/// A resource the collector watches.
#[derive(Clone)]
struct Resource {
    api: ApiResource,
    namespaced: bool,
}

/// One object in the graph.
#[derive(Clone)]
struct Node {
    resource: usize,
    namespace: Option<String>,
    name: String,
    resource_version: String,
    owners: Vec<OwnerReference>,
    finalizers: Vec<String>,
    deleting: bool,
}

#[derive(Default)]
struct Graph {
    nodes: HashMap<String, Node>,
    /// owner uid → dependent uids.
    dependents: HashMap<String, HashSet<String>>,
    /// Objects to look at.
    dirty: BTreeSet<String>,
}

impl Graph {
    fn upsert(&mut self, resource: usize, object: &DynamicObject) {
        let Some(uid) = object.metadata.uid.clone() else {
            return;
        };
        let node = Node {
            resource,
            namespace: object.metadata.namespace.clone(),
            name: object.name_any(),
            resource_version: object.resource_version().unwrap_or_default(),
            owners: object.owner_references().to_vec(),
            finalizers: object.finalizers().to_vec(),
            deleting: object.metadata.deletion_timestamp.is_some(),
        };
        self.unlink(&uid);
        for owner in &node.owners {
            self.dependents
                .entry(owner.uid.clone())
                .or_default()
                .insert(uid.clone());
        }
        if node.deleting {
            self.dirty
                .extend(self.dependents.get(&uid).into_iter().flatten().cloned());
            self.dirty.extend(node.owners.iter().map(|o| o.uid.clone()));
        }
        self.nodes.insert(uid.clone(), node);
        self.dirty.insert(uid);
    }

    fn remove(&mut self, uid: &str) {
        // Its owners may have waited for it (foreground deletion).
        if let Some(node) = self.nodes.get(uid) {
            self.dirty.extend(node.owners.iter().map(|o| o.uid.clone()));
        }
        self.unlink(uid);
        self.nodes.remove(uid);
        self.dirty
            .extend(self.dependents.get(uid).into_iter().flatten().cloned());
    }

    /// Drops `uid`'s edges to its owners.
    fn unlink(&mut self, uid: &str) {
        if let Some(old) = self.nodes.get(uid) {
            for owner in &old.owners {
                if let Some(set) = self.dependents.get_mut(&owner.uid) {
                    set.remove(uid);
                    if set.is_empty() {
                        self.dependents.remove(&owner.uid);
                    }
                }
            }
        }
    }

    fn dependents_of(&self, uid: &str) -> Vec<String> {
        self.dependents
            .get(uid)
            .map(|d| {
                d.iter()
                    .filter(|d| self.nodes.contains_key(*d))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs until the process stops, starting over when the set of resources
/// changes.
pub async fn run(client: Client) {
    loop {
        if let Err(error) = run_once(&client).await {
            tracing::warn!(%error, "garbage collector: starting over");
            tokio::time::sleep(RETRY).await;
        }
    }
}

async fn discover(client: &Client) -> Result<Vec<Resource>, kube::Error> {
    let discovery = Discovery::new(client.clone()).run().await?;
    let mut resources = Vec::new();
    for group in discovery.groups() {
        for (api, capabilities) in group.recommended_resources() {
            let usable = [verbs::LIST, verbs::WATCH, verbs::DELETE, verbs::PATCH]
                .iter()
                .all(|v| capabilities.supports_operation(v));
            // Events own nothing and are owned by nothing worth collecting.
            if usable && api.plural != "events" {
                resources.push(Resource {
                    api,
                    namespaced: capabilities.scope == Scope::Namespaced,
                });
            }
        }
    }
    resources.sort_by(|a, b| (&a.api.group, &a.api.plural).cmp(&(&b.api.group, &b.api.plural)));
    Ok(resources)
}

async fn run_once(client: &Client) -> Result<(), kube::Error> {
    let resources = discover(client).await?;
    let (sender, mut events) = mpsc::channel(1024);
    let mut watches = tokio::task::JoinSet::new();
    for (index, resource) in resources.iter().enumerate() {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource.api);
        let sender = sender.clone();
        watches.spawn(async move {
            let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => {
                        if sender.send((index, event)).await.is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "garbage collector watch error; retrying");
                        tokio::time::sleep(RETRY).await;
                    }
                }
            }
        });
    }
    drop(sender);
    let collector = Collector {
        client: client.clone(),
        resources: resources.clone(),
    };
    let mut graph = Graph::default();
    let mut listed: HashSet<usize> = HashSet::new();
    let mut relisting: HashMap<usize, HashSet<String>> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut discovered = Instant::now();
    loop {
        tokio::select! {
            received = events.recv() => {
                let Some((index, event)) = received else { return Ok(()) };
                match event {
                    Event::Init => { relisting.insert(index, HashSet::new()); }
                    Event::InitApply(object) => {
                        if let (Some(seen), Some(uid)) = (relisting.get_mut(&index), object.metadata.uid.clone()) {
                            seen.insert(uid);
                        }
                        graph.upsert(index, &object);
                    }
                    Event::InitDone => {
                        let seen = relisting.remove(&index).unwrap_or_default();
                        let gone: Vec<String> = graph.nodes.iter()
                            .filter(|(uid, node)| node.resource == index && !seen.contains(*uid))
                            .map(|(uid, _)| uid.clone())
                            .collect();
                        for uid in gone { graph.remove(&uid); }
                        listed.insert(index);
                    }
                    Event::Apply(object) => graph.upsert(index, &object),
                    Event::Delete(object) => {
                        if let Some(uid) = object.metadata.uid { graph.remove(&uid); }
                    }
                }
                // Drain what else is queued before acting.
                if !events.is_empty() { continue; }
            }
            _ = tick.tick() => {
                if discovered.elapsed() > REDISCOVER {
                    discovered = Instant::now();
                    let now = discover(client).await?;
                    let names = |r: &[Resource]| r.iter().map(|r| (r.api.group.clone(), r.api.plural.clone())).collect::<Vec<_>>();
                    if names(&now) != names(&resources) {
                        watches.abort_all();
                        return Ok(());
                    }
                }
            }
        }
        if listed.len() == resources.len() {
            let dirty = std::mem::take(&mut graph.dirty);
            for uid in dirty {
                if let Err(error) = collector.attend(&graph, &uid).await {
                    tracing::debug!(%error, %uid, "garbage collector will retry");
                    graph.dirty.insert(uid);
                }
            }
        }
    }
}

struct Collector {
    client: Client,
    resources: Vec<Resource>,
}

/// How a dependent stands with one owner.
enum OwnerState {
    /// Exists (and does not wait for its dependents).
    Present,
    /// Exists, is being deleted in the foreground, and this reference
    /// blocks it.
    Waiting,
    /// Gone (or replaced by another object of the same name).
    Absent,
    /// Its kind is not served: cannot tell.
    Unknown,
}

impl Collector {
    fn api(&self, resource: &Resource, namespace: Option<&str>) -> Api<DynamicObject> {
        match (resource.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &resource.api),
            _ => Api::all_with(self.client.clone(), &resource.api),
        }
    }

    fn node_api(&self, node: &Node) -> Api<DynamicObject> {
        self.api(&self.resources[node.resource], node.namespace.as_deref())
    }

    async fn attend(&self, graph: &Graph, uid: &str) -> Result<(), kube::Error> {
        let Some(node) = graph.nodes.get(uid) else {
            return Ok(());
        };
        if node.deleting && node.finalizers.iter().any(|f| f == ORPHAN) {
            return self.orphan_dependents(graph, uid, node).await;
        }
        if node.deleting && node.finalizers.iter().any(|f| f == FOREGROUND) {
            return self.delete_dependents_first(graph, uid, node).await;
        }
        if node.owners.is_empty() || node.deleting {
            return Ok(());
        }
        let mut absent = Vec::new();
        let mut waiting = false;
        let mut present = false;
        for owner in &node.owners {
            match self.owner_state(graph, node, owner).await? {
                OwnerState::Present | OwnerState::Unknown => present = true,
                OwnerState::Waiting => waiting = true,
                OwnerState::Absent => absent.push(owner.uid.clone()),
            }
        }
        let api = self.node_api(node);
        if !present && (waiting || !absent.is_empty()) {
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: Some(uid.to_owned()),
                    resource_version: None,
                }),
                ..if waiting {
                    DeleteParams::foreground()
                } else {
                    DeleteParams::background()
                }
            };
            tracing::info!(name = %node.name, namespace = ?node.namespace, "deleting an object whose owners are gone");
            return ignore_gone(api.delete(&node.name, &params).await.map(|_| ()));
        }
        if !absent.is_empty() {
            let kept: Vec<&OwnerReference> = node
                .owners
                .iter()
                .filter(|o| !absent.contains(&o.uid))
                .collect();
            let patch = json!({"metadata": {"resourceVersion": node.resource_version, "ownerReferences": kept}});
            return ignore_gone(
                api.patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
            );
        }
        Ok(())
    }

    async fn owner_state(
        &self,
        graph: &Graph,
        node: &Node,
        owner: &OwnerReference,
    ) -> Result<OwnerState, kube::Error> {
        if let Some(found) = graph.nodes.get(&owner.uid) {
            let waits = found.deleting
                && found.finalizers.iter().any(|f| f == FOREGROUND)
                && owner.block_owner_deletion == Some(true);
            return Ok(if waits {
                OwnerState::Waiting
            } else {
                OwnerState::Present
            });
        }
        // Not in the graph: ask the server, the graph may lag.
        let (group, version) = match owner.api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", owner.api_version.as_str()),
        };
        let Some(resource) = self
            .resources
            .iter()
            .find(|r| r.api.group == group && r.api.version == version && r.api.kind == owner.kind)
        else {
            return Ok(OwnerState::Unknown);
        };
        match self
            .api(resource, node.namespace.as_deref())
            .get_opt(&owner.name)
            .await?
        {
            Some(found) if found.metadata.uid.as_deref() == Some(owner.uid.as_str()) => {
                Ok(OwnerState::Present)
            }
            _ => Ok(OwnerState::Absent),
        }
    }

    async fn orphan_dependents(
        &self,
        graph: &Graph,
        uid: &str,
        node: &Node,
    ) -> Result<(), kube::Error> {
        for dependent in graph.dependents_of(uid) {
            let Some(child) = graph.nodes.get(&dependent) else {
                continue;
            };
            self.drop_owner(child, uid).await?;
        }
        self.remove_finalizer(node, ORPHAN).await
    }

    /// Removes the reference to `owner` from `child`'s owners.
    async fn drop_owner(&self, child: &Node, owner: &str) -> Result<(), kube::Error> {
        let kept: Vec<&OwnerReference> = child.owners.iter().filter(|o| o.uid != owner).collect();
        let patch = json!({"metadata": {"resourceVersion": child.resource_version, "ownerReferences": kept}});
        ignore_gone(
            self.node_api(child)
                .patch(&child.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ()),
        )
    }

    async fn delete_dependents_first(
        &self,
        graph: &Graph,
        uid: &str,
        node: &Node,
    ) -> Result<(), kube::Error> {
        let mut blocking = false;
        for dependent in graph.dependents_of(uid) {
            let Some(child) = graph.nodes.get(&dependent) else {
                continue;
            };
            let blocks = child
                .owners
                .iter()
                .any(|o| o.uid == uid && o.block_owner_deletion == Some(true));
            blocking |= blocks;
            if child.deleting {
                continue;
            }
            // The graph may lag a recent change of the dependent's owners:
            // decide on the object as it is now, as upstream does.
            let Some(current) = self.node_api(child).get_opt(&child.name).await? else {
                continue;
            };
            let still_owned = current
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid);
            if current.metadata.uid.as_deref() != Some(dependent.as_str())
                || current.metadata.deletion_timestamp.is_some()
                || !still_owned
            {
                continue;
            }
            let child = &Node {
                resource_version: current.metadata.resource_version.unwrap_or_default(),
                owners: current.metadata.owner_references.unwrap_or_default(),
                ..child.clone()
            };
            // A dependent another owner still holds stays, as upstream:
            // it only stops naming the owner being deleted.
            let mut held = false;
            for owner in child.owners.iter().filter(|o| o.uid != uid) {
                if matches!(
                    self.owner_state(graph, child, owner).await?,
                    OwnerState::Present | OwnerState::Unknown
                ) {
                    held = true;
                    break;
                }
            }
            if held {
                self.drop_owner(child, uid).await?;
                continue;
            }
            let params = if blocks {
                DeleteParams::foreground()
            } else {
                DeleteParams::background()
            };
            ignore_gone(
                self.node_api(child)
                    .delete(&child.name, &params)
                    .await
                    .map(|_| ()),
            )?;
        }
        if blocking {
            // Looked at again when the blocking dependents are gone.
            return self.break_cycle(graph, uid, node).await;
        }
        self.remove_finalizer(node, FOREGROUND).await
    }

    /// Foreground deletions around an ownership cycle would wait on each
    /// other forever. As upstream, an object that blocks an owner waiting
    /// for it while one of its own dependents waits too stops blocking:
    /// its owner references become non-blocking, and the chain unwinds.
    async fn break_cycle(&self, graph: &Graph, uid: &str, node: &Node) -> Result<(), kube::Error> {
        let blocks_a_waiting_owner = node.owners.iter().any(|owner| {
            owner.block_owner_deletion == Some(true)
                && graph
                    .nodes
                    .get(&owner.uid)
                    .is_some_and(|o| o.deleting && o.finalizers.iter().any(|f| f == FOREGROUND))
        });
        let a_dependent_waits = graph.dependents_of(uid).iter().any(|d| {
            graph
                .nodes
                .get(d)
                .is_some_and(|d| d.deleting && d.finalizers.iter().any(|f| f == FOREGROUND))
        });
        if !(blocks_a_waiting_owner && a_dependent_waits) {
            return Ok(());
        }
        let unblocked: Vec<OwnerReference> = node
            .owners
            .iter()
            .map(|owner| OwnerReference {
                block_owner_deletion: owner.block_owner_deletion.map(|_| false),
                ..owner.clone()
            })
            .collect();
        tracing::info!(name = %node.name, namespace = ?node.namespace, "ownership cycle: owner references made non-blocking");
        let patch = json!({"metadata": {"resourceVersion": node.resource_version, "ownerReferences": unblocked}});
        ignore_gone(
            self.node_api(node)
                .patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ()),
        )
    }

    async fn remove_finalizer(&self, node: &Node, finalizer: &str) -> Result<(), kube::Error> {
        let kept: Vec<&String> = node.finalizers.iter().filter(|f| *f != finalizer).collect();
        let patch =
            json!({"metadata": {"resourceVersion": node.resource_version, "finalizers": kept}});
        ignore_gone(
            self.node_api(node)
                .patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ()),
        )
    }
}

/// An object that is already gone needs nothing more.
fn ignore_gone(result: Result<(), kube::Error>) -> Result<(), kube::Error> {
    match result {
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        other => other,
    }
}
