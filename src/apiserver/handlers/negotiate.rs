//! Which representation a client asked for in `Accept`: the object itself
//! (JSON, YAML or Kubernetes protobuf), a `Table`, or
//! `PartialObjectMetadata`.

use http::HeaderMap;

use crate::apiserver::status::ApiError;
use crate::apiserver::{accept, protobuf};

impl Representation {
    /// Protobuf only for kinds that have a message; others (custom
    /// resources) answer JSON, which every protobuf client also accepts.
    pub fn for_kind(self, api_version: &str, kind: &str) -> Representation {
        match self {
            Representation::Protobuf if !protobuf::supports(api_version, kind) => {
                Representation::Json
            }
            other => other,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Representation {
    Json,
    Yaml,
    /// `application/vnd.kubernetes.protobuf`: only for kinds with a
    /// message (see [`Representation::for_kind`]).
    Protobuf,
    /// `meta.k8s.io` Table (v1 or v1beta1: the version to answer with).
    Table(&'static str),
    /// `meta.k8s.io` PartialObjectMetadata(List).
    Metadata(&'static str),
}

fn meta_version(v: Option<&str>) -> Option<&'static str> {
    match v {
        Some("v1") => Some("v1"),
        Some("v1beta1") => Some("v1beta1"),
        _ => None,
    }
}

/// The representation to answer with; 406 if none of the client's choices
/// can be served.
pub fn choose(headers: &HeaderMap) -> Result<Representation, ApiError> {
    let accept = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim().is_empty() {
        return Ok(Representation::Json);
    }
    let mut ranges = accept::parse(accept);
    // Highest weight first; equal weights keep the client's order.
    ranges.sort_by(|a, b| b.q.total_cmp(&a.q).then(a.position.cmp(&b.position)));
    let (protobuf_kind, protobuf_subtype) = protobuf::CONTENT_TYPE
        .split_once('/')
        .expect("a media type has a slash");
    for range in ranges.iter().filter(|r| r.q > 0.0) {
        let json_like =
            range.is("application", "json") || range.is("application", "*") || range.is("*", "*");
        let meta = json_like && range.param("g") == Some("meta.k8s.io");
        match range.param("as") {
            Some("Table") if meta => {
                if let Some(v) = meta_version(range.param("v")) {
                    return Ok(Representation::Table(v));
                }
            }
            Some("PartialObjectMetadata" | "PartialObjectMetadataList") if meta => {
                if let Some(v) = meta_version(range.param("v")) {
                    return Ok(Representation::Metadata(v));
                }
            }
            Some(_) => {}
            None if json_like => return Ok(Representation::Json),
            None if range.is("application", "yaml") || range.is("text", "yaml") => {
                return Ok(Representation::Yaml);
            }
            None if range.is(protobuf_kind, protobuf_subtype) => {
                return Ok(Representation::Protobuf);
            }
            None => {}
        }
    }
    Err(ApiError::not_acceptable(format!(
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf; got {accept:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Result<Representation, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, value.parse().unwrap());
        choose(&headers)
    }

    #[test]
    fn kubectl_and_clients() {
        assert_eq!(
            accept("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json").unwrap(),
            Representation::Table("v1")
        );
        assert_eq!(
            accept(
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
            )
            .unwrap(),
            Representation::Metadata("v1")
        );
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf, */*").unwrap(),
            Representation::Protobuf
        );
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf;q=0.5, application/json").unwrap(),
            Representation::Json
        );
        assert_eq!(
            Representation::Protobuf.for_kind("example.com/v1", "Widget"),
            Representation::Json
        );
        assert_eq!(
            Representation::Protobuf.for_kind("v1", "ConfigMap"),
            Representation::Protobuf
        );
        assert_eq!(accept("application/yaml").unwrap(), Representation::Yaml);
        assert_eq!(
            accept("application/json;as=Table;v=v9;g=meta.k8s.io")
                .unwrap_err()
                .code,
            406
        );
        assert_eq!(accept("text/html").unwrap_err().code, 406);
    }
}
