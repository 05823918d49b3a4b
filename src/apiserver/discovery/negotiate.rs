//! Content negotiation for discovery: which encoding and which document a
//! request's `Accept` header asks for.
//!
//! kube-apiserver's rules, as far as discovery needs them: the header is a
//! list of media ranges, tried from the highest `q` (and, at equal `q`, the
//! most specific) down; the first range the server can satisfy wins. A
//! range can ask for a different document with `g`/`v`/`as` parameters —
//! here only the aggregated discovery list
//! (`g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`, or `v2beta1`) —
//! and a range asking for any other document is skipped, so clients list a
//! plain `application/json` after it as the fallback. Protobuf is not
//! served; a client that also accepts JSON gets JSON. No satisfiable range
//! is 406 `NotAcceptable`.
//!
//! Where upstream differs, on purpose: a range with `q=0` ("not
//! acceptable") is skipped rather than honoured, and ranges are ordered by
//! a total order (q, then specificity, then position) so the choice never
//! depends on sort stability.

use crate::apiserver::accept::MediaRange;
use crate::apiserver::status::ApiError;

/// How the document is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Yaml,
}

impl Encoding {
    /// The media type without parameters.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Yaml => "application/yaml",
        }
    }
}

/// A version of the aggregated discovery document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregatedVersion {
    V2,
    V2Beta1,
}

/// The group and kind of the aggregated discovery document.
pub const AGGREGATED_GROUP: &str = "apidiscovery.k8s.io";
pub const AGGREGATED_KIND: &str = "APIGroupDiscoveryList";

impl AggregatedVersion {
    pub fn version(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => "v2",
            AggregatedVersion::V2Beta1 => "v2beta1",
        }
    }

    /// `apidiscovery.k8s.io/v2`: the document's `apiVersion`.
    pub fn api_version(self) -> String {
        format!("{AGGREGATED_GROUP}/{}", self.version())
    }

    fn from_version(version: &str) -> Option<AggregatedVersion> {
        match version {
            "v2" => Some(AggregatedVersion::V2),
            "v2beta1" => Some(AggregatedVersion::V2Beta1),
            _ => None,
        }
    }
}

/// What the server will answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub encoding: Encoding,
    /// Set when the client asked for the aggregated discovery document
    /// (and the endpoint can serve it; see [`negotiate`]).
    pub aggregated: Option<AggregatedVersion>,
    /// `pretty=1` on the chosen range.
    pub pretty: bool,
}

impl Negotiated {
    /// The response's `Content-Type`, written the way kube-apiserver writes
    /// it (client-go compares the `g`, `v` and `as` parameters).
    pub fn content_type(&self) -> String {
        let base = self.encoding.media_type();
        match self.aggregated {
            Some(v) => format!(
                "{base};g={AGGREGATED_GROUP};v={};as={AGGREGATED_KIND}",
                v.version()
            ),
            None => base.to_owned(),
        }
    }
}

/// The media types discovery can write, in the server's order of
/// preference (`*/*` and `application/*` get the first).
const SERVED: [Encoding; 2] = [Encoding::Json, Encoding::Yaml];

/// Chooses the response for an `Accept` header (all `Accept` headers of the
/// request joined with `,`; `None` or blank when there is none).
///
/// Every discovery endpoint accepts a request for the aggregated document,
/// as upstream's do; only `/api` and `/apis` act on it, the others answer
/// with their ordinary document (and plain `Content-Type`).
pub fn negotiate(accept: Option<&str>) -> Result<Negotiated, NotAcceptable> {
    let accept = accept.map(str::trim).unwrap_or_default();
    if accept.is_empty() {
        return Ok(Negotiated {
            encoding: Encoding::Json,
            aggregated: None,
            pretty: false,
        });
    }
    let mut ranges = crate::apiserver::accept::parse(accept);
    // Highest q first, then the most specific, then the order written.
    ranges.sort_by(|a, b| {
        b.q.total_cmp(&a.q)
            .then(b.specificity().cmp(&a.specificity()))
            .then(a.position.cmp(&b.position))
    });
    for range in ranges.iter().filter(|r| r.q > 0.0) {
        for encoding in SERVED {
            if range.matches(encoding)
                && let Some(chosen) = range.options(encoding)
            {
                return Ok(chosen);
            }
        }
    }
    Err(NotAcceptable)
}

