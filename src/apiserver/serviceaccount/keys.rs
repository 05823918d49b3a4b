//! The keys service-account tokens are signed and verified with, read from
//! the PEM files operators already have (`openssl`, kubeadm's `sa.key`):
//! PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`), PKCS#1 (`RSA PRIVATE
//! KEY`, `RSA PUBLIC KEY`), `PUBLIC KEY` and `CERTIFICATE` blocks.
//!
//! Algorithms follow the key, as upstream's: RSA signs RS256, ECDSA P-256
//! ES256 and P-384 ES384 (`ring` has no P-521). A key's id (`kid`) is
//! upstream's: the unpadded base64url SHA-256 of its DER
//! SubjectPublicKeyInfo, so a token signed by kube-apiserver with the same
//! key names the same key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde::Serialize;

use super::der::{self, oid};

/// A JWS signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    Es256,
    Es384,
    Rs256,
}

impl Algorithm {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Rs256 => "RS256",
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

/// One JSON Web Key, with its members in the order upstream's JWKS
/// lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Jwk {
    #[serde(rename = "use")]
    pub usage: &'static str,
    pub kty: &'static str,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    pub alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// A key tokens can be verified with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub algorithm: Algorithm,
    pub kid: String,
    /// What `ring` verifies with: the uncompressed EC point, or the
    /// PKCS#1 `RSAPublicKey`.
    key: Vec<u8>,
}

impl PublicKey {
    /// From a DER SubjectPublicKeyInfo.
    pub fn from_spki(spki: &[u8]) -> Result<PublicKey, String> {
        let mut outer = der::Reader::new(der::single(spki, der::SEQUENCE).ok_or(MALFORMED)?);
        let mut algorithm = der::Reader::new(outer.expect(der::SEQUENCE).ok_or(MALFORMED)?);
        let key_bits = outer
            .expect(der::BIT_STRING)
            .and_then(der::bit_string_bytes)
            .ok_or(MALFORMED)?;
        let kind = algorithm.expect(der::OID).ok_or(MALFORMED)?;
        let (algorithm, key) = if kind == oid::RSA_ENCRYPTION {
            (Algorithm::Rs256, key_bits.to_vec())
        } else if kind == oid::EC_PUBLIC_KEY {
            let curve = algorithm.expect(der::OID).ok_or(MALFORMED)?;
            (ec_algorithm(curve)?, key_bits.to_vec())
        } else {
            return Err("only RSA and ECDSA keys are supported".into());
        };
        Ok(PublicKey {
            algorithm,
            kid: key_id(spki),
            key,
        })
    }

    /// Whether `signature` over `message` was made with this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(self.algorithm.verification(), &self.key)
            .verify(message, signature)
            .is_ok()
    }

    /// The key as a JWK.
    pub fn jwk(&self) -> Jwk {
        let encode = |bytes: &[u8]| Some(URL_SAFE_NO_PAD.encode(bytes));
        let mut jwk = Jwk {
            usage: "sig",
            kty: "EC",
            kid: self.kid.clone(),
            crv: None,
            alg: self.algorithm.name(),
            x: None,
            y: None,
            n: None,
            e: None,
        };
        match self.algorithm {
            Algorithm::Rs256 => {
                jwk.kty = "RSA";
                let mut fields = der::single(&self.key, der::SEQUENCE).map(der::Reader::new);
                let mut next = || fields.as_mut()?.expect(der::INTEGER).map(der::unsigned);
                jwk.n = next().and_then(encode);
                jwk.e = next().and_then(encode);
            }
            Algorithm::Es256 | Algorithm::Es384 => {
                jwk.crv = Some(if self.algorithm == Algorithm::Es256 {
                    "P-256"
                } else {
                    "P-384"
                });
                // 0x04, then x and y of equal length.
                let coordinates = self.key.get(1..).unwrap_or_default();
                let (x, y) = coordinates.split_at(coordinates.len() / 2);
                jwk.x = encode(x);
                jwk.y = encode(y);
            }
        }
        jwk
    }
}

const MALFORMED: &str = "malformed key";

fn ec_algorithm(curve: &[u8]) -> Result<Algorithm, String> {
    if curve == oid::P256 {
        Ok(Algorithm::Es256)
    } else if curve == oid::P384 {
        Ok(Algorithm::Es384)
    } else if curve == oid::P521 {
        Err("ECDSA P-521 keys are not supported; use P-256, P-384 or RSA".into())
    } else {
        Err("unknown elliptic curve; use P-256, P-384 or RSA".into())
    }
}

/// Upstream's key id: base64url(SHA-256(SubjectPublicKeyInfo DER)).
fn key_id(spki: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, spki))
}

