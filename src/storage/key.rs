//! Key validation and prefix ranges, shared by both backends.

use super::{MAX_KEY_BYTES, MAX_VALUE_BYTES, StorageError, StorageResult};

/// Rejects keys the contract forbids: empty, over [`MAX_KEY_BYTES`], or
/// containing NUL (which would break prefix ranges).
pub fn validate_key(key: &str) -> StorageResult<()> {
    if key.is_empty() {
        return Err(StorageError::InvalidKey("key is empty".into()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(StorageError::InvalidKey(format!(
            "key is {} bytes, the limit is {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    if key.contains('\0') {
        return Err(StorageError::InvalidKey("key contains NUL".into()));
    }
    Ok(())
}

/// Rejects values over [`MAX_VALUE_BYTES`].
pub fn validate_value(value: &[u8]) -> StorageResult<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(StorageError::ValueTooLarge {
            size: value.len(),
            limit: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

/// Rejects prefixes that cannot name a range (only the empty prefix; it would
/// mean the whole store, which no caller should read by accident).
pub fn validate_prefix(prefix: &str) -> StorageResult<()> {
    if prefix.is_empty() {
        return Err(StorageError::InvalidKey("prefix is empty".into()));
    }
    validate_key(prefix)
}

/// The first key after every key starting with `prefix` (etcd's "range end"
/// for a prefix), or `None` when no such key exists (prefix of all 0xff).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The key a list under `prefix` starts at: `start_key` when it lies inside
/// the prefix's range, otherwise the prefix itself.
pub fn list_start<'a>(prefix: &'a str, start_key: Option<&'a str>) -> StorageResult<&'a str> {
    match start_key {
        None => Ok(prefix),
        Some(start) if start.starts_with(prefix) => Ok(start),
        Some(start) => Err(StorageError::InvalidKey(format!(
            "start key {start:?} is outside prefix {prefix:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(
            prefix_end(b"/registry/pods/"),
            Some(b"/registry/pods0".to_vec())
        );
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }

    #[test]
    fn bad_keys_are_typed_errors() {
        assert!(matches!(validate_key(""), Err(StorageError::InvalidKey(_))));
        assert!(matches!(
            validate_key("a\0b"),
            Err(StorageError::InvalidKey(_))
        ));
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(
            validate_key(&long),
            Err(StorageError::InvalidKey(_))
        ));
        assert!(validate_key("/registry/pods/default/p").is_ok());
        let big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(matches!(
            validate_value(&big),
            Err(StorageError::ValueTooLarge { .. })
        ));
    }

    #[test]
    fn start_key_must_be_inside_prefix() {
        assert_eq!(list_start("/a/", Some("/a/x")).unwrap(), "/a/x");
        assert_eq!(list_start("/a/", None).unwrap(), "/a/");
        assert!(list_start("/a/", Some("/b/")).is_err());
    }
}
