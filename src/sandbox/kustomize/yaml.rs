//! YAML in and out for the build: serde-saphyr with YAML 1.2 booleans, bounded parsing, and
//! one-line error messages in the shape Go's YAML errors have (`yaml: line …`).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deepest nesting accepted in a document (Flux's own CRDs nest 18 levels; deeper input
/// would risk the stack of a 2 MiB thread in debug builds).
const MAX_DEPTH: usize = 64;
/// Most nodes accepted in one file (a `gotk-components.yaml` has under 100,000).
const MAX_NODES: usize = 1_000_000;
/// Most documents accepted in one file.
const MAX_DOCUMENTS: usize = 10_000;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_documents: MAX_DOCUMENTS,
        },
    }
}

/// Turns a serde-saphyr error into one line shaped like Go's: `yaml: line 3: …`.
fn message(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    if let Some((msg, at)) = first.rsplit_once(" at line ") {
        let line = at.split(',').next().unwrap_or(at).trim();
        if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) {
            return format!("yaml: line {line}: {msg}");
        }
    }
    format!("yaml: {first}")
}

fn text(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "yaml: invalid UTF-8 at byte {}: the file must be UTF-8 text",
            e.valid_up_to()
        )
    })
}

/// Every document of a (multi-document) YAML text, null documents included.
pub(crate) fn documents(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let text = text(bytes)?;
    serde_saphyr::from_multiple_with_options::<Value>(text, options()).map_err(message)
}

/// The first document of a YAML text read into a typed value (`None` for an empty text).
pub(crate) fn first_as<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, String> {
    let text = text(bytes)?;
    let docs: Vec<Option<T>> =
        serde_saphyr::from_multiple_with_options(text, options()).map_err(message)?;
    Ok(docs.into_iter().flatten().next())
}

/// A value as YAML text (for messages that print an object).
pub(crate) fn to_yaml(v: &Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_else(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_strings_and_numbers_and_yaml12_booleans() {
        let docs = documents(b"a: \"8080\"\nb: 8080\nc: yes\nd: true\n---\n---\ne: 1\n").unwrap();
        assert_eq!(docs[0]["a"], "8080");
        assert_eq!(docs[0]["b"], 8080);
        assert_eq!(docs[0]["c"], "yes");
        assert_eq!(docs[0]["d"], true);
        assert_eq!(docs.last().unwrap()["e"], 1);
    }

    #[test]
    fn errors_are_one_line() {
        let e = documents(b"a: b: c\n").unwrap_err();
        assert_eq!(
            e,
            "yaml: line 1: mapping values are not allowed in this context"
        );
        assert!(!e.contains('\n'));
        assert!(documents(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
        let nest = |n: usize| {
            (0..n)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect::<String>()
        };
        assert!(documents(nest(MAX_DEPTH).as_bytes()).is_ok());
        assert!(documents(nest(MAX_DEPTH + 1).as_bytes()).is_err());
        assert!(documents(nest(5000).as_bytes()).is_err());
        let flow = "[".repeat(5000) + &"]".repeat(5000);
        assert!(documents(flow.as_bytes()).is_err());
    }
}
