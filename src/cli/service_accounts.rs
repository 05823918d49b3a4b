//! The service-account token settings the flags select: the signing key
//! (`--service-account-signing-key-file`, or `<data-dir>/pki/sa.key`,
//! minted at first start and kept, since every token handed out depends on
//! it), extra verification keys (`--service-account-key-file`), issuers,
//! API audiences and the JWKS URL.

use std::net::SocketAddr;
use std::path::Path;

use super::ServerArgs;
use crate::apiserver::serviceaccount::keys::{SigningKey, public_keys_from_pem};
use crate::apiserver::serviceaccount::{ServiceAccountTokens, TokenSettings};
use crate::pki::files::{
    Durability, PRIVATE_MODE, create_private_dir, read_if_exists, write_atomically,
};

/// The minted signing key, under the data directory's `pki/`.
pub const MINTED_KEY_FILE: &str = "sa.key";

/// The signing key at `path`, or why it cannot be used.
fn load_signing_key(path: &Path) -> Result<SigningKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    SigningKey::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

/// `<pki_dir>/sa.key`, minted if missing. A file that is there but
/// unreadable stops the start: replacing it would void every token issued.
/// The PEM of the key service-account tokens are signed with: the
/// `--service-account-signing-key-file`, else the one minted in the data
/// directory (after [`service_account_tokens`] made sure it exists).
pub fn signing_key_pem(args: &ServerArgs, data_dir: &Path) -> Result<String, String> {
    let path = match &args.service_account_signing_key_file {
        Some(path) => path.clone(),
        None => data_dir.join("pki").join(MINTED_KEY_FILE),
    };
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn ensure_minted_key(pki_dir: &Path) -> Result<SigningKey, String> {
    let path = pki_dir.join(MINTED_KEY_FILE);
    let existing = read_if_exists(&path).map_err(|e| e.to_string())?;
    if let Some(pem) = existing {
        return SigningKey::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()));
    }
    create_private_dir(pki_dir).map_err(|e| e.to_string())?;
    let (key, pem) = SigningKey::generate()?;
    write_atomically(&path, pem.as_bytes(), PRIVATE_MODE, Durability::Synced)
        .map_err(|e| e.to_string())?;
    tracing::info!(path = %path.display(), "minted the service account signing key");
    Ok(key)
}

/// The token issuer for a server on `address` with `args`.
pub fn service_account_tokens(
    args: &ServerArgs,
    data_dir: &Path,
    address: SocketAddr,
) -> Result<ServiceAccountTokens, String> {
    let signing = match &args.service_account_signing_key_file {
        Some(path) => load_signing_key(path)?,
        None => ensure_minted_key(&data_dir.join("pki"))?,
    };
    let mut extra = Vec::new();
    for path in &args.service_account_key_file {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        extra.extend(public_keys_from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let mut settings = TokenSettings {
        api_audiences: args
            .api_audiences
            .iter()
            .filter(|a| !a.is_empty())
            .cloned()
            .collect(),
        jwks_uri: args.service_account_jwks_uri.clone(),
        external_address: address.to_string(),
        ..Default::default()
    };
    if !args.service_account_issuer.is_empty() {
        settings.issuers = args.service_account_issuer.clone();
    }
    ServiceAccountTokens::new(settings, signing, extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(extra: &[&str]) -> ServerArgs {
        let argv = std::iter::once("keelson")
            .chain(std::iter::once("up"))
            .chain(extra.iter().copied());
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Up(args) => args,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_minted_key_is_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let address: SocketAddr = "127.0.0.1:6443".parse().unwrap();
        let first = service_account_tokens(&args(&[]), dir.path(), address).unwrap();
        let second = service_account_tokens(&args(&[]), dir.path(), address).unwrap();
        assert_eq!(first.jwks(), second.jwks());
        let jwks: serde_json::Value = serde_json::from_slice(first.jwks().unwrap()).unwrap();
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
        let config: serde_json::Value =
            serde_json::from_slice(first.openid_configuration().unwrap()).unwrap();
        assert_eq!(config["jwks_uri"], "https://127.0.0.1:6443/openid/v1/jwks");

        std::fs::write(dir.path().join("pki").join(MINTED_KEY_FILE), "garbage").unwrap();
        assert!(service_account_tokens(&args(&[]), dir.path(), address).is_err());
    }

    #[test]
    fn operator_keys_and_issuers_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let (_, signing_pem) = SigningKey::generate().unwrap();
        let (old, old_pem) = SigningKey::generate().unwrap();
        let signing_path = dir.path().join("signing.pem");
        let old_path = dir.path().join("old.pem");
        std::fs::write(&signing_path, signing_pem).unwrap();
        std::fs::write(&old_path, old_pem).unwrap();
        let tokens = service_account_tokens(
            &args(&[
                "--service-account-issuer=https://issuer.example",
                &format!(
                    "--service-account-signing-key-file={}",
                    signing_path.display()
                ),
                &format!("--service-account-key-file={}", old_path.display()),
            ]),
            dir.path(),
            "127.0.0.1:6443".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(tokens.issuer(), "https://issuer.example");
        assert_eq!(tokens.api_audiences(), ["https://issuer.example"]);
        let jwks: serde_json::Value = serde_json::from_slice(tokens.jwks().unwrap()).unwrap();
        assert_eq!(jwks["keys"][1]["kid"], old.public().kid.as_str());
        assert!(!dir.path().join("pki").exists(), "nothing minted");
    }
}
