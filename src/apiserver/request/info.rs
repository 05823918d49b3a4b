//! What a request asks for, read off its method, path and query: the
//! attributes authorization, admission and the registry decide on.
//!
//! The rules are upstream's `RequestInfoFactory`:
//!
//! * `/api/v1/...` is the core group, `/apis/<group>/<version>/...` the
//!   others; anything else is a non-resource request (`/healthz`, `/apis`
//!   itself, `/openapi/v2`, …);
//! * `namespaces/<ns>/<resource>[/<name>[/<subresource>]]` is namespaced,
//!   except `namespaces/<name>[/status|/finalize]`, which is the Namespace
//!   object itself;
//! * a legacy `watch/` segment after the version turns get/list into watch;
//! * the verb follows the method: GET is get (with a name), list or watch
//!   (`?watch=true`); POST create; PUT update; PATCH patch; DELETE delete
//!   or, without a name, deletecollection.

use http::Method;

/// A parsed request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// Whether this names a resource (as opposed to `/healthz`, `/apis`).
    pub is_resource: bool,
    pub path: String,
    /// The lower-case verb (`get`, `list`, `watch`, `create`, …; for
    /// non-resource requests the lower-case method).
    pub verb: String,
    /// `api` or `apis` for resource requests.
    pub api_prefix: String,
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub subresource: Option<String>,
    pub name: Option<String>,
}

/// Whether the query string asks for a watch (`watch=true`, `watch=1`).
fn query_wants_watch(query: Option<&str>) -> bool {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .any(|(k, v)| k == "watch" && matches!(v, "true" | "1" | "True" | "TRUE"))
}

impl RequestInfo {
    pub fn parse(method: &Method, path: &str, query: Option<&str>) -> RequestInfo {
        let non_resource = || RequestInfo {
            is_resource: false,
            path: path.to_owned(),
            verb: method.as_str().to_ascii_lowercase(),
            ..Default::default()
        };
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (api_prefix, group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] if !rest.is_empty() => ("api", "", *version, rest),
            ["apis", group, version, rest @ ..] if !rest.is_empty() => {
                ("apis", *group, *version, rest)
            }
            _ => return non_resource(),
        };
        if rest.iter().any(|s| s.is_empty()) {
            return non_resource();
        }
        let mut info = RequestInfo {
            is_resource: true,
            path: path.to_owned(),
            api_prefix: api_prefix.into(),
            group: group.into(),
            version: version.into(),
            ..Default::default()
        };
        let (legacy_watch, rest) = match rest {
            ["watch", rest @ ..] if !rest.is_empty() => (true, rest),
            _ => (false, rest),
        };
        let rest: &[&str] = match rest {
            // namespaces/<ns>/<resource>... is namespaced; namespaces and
            // namespaces/<name>[/<sub>] are the Namespace objects.
            ["namespaces", ns, resource, tail @ ..]
                if !matches!(*resource, "status" | "finalize") =>
            {
                info.namespace = Some((*ns).into());
                info.resource = (*resource).into();
                tail
            }
            [resource, tail @ ..] => {
                info.resource = (*resource).into();
                tail
            }
            [] => return non_resource(),
        };
        if info.resource == "namespaces" && info.namespace.is_none() {
            // `namespaces/<name>` names the namespace; it is also the
            // object's own namespace for authorization, as upstream.
            if let Some(name) = rest.first() {
                info.namespace = Some((*name).into());
            }
        }
        match rest {
            [] => {}
            [name] => info.name = Some((*name).into()),
            [name, sub] => {
                info.name = Some((*name).into());
                info.subresource = Some((*sub).into());
            }
            // pods/<name>/proxy/<path...> and similar: the subresource is
            // the first segment; the rest is the proxied path.
            [name, sub, ..] => {
                info.name = Some((*name).into());
                info.subresource = Some((*sub).into());
            }
        }
        info.verb = match *method {
            Method::GET | Method::HEAD => {
                if legacy_watch || (info.name.is_none() && query_wants_watch(query)) {
                    "watch"
                } else if info.name.is_some() {
                    if query_wants_watch(query) {
                        "watch"
                    } else {
                        "get"
                    }
                } else {
                    "list"
                }
            }
            Method::POST => "create",
            Method::PUT => "update",
            Method::PATCH => "patch",
            Method::DELETE => {
                if info.name.is_some() {
                    "delete"
                } else {
                    "deletecollection"
                }
            }
            _ => {
                return RequestInfo {
                    verb: method.as_str().to_ascii_lowercase(),
                    ..info
                };
            }
        }
        .into();
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, path: &str, query: Option<&str>) -> RequestInfo {
        RequestInfo::parse(&method, path, query)
    }

    #[test]
    fn core_namespaced_paths() {
        let info = parse(Method::GET, "/api/v1/namespaces/default/pods", None);
        assert!(info.is_resource);
        assert_eq!(info.verb, "list");
        assert_eq!(info.group, "");
        assert_eq!(info.version, "v1");
        assert_eq!(info.namespace.as_deref(), Some("default"));
        assert_eq!(info.resource, "pods");
        assert_eq!(info.name, None);

        let info = parse(Method::GET, "/api/v1/namespaces/default/pods/web/log", None);
        assert_eq!(info.verb, "get");
        assert_eq!(info.name.as_deref(), Some("web"));
        assert_eq!(info.subresource.as_deref(), Some("log"));

        let info = parse(Method::DELETE, "/api/v1/namespaces/default/pods", None);
        assert_eq!(info.verb, "deletecollection");
    }

    #[test]
    fn group_cluster_and_watch_paths() {
        let info = parse(Method::GET, "/apis/apps/v1/deployments", Some("watch=true"));
        assert_eq!((info.group.as_str(), info.verb.as_str()), ("apps", "watch"));
        assert_eq!(info.namespace, None);

        let info = parse(Method::GET, "/api/v1/watch/namespaces/ns1/configmaps", None);
        assert_eq!(info.verb, "watch");
        assert_eq!(info.resource, "configmaps");
        assert_eq!(info.namespace.as_deref(), Some("ns1"));

        let info = parse(
            Method::GET,
            "/api/v1/watch/namespaces/ns1/configmaps/one",
            None,
        );
        assert_eq!(info.verb, "watch");
        assert_eq!(info.name.as_deref(), Some("one"));

        let info = parse(Method::GET, "/api/v1/nodes/n1", None);
        assert_eq!(
            (info.resource.as_str(), info.name.as_deref()),
            ("nodes", Some("n1"))
        );
    }

    #[test]
    fn namespace_objects() {
        let info = parse(Method::GET, "/api/v1/namespaces", None);
        assert_eq!(
            (info.resource.as_str(), info.verb.as_str()),
            ("namespaces", "list")
        );
        assert_eq!(info.namespace, None);

        let info = parse(Method::PUT, "/api/v1/namespaces/ns1/finalize", None);
        assert_eq!(info.resource, "namespaces");
        assert_eq!(info.name.as_deref(), Some("ns1"));
        assert_eq!(info.namespace.as_deref(), Some("ns1"));
        assert_eq!(info.subresource.as_deref(), Some("finalize"));
        assert_eq!(info.verb, "update");
    }

    #[test]
    fn non_resource_paths() {
        for path in [
            "/healthz",
            "/api",
            "/api/v1",
            "/apis",
            "/apis/apps",
            "/apis/apps/v1",
            "/version",
        ] {
            let info = parse(Method::GET, path, None);
            assert!(!info.is_resource, "{path}");
            assert_eq!(info.verb, "get");
        }
        assert!(!parse(Method::GET, "/api/v1//pods", None).is_resource);
    }
}
