//! The query parameters of list, watch and write requests.

use std::collections::HashMap;

use crate::apiserver::status::ApiError;

/// All query parameters, decoded. A repeated parameter's first value
/// counts, as with Go's `url.Values.Get`.
#[derive(Clone, Debug, Default)]
pub struct Query {
    values: HashMap<String, String>,
}

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut values = HashMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            values
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
        Query { values }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A boolean parameter: `true`/`1` (any case of `true`) or absent.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
    }

    /// An integer parameter; malformed values are a 400 like upstream's
    /// conversion errors.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid value {v:?} for query parameter {name}: must be an integer"
                ))
            }),
        }
    }
}

/// `resourceVersionMatch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionMatch {
    NotOlderThan,
    Exact,
}

/// The read options of get, list and watch.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub resource_version: Option<String>,
    pub version_match: Option<VersionMatch>,
    pub limit: Option<i64>,
    pub continue_token: Option<String>,
    pub label_selector: String,
    pub field_selector: String,
    pub watch: bool,
    pub allow_bookmarks: bool,
    pub timeout_seconds: Option<i64>,
    pub send_initial_events: Option<bool>,
}

impl ReadOptions {
    pub fn from_query(q: &Query) -> Result<ReadOptions, ApiError> {
        let version_match = match q.get("resourceVersionMatch") {
            None | Some("") => None,
            Some("NotOlderThan") => Some(VersionMatch::NotOlderThan),
            Some("Exact") => Some(VersionMatch::Exact),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""
                )));
            }
        };
        Ok(ReadOptions {
            resource_version: q
                .get("resourceVersion")
                .filter(|v| !v.is_empty())
                .map(Into::into),
            version_match,
            limit: q.int("limit")?.filter(|l| *l > 0),
            continue_token: q.get("continue").filter(|v| !v.is_empty()).map(Into::into),
            label_selector: q.get("labelSelector").unwrap_or_default().into(),
            field_selector: q.get("fieldSelector").unwrap_or_default().into(),
            watch: q.flag("watch"),
            allow_bookmarks: q.flag("allowWatchBookmarks"),
            timeout_seconds: q.int("timeoutSeconds")?,
            send_initial_events: q
                .get("sendInitialEvents")
                .map(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_selectors_and_flags() {
        let q = Query::parse(Some(
            "labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=1&limit=5&resourceVersionMatch=NotOlderThan&resourceVersion=0",
        ));
        let o = ReadOptions::from_query(&q).unwrap();
        assert_eq!(o.label_selector, "app=web,tier in (a)");
        assert!(o.watch);
        assert_eq!(o.limit, Some(5));
        assert_eq!(o.version_match, Some(VersionMatch::NotOlderThan));
        assert_eq!(o.resource_version.as_deref(), Some("0"));
        let q = Query::parse(Some("resourceVersionMatch=Bogus"));
        assert_eq!(ReadOptions::from_query(&q).unwrap_err().code, 400);
        let q = Query::parse(Some("limit=x"));
        assert!(ReadOptions::from_query(&q).is_err());
    }
}
