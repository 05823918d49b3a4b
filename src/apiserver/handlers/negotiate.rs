//! Which representation a client asked for in `Accept`: the object itself
//! (JSON, YAML or Kubernetes protobuf), a `Table`, or
//! `PartialObjectMetadata`.

use http::HeaderMap;

use crate::apiserver::protobuf;
use crate::apiserver::status::ApiError;

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

struct MediaRange<'a> {
    kind: &'a str,
    params: Vec<(&'a str, &'a str)>,
    q: f32,
}

fn parse(accept: &str) -> Vec<MediaRange<'_>> {
    let mut ranges: Vec<MediaRange> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let kind = pieces.next().filter(|k| !k.is_empty())?;
            let mut params = Vec::new();
            let mut q = 1.0;
            for piece in pieces {
                let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                if k == "q" {
                    q = v.parse().unwrap_or(1.0);
                } else {
                    params.push((k, v));
                }
            }
            Some(MediaRange { kind, params, q })
        })
        .collect();
    // Stable: equal weights keep the client's order.
    ranges.sort_by(|a, b| b.q.partial_cmp(&a.q).unwrap_or(std::cmp::Ordering::Equal));
    ranges
}

fn param<'a>(range: &MediaRange<'a>, name: &str) -> Option<&'a str> {
    range
        .params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| *v)
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
    for range in parse(accept) {
        if range.q <= 0.0 {
            continue;
        }
        let json_like = matches!(range.kind, "application/json" | "application/*" | "*/*");
        match param(&range, "as") {
            Some("Table") if json_like && param(&range, "g") == Some("meta.k8s.io") => {
                if let Some(v) = meta_version(param(&range, "v")) {
                    return Ok(Representation::Table(v));
                }
            }
            Some("PartialObjectMetadata" | "PartialObjectMetadataList")
                if json_like && param(&range, "g") == Some("meta.k8s.io") =>
            {
                if let Some(v) = meta_version(param(&range, "v")) {
                    return Ok(Representation::Metadata(v));
                }
            }
            Some(_) => {}
            None if json_like => return Ok(Representation::Json),
            None if matches!(range.kind, "application/yaml" | "text/yaml") => {
                return Ok(Representation::Yaml);
            }
            None if range.kind == protobuf::CONTENT_TYPE => return Ok(Representation::Protobuf),
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
