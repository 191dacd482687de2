//! Masking of Secret values before anything is stored or shown.
//!
//! A details view shows whole objects as YAML. Secrets can hide in more places than a
//! top-level `kind: Secret`: inside a `List`, inside the JSON string of
//! `kubectl.kubernetes.io/last-applied-configuration`, or as YAML text in a ConfigMap or
//! a Flux `postBuild` value. Every one of those is masked here, once, when details arrive,
//! so no unmasked value is ever kept in memory by the UI.
//!
//! A password in a URL's userinfo (`https://alice:TOKEN@git-codecommit.../repo`, as a
//! GitRepository's `spec.url` may hold it) is masked the same way, in any string of a
//! details document and wherever a URL is shown or logged ([`mask_url_password`],
//! [`mask_url_passwords`]).

use std::borrow::Cow;

use serde_json::Value;

/// What replaces every Secret value. Fixed width, so the length of a value leaks nothing.
pub const MASK: &str = "********";

/// What replaces a text field that embeds a Secret we cannot re-serialise faithfully.
pub const MASKED_TEXT: &str = "<masked: this text contains a Secret>";

/// Masks every `data` and `stringData` value of every Secret in `value`, including Secrets
/// embedded in strings. Returns whether anything was masked.
pub fn mask_secrets(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut masked = false;
            if map.get("kind").and_then(Value::as_str) == Some("Secret") {
                for field in ["data", "stringData"] {
                    if let Some(data) = map.get_mut(field) {
                        masked |= mask_values(data);
                    }
                }
            }
            for child in map.values_mut() {
                masked |= mask_secrets(child);
            }
            masked
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |masked, item| mask_secrets(item) | masked),
        Value::String(text) => {
            let url = match mask_url_passwords(text) {
                Cow::Owned(masked) => {
                    *text = masked;
                    true
                }
                Cow::Borrowed(_) => false,
            };
            mask_text(text) | url
        }
        _ => false,
    }
}

/// `url` with the password of its userinfo replaced by [`MASK`]
/// (`https://alice:TOKEN@host/r` → `https://alice:********@host/r`); anything else as it is.
/// A user name alone (`ssh://git@host/r`) is not a secret and stays.
pub fn mask_url_password(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) if password != MASK => {
                Cow::Owned(format!("{scheme}://{user}:{MASK}@{host}{path}"))
            }
            _ => Cow::Borrowed(url),
        },
        None => Cow::Borrowed(url),
    }
}

