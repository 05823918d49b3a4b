//! The serviceaccount-token controller: fills `kubernetes.io/service-account-token`
//! Secrets with a legacy token for their account (plus `ca.crt` and
//! `namespace`), as upstream still does for Secrets users create; and, with
//! `--legacy-service-account-token-secrets`, creates one for every account
//! and lists it in the account's `secrets`, as Kubernetes did before 1.24
//! (the 1.20 e2e framework waits for that). Tokens are signed with the key
//! the API server verifies them with (`--service-account-private-key-file`).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ObjectReference, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;
use crate::apiserver::serviceaccount::jwt;
use crate::apiserver::serviceaccount::keys::SigningKey;
use crate::apiserver::serviceaccount::legacy::{
    LegacyClaims, NAME_ANNOTATION, SECRET_TYPE, UID_ANNOTATION,
};

/// What the controller signs with and publishes.
pub struct TokenSecrets {
    pub key: SigningKey,
    pub root_ca: Option<String>,
    /// Create a token Secret for every account (Kubernetes before 1.24).
    pub create_for_every_account: bool,
}

struct Context {
    client: Client,
    secrets: TokenSecrets,
}

/// Runs until the watches end.
pub async fn run(client: Client, secrets: TokenSecrets) {
    let accounts: Api<ServiceAccount> = Api::all(client.clone());
    let token_secrets: Api<Secret> = Api::all(client.clone());
    let context = Arc::new(Context { client, secrets });
    Controller::new(accounts, watcher::Config::default())
        .watches(
            token_secrets,
            watcher::Config::default().fields(&format!("type={SECRET_TYPE}")),
            |secret| {
                let account = secret.annotations().get(NAME_ANNOTATION)?;
                Some(ObjectRef::new(account).within(&secret.namespace()?))
            },
        )
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "serviceaccount-token: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

fn filled(secret: &mut Secret, account: &ServiceAccount, context: &Context) -> Result<(), String> {
    let namespace = account.namespace().unwrap_or_default();
    let claims = LegacyClaims {
        namespace: namespace.clone(),
        secret_name: secret.name_any(),
        service_account_name: account.name_any(),
        service_account_uid: account.uid().unwrap_or_default(),
    };
    let token = jwt::sign(&context.secrets.key, &claims.to_json())?;
    let data = secret.data.get_or_insert_with(BTreeMap::new);
    data.insert("token".into(), ByteString(token.into_bytes()));
    data.insert("namespace".into(), ByteString(namespace.into_bytes()));
    if let Some(ca) = &context.secrets.root_ca {
        data.insert("ca.crt".into(), ByteString(ca.clone().into_bytes()));
    }
    secret
        .annotations_mut()
        .insert(UID_ANNOTATION.into(), claims.service_account_uid);
    Ok(())
}

async fn reconcile(account: Arc<ServiceAccount>, context: Arc<Context>) -> Result<Action, Failure> {
    if account.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = account.namespace().unwrap_or_default();
    let uid = account.uid().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(context.client.clone(), &namespace);
    let listed = secrets
        .list(&ListParams::default().fields(&format!("type={SECRET_TYPE}")))
        .await?;
    let mine: Vec<Secret> = listed
        .items
        .into_iter()
        .filter(|s| s.annotations().get(NAME_ANNOTATION) == Some(&account.name_any()))
        .filter(|s| {
            s.annotations()
                .get(UID_ANNOTATION)
                .is_none_or(|u| *u == uid)
        })
        .collect();
    for mut secret in mine.iter().cloned() {
        let has_token = secret
            .data
            .as_ref()
            .is_some_and(|d| d.contains_key("token"));
        if has_token || secret.metadata.deletion_timestamp.is_some() {
            continue;
        }
        filled(&mut secret, &account, &context).map_err(Failure::Signing)?;
        ignore_conflict(
            secrets
                .replace(&secret.name_any(), &PostParams::default(), &secret)
                .await,
        )?;
    }
    if !context.secrets.create_for_every_account || !mine.is_empty() {
        return Ok(Action::await_change());
    }
    let mut secret = Secret {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-token-", account.name_any())),
            annotations: Some(BTreeMap::from([(
                NAME_ANNOTATION.to_owned(),
                account.name_any(),
            )])),
            ..Default::default()
        },
        type_: Some(SECRET_TYPE.into()),
        ..Default::default()
    };
    // The name is part of the token: create first, then fill.
    let created = match secrets.create(&PostParams::default(), &secret).await {
        Ok(created) => created,
        Err(kube::Error::Api(status)) if matches!(status.code, 403 | 409) => {
            return Ok(Action::await_change());
        }
        Err(error) => return Err(error.into()),
    };
    secret = created;
    filled(&mut secret, &account, &context).map_err(Failure::Signing)?;
    ignore_conflict(
        secrets
            .replace(&secret.name_any(), &PostParams::default(), &secret)
            .await,
    )?;
    let accounts: Api<ServiceAccount> = Api::namespaced(context.client.clone(), &namespace);
    let mut listed_in = (*account).clone();
    listed_in
        .secrets
        .get_or_insert_with(Vec::new)
        .push(ObjectReference {
            name: Some(secret.name_any()),
            ..Default::default()
        });
    ignore_conflict(
        accounts
            .replace(&account.name_any(), &PostParams::default(), &listed_in)
            .await,
    )?;
    tracing::info!(namespace = %namespace, account = %account.name_any(), secret = %secret.name_any(), "created a service account token secret");
    Ok(Action::await_change())
}

/// Why a reconcile failed.
#[derive(Debug)]
pub enum Failure {
    Api(kube::Error),
    Signing(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Api(error) => error.fmt(f),
            Failure::Signing(error) => write!(f, "signing a token: {error}"),
        }
    }
}

impl std::error::Error for Failure {}

impl From<kube::Error> for Failure {
    fn from(error: kube::Error) -> Failure {
        Failure::Api(error)
    }
}

/// A write that lost a race: the watch brings the object back.
fn ignore_conflict<T>(result: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => Ok(()),
        Err(error) => Err(error),
    }
}
