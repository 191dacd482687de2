//! Label and field selectors, with the syntax the Kubernetes API accepts.
//!
//! Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
//! comma-separated (AND). Field selectors: `path=v`, `path==v`, `path!=v`, comma-separated,
//! where `path` is a dotted JSON path such as `metadata.name` or `involvedObject.uid`.

use serde_json::Value;

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector (AND of requirements; empty matches everything).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<LabelReq>);

/// A selector that does not parse; the message says what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn set_values(rest: &str, whole: &str) -> Result<Vec<String>, SelectorError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            SelectorError(format!(
                "unable to parse requirement: '{whole}': expected a parenthesised set like (a,b)"
            ))
        })?;
    let values: Vec<String> = inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(SelectorError(format!(
            "unable to parse requirement: '{whole}': the set of values is empty"
        )));
    }
    for v in &values {
        if !valid_value(v) {
            return Err(SelectorError(format!(
                "invalid label value: '{v}' in '{whole}'"
            )));
        }
    }
    Ok(values)
}

impl LabelSelector {
    /// Parses a `labelSelector` query value.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        if s.trim().is_empty() {
            return Ok(LabelSelector(reqs));
        }
        for part in split_top(s) {
            let p = part.trim();
            if p.is_empty() {
                return Err(SelectorError(format!(
                    "unable to parse requirement: empty requirement in '{s}'"
                )));
            }
            let req = if let Some(k) = p.strip_prefix('!') {
                LabelReq::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = p.split_once("!=") {
                LabelReq::NotEq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = p.split_once("==") {
                LabelReq::Eq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = p.split_once('=') {
                LabelReq::Eq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, rest)) = p.split_once(" notin ") {
                LabelReq::NotIn(k.trim().to_string(), set_values(rest, p)?)
            } else if let Some((k, rest)) = p.split_once(" in ") {
                LabelReq::In(k.trim().to_string(), set_values(rest, p)?)
            } else {
                LabelReq::Exists(p.to_string())
            };
            let (key, value) = match &req {
                LabelReq::Eq(k, v) | LabelReq::NotEq(k, v) => (k, Some(v)),
                LabelReq::In(k, _)
                | LabelReq::NotIn(k, _)
                | LabelReq::Exists(k)
                | LabelReq::NotExists(k) => (k, None),
            };
            if !valid_key(key) {
                return Err(SelectorError(format!(
                    "unable to parse requirement: invalid label key \"{key}\" in '{p}': a key is alphanumerics, '-', '_', '.', with an optional prefix and '/'"
                )));
            }
            if let Some(v) = value
                && !valid_value(v)
            {
                return Err(SelectorError(format!(
                    "unable to parse requirement: invalid label value \"{v}\" in '{p}': at most 63 alphanumerics, '-', '_' or '.'"
                )));
            }
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether the selector is empty (matches everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether labels (`key → value`) satisfy every requirement.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |k: &str| labels.iter().find(|(lk, _)| lk == k).map(|(_, v)| v);
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => get(k) == Some(v),
            LabelReq::NotEq(k, v) => get(k) != Some(v),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.contains(x)),
            LabelReq::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
        })
    }
}

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

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selector_operators() {
        let l = labels(&[("app", "front-end"), ("tier", "web")]);
        for (sel, want) in [
            ("", true),
            ("app=front-end", true),
            ("app==front-end", true),
            ("app!=front-end", false),
            ("app in (front-end,carts)", true),
            ("app notin (front-end)", false),
            ("app notin (carts)", true),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("app=front-end,tier=web", true),
            ("app=front-end,tier=db", false),
            ("missing!=x", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn bad_label_selectors_are_errors() {
        for sel in ["app in front-end", "a b=c", "app in ()", ",", "app=x y"] {
            assert!(LabelSelector::parse(sel).is_err(), "{sel}");
        }
    }

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
