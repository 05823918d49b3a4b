//! `/version`: which Kubernetes API this server speaks, and which build of
//! keelson it is, in upstream's `version.Info` shape.
//!
//! `kubectl version` and client libraries read `major`/`minor`/`gitVersion`
//! to pick API behaviour and warn about version skew, so those say 1.33 (the
//! API keelson implements); `+keelson` in `gitVersion` (semver build
//! metadata, ignored by version comparisons) tells people which server this
//! is. The build fields describe the keelson build.

use http::{HeaderValue, Method, Response, StatusCode, header};
use serde::Serialize;

use crate::apiserver::http::{ResponseBody, full};
use crate::apiserver::status::ApiError;

/// The Kubernetes minor version whose API keelson serves.
pub const KUBERNETES_MINOR: u32 = 33;

/// Upstream's `version.Info`, fields in upstream's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub major: String,
    pub minor: String,
    pub emulation_major: String,
    pub emulation_minor: String,
    pub min_compatibility_major: String,
    pub min_compatibility_minor: String,
    pub git_version: String,
    pub git_commit: String,
    pub git_tree_state: String,
    pub build_date: String,
    pub go_version: String,
    pub compiler: String,
    pub platform: String,
}

impl VersionInfo {
    /// This build's version.
    pub fn current() -> VersionInfo {
        let build_date = env!("KEELSON_BUILD_EPOCH")
            .parse::<i64>()
            .ok()
            .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        VersionInfo {
            major: "1".into(),
            minor: KUBERNETES_MINOR.to_string(),
            // keelson emulates exactly the version it serves; like upstream
            // it stays compatible with the previous minor's clients.
            emulation_major: "1".into(),
            emulation_minor: KUBERNETES_MINOR.to_string(),
            min_compatibility_major: "1".into(),
            min_compatibility_minor: (KUBERNETES_MINOR - 1).to_string(),
            git_version: format!("v1.{KUBERNETES_MINOR}.0+keelson"),
            git_commit: env!("KEELSON_GIT_COMMIT").into(),
            git_tree_state: env!("KEELSON_GIT_TREE_STATE").into(),
            build_date,
            // Upstream reports the Go toolchain here; keelson's counterpart
            // is the Rust compiler that built it.
            go_version: format!("rustc{}", env!("KEELSON_RUSTC_VERSION")),
            compiler: "rustc".into(),
            platform: platform(),
        }
    }

    /// The answer to a request for `/version` with `method`.
    pub fn respond(&self, method: &Method) -> Response<ResponseBody> {
        if method != Method::GET && method != Method::HEAD {
            return ApiError::method_not_allowed().into_response();
        }
        // Upstream indents this one document; humans curl it.
        let body = serde_json::to_vec_pretty(self).unwrap_or_default();
        let mut response = Response::new(full(body));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// `<os>/<arch>` with Go's architecture names, as upstream reports it
/// (`linux/amd64`, `linux/arm64`, …).
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        other => other,
    };
    format!("{}/{arch}", std::env::consts::OS)
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn version_parses_as_upstream_version_info() {
        let response = VersionInfo::current().respond(&Method::GET);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let info: k8s_openapi::apimachinery::pkg::version::Info =
            serde_json::from_slice(&body).unwrap();
        assert_eq!(info.major, "1");
        assert_eq!(info.minor, "33");
        assert_eq!(info.git_version, "v1.33.0+keelson");
        assert_eq!(info.emulation_minor.as_deref(), Some("33"));
        assert_eq!(info.min_compatibility_minor.as_deref(), Some("32"));
        assert_eq!(info.compiler, "rustc");
        assert!(
            info.go_version.starts_with("rustc1."),
            "{}",
            info.go_version
        );
        assert!(info.build_date.ends_with('Z'), "{}", info.build_date);
        // Every field upstream has is present, none extra.
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 13);
    }

    #[test]
    fn platform_uses_go_names() {
        let platform = platform();
        assert!(platform.starts_with(std::env::consts::OS), "{platform}");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(platform, "linux/amd64");
        }
    }

    #[test]
    fn only_reads_are_allowed() {
        let response = VersionInfo::current().respond(&Method::POST);
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
