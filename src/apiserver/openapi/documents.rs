//! Building the served documents: everything is generated from one catalog
//! snapshot and set of runtime schemas, serialized, and only the bytes (and
//! their hashes) are kept. The intermediate JSON trees are dropped before a
//! build returns.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::json;

use super::custom::CustomSchemas;
use super::definitions::Definitions;
use super::routes::all_routes;
use super::{gnostic, v2, v3};
use crate::apiserver::registry::catalog::CatalogSnapshot;

/// Upstream's document hash (ETag and `?hash=`): SHA-512, upper-case hex.
pub fn hash(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA512, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// One serialized document and its hash.
#[derive(Clone, Debug)]
pub struct Built {
    pub bytes: Bytes,
    pub etag: String,
}

impl Built {
    pub fn new(mut bytes: Vec<u8>) -> Built {
        bytes.shrink_to_fit();
        let etag = hash(&bytes);
        Built {
            bytes: bytes.into(),
            etag,
        }
    }
}

/// `/openapi/v2`: JSON and protobuf of the same document, which share the
/// JSON's hash as upstream's do.
pub struct V2 {
    pub json: Built,
    pub protobuf: Bytes,
}

/// `/openapi/v3`: the index and every document it links to.
pub struct V3 {
    pub index: Built,
    pub documents: BTreeMap<String, Built>,
}

/// The server-relative URL of v3 document `key` with hash `etag`.
pub fn v3_url(key: &str, etag: &str) -> String {
    format!("/openapi/v3/{key}?hash={etag}")
}

pub fn build_v2(snapshot: &CatalogSnapshot, custom: &CustomSchemas, version: &str) -> V2 {
    let definitions = Definitions::build(snapshot, custom);
    let routes = all_routes(snapshot, &definitions);
    let document = v2::Document::new(&routes, &definitions, version);
    V2 {
        json: Built::new(document.to_json()),
        protobuf: {
            let mut protobuf = gnostic::encode(&document);
            protobuf.shrink_to_fit();
            protobuf.into()
        },
    }
}

pub fn build_v3(snapshot: &CatalogSnapshot, custom: &CustomSchemas, version: &str) -> V3 {
    let definitions = Definitions::build(snapshot, custom);
    let routes = all_routes(snapshot, &definitions);
    let documents: BTreeMap<String, Built> = v3::documents(&routes, &definitions, version)
        .into_iter()
        .map(|(key, bytes)| (key, Built::new(bytes)))
        .collect();
    let paths: serde_json::Map<String, serde_json::Value> = documents
        .iter()
        .map(|(key, built)| {
            (
                key.clone(),
                json!({ "serverRelativeURL": v3_url(key, &built.etag) }),
            )
        })
        .collect();
    let index = serde_json::to_vec(&json!({ "paths": paths })).unwrap_or_default();
    V3 {
        index: Built::new(index),
        documents,
    }
}
