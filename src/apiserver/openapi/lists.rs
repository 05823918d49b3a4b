//! `<Kind>List` definitions. `k8s-openapi` has one generic `List<T>`
//! rather than a type per kind, so each list is written here in upstream's
//! shape: `apiVersion`, `kind`, `metadata` (a `ListMeta`) and the required
//! `items`.

use serde_json::{Value, json};

use super::definitions::{meta, reference};
use crate::apiserver::registry::resource::ResourceDescriptor;

pub const API_VERSION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
pub const KIND: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA: &str = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// The list definition of `resource`, whose objects are definition `item`.
pub fn list_definition(resource: &ResourceDescriptor, item: &str) -> Value {
    let mut metadata = reference(&meta("ListMeta"));
    metadata["description"] = json!(METADATA);
    json!({
        "description": format!("{}List is a list of {} objects.", resource.kind, resource.kind),
        "properties": {
            "apiVersion": { "description": API_VERSION, "type": "string" },
            "items": {
                "description": format!("List of {}.", resource.plural),
                "items": reference(item),
                "type": "array",
            },
            "kind": { "description": KIND, "type": "string" },
            "metadata": metadata,
        },
        "required": ["items"],
        "type": "object",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::catalog::Catalog;

    #[test]
    fn lists_hold_items_of_their_kind() {
        let snapshot = Catalog::builtin().snapshot();
        let pods = snapshot.resource("", "v1", "pods").unwrap();
        let list = list_definition(pods, "io.k8s.api.core.v1.Pod");
        assert_eq!(list["required"], json!(["items"]));
        assert_eq!(
            list["properties"]["items"]["items"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.Pod"
        );
        assert_eq!(
            list["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
        );
        assert_eq!(list["properties"]["kind"]["type"], "string");
    }
}
