//! Who may do what: RBAC bindings (Roles and ClusterRoles themselves have
//! no printer upstream and get the `Name`/`Created At` table) and
//! `certificates.k8s.io` kinds.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{NONE, items, opt_int, text};
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};
use crate::apiserver::table::human_duration;

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("rbac.authorization.k8s.io", "RoleBinding") => {
            Columns::new(role_binding_columns, binding_cells)
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            Columns::new(cluster_role_binding_columns, binding_cells)
        }
        ("certificates.k8s.io", "CertificateSigningRequest") => {
            Columns::new(csr_columns, csr_cells)
        }
        ("certificates.k8s.io", "ClusterTrustBundle") => {
            Columns::new(trust_bundle_columns, trust_bundle_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn role_binding_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Role", "string", doc::ROLE_BINDING_ROLE_REF),
        age_column(),
        Column::new("Users", "string", "Users in the roleBinding").wide(),
        Column::new("Groups", "string", "Groups in the roleBinding").wide(),
        Column::new(
            "ServiceAccounts",
            "string",
            "ServiceAccounts in the roleBinding",
        )
        .wide(),
    ]
}

fn cluster_role_binding_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Role", "string", doc::CLUSTER_ROLE_BINDING_ROLE_REF),
        age_column(),
        Column::new("Users", "string", "Users in the clusterRoleBinding").wide(),
        Column::new("Groups", "string", "Groups in the clusterRoleBinding").wide(),
        Column::new(
            "ServiceAccounts",
            "string",
            "ServiceAccounts in the clusterRoleBinding",
        )
        .wide(),
    ]
}

/// `Kind/name` of the role, then users, groups and service accounts
/// (`namespace/name`), each list joined with `", "`.
fn binding_cells(binding: &Value) -> Vec<Value> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut accounts = Vec::new();
    for subject in items(binding, "/subjects") {
        let name = text(subject, "/name");
        match text(subject, "/kind") {
            "User" => users.push(name.to_owned()),
            "Group" => groups.push(name.to_owned()),
            "ServiceAccount" => {
                accounts.push(format!("{}/{name}", text(subject, "/namespace")));
            }
            _ => {}
        }
    }
    vec![
        name_cell(binding),
        json!(format!(
            "{}/{}",
            text(binding, "/roleRef/kind"),
            text(binding, "/roleRef/name")
        )),
        age_cell(binding),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(accounts.join(", ")),
    ]
}

fn csr_columns() -> Vec<Column> {
    vec![
        name_column(),
        age_column(),
        Column::new("SignerName", "string", doc::CSR_SPEC_SIGNER_NAME),
        Column::new("Requestor", "string", doc::CSR_SPEC_REQUEST),
        Column::new(
            "RequestedDuration",
            "string",
            doc::CSR_SPEC_EXPIRATION_SECONDS,
        ),
        Column::new("Condition", "string", doc::CSR_STATUS_CONDITIONS),
    ]
}

/// `Denied` over `Approved` over `Pending`, then `,Failed` and `,Issued`.
fn csr_condition(csr: &Value) -> String {
    let conditions = items(csr, "/status/conditions");
    let has = |kind: &str| conditions.iter().any(|c| text(c, "/type") == kind);
    let mut condition = String::from(if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    });
    if has("Failed") {
        condition.push_str(",Failed");
    }
    if !text(csr, "/status/certificate").is_empty() {
        condition.push_str(",Issued");
    }
    condition
}

fn csr_cells(csr: &Value) -> Vec<Value> {
    let signer = match text(csr, "/spec/signerName") {
        "" => NONE,
        signer => signer,
    };
    let duration =
        opt_int(csr, "/spec/expirationSeconds").map_or_else(|| NONE.into(), human_duration);
    vec![
        name_cell(csr),
        age_cell(csr),
        json!(signer),
        json!(text(csr, "/spec/username")),
        json!(duration),
        json!(csr_condition(csr)),
    ]
}