fn ec_spki(curve: &[u8], point: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &der::sequence(&[
            &der::element(der::OID, oid::EC_PUBLIC_KEY),
            &der::element(der::OID, curve),
        ]),
        &der::bit_string(point),
    ])
}

fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &der::sequence(&[
            &der::element(der::OID, oid::RSA_ENCRYPTION),
            &der::element(der::NULL, &[]),
        ]),
        &der::bit_string(rsa_public_key),
    ])
}

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// The private key tokens are signed with.
pub struct SigningKey {
    signer: Signer,
    public: PublicKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh ECDSA P-256 key and its PKCS#8 PEM (to keep on disk).
    pub fn generate() -> Result<(SigningKey, String), String> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| "generating a key failed".to_owned())?;
        let pem = pem_block("PRIVATE KEY", pkcs8.as_ref());
        Ok((SigningKey::from_pkcs8(pkcs8.as_ref())?, pem))
    }

    /// The first private key in `pem`.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        for block in pem_blocks(pem)? {
            match block.label.as_str() {
                "PRIVATE KEY" => return SigningKey::from_pkcs8(&block.contents),
                "EC PRIVATE KEY" => return SigningKey::from_sec1(&block.contents),
                "RSA PRIVATE KEY" => {
                    let pair = RsaKeyPair::from_der(&block.contents)
                        .map_err(|e| format!("RSA private key: {e}"))?;
                    return Ok(SigningKey::rsa(pair));
                }
                _ => {}
            }
        }
        Err("no private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY) found".into())
    }

    fn from_pkcs8(pkcs8: &[u8]) -> Result<SigningKey, String> {
        let rng = SystemRandom::new();
        for (algorithm, curve) in [
            (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, oid::P256),
            (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, oid::P384),
        ] {
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(algorithm, pkcs8, &rng) {
                return SigningKey::ecdsa(pair, curve);
            }
        }
        match RsaKeyPair::from_pkcs8(pkcs8) {
            Ok(pair) => Ok(SigningKey::rsa(pair)),
            Err(e) => Err(format!(
                "unsupported private key ({e}): use RSA (2048 bits or more), ECDSA P-256 or P-384"
            )),
        }
    }

    /// An `EC PRIVATE KEY` (RFC 5915), which `ring` reads once wrapped in
    /// PKCS#8.
    fn from_sec1(sec1: &[u8]) -> Result<SigningKey, String> {
        let mut fields = der::Reader::new(der::single(sec1, der::SEQUENCE).ok_or(MALFORMED)?);
        fields.expect(der::INTEGER).ok_or(MALFORMED)?;
        fields.expect(der::OCTET_STRING).ok_or(MALFORMED)?;
        let parameters = fields.expect(der::CONTEXT_0).ok_or(
            "EC PRIVATE KEY without its curve; convert it with `openssl pkcs8 -topk8 -nocrypt`",
        )?;
        let curve = der::single(parameters, der::OID).ok_or(MALFORMED)?;
        ec_algorithm(curve)?;
        let pkcs8 = der::sequence(&[
            &der::element(der::INTEGER, &[0]),
            &der::sequence(&[
                &der::element(der::OID, oid::EC_PUBLIC_KEY),
                &der::element(der::OID, curve),
            ]),
            &der::element(der::OCTET_STRING, sec1),
        ]);
        SigningKey::from_pkcs8(&pkcs8)
    }

    fn ecdsa(pair: EcdsaKeyPair, curve: &[u8]) -> Result<SigningKey, String> {
        let spki = ec_spki(curve, pair.public_key().as_ref());
        Ok(SigningKey {
            public: PublicKey::from_spki(&spki)?,
            signer: Signer::Ecdsa(pair),
            rng: SystemRandom::new(),
        })
    }

    fn rsa(pair: RsaKeyPair) -> SigningKey {
        let public = PublicKey {
            algorithm: Algorithm::Rs256,
            kid: key_id(&rsa_spki(pair.public_key().as_ref())),
            key: pair.public_key().as_ref().to_vec(),
        };
        SigningKey {
            signer: Signer::Rsa(pair),
            public,
            rng: SystemRandom::new(),
        }
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match &self.signer {
            Signer::Ecdsa(pair) => pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "signing failed".into()),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut signature,
                )
                .map_err(|_| "signing failed".to_owned())?;
                Ok(signature)
            }
        }
    }
}

