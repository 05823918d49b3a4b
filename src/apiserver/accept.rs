//! `Accept` headers as upstream reads them: media ranges split on commas
//! and semicolons outside quoted strings, parameter names lower-cased and
//! values unquoted, `q` weights kept apart. Discovery and the resource
//! handlers each decide what a range asks of them.

/// One media range of an `Accept` header.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaRange {
    /// Lower-cased; `*` for a wildcard.
    pub kind: String,
    pub subtype: String,
    /// Parameters other than `q`: names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
    pub q: f32,
    pub position: usize,
}

impl MediaRange {
    /// The value of parameter `name` (lower-case), if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this range is exactly `kind/subtype`.
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind == kind && self.subtype == subtype
    }
}

/// Splits `s` on `separator` outside double-quoted strings.
fn split_unquoted(s: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c == separator && !in_quotes => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => crate::apiserver::selector::field::unescape(inner),
        None => value.to_owned(),
    }
}

/// Parses an `Accept` header into media ranges, skipping malformed ones.
pub fn parse(header: &str) -> Vec<MediaRange> {
    let mut ranges = Vec::new();
    for (position, clause) in split_unquoted(header, ',').into_iter().enumerate() {
        let mut parts = split_unquoted(clause, ';').into_iter();
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let (kind, subtype) = match media.split_once('/') {
            Some((k, s)) if !k.trim().is_empty() && !s.trim().is_empty() => {
                (k.trim().to_owned(), s.trim().to_owned())
            }
            // A lone `*` is how some clients write `*/*`.
            None if media == "*" => ("*".to_owned(), "*".to_owned()),
            _ => continue,
        };
        let mut q = 1.0;
        let mut params = Vec::new();
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let value = unquote(value);
            if name == "q" {
                // An unreadable weight counts as "not acceptable", as in
                // upstream's parser.
                q = value.parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
            } else {
                params.push((name, value));
            }
        }
        ranges.push(MediaRange {
            kind,
            subtype,
            params,
            q,
            position,
        });
    }
    ranges
}