fn trust_bundle_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "SignerName",
            "string",
            doc::CLUSTER_TRUST_BUNDLE_SPEC_SIGNER_NAME,
        ),
    ]
}

fn trust_bundle_cells(bundle: &Value) -> Vec<Value> {
    let signer = match text(bundle, "/spec/signerName") {
        "" => NONE,
        signer => signer,
    };
    vec![name_cell(bundle), json!(signer)]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};

    const RBAC: &str = "rbac.authorization.k8s.io";
    const CERTIFICATES: &str = "certificates.k8s.io";

    #[test]
    fn role_bindings() {
        assert_eq!(
            column_names(RBAC, "ClusterRoleBinding"),
            [
                "Name",
                "Role",
                "Age",
                "Users (wide)",
                "Groups (wide)",
                "ServiceAccounts (wide)"
            ]
        );
        let binding = json!({
            "metadata": {"name": "admins", "creationTimestamp": ago(3 * 3600)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "cluster-admin"},
            "subjects": [
                {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"},
                {"kind": "Group", "name": "system:masters"},
                {"kind": "ServiceAccount", "namespace": "kube-system", "name": "admin"}],
        });
        let expected = vec![
            json!("admins"),
            json!("ClusterRole/cluster-admin"),
            json!("3h"),
            json!("alice, bob"),
            json!("system:masters"),
            json!("kube-system/admin"),
        ];
        assert_eq!(cells(RBAC, "ClusterRoleBinding", &binding), expected);
        assert_eq!(cells(RBAC, "RoleBinding", &binding), expected);
        let empty = json!({"metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"}});
        assert_eq!(
            cells(RBAC, "RoleBinding", &empty)[3..],
            [json!(""), json!(""), json!("")]
        );
    }

    #[test]
    fn certificate_signing_requests() {
        assert_eq!(
            column_names(CERTIFICATES, "CertificateSigningRequest"),
            [
                "Name",
                "Age",
                "SignerName",
                "Requestor",
                "RequestedDuration",
                "Condition"
            ]
        );
        let csr = json!({
            "metadata": {"name": "csr-abc", "creationTimestamp": ago(3 * 3600)},
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                     "username": "system:node:node-1", "expirationSeconds": 86400},
            "status": {"conditions": [{"type": "Approved", "status": "True"}],
                       "certificate": "LS0tLS1CRUdJTg=="},
        });
        assert_eq!(
            cells(CERTIFICATES, "CertificateSigningRequest", &csr),
            vec![
                json!("csr-abc"),
                json!("3h"),
                json!("kubernetes.io/kube-apiserver-client-kubelet"),
                json!("system:node:node-1"),
                json!("24h"),
                json!("Approved,Issued"),
            ]
        );
        let condition = |conditions: serde_json::Value| {
            let csr = json!({"metadata": {"name": "c"}, "status": {"conditions": conditions}});
            cells(CERTIFICATES, "CertificateSigningRequest", &csr)[5].clone()
        };
        assert_eq!(condition(json!([])), json!("Pending"));
        assert_eq!(
            condition(json!([{"type": "Approved"}, {"type": "Denied"}, {"type": "Failed"}])),
            json!("Denied,Failed")
        );
        let bare = json!({"metadata": {"name": "c"}});
        assert_eq!(
            cells(CERTIFICATES, "CertificateSigningRequest", &bare)[2..5],
            [json!("<none>"), json!(""), json!("<none>")]
        );
    }

    #[test]
    fn cluster_trust_bundle() {
        let bundle = json!({"metadata": {"name": "example.com:signer:abc"},
                            "spec": {"signerName": "example.com/signer"}});
        assert_eq!(
            cells(CERTIFICATES, "ClusterTrustBundle", &bundle),
            vec![json!("example.com:signer:abc"), json!("example.com/signer")]
        );
        let unsigned = json!({"metadata": {"name": "b"}, "spec": {}});
        assert_eq!(
            cells(CERTIFICATES, "ClusterTrustBundle", &unsigned)[1],
            json!("<none>")
        );
    }
}
