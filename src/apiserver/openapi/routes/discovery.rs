//! The discovery endpoints (`/api/`, `/apis/`, each group and group
//! version) and `/version/`.

use super::super::definitions::meta;
use super::super::operation_id::operation_id_and_tag;
use super::{HttpMethod, OBJECTS, Payload, Route, group_version_root, responses};
use crate::apiserver::registry::catalog::CatalogSnapshot;

/// The discovery endpoints of what `snapshot` serves and `/version/`.
pub fn discovery_routes(snapshot: &CatalogSnapshot) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut add = |name: &str,
                   path: String,
                   description: &str,
                   answer: String,
                   media: &'static [&'static str]| {
        let (operation_id, tag) = operation_id_and_tag(name, &path);
        routes.push(Route {
            path,
            method: HttpMethod::Get,
            operation_id,
            tag,
            description: description.to_owned(),
            action: None,
            gvk: None,
            parameters: Vec::new(),
            body: None,
            consumes: media,
            produces: media,
            responses: responses(&[200], &Payload::Definition(answer)),
        });
    };
    for group in snapshot.groups() {
        if group.name.is_empty() {
            add(
                "getAPIVersions",
                "/api/".into(),
                "get available API versions",
                meta("APIVersions"),
                OBJECTS,
            );
        } else {
            add(
                "getAPIGroup",
                format!("/apis/{}/", group.name),
                "get information of a group",
                meta("APIGroup"),
                OBJECTS,
            );
        }
        for version in &group.versions {
            add(
                "getAPIResources",
                format!("{}/", group_version_root(&group.name, version)),
                "get available resources",
                meta("APIResourceList"),
                OBJECTS,
            );
        }
    }
    add(
        "getAPIVersions",
        "/apis/".into(),
        "get available API versions",
        meta("APIGroupList"),
        OBJECTS,
    );
    add(
        "getCodeVersion",
        "/version/".into(),
        "get the code version",
        "io.k8s.apimachinery.pkg.version.Info".into(),
        &["application/json"],
    );
    routes
}
