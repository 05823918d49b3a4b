//! Writing a JSON object member by member, some members already
//! serialized, so that a document is assembled from serialized pieces
//! without ever holding the whole of it as a tree.

use serde::Serialize;

/// A JSON object being written into a buffer. Members are written in the
/// order they are given (callers give them sorted, as upstream's documents
/// are).
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        // A string always serializes.
        let _ = serde_json::to_writer(&mut *self.out, key);
        self.out.push(b':');
    }

    /// A member whose value is serialized JSON.
    pub fn raw(&mut self, key: &str, json: &[u8]) {
        self.key(key);
        self.out.extend_from_slice(json);
    }

    /// A member whose value is serialized here.
    pub fn value<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        // Documents are made of JSON values and strings, which serialize.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }

    /// A member whose value is an object written by `write`.
    pub fn object(&mut self, key: &str, write: impl FnOnce(&mut ObjectWriter<'_>)) {
        self.key(key);
        let mut inner = ObjectWriter::new(self.out);
        write(&mut inner);
        inner.end();
    }

    pub fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let mut out = Vec::new();
        let mut object = ObjectWriter::new(&mut out);
        object.raw("a", b"[1,2]");
        object.object("b\"", |inner| {
            inner.value("c", &serde_json::json!({ "d": true }))
        });
        object.value("e", "f");
        object.end();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({ "a": [1, 2], "b\"": { "c": { "d": true } }, "e": "f" })
        );
    }
}
