//! `/healthz`, `/livez` and `/readyz`, answered as kube-apiserver answers
//! them.
//!
//! * healthy: `200 ok`; with `?verbose`, one `[+]<check> ok` line per check
//!   and `<endpoint> check passed`;
//! * unhealthy: `500`, every check listed (`[-]<check> failed: reason
//!   withheld`) and `<endpoint> check failed`;
//! * `?exclude=<check>` skips a check (repeatable);
//! * `/<endpoint>/<check>` runs one check: `ok`, or `500 internal server
//!   error: <reason>`.
//!
//! Reasons are withheld from the aggregate output, as upstream does: these
//! endpoints answer anonymous callers. They are logged instead.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use http::{Response, StatusCode};

use super::plain_text;
use crate::apiserver::http::ResponseBody;
use crate::apiserver::lifecycle::Lifecycle;
use crate::storage::Storage;

/// How long the storage check waits for an answer (upstream's etcd health
/// check timeout).
const STORAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

type CheckFn = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// One named health check.
#[derive(Clone)]
pub struct HealthCheck {
    pub name: &'static str,
    check: CheckFn,
}

impl HealthCheck {
    pub fn new(
        name: &'static str,
        check: impl Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static,
    ) -> HealthCheck {
        HealthCheck {
            name,
            check: Arc::new(check),
        }
    }

    /// `ping`: the server answers at all.
    pub fn ping() -> HealthCheck {
        HealthCheck::new("ping", || Box::pin(async { Ok(()) }))
    }

    /// `etcd` (upstream's name, which tools look for, whatever the backend):
    /// the store answers a read in time.
    pub fn storage(storage: Arc<dyn Storage>) -> HealthCheck {
        HealthCheck::new("etcd", move || {
            let storage = storage.clone();
            Box::pin(async move {
                match tokio::time::timeout(STORAGE_CHECK_TIMEOUT, storage.current_revision()).await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("storage: {e}")),
                    Err(_) => Err(format!(
                        "storage did not answer within {STORAGE_CHECK_TIMEOUT:?}"
                    )),
                }
            })
        })
    }

    /// `shutdown`: fails once graceful shutdown has begun, so that load
    /// balancers take this server out before it stops.
    pub fn shutdown(lifecycle: Lifecycle) -> HealthCheck {
        HealthCheck::new("shutdown", move || {
            let shutting_down = lifecycle.is_shutting_down();
            Box::pin(async move {
                if shutting_down {
                    Err("process is shutting down".to_owned())
                } else {
                    Ok(())
                }
            })
        })
    }

    pub async fn run(&self) -> Result<(), String> {
        (self.check)().await
    }
}

/// One health endpoint (`healthz`, `livez` or `readyz`) and its checks.
#[derive(Clone)]
pub struct HealthEndpoint {
    pub name: &'static str,
    pub checks: Vec<HealthCheck>,
}

impl HealthEndpoint {
    /// The answer to `/<name>` with `query`.
    pub async fn serve_all(&self, query: Option<&str>) -> Response<ResponseBody> {
        let params = QueryParams::parse(query.unwrap_or(""));
        let mut excluded: Vec<&str> = params.values("exclude");
        let mut output = String::new();
        let mut failed = false;
        for check in &self.checks {
            if let Some(at) = excluded.iter().position(|name| *name == check.name) {
                excluded.remove(at);
                output.push_str(&format!("[+]{} excluded: ok\n", check.name));
                continue;
            }
            match check.run().await {
                Ok(()) => output.push_str(&format!("[+]{} ok\n", check.name)),
                Err(reason) => {
                    tracing::warn!(endpoint = self.name, check = check.name, %reason, "health check failed");
                    output.push_str(&format!("[-]{} failed: reason withheld\n", check.name));
                    failed = true;
                }
            }
        }
        if !excluded.is_empty() {
            let quoted: Vec<String> = excluded.iter().map(|n| format!("{n:?}")).collect();
            output.push_str(&format!(
                "warn: some health checks cannot be excluded: no matches for {}\n",
                quoted.join(",")
            ));
        }
        if failed {
            output.push_str(&format!("{} check failed\n", self.name));
            return plain_text(StatusCode::INTERNAL_SERVER_ERROR, output);
        }
        if !params.has("verbose") {
            return plain_text(StatusCode::OK, "ok");
        }
        output.push_str(&format!("{} check passed\n", self.name));
        plain_text(StatusCode::OK, output)
    }

    /// The answer to `/<name>/<check>`.
    pub async fn serve_check(check: &HealthCheck) -> Response<ResponseBody> {
        match check.run().await {
            Ok(()) => plain_text(StatusCode::OK, "ok"),
            Err(reason) => plain_text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal server error: {reason}\n"),
            ),
        }
    }
}

/// The three health endpoints of an API server.
#[derive(Clone)]
pub struct HealthEndpoints {
    pub healthz: Arc<HealthEndpoint>,
    pub livez: Arc<HealthEndpoint>,
    pub readyz: Arc<HealthEndpoint>,
}

/// A request routed to a health endpoint: all its checks, or one.
pub struct HealthRoute {
    endpoint: Arc<HealthEndpoint>,
    check: Option<HealthCheck>,
}

impl HealthRoute {
    /// Runs the check(s) and answers.
    pub async fn respond(self, query: Option<&str>) -> Response<ResponseBody> {
        match self.check {
            None => self.endpoint.serve_all(query).await,
            Some(check) => HealthEndpoint::serve_check(&check).await,
        }
    }
}

