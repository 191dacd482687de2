//! Field selectors, with the syntax the Kubernetes API accepts: `path=v`, `path==v`,
//! `path!=v`, comma-separated (AND), where `path` is a dotted JSON path such as
//! `metadata.name` or `involvedObject.uid`. Label selectors are `sandbox::labels`.

use serde_json::Value;

pub use crate::sandbox::labels::{LabelSelector, SelectorError};

/// One field requirement: a dotted path, equal or not, to a value.
#[derive(Debug, Clone, PartialEq)]
struct FieldReq {
    path: String,
    equal: bool,
    value: String,
}

/// A parsed field selector (AND of requirements).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<FieldReq>);

impl FieldSelector {
    /// Parses a `fieldSelector` query value.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        if s.trim().is_empty() {
            return Ok(FieldSelector(reqs));
        }
        for part in s.split(',') {
            let p = part.trim();
            let (path, equal, value) = if let Some((k, v)) = p.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = p.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = p.split_once('=') {
                (k, true, v)
            } else {
                return Err(SelectorError(format!(
                    "invalid field selector '{p}': use field=value, field==value or field!=value"
                )));
            };
            let path = path.trim();
            if path.is_empty() {
                return Err(SelectorError(format!(
                    "invalid field selector '{p}': the field name is empty"
                )));
            }
            reqs.push(FieldReq {
                path: path.to_string(),
                equal,
                value: value.trim().to_string(),
            });
        }
        Ok(FieldSelector(reqs))
    }

    /// Whether the selector is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether only `metadata.name` and `metadata.namespace` are used, so the store can
    /// answer from its index without reading objects.
    pub fn only_metadata(&self) -> bool {
        self.0
            .iter()
            .all(|r| r.path == "metadata.name" || r.path == "metadata.namespace")
    }

    /// Matches on the object's name and namespace alone (see [`Self::only_metadata`]).
    pub fn matches_metadata(&self, namespace: &str, name: &str) -> bool {
        self.0.iter().all(|r| {
            let actual = if r.path == "metadata.name" {
                name
            } else {
                namespace
            };
            (actual == r.value) == r.equal
        })
    }

    /// Matches on the whole object: a missing field reads as the empty string, as the
    /// API server's field label conversion does.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|r| {
            let mut v = object;
            for seg in r.path.split('.') {
                v = &v[seg];
            }
            let actual = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (actual == r.value) == r.equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_selectors_on_metadata_and_any_path() {
        let obj =
            json!({"metadata": {"name": "a", "namespace": "ns"}, "involvedObject": {"uid": "u1"}});
        let sel = FieldSelector::parse("metadata.name=a,metadata.namespace!=other").unwrap();
        assert!(sel.only_metadata());
        assert!(sel.matches_metadata("ns", "a"));
        assert!(sel.matches(&obj));
        let sel = FieldSelector::parse("involvedObject.uid=u1").unwrap();
        assert!(!sel.only_metadata());
        assert!(sel.matches(&obj));
        assert!(
            !FieldSelector::parse("involvedObject.uid=u2")
                .unwrap()
                .matches(&obj)
        );
        assert!(
            FieldSelector::parse("spec.nodeName=")
                .unwrap()
                .matches(&obj)
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
