//! `--token-auth-file`: static bearer tokens from a CSV file in upstream's
//! format, one per line: `token,user,uid[,"group1,group2"]`.

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;

use super::TokenAuthenticator;
use crate::apiserver::user::UserInfo;

/// The tokens of one token file.
#[derive(Clone, Debug, Default)]
pub struct StaticTokens {
    users: HashMap<String, UserInfo>,
}

impl StaticTokens {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<StaticTokens, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading token file '{}': {e}", path.display()))?;
        StaticTokens::parse(&text, &path.display().to_string())
    }

    /// Parses token-file `text`; `source` names it in errors.
    ///
    /// As upstream: at least three columns per record; the fourth, if
    /// present, is a comma-separated group list; further columns are
    /// ignored; a record with an empty token is skipped (with a warning);
    /// when a token repeats, the later record wins (with a warning).
    pub fn parse(text: &str, source: &str) -> Result<StaticTokens, String> {
        let records = super::csv::parse(text).map_err(|e| format!("token file '{source}': {e}"))?;
        let mut users = HashMap::new();
        for (index, record) in records.iter().enumerate() {
            let number = index + 1;
            if record.len() < 3 {
                return Err(format!(
                    "token file '{source}' must have at least 3 columns (token, user name, user uid), found {}",
                    record.len()
                ));
            }
            let token = &record[0];
            if token.is_empty() {
                tracing::warn!(
                    "empty token has been found in token file '{source}', record number '{number}'"
                );
                continue;
            }
            let groups = record
                .get(3)
                .map(|list| {
                    list.split(',')
                        .filter(|g| !g.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let user = UserInfo {
                name: record[1].clone(),
                uid: record[2].clone(),
                groups,
                ..Default::default()
            };
            if users.insert(token.clone(), user).is_some() {
                tracing::warn!(
                    "duplicate token has been found in token file '{source}', record number '{number}'"
                );
            }
        }
        Ok(StaticTokens { users })
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

#[async_trait]
impl TokenAuthenticator for StaticTokens {
    async fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        self.users.get(token).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn upstream_format() {
        let text = "\
tok1,alice,1001,\"system:masters,devs\"
tok2,bob,1002
tok3,carol,1003,ops,ignored
,nobody,0
tok2,bob-again,1004
";
        let tokens = StaticTokens::parse(text, "t.csv").unwrap();
        assert_eq!(tokens.len(), 3);
        let alice = tokens.authenticate_token("tok1").await.unwrap();
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.uid, "1001");
        assert_eq!(alice.groups, ["system:masters", "devs"]);
        let carol = tokens.authenticate_token("tok3").await.unwrap();
        assert_eq!(carol.groups, ["ops"]);
        let bob = tokens.authenticate_token("tok2").await.unwrap();
        assert_eq!(bob.name, "bob-again", "the later record wins");
        assert!(bob.groups.is_empty());
        assert_eq!(tokens.authenticate_token("").await, None);
        assert_eq!(tokens.authenticate_token("tok4").await, None);
    }

    #[test]
    fn short_records_are_refused_like_upstream() {
        let err = StaticTokens::parse("tok,alice\n", "t.csv").unwrap_err();
        assert_eq!(
            err,
            "token file 't.csv' must have at least 3 columns (token, user name, user uid), found 2"
        );
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = StaticTokens::load(Path::new("/nonexistent/tokens.csv")).unwrap_err();
        assert!(err.contains("/nonexistent/tokens.csv"), "{err}");
    }
}