impl HealthEndpoints {
    /// The checks upstream runs that apply to keelson: liveness does not
    /// include `shutdown` (a server draining connections is alive), readiness
    /// does.
    pub fn new(storage: Arc<dyn Storage>, lifecycle: Lifecycle) -> HealthEndpoints {
        let common = vec![HealthCheck::ping(), HealthCheck::storage(storage)];
        let mut ready = common.clone();
        ready.push(HealthCheck::shutdown(lifecycle));
        HealthEndpoints {
            healthz: Arc::new(HealthEndpoint {
                name: "healthz",
                checks: common.clone(),
            }),
            livez: Arc::new(HealthEndpoint {
                name: "livez",
                checks: common,
            }),
            readyz: Arc::new(HealthEndpoint {
                name: "readyz",
                checks: ready,
            }),
        }
    }

    /// Where `path` goes, or `None` when it is not a health path (or names
    /// a check the endpoint does not have). Routing is synchronous so the
    /// caller need not hold the request across the checks.
    pub fn route(&self, path: &str) -> Option<HealthRoute> {
        let path = path.strip_prefix('/')?;
        let (endpoint_name, check) = match path.split_once('/') {
            Some((endpoint, check)) => (endpoint, Some(check)),
            None => (path, None),
        };
        let endpoint = match endpoint_name {
            "healthz" => &self.healthz,
            "livez" => &self.livez,
            "readyz" => &self.readyz,
            _ => return None,
        };
        let check = match check {
            None | Some("") => None,
            Some(name) => Some(endpoint.checks.iter().find(|c| c.name == name)?.clone()),
        };
        Some(HealthRoute {
            endpoint: endpoint.clone(),
            check,
        })
    }
}

/// `key=value&key` query parameters. Health-check names and the flags here
/// never need percent-decoding, so none is done.
struct QueryParams<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> QueryParams<'a> {
    fn parse(query: &'a str) -> QueryParams<'a> {
        QueryParams {
            pairs: query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect(),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| *k == key)
    }

    fn values(&self, key: &str) -> Vec<&'a str> {
        self.pairs
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn text(response: Response<ResponseBody>) -> (StatusCode, String) {
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn failing(name: &'static str) -> HealthCheck {
        HealthCheck::new(name, || Box::pin(async { Err("broken".to_owned()) }))
    }

    fn endpoint(checks: Vec<HealthCheck>) -> HealthEndpoint {
        HealthEndpoint {
            name: "readyz",
            checks,
        }
    }

    #[tokio::test]
    async fn healthy_is_ok_and_verbose_lists_checks() {
        let readyz = endpoint(vec![
            HealthCheck::ping(),
            HealthCheck::shutdown(Lifecycle::new()),
        ]);
        let response = readyz.serve_all(None).await;
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(text(response).await, (StatusCode::OK, "ok".into()));
        assert_eq!(
            text(readyz.serve_all(Some("verbose")).await).await,
            (
                StatusCode::OK,
                "[+]ping ok\n[+]shutdown ok\nreadyz check passed\n".into()
            )
        );
    }

    #[tokio::test]
    async fn a_failing_check_is_500_with_every_check_listed() {
        let readyz = endpoint(vec![HealthCheck::ping(), failing("etcd")]);
        assert_eq!(
            text(readyz.serve_all(None).await).await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n".into()
            )
        );
        let (status, body) = text(readyz.serve_all(Some("exclude=etcd&verbose=1")).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            "[+]ping ok\n[+]etcd excluded: ok\nreadyz check passed\n"
        );
        let (_, body) = text(readyz.serve_all(Some("exclude=nope&verbose")).await).await;
        assert!(
            body.contains("warn: some health checks cannot be excluded: no matches for \"nope\"\n"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn single_checks_have_their_own_paths() {
        let readyz = Arc::new(endpoint(vec![HealthCheck::ping(), failing("etcd")]));
        let endpoints = HealthEndpoints {
            healthz: readyz.clone(),
            livez: readyz.clone(),
            readyz,
        };
        let answer = |path: &str| endpoints.route(path).unwrap().respond(None);
        assert_eq!(
            text(answer("/readyz/ping").await).await,
            (StatusCode::OK, "ok".into())
        );
        assert_eq!(
            text(answer("/readyz/etcd").await).await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error: broken\n".into()
            )
        );
        assert!(endpoints.route("/readyz/nope").is_none());
    }

    #[tokio::test]
    async fn readyz_fails_once_shutdown_begins_but_livez_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> =
            Arc::new(crate::storage::embedded::EmbeddedStorage::open(dir.path()).unwrap());
        let lifecycle = Lifecycle::new();
        let endpoints = HealthEndpoints::new(storage, lifecycle.clone());
        let (status, body) = text(
            endpoints
                .route("/readyz")
                .unwrap()
                .respond(Some("verbose"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            "[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n"
        );
        lifecycle.begin_shutdown();
        let (status, body) = text(endpoints.route("/readyz").unwrap().respond(None).await).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains("[-]shutdown failed: reason withheld"),
            "{body}"
        );
        let (status, _) = text(endpoints.route("/livez/").unwrap().respond(None).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(endpoints.route("/livez/shutdown").is_none());
        assert!(endpoints.route("/version").is_none());
        assert!(endpoints.route("/healthzz").is_none());
    }
}
