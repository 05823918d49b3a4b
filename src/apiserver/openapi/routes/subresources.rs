//! The operations of a resource's subresources: `status`-like ones (read,
//! replace, patch), the ones that create (`binding`, `eviction`, `token`),
//! `log`, and the connect ones (`exec`, `attach`, `portforward`, `proxy`).

use super::super::definitions::{Definitions, meta};
use super::super::parameters;
use super::{
    ANY, HttpMethod, LOGS, OBJECTS, Operation, Payload, ResourceRoutes, article, path_parameters,
    responses, title, with,
};
use crate::apiserver::registry::resource::{SubresourceDescriptor, Verb};

/// The operations of one subresource of `out.resource`, under `item`.
pub(super) fn subresource_routes(
    out: &mut ResourceRoutes<'_>,
    sub: &SubresourceDescriptor,
    item: &str,
    definitions: &Definitions,
) {
    let resource = out.resource;
    let kind = resource.kind.clone();
    let namespaced = resource.namespaced();
    let ns = if namespaced { "Namespaced" } else { "" };
    let name = &sub.name;
    let path = format!("{item}/{name}");
    let suffix = title(name);
    let sub_kind = sub.kind.kind.as_str();

    if sub_kind.ends_with("Options") {
        let methods: Vec<HttpMethod> = if name == "proxy" {
            HttpMethod::PROXY.to_vec()
        } else {
            let mut methods = Vec::new();
            if sub.verbs.contains(&Verb::Get) {
                methods.push(HttpMethod::Get);
            }
            if sub.verbs.contains(&Verb::Create) {
                methods.push(HttpMethod::Post);
            }
            methods
        };
        let forms: &[(&str, &str)] = if name == "proxy" {
            &[("", ""), ("/{path}", "WithPath")]
        } else {
            &[("", "")]
        };
        for (tail, with_path) in forms {
            for method in &methods {
                let mut parameters = with(
                    path_parameters(namespaced, Some(sub_kind)),
                    parameters::connect(sub_kind),
                );
                if !tail.is_empty() {
                    parameters.push(parameters::proxy_path());
                }
                out.add(Operation {
                    name: format!("connect{}{ns}{kind}{suffix}{with_path}", method.title()),
                    path: format!("{path}{tail}"),
                    method: *method,
                    description: format!(
                        "connect {} requests to {name} of {kind}",
                        method.title().to_uppercase()
                    ),
                    action: Some("connect"),
                    gvk: Some(&sub.kind),
                    parameters,
                    body: None,
                    consumes: ANY,
                    produces: ANY,
                    responses: responses(&[200], &Payload::Text),
                });
            }
        }
        return;
    }

    let Some(sub_object) = definitions.name_of(&sub.kind).map(str::to_owned) else {
        return;
    };
    let payload = Payload::Definition(sub_object.clone());
    if name == "log" {
        out.add(Operation {
            name: format!("read{ns}{kind}Log"),
            path,
            method: HttpMethod::Get,
            description: format!("read log of the specified {kind}"),
            action: Some("get"),
            gvk: Some(&sub.kind),
            parameters: with(
                path_parameters(namespaced, Some(sub_kind)),
                parameters::pod_log(),
            ),
            body: None,
            consumes: ANY,
            produces: LOGS,
            responses: responses(&[200], &Payload::Text),
        });
        return;
    }
    for verb in &sub.verbs {
        let named = path_parameters(namespaced, Some(sub_kind));
        let operation = match verb {
            Verb::Get => Operation {
                name: format!("read{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Get,
                description: format!("read {name} of the specified {kind}"),
                action: Some("get"),
                gvk: Some(&sub.kind),
                parameters: named,
                body: None,
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &payload),
            },
            Verb::Update => Operation {
                name: format!("replace{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Put,
                description: format!("replace {name} of the specified {kind}"),
                action: Some("put"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::write()),
                body: Some((sub_object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201], &payload),
            },
            Verb::Patch => Operation {
                name: format!("patch{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Patch,
                description: format!("partially update {name} of the specified {kind}"),
                action: Some("patch"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::patch()),
                body: Some((meta("Patch"), true)),
                consumes: super::patches_for(&sub.kind),
                produces: OBJECTS,
                responses: responses(&[200, 201], &payload),
            },
            Verb::Create => Operation {
                name: format!("create{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Post,
                description: format!("create {name} of{}{kind}", article(&kind)),
                action: Some("post"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::write()),
                body: Some((sub_object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201, 202], &payload),
            },
            _ => continue,
        };
        out.add(operation);
    }
}
