//! Cutting secrets out of what a server sent back: a server or proxy that echoes the request
//! into its error answer must not show the API key or a password to whoever reads the error.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use crate::transport::SEGMENT;

/// Shortest secret looked for: cutting every `k` out of a message would leave nothing to
/// read, and so short a value guards nothing.
pub(crate) const MIN_REDACTED_BYTES: usize = 8;

const REDACTED: &str = "[redacted]";

/// The secrets of one call, each in every form a server may echo it in, worked out once for
/// all the strings of an answer.
pub(crate) struct Secrets {
    forms: Vec<String>,
}

impl Secrets {
    /// `secrets` as they are, percent-encoded and JSON-escaped; those shorter than
    /// [`MIN_REDACTED_BYTES`] are left out.
    pub(crate) fn new(secrets: &[&str]) -> Self {
        let mut forms: Vec<String> = secrets
            .iter()
            .filter(|secret| secret.len() >= MIN_REDACTED_BYTES)
            .flat_map(|secret| forms_of(secret))
            .filter(|form| !form.is_empty())
            .collect();
        forms.sort_unstable();
        forms.dedup();
        Secrets { forms }
    }

    /// Replaces every form of every secret in `text`. Where two matches overlap (a password
    /// holding the key) their union goes, so no tail of the longer one is left.
    pub(crate) fn redact(&self, text: &mut String) {
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        for form in &self.forms {
            let found = text.match_indices(form.as_str());
            cuts.extend(found.map(|(start, _)| (start, start + form.len())));
        }
        if cuts.is_empty() {
            return;
        }
        cuts.sort_unstable();
        let mut redacted = String::with_capacity(text.len());
        let mut done = 0;
        let mut cuts = cuts.into_iter().peekable();
        while let Some((start, mut end)) = cuts.next() {
            while let Some(&(next_start, next_end)) = cuts.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                cuts.next();
            }
            redacted.push_str(&text[done..start]);
            redacted.push_str(REDACTED);
            done = end;
        }
        redacted.push_str(&text[done..]);
        *text = redacted;
    }

    /// Redacts every string in `value`, object keys included.
    pub(crate) fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.redact(text),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| self.redact_json(item));
            }
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (mut key, mut item) in entries {
                    self.redact(&mut key);
                    self.redact_json(&mut item);
                    map.insert(key, item);
                }
            }
            _ => {}
        }
    }
}

/// `secret` as it is, percent-encoded as a path segment is and with every non-alphanumeric
/// escaped (each also with lower-case escapes), and JSON-escaped.
fn forms_of(secret: &str) -> [String; 6] {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    let segment = utf8_percent_encode(secret, SEGMENT).to_string();
    let every = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    [
        secret.to_owned(),
        lower_hex(&segment),
        lower_hex(&every),
        segment,
        every,
        json,
    ]
}

/// A percent-encoded text with its escapes in lower case (`%2f`), as some encoders write them.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            out.push(c);
            hex_left = if c == '%' { 2 } else { 0 };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(text: &str, secrets: &[&str]) -> String {
        let mut text = text.to_owned();
        Secrets::new(secrets).redact(&mut text);
        text
    }

    #[test]
    fn encoded_and_overlapping_secrets_are_cut_whole() {
        let key = "sk_AbC/dEf+GhI=Jk\"L0";
        let text = format!(
            "url Bearer%20sk_AbC%2FdEf%2BGhI%3DJk%22L0 json {} raw {key} end",
            serde_json::to_string(key).expect("json")
        );
        assert_eq!(
            redacted(&text, &[key]),
            "url Bearer%20[redacted] json \"[redacted]\" raw [redacted] end"
        );
        let text = "lower sk_AbC%2fdEf%2bGhI%3dJk%22L0";
        assert_eq!(redacted(text, &[key]), "lower [redacted]");

        let password = format!("pre-{key}-tail-secret");
        let text = format!("pw {password} key {key}");
        assert_eq!(
            redacted(&text, &[key, &password]),
            "pw [redacted] key [redacted]"
        );
    }
}
