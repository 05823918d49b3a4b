//! The identity a request was authenticated as.

use std::collections::BTreeMap;

/// Who is asking: what authentication established, and all that
/// authorization and admission look at. Mirrors upstream's `user.Info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

/// Groups and names upstream gives special meaning.
pub mod wellknown {
    pub const ANONYMOUS: &str = "system:anonymous";
    pub const UNAUTHENTICATED: &str = "system:unauthenticated";
    pub const AUTHENTICATED: &str = "system:authenticated";
    pub const MASTERS: &str = "system:masters";
    pub const NODES: &str = "system:nodes";
    pub const SCHEDULER: &str = "system:kube-scheduler";
    pub const CONTROLLER_MANAGER: &str = "system:kube-controller-manager";
}

impl UserInfo {
    /// The identity of a request that presented no credentials.
    pub fn anonymous() -> UserInfo {
        UserInfo {
            name: wellknown::ANONYMOUS.into(),
            groups: vec![wellknown::UNAUTHENTICATED.into()],
            ..Default::default()
        }
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}