/// Every public key in `pem`: public keys, certificates' keys, and the
/// public halves of private keys (upstream's `--service-account-key-file`
/// takes all of these).
pub fn public_keys_from_pem(pem: &str) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for block in pem_blocks(pem)? {
        match block.label.as_str() {
            "PUBLIC KEY" => keys.push(PublicKey::from_spki(&block.contents)?),
            "RSA PUBLIC KEY" => keys.push(PublicKey::from_spki(&rsa_spki(&block.contents))?),
            "CERTIFICATE" => {
                let (_, certificate) = x509_parser::parse_x509_certificate(&block.contents)
                    .map_err(|e| format!("certificate: {e}"))?;
                keys.push(PublicKey::from_spki(certificate.public_key().raw)?);
            }
            "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => {
                let text = pem_block(&block.label, &block.contents);
                keys.push(SigningKey::from_pem(&text)?.public().clone());
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        return Err("no public or private key found".into());
    }
    Ok(keys)
}

fn pem_blocks(pem: &str) -> Result<Vec<x509_parser::pem::Pem>, String> {
    x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("reading PEM: {e}"))
}

/// `contents` as a PEM block labelled `label`.
pub fn pem_block(label: &str, contents: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(contents);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_public_key_verifies() {
        let (key, pem) = SigningKey::generate().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let signature = key.sign(b"message").unwrap();
        assert_eq!(signature.len(), 64, "ES256 signatures are r||s");
        assert!(key.public().verify(b"message", &signature));
        assert!(!key.public().verify(b"other", &signature));
        let again = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(again.public(), key.public());
        assert_eq!(public_keys_from_pem(&pem).unwrap(), [key.public().clone()]);
    }

    #[test]
    fn ec_keys_have_upstreams_jwk_and_kid() {
        let (key, _) = SigningKey::generate().unwrap();
        let jwk = key.public().jwk();
        assert_eq!((jwk.kty, jwk.crv, jwk.alg), ("EC", Some("P-256"), "ES256"));
        assert_eq!(jwk.x.as_ref().unwrap().len(), 43, "32 bytes, base64url");
        assert_eq!(jwk.y.as_ref().unwrap().len(), 43);
        assert_eq!(jwk.kid.len(), 43, "a SHA-256 digest, base64url");
        let json = serde_json::to_string(&jwk).unwrap();
        assert!(
            json.starts_with(r#"{"use":"sig","kty":"EC","kid":"#),
            "{json}"
        );
    }

    #[test]
    fn certificates_and_public_key_blocks_give_the_same_key() {
        let pair = rcgen::KeyPair::generate().unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["x".into()])
            .unwrap()
            .self_signed(&pair)
            .unwrap();
        let from_certificate = public_keys_from_pem(&certificate.pem()).unwrap();
        let from_public = public_keys_from_pem(&pair.public_key_pem()).unwrap();
        let from_private = SigningKey::from_pem(&pair.serialize_pem()).unwrap();
        assert_eq!(from_certificate, from_public);
        assert_eq!(&from_public[0], from_private.public());
    }

    #[test]
    fn sec1_ec_keys_are_read() {
        // `openssl ecparam -name prime256v1 -genkey -noout`
        let sec1 = include_str!("testdata/ec-p256-sec1.pem");
        let key = SigningKey::from_pem(sec1).unwrap();
        assert_eq!(key.public().algorithm, Algorithm::Es256);
        let signature = key.sign(b"m").unwrap();
        assert!(key.public().verify(b"m", &signature));
    }

    #[test]
    fn p384_keys_sign_es384() {
        let key = SigningKey::from_pem(include_str!("testdata/ec-p384-pkcs8.pem")).unwrap();
        assert_eq!(key.public().algorithm, Algorithm::Es384);
        let signature = key.sign(b"m").unwrap();
        assert_eq!(signature.len(), 96);
        assert!(key.public().verify(b"m", &signature));
        assert_eq!(key.public().jwk().crv, Some("P-384"));
    }

    #[test]
    fn rsa_keys_sign_rs256() {
        // `openssl genrsa 2048` (PKCS#1).
        let pem = include_str!("testdata/rsa2048.pem");
        let key = SigningKey::from_pem(pem).unwrap();
        assert_eq!(key.public().algorithm, Algorithm::Rs256);
        let signature = key.sign(b"m").unwrap();
        assert_eq!(signature.len(), 256);
        assert!(key.public().verify(b"m", &signature));
        let jwk = key.public().jwk();
        assert_eq!(jwk.kty, "RSA");
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        assert_eq!(jwk.n.as_ref().unwrap().len(), 342, "256 bytes, base64url");
    }

    #[test]
    fn unusable_input_says_why() {
        assert!(SigningKey::from_pem("nothing here").is_err());
        assert!(public_keys_from_pem("").is_err());
    }
}
