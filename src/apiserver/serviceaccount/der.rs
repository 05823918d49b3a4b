//! Just enough DER to move keys between the forms operators hand us
//! (SEC1, PKCS#1, PKCS#8, SubjectPublicKeyInfo) and the forms `ring`
//! takes, and to take public keys apart for JWKS. Definite lengths only,
//! as DER requires.

/// Universal tags used here.
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const SEQUENCE: u8 = 0x30;
/// `[0]` and `[1]`, constructed (context-specific explicit tags).
pub const CONTEXT_0: u8 = 0xa0;
pub const CONTEXT_1: u8 = 0xa1;

/// Object identifiers, as their DER contents.
pub mod oid {
    /// 1.2.840.113549.1.1.1
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// 1.2.840.10045.2.1
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// 1.2.840.10045.3.1.7 (prime256v1, P-256)
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// 1.3.132.0.34 (secp384r1, P-384)
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// 1.3.132.0.35 (secp521r1, P-521)
    pub const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
}

/// Reads a sequence of TLVs.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { rest: input }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element's tag and contents.
    pub fn next_element(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let length = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (bytes, after) = rest.split_at(count);
            rest = after;
            bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
        };
        if rest.len() < length {
            return None;
        }
        let (contents, after) = rest.split_at(length);
        self.rest = after;
        Some((tag, contents))
    }

    /// The next element's contents if it has `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.next_element()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }
}

/// The contents of `input` if it is exactly one element with `tag`.
pub fn single(input: &[u8], tag: u8) -> Option<&[u8]> {
    let mut reader = Reader::new(input);
    let contents = reader.expect(tag)?;
    reader.is_empty().then_some(contents)
}

/// One element: `tag`, length, `contents`.
pub fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = contents.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A SEQUENCE of already encoded elements.
pub fn sequence(elements: &[&[u8]]) -> Vec<u8> {
    element(SEQUENCE, &elements.concat())
}

/// A BIT STRING with no unused bits.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(bytes.len() + 1);
    contents.push(0);
    contents.extend_from_slice(bytes);
    element(BIT_STRING, &contents)
}

/// The bytes of a BIT STRING's contents that has no unused bits.
pub fn bit_string_bytes(contents: &[u8]) -> Option<&[u8]> {
    match contents.split_first() {
        Some((0, bytes)) => Some(bytes),
        _ => None,
    }
}

/// An unsigned INTEGER's magnitude, without the sign-padding zero.
pub fn unsigned(contents: &[u8]) -> &[u8] {
    let start = contents
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(contents.len().saturating_sub(1));
    &contents[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths_round_trip() {
        for size in [0usize, 5, 127, 128, 300, 70_000] {
            let contents = vec![7u8; size];
            let encoded = element(OCTET_STRING, &contents);
            assert_eq!(
                single(&encoded, OCTET_STRING),
                Some(&contents[..]),
                "{size}"
            );
        }
    }

    #[test]
    fn truncated_or_trailing_input_is_refused() {
        let encoded = element(INTEGER, &[1, 2, 3]);
        assert_eq!(single(&encoded[..encoded.len() - 1], INTEGER), None);
        let mut trailing = encoded.clone();
        trailing.push(0);
        assert_eq!(single(&trailing, INTEGER), None);
        assert_eq!(single(&encoded, SEQUENCE), None);
    }

    #[test]
    fn integers_lose_their_sign_padding() {
        assert_eq!(unsigned(&[0x00, 0x80, 0x01]), &[0x80, 0x01]);
        assert_eq!(unsigned(&[0x01, 0x00, 0x01]), &[0x01, 0x00, 0x01]);
        assert_eq!(unsigned(&[0x00]), &[0x00]);
    }
}