/// No media range of the `Accept` header can be satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAcceptable;

impl From<NotAcceptable> for ApiError {
    /// 406 as upstream words it, listing what can be had.
    fn from(_: NotAcceptable) -> ApiError {
        let served: Vec<&str> = SERVED.iter().map(|e| e.media_type()).collect();
        ApiError::not_acceptable(format!(
            "only the following media types are accepted: {}",
            served.join(", ")
        ))
    }
}

impl MediaRange {
    fn specificity(&self) -> u8 {
        u8::from(self.kind != "*") + u8::from(self.subtype != "*")
    }

    fn matches(&self, encoding: Encoding) -> bool {
        let (kind, subtype) = encoding
            .media_type()
            .split_once('/')
            .expect("media types have a slash");
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => true,
            (k, "*") => k == kind,
            (k, s) => k == kind && s == subtype,
        }
    }

    /// What this range asks of `encoding`, or `None` if it asks for
    /// something discovery cannot give (another document, a server version,
    /// a stream other than watch). Unknown parameters (`charset`, …) are
    /// ignored, as upstream ignores them.
    fn options(&self, encoding: Encoding) -> Option<Negotiated> {
        let (group, version, kind) = (self.param("g"), self.param("v"), self.param("as"));
        let aggregated = if group.is_some() || version.is_some() || kind.is_some() {
            if group != Some(AGGREGATED_GROUP) || kind != Some(AGGREGATED_KIND) {
                return None;
            }
            Some(AggregatedVersion::from_version(
                version.unwrap_or_default(),
            )?)
        } else {
            None
        };
        if self.param("sv").is_some_and(|sv| !sv.is_empty()) {
            return None;
        }
        if self
            .param("stream")
            .is_some_and(|s| !s.is_empty() && s != "watch")
        {
            return None;
        }
        Some(Negotiated {
            encoding,
            aggregated,
            pretty: self.param("pretty") == Some("1"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::accept;

    const V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    const V2BETA1: &str =
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    fn chosen(accept: &str) -> Negotiated {
        negotiate(Some(accept)).unwrap_or_else(|_| panic!("{accept:?} refused"))
    }

    fn json() -> Negotiated {
        Negotiated {
            encoding: Encoding::Json,
            aggregated: None,
            pretty: false,
        }
    }

    fn aggregated(version: AggregatedVersion) -> Negotiated {
        Negotiated {
            aggregated: Some(version),
            ..json()
        }
    }

    #[test]
    fn no_preference_is_json() {
        assert_eq!(negotiate(None).unwrap(), json());
        assert_eq!(negotiate(Some("")).unwrap(), json());
        assert_eq!(negotiate(Some("  ")).unwrap(), json());
        assert_eq!(chosen("*/*"), json());
        assert_eq!(chosen("*"), json());
        assert_eq!(chosen("application/*"), json());
        assert_eq!(chosen("application/json"), json());
        assert_eq!(chosen("APPLICATION/JSON; charset=utf-8"), json());
    }

    #[test]
    fn yaml_when_asked() {
        assert_eq!(chosen("application/yaml").encoding, Encoding::Yaml);
        assert_eq!(
            chosen("application/yaml, application/json").encoding,
            Encoding::Yaml
        );
        assert_eq!(
            chosen("application/yaml;q=0.5, application/json").encoding,
            Encoding::Json
        );
    }

    #[test]
    fn client_go_aggregated_requests() {
        // What client-go sends (newest first, then the legacy fallback).
        let client_go = format!("{V2},{V2BETA1},application/json");
        assert_eq!(chosen(&client_go), aggregated(AggregatedVersion::V2));
        // With protobuf preferred, as some clients configure.
        let protobuf = "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
             application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
             application/vnd.kubernetes.protobuf,application/json";
        assert_eq!(chosen(protobuf), aggregated(AggregatedVersion::V2));
        assert_eq!(chosen(V2BETA1), aggregated(AggregatedVersion::V2Beta1));
        assert_eq!(
            chosen(&format!("{V2};q=0.5,{V2BETA1}")),
            aggregated(AggregatedVersion::V2Beta1)
        );
        // Parameters in another order, quoted.
        assert_eq!(
            chosen("application/json;as=APIGroupDiscoveryList;v=\"v2\";g=apidiscovery.k8s.io"),
            aggregated(AggregatedVersion::V2)
        );
        // Legacy clients.
        assert_eq!(chosen("application/json, */*"), json());
    }

    #[test]
    fn unknown_documents_fall_through_to_the_next_range() {
        let table = "application/json;as=Table;v=v1;g=meta.k8s.io";
        assert_eq!(chosen(&format!("{table},application/json")), json());
        let v3 = "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList";
        assert_eq!(chosen(&format!("{v3},application/json")), json());
        assert_eq!(
            chosen("application/json;sv=v1,application/yaml").encoding,
            Encoding::Yaml
        );
        assert_eq!(chosen("application/json;stream=watch"), json());
        assert!(negotiate(Some(table)).is_err());
        assert!(negotiate(Some(v3)).is_err());
        assert!(negotiate(Some("application/json;g=apidiscovery.k8s.io;v=v2")).is_err());
    }

    #[test]
    fn protobuf_falls_back_to_json_only_when_json_is_acceptable() {
        assert_eq!(
            chosen("application/vnd.kubernetes.protobuf, application/json"),
            json()
        );
        assert_eq!(
            chosen("application/vnd.kubernetes.protobuf;q=1, */*;q=0.1"),
            json()
        );
        let refused =
            ApiError::from(negotiate(Some("application/vnd.kubernetes.protobuf")).unwrap_err());
        assert_eq!(refused.code, http::StatusCode::NOT_ACCEPTABLE);
        assert_eq!(refused.reason, "NotAcceptable");
        assert_eq!(
            refused.message,
            "only the following media types are accepted: application/json, application/yaml"
        );
    }

    #[test]
    fn weights_and_specificity_order_the_ranges() {
        assert_eq!(
            chosen(&format!("application/json;q=0.9, {V2}")),
            aggregated(AggregatedVersion::V2)
        );
        assert_eq!(chosen(&format!("application/json, {V2};q=0.9")), json());
        // At equal weight the more specific range wins over a wildcard
        // written first.
        assert_eq!(chosen("*/*, application/yaml").encoding, Encoding::Yaml);
        // q=0 means "not this".
        assert!(negotiate(Some("application/json;q=0")).is_err());
        assert_eq!(
            chosen("application/json;q=0, application/yaml").encoding,
            Encoding::Yaml
        );
        // Garbage is skipped, not fatal.
        assert_eq!(chosen("text, ;;, /json, application/json"), json());
        assert!(negotiate(Some("text/html")).is_err());
        assert!(negotiate(Some("text/*")).is_err());
    }

    #[test]
    fn pretty_parameter() {
        assert!(chosen("application/json;pretty=1").pretty);
        assert!(!chosen("application/json;pretty=0").pretty);
    }

    #[test]
    fn content_types_echo_the_choice() {
        assert_eq!(json().content_type(), "application/json");
        assert_eq!(aggregated(AggregatedVersion::V2).content_type(), V2);
        assert_eq!(
            aggregated(AggregatedVersion::V2Beta1).content_type(),
            V2BETA1
        );
        let yaml = Negotiated {
            encoding: Encoding::Yaml,
            ..aggregated(AggregatedVersion::V2)
        };
        assert_eq!(
            yaml.content_type(),
            "application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        );
    }

    #[test]
    fn quoted_commas_do_not_split_ranges() {
        let ranges = accept::parse("application/json;x=\"a,b\";q=0.5, application/yaml");
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[0].param("x"), Some("a,b"));
        assert_eq!(ranges[0].q, 0.5);
    }
}
