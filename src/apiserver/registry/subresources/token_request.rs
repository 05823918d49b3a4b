//! `serviceaccounts/token`: a TokenRequest for a service account answered
//! with a signed JWT, as upstream's token REST: the audiences asked for
//! (this API's by default), a lifetime of at least ten minutes (an hour by
//! default), optionally bound to a pod (which must run as that service
//! account; its node is named too), a secret or a node, each of which
//! must exist (and have the uid given, if one is).

use serde_json::{Value, json};

use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::Registry;
use crate::apiserver::serviceaccount::claims::{
    KubernetesClaims, ObjectRef, TokenClaims, user_name,
};
use crate::apiserver::serviceaccount::{
    EXTENDED_EXPIRATION_SECONDS, ServiceAccountTokens, WARN_ONLY_EXPIRATION_SECONDS, unix_now,
};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::FieldError;

const GROUP: &str = "authentication.k8s.io";
const KIND: &str = "TokenRequest";

/// `expirationSeconds` when none is asked for.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 60 * 60;
/// The shortest and longest lifetimes a token may be asked for.
const MIN_EXPIRATION_SECONDS: i64 = 10 * 60;
const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;

fn invalid(name: &str, errors: &[FieldError]) -> ApiError {
    ApiError::invalid(
        GROUP,
        KIND,
        name,
        errors.iter().map(FieldError::to_cause).collect(),
    )
}

/// `metadata.<field>` of the request must be the URL's, if given.
fn check_matches(
    request: &Value,
    field: &str,
    expected: &str,
    what: &str,
    name: &str,
) -> Result<(), ApiError> {
    match request.meta_str(field).filter(|v| !v.is_empty()) {
        Some(given) if given != expected => Err(invalid(
            name,
            &[FieldError::invalid(
                format!("metadata.{field}"),
                given,
                format!("must match the service account {what} if specified"),
            )],
        )),
        _ => Ok(()),
    }
}

/// What a bound object reference resolved to.
#[derive(Default)]
struct Bound {
    pod: Option<ObjectRef>,
    secret: Option<ObjectRef>,
    node: Option<ObjectRef>,
}

async fn get(
    registry: &Registry,
    plural: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Value, ApiError> {
    let store = registry
        .get("", "v1", plural)
        .ok_or_else(|| ApiError::internal(format!("{plural} are not served")))?;
    Ok(store.get(namespace, name, None).await?.object.clone())
}

/// Resolves `spec.boundObjectRef`.
async fn resolve_bound(
    registry: &Registry,
    namespace: &str,
    service_account: &str,
    reference: &Value,
) -> Result<Bound, ApiError> {
    let text = |field: &str| {
        reference
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (api_version, kind, name) = (text("apiVersion"), text("kind"), text("name"));
    let (group, version) = match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    };
    let mut bound = Bound::default();
    let object = match (group, kind) {
        ("", "Pod") => {
            let pod = get(registry, "pods", Some(namespace), name).await?;
            let runs_as = pod
                .pointer("/spec/serviceAccountName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if runs_as != service_account {
                return Err(ApiError::bad_request(format!(
                    "cannot bind token for serviceaccount {service_account:?} to pod running with different serviceaccount name."
                )));
            }
            let node = pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !node.is_empty() {
                // A node that is gone still gets named, without a uid.
                let uid = match get(registry, "nodes", None, node).await {
                    Ok(found) => found.uid().unwrap_or_default().to_owned(),
                    Err(e) if e.reason == "NotFound" => String::new(),
                    Err(e) => return Err(e),
                };
                bound.node = Some(ObjectRef::new(node, &uid));
            }
            bound.pod = Some(ObjectRef::new(name, pod.uid().unwrap_or_default()));
            pod
        }
        ("", "Secret") => {
            let secret = get(registry, "secrets", Some(namespace), name).await?;
            bound.secret = Some(ObjectRef::new(name, secret.uid().unwrap_or_default()));
            secret
        }
        ("", "Node") => {
            let node = get(registry, "nodes", None, name).await?;
            bound.node = Some(ObjectRef::new(name, node.uid().unwrap_or_default()));
            node
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "cannot bind token to object of type {group}/{version}, Kind={kind}"
            )));
        }
    };
    let wanted = text("uid");
    if !wanted.is_empty() && object.uid() != Some(wanted) {
        return Err(ApiError::conflict(
            group,
            kind,
            name,
            &format!(
                "the UID in the bound object reference ({wanted}) does not match the UID in record. The object might have been deleted and then recreated"
            ),
        ));
    }
    Ok(bound)
}

/// Answers `request` (a TokenRequest, read into its schema) for service
/// account `name` in `namespace`.
pub async fn request_token(
    registry: &Registry,
    tokens: &ServiceAccountTokens,
    namespace: &str,
    name: &str,
    request: &Value,
) -> Result<Value, ApiError> {
    check_matches(request, "name", name, "name", name)?;
    check_matches(request, "namespace", namespace, "namespace", name)?;
    let account = get(registry, "serviceaccounts", Some(namespace), name).await?;

    let mut answer = request.clone();
    let spec = answer.get("spec").cloned().unwrap_or_else(|| json!({}));
    let mut audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if audiences.is_empty() {
        audiences = tokens.api_audiences().to_vec();
    }
    let expiration = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
        Some(seconds) => seconds.as_i64().unwrap_or(0),
    };
    answer["spec"]["audiences"] = json!(audiences);
    answer["spec"]["expirationSeconds"] = json!(expiration);
    answer.set_meta("name", name);
    answer.set_meta("namespace", namespace);
    let now = unix_now();
    answer.set_meta("creationTimestamp", now_rfc3339());
    if let Some(map) = answer.as_object_mut() {
        map.remove("status");
    }

    if expiration < MIN_EXPIRATION_SECONDS {
        return Err(invalid(
            "",
            &[FieldError::invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    if expiration > MAX_EXPIRATION_SECONDS {
        return Err(invalid(
            "",
            &[FieldError::too_long(
                "spec.expirationSeconds",
                MAX_EXPIRATION_SECONDS as usize,
            )],
        ));
    }

    let bound = match spec.get("boundObjectRef").filter(|r| r.is_object()) {
        Some(reference) => resolve_bound(registry, namespace, name, reference).await?,
        None => Bound::default(),
    };

    // The kubelet's hour-long tokens last a year (flagged as stale after
    // the hour) when they are for this API: clients that never reload
    // their token keep working while the stale use shows.
    let mut lifetime = expiration;
    let mut warn_after = None;
    let for_this_api = audiences.iter().all(|a| tokens.api_audiences().contains(a));
    if bound.pod.is_some() && expiration == WARN_ONLY_EXPIRATION_SECONDS && for_this_api {
        warn_after = Some(now + expiration);
        lifetime = EXTENDED_EXPIRATION_SECONDS;
    }

    let claims = TokenClaims {
        audiences,
        expiry: Some(now + lifetime),
        issued_at: Some(now),
        not_before: Some(now),
        issuer: String::new(),
        id: uuid::Uuid::new_v4().to_string(),
        subject: user_name(namespace, name),
        kubernetes: KubernetesClaims {
            namespace: namespace.into(),
            node: bound.node,
            pod: bound.pod,
            secret: bound.secret,
            service_account: ObjectRef::new(name, account.uid().unwrap_or_default()),
            warn_after,
        },
    };
    let token = tokens
        .sign(claims)
        .map_err(|e| ApiError::internal(format!("failed to generate token: {e}")))?;
    let expires = jiff::Timestamp::from_second(now + expiration)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    answer["status"] = json!({"token": token, "expirationTimestamp": expires});
    Ok(answer)
}
