//! Reading YAML manifests into JSON values (serde-saphyr, panic-free).
//!
//! Booleans follow YAML 1.2 (`strict_booleans`): `y`, `n`, `on` and `off` stay strings, as
//! the Kubernetes API machinery reads them.

use serde_json::Value;

/// A YAML text that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(String);

/// Parses every document of a (possibly multi-document) YAML text. Empty documents (a bare
/// `---`, or only comments) are dropped, as `kubectl apply -f` drops them.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let options = serde_saphyr::options! { strict_booleans: true };
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| YamlError(e.to_string()))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multi_document_text_and_drops_empty_documents() {
        let docs = documents("---\na: 1\n---\n# only a comment\n---\nb: on\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["a"], 1);
        assert_eq!(docs[1]["b"], "on");
    }

    #[test]
    fn bad_yaml_is_an_error_not_a_panic() {
        assert!(documents("a: [1, 2\n").is_err());
    }
}