/// `text` with the password of every URL in it masked (error messages and embedded JSON or
/// YAML may quote a URL); URLs end at white space, quotes, brackets and commas.
pub fn mask_url_passwords(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let boundary =
        |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ')' | '<' | '>' | ',' | '`');
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for token in text.split_inclusive(boundary) {
        let (word, end) = match token.char_indices().last() {
            Some((i, c)) if boundary(c) => token.split_at(i),
            _ => (token, ""),
        };
        let masked = mask_url_password(word);
        changed |= matches!(masked, Cow::Owned(_));
        out.push_str(&masked);
        out.push_str(end);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Replaces every value under a Secret's `data`/`stringData` (keys stay visible).
fn mask_values(data: &mut Value) -> bool {
    match data {
        Value::Object(entries) => {
            for v in entries.values_mut() {
                *v = Value::String(MASK.to_owned());
            }
            !entries.is_empty()
        }
        Value::Null => false,
        other => {
            *other = Value::String(MASK.to_owned());
            true
        }
    }
}

/// Masks a string that embeds a Secret: JSON is re-serialised masked; anything else that
/// mentions `kind: Secret` and parses as YAML with a Secret is replaced whole.
fn mask_text(text: &mut String) -> bool {
    if !text.contains("Secret") {
        return false;
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(mut embedded) = serde_json::from_str::<Value>(text)
    {
        if mask_secrets(&mut embedded) {
            *text = embedded.to_string();
            return true;
        }
        return false;
    }
    if !text.contains("kind") {
        return false;
    }
    let Ok(mut documents) = super::yaml::documents(text) else {
        return false;
    };
    // Only structured documents can hold a Secret; a bare scalar would be this same text
    // again. Strings nested in a document are strictly shorter, so recursion ends.
    documents.retain(|d| d.is_object() || d.is_array());
    if documents.iter_mut().any(mask_secrets) {
        *text = MASKED_TEXT.to_owned();
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;
    use serde_json::json;

    fn contains(value: &Value, needle: &str) -> bool {
        value.to_string().contains(needle)
    }

    #[test]
    fn masks_the_password_of_a_url_and_nothing_else() {
        let m = |u| mask_url_password(u).into_owned();
        assert_eq!(
            m("https://alice:s3cr3t@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r"),
            "https://alice:********@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r"
        );
        assert_eq!(m("https://a:b:c@h?x=1"), "https://a:********@h?x=1");
        assert_eq!(m("ssh://git@github.com/o/r"), "ssh://git@github.com/o/r");
        assert_eq!(m("https://h/p@q:r"), "https://h/p@q:r");
        assert_eq!(m("git@github.com:o/r"), "git@github.com:o/r");
        let text = "failed to fetch 'https://u:pw@h/r' (http://a:b@c), see https://h/x";
        assert_eq!(
            mask_url_passwords(text),
            "failed to fetch 'https://u:********@h/r' (http://a:********@c), see https://h/x"
        );
        assert!(matches!(
            mask_url_passwords("no urls here"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn masks_url_passwords_in_specs_and_in_last_applied_configuration() {
        let url = "https://alice:TOKEN-1234@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r";
        let last_applied = json!({"spec": {"url": url}}).to_string();
        let mut repo = json!({
            "kind": "GitRepository",
            "metadata": {"annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": last_applied}},
            "spec": {"url": url},
            "status": {"conditions": [{"message": format!("failed to checkout '{url}'")}]},
        });
        assert!(mask_secrets(&mut repo));
        assert!(!contains(&repo, "TOKEN-1234"), "{repo}");
        assert_eq!(
            repo["spec"]["url"],
            "https://alice:********@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r"
        );
        let embedded =
            repo["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .unwrap();
        let embedded: Value = serde_json::from_str(embedded).unwrap();
        assert_eq!(embedded["spec"]["url"], repo["spec"]["url"]);
    }

    #[test]
    fn masks_data_string_data_and_last_applied_configuration() {
        let mut secret = testdata::json("secret-basic-auth.json");
        assert!(contains(&secret, "czNjcjN0LXBhc3N3MHJk"));
        assert!(mask_secrets(&mut secret));
        assert!(!contains(&secret, "czNjcjN0LXBhc3N3MHJk"), "{secret}");
        assert!(!contains(&secret, "Zmx1eGNkYm90"), "{secret}");
        assert!(!contains(&secret, "ghp-not-a-real-token"), "{secret}");
        assert_eq!(secret["data"]["password"], MASK);
        assert_eq!(secret["stringData"]["token"], MASK);
        assert_eq!(
            secret["metadata"]["name"],
            "microservices-basic-access-auth"
        );
    }

    #[test]
    fn masks_secrets_inside_lists() {
        let mut list = json!({"kind": "List", "items": [
            {"kind": "ConfigMap", "data": {"a": "visible"}},
            {"kind": "Secret", "data": {"b": "aGlkZGVu"}}
        ]});
        assert!(mask_secrets(&mut list));
        assert_eq!(list["items"][0]["data"]["a"], "visible");
        assert_eq!(list["items"][1]["data"]["b"], MASK);
    }

    #[test]
    fn masks_secrets_embedded_as_yaml_text() {
        let mut cm = json!({"kind": "ConfigMap", "data": {
            "manifest.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: hunter2\n",
            "other": "kind: Secretary"
        }});
        assert!(mask_secrets(&mut cm));
        assert_eq!(cm["data"]["manifest.yaml"], MASKED_TEXT);
        assert_eq!(cm["data"]["other"], "kind: Secretary");
    }

    #[test]
    fn a_malformed_secret_is_masked_whole() {
        let mut s = json!({"kind": "Secret", "data": "c2VjcmV0"});
        assert!(mask_secrets(&mut s));
        assert_eq!(s["data"], MASK);
    }

    #[test]
    fn objects_without_secrets_are_untouched() {
        let original = testdata::json("kustomization-sock-shop.json");
        let mut copy = original.clone();
        assert!(!mask_secrets(&mut copy));
        assert_eq!(copy, original);
    }
}
