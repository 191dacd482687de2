//! kustomize's resource factory: how a file's parsed documents become objects. Empty
//! documents are dropped, each document's metadata is checked, null list items are refused,
//! and `…List` kinds with `items` are replaced by their items.

use serde_json::Value;

use super::resource::scalar;

/// Whether a document is skipped as empty (kyaml `IsNilOrEmpty`).
pub(crate) fn is_nil_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Go's `%v` of a map[string]string: `map[a:b c:d]`, keys sorted.
fn go_map(v: Option<&Value>) -> String {
    let mut pairs: Vec<(String, String)> = match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), scalar(v).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    };
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", inner.join(" "))
}

/// Go's `%v` of kyaml's `ResourceMeta` for a document, as kustomize prints it in
/// `missing kind in object …`.
pub(crate) fn go_meta(doc: &Value) -> String {
    let s = |v: Option<&Value>| v.and_then(scalar).unwrap_or_default();
    let md = doc.get("metadata");
    format!(
        "{{{{{} {}}} {{{{{} {}}} {} {}}}}}",
        s(doc.get("apiVersion")),
        s(doc.get("kind")),
        s(md.and_then(|m| m.get("name"))),
        s(md.and_then(|m| m.get("namespace"))),
        go_map(md.and_then(|m| m.get("labels"))),
        go_map(md.and_then(|m| m.get("annotations"))),
    )
}

/// Checks a document as kyaml's `GetValidatedMetadata` does.
pub(crate) fn validate_meta(doc: &Value) -> Result<(), String> {
    let text = |k: &str| doc.get(k).and_then(scalar).unwrap_or_default();
    let md_empty = doc.get("metadata").is_none_or(is_nil_or_empty);
    if text("apiVersion").is_empty() && text("kind").is_empty() && md_empty {
        return Err("missing Resource metadata".to_string());
    }
    let kind = text("kind");
    if kind.is_empty() {
        return Err(format!("missing kind in object {}", go_meta(doc)));
    }
    if kind.ends_with("List") {
        return Ok(());
    }
    let name = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(scalar)
        .unwrap_or_default();
    if name.is_empty() {
        return Err(format!("missing metadata.name in object {}", go_meta(doc)));
    }
    Ok(())
}

/// The path to the first null list item, as kyaml's `HasNilEntryInList` reports it.
fn nil_entry(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m
            .iter()
            .find_map(|(k, v)| nil_entry(v).map(|p| format!("{k}/{p}"))),
        Value::Array(a) => a.iter().enumerate().find_map(|(i, v)| {
            if v.is_null() {
                Some(String::new())
            } else {
                nil_entry(v).map(|p| format!("[{i}]/{p}"))
            }
        }),
        _ => None,
    }
}

/// Go's type name for a decoded YAML value, as in `expected array in …, but found <type>`.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::Array(_) => "[]interface {}",
        Value::Null => "<nil>",
    }
}

/// Turns parsed documents into objects as kustomize's resource factory does: empty
/// documents are dropped, each document's metadata is checked, null list items are refused,
/// and `…List` kinds with `items` are replaced by their items (appended after the remaining
/// documents, as kustomize appends them).
pub(crate) fn objects_from_docs(docs: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut queue: std::collections::VecDeque<Value> = docs.into();
    let mut out = Vec::new();
    while let Some(doc) = queue.pop_front() {
        if is_nil_or_empty(&doc) {
            continue;
        }
        validate_meta(&doc)?;
        if let Some(path) = nil_entry(&doc) {
            let kind = doc.get("kind").and_then(scalar).unwrap_or_default();
            return Err(format!(
                "empty item at {path} in object {kind} {}",
                go_meta(&doc)
            ));
        }
        let kind = doc.get("kind").and_then(scalar).unwrap_or_default();
        if !kind.ends_with("List") {
            out.push(doc);
            continue;
        }
        match doc.get("items") {
            None => out.push(doc),
            Some(Value::Null) => {}
            Some(Value::Array(items)) => queue.extend(items.iter().cloned()),
            Some(other) => {
                return Err(format!(
                    "expected array in {kind}/items, but found {}",
                    go_type(other)
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_metadata_with_kustomize_messages() {
        let cases = [
            (json!({"a": 1}), "missing Resource metadata"),
            (
                json!({"apiVersion": "v1", "metadata": {"name": "x"}}),
                "missing kind in object {{v1 } {{x } map[] map[]}}",
            ),
            (
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"b": "2", "a": "1"}}}),
                "missing metadata.name in object {{v1 ConfigMap} {{ } map[a:1 b:2] map[]}}",
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(validate_meta(&doc).unwrap_err(), want);
        }
        assert!(validate_meta(&json!({"kind": "List"})).is_ok());
    }

    #[test]
    fn inlines_lists_after_the_other_documents_and_refuses_null_items() {
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
            ]}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}),
            json!({}),
            Value::Null,
        ];
        let objs = objects_from_docs(docs).unwrap();
        let names: Vec<&str> = objs
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["b", "a"]);
        let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"args": ["a", null]}});
        let err = objects_from_docs(vec![bad]).unwrap_err();
        assert!(
            err.starts_with("empty item at spec/args/ in object"),
            "{err}"
        );
        let err = objects_from_docs(vec![
            json!({"apiVersion": "v1", "kind": "List", "items": "x"}),
        ])
        .unwrap_err();
        assert_eq!(err, "expected array in List/items, but found string");
    }
}
