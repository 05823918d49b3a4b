//! Operations grouped into path items the way kube-openapi groups them:
//! a parameter every operation of a path declares (same name and place)
//! is declared once on the path instead (bodies stay on operations).

use std::collections::BTreeMap;

use super::parameters::{Location, Parameter};
use super::routes::Route;

/// The operations of one path.
pub struct PathItem<'a> {
    /// Parameters shared by every operation, sorted by name.
    pub common: Vec<Parameter>,
    /// Each operation with the parameters it declares itself.
    pub operations: Vec<(&'a Route, Vec<&'a Parameter>)>,
}

/// `routes` by path.
pub fn path_items<'a>(
    routes: impl IntoIterator<Item = &'a Route>,
) -> BTreeMap<&'a str, PathItem<'a>> {
    let mut by_path: BTreeMap<&str, Vec<&Route>> = BTreeMap::new();
    for route in routes {
        by_path.entry(route.path.as_str()).or_default().push(route);
    }
    by_path
        .into_iter()
        .map(|(path, mut routes)| {
            routes.sort_by_key(|r| r.method);
            let mut counts: BTreeMap<(&str, Location), (usize, &Parameter)> = BTreeMap::new();
            for route in &routes {
                for parameter in &route.parameters {
                    let entry = counts
                        .entry((parameter.name, parameter.location))
                        .or_insert((0, parameter));
                    // Upstream keeps the last operation's declaration.
                    *entry = (entry.0 + 1, parameter);
                }
            }
            let shared = |p: &Parameter| {
                counts
                    .get(&(p.name, p.location))
                    .is_some_and(|(n, _)| *n == routes.len())
            };
            let common: Vec<Parameter> = counts
                .values()
                .filter(|(n, _)| *n == routes.len())
                .map(|(_, p)| (*p).clone())
                .collect();
            let operations = routes
                .iter()
                .map(|route| {
                    let own = route.parameters.iter().filter(|p| !shared(p)).collect();
                    (*route, own)
                })
                .collect();
            (path, PathItem { common, operations })
        })
        .collect()
}
