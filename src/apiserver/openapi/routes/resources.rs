//! A resource's own operations: list (also across namespaces), create,
//! deletecollection, read, replace, patch, delete and the deprecated
//! watch paths, as kube-apiserver's installer declares them.

use super::super::definitions::{Definitions, meta};
use super::super::parameters;
use super::subresources::subresource_routes;
use super::{
    ANY, HttpMethod, OBJECTS, Operation, Payload, ResourceRoutes, Route, STREAMS, article,
    group_version_root, path_parameters, responses, with,
};
use crate::apiserver::registry::kinds;
use crate::apiserver::registry::resource::{ResourceDescriptor, Verb};

/// Whether `resource`'s DELETE answers with the deleted object rather than
/// a `Status`: what its strategy does (upstream's `ReturnDeletedObject`),
/// so the document and the server agree.
fn delete_returns_object(resource: &ResourceDescriptor) -> bool {
    kinds::strategy_for(&resource.group, &resource.version, &resource.kind).returns_deleted_object()
}

/// Every operation of `resource`.
pub fn resource_routes(resource: &ResourceDescriptor, definitions: &Definitions) -> Vec<Route> {
    let Some(object) = definitions.name_of(&resource.gvk()) else {
        return Vec::new();
    };
    let mut out = ResourceRoutes {
        resource,
        object: object.to_owned(),
        routes: Vec::new(),
    };
    let gvk = resource.gvk();
    let kind = &resource.kind;
    let root = group_version_root(&resource.group, &resource.version);
    let namespaced = resource.namespaced();
    let ns = if namespaced { "Namespaced" } else { "" };
    let scope = if namespaced {
        "/namespaces/{namespace}"
    } else {
        ""
    };
    let collection = format!("{root}{scope}/{}", resource.plural);
    let item = format!("{collection}/{{name}}");
    let watch_collection = format!("{root}/watch{scope}/{}", resource.plural);
    let object = Payload::Definition(out.object.clone());
    let list = Payload::Definition(format!("{}List", out.object));
    let status = Payload::Definition(meta("Status"));
    let watch_event = Payload::Definition(meta("WatchEvent"));
    let delete_options = (meta("DeleteOptions"), false);
    let watcher = resource.supports(Verb::Watch);

    for verb in &resource.verbs {
        match verb {
            Verb::List => {
                let description = if watcher {
                    format!("list or watch objects of kind {kind}")
                } else {
                    format!("list objects of kind {kind}")
                };
                out.add(Operation {
                    name: format!("list{ns}{kind}"),
                    path: collection.clone(),
                    method: HttpMethod::Get,
                    description: description.clone(),
                    action: Some("list"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, None), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &list),
                });
                if namespaced {
                    out.add(Operation {
                        name: format!("list{kind}ForAllNamespaces"),
                        path: format!("{root}/{}", resource.plural),
                        method: HttpMethod::Get,
                        description,
                        action: Some("list"),
                        gvk: Some(&gvk),
                        parameters: parameters::list(),
                        body: None,
                        consumes: ANY,
                        produces: STREAMS,
                        responses: responses(&[200], &list),
                    });
                }
            }
            Verb::Create => out.add(Operation {
                name: format!("create{ns}{kind}"),
                path: collection.clone(),
                method: HttpMethod::Post,
                description: format!("create{}{kind}", article(kind)),
                action: Some("post"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, None), parameters::write()),
                body: Some((out.object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201, 202], &object),
            }),
            Verb::DeleteCollection => out.add(Operation {
                name: format!("deleteCollection{ns}{kind}"),
                path: collection.clone(),
                method: HttpMethod::Delete,
                description: format!("delete collection of {kind}"),
                action: Some("deletecollection"),
                gvk: Some(&gvk),
                parameters: with(
                    path_parameters(namespaced, None),
                    parameters::delete_collection(),
                ),
                body: Some(delete_options.clone()),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &status),
            }),
            Verb::Get => out.add(Operation {
                name: format!("read{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Get,
                description: format!("read the specified {kind}"),
                action: Some("get"),
                gvk: Some(&gvk),
                parameters: path_parameters(namespaced, Some(kind)),
                body: None,
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &object),
            }),
            Verb::Update => out.add(Operation {
                name: format!("replace{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Put,
                description: format!("replace the specified {kind}"),
                action: Some("put"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, Some(kind)), parameters::write()),
                body: Some((out.object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201], &object),
            }),
            Verb::Patch => out.add(Operation {
                name: format!("patch{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Patch,
                description: format!("partially update the specified {kind}"),
                action: Some("patch"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, Some(kind)), parameters::patch()),
                body: Some((meta("Patch"), true)),
                consumes: super::patches_for(&gvk),
                produces: OBJECTS,
                responses: responses(&[200, 201], &object),
            }),
            Verb::Delete => {
                let returned = if delete_returns_object(resource) {
                    &object
                } else {
                    &status
                };
                out.add(Operation {
                    name: format!("delete{ns}{kind}"),
                    path: item.clone(),
                    method: HttpMethod::Delete,
                    description: format!("delete{}{kind}", article(kind)),
                    action: Some("delete"),
                    gvk: Some(&gvk),
                    parameters: with(
                        path_parameters(namespaced, Some(kind)),
                        parameters::delete(),
                    ),
                    body: Some(delete_options.clone()),
                    consumes: ANY,
                    produces: OBJECTS,
                    responses: responses(&[200, 202], returned),
                });
            }
            Verb::Watch => {
                let deprecated =
                    "deprecated: use the 'watch' parameter with a list operation instead";
                out.add(Operation {
                    name: format!("watch{ns}{kind}List"),
                    path: watch_collection.clone(),
                    method: HttpMethod::Get,
                    description: format!(
                        "watch individual changes to a list of {kind}. {deprecated}."
                    ),
                    action: Some("watchlist"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, None), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &watch_event),
                });
                out.add(Operation {
                    name: format!("watch{ns}{kind}"),
                    path: format!("{watch_collection}/{{name}}"),
                    method: HttpMethod::Get,
                    description: format!(
                        "watch changes to an object of kind {kind}. {deprecated}, filtered to a single item with the 'fieldSelector' parameter."
                    ),
                    action: Some("watch"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, Some(kind)), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &watch_event),
                });
                if namespaced {
                    out.add(Operation {
                        name: format!("watch{kind}ListForAllNamespaces"),
                        path: format!("{root}/watch/{}", resource.plural),
                        method: HttpMethod::Get,
                        description: format!(
                            "watch individual changes to a list of {kind}. {deprecated}."
                        ),
                        action: Some("watchlist"),
                        gvk: Some(&gvk),
                        parameters: parameters::list(),
                        body: None,
                        consumes: ANY,
                        produces: STREAMS,
                        responses: responses(&[200], &watch_event),
                    });
                }
            }
        }
    }
    for sub in &resource.subresources {
        subresource_routes(&mut out, sub, &item, definitions);
    }
    out.routes
}
