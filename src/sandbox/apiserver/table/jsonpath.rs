//! The JSONPath subset CRDs use in `additionalPrinterColumns`.

use serde_json::Value;

/// Evaluates the JSONPath subset CRDs use in printer columns: `.a.b`, `.a[0]`, `.a[*]`,
/// and filters `.a[?(@.k=="v")].b`. Returns every match.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut cur: Vec<&Value> = vec![obj];
    let mut rest = path.trim();
    rest = rest.strip_prefix('{').unwrap_or(rest);
    rest = rest.strip_suffix('}').unwrap_or(rest);
    rest = rest.strip_prefix('$').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            rest = &r[end..];
            if key.is_empty() {
                continue;
            }
            cur = cur.into_iter().filter_map(|v| v.get(key)).collect();
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return Vec::new();
            };
            // A filter's closing bracket follows its closing parenthesis.
            let end = if r.starts_with("?(") {
                match r.find(")]") {
                    Some(e) => e + 1,
                    None => return Vec::new(),
                }
            } else {
                end
            };
            let inner = &r[..end];
            rest = &r[end + 1..];
            cur = if inner == "*" {
                cur.into_iter()
                    .flat_map(|v| {
                        v.as_array()
                            .map(|a| a.iter().collect())
                            .unwrap_or_else(Vec::new)
                    })
                    .collect()
            } else if let Ok(i) = inner.parse::<usize>() {
                cur.into_iter().filter_map(|v| v.get(i)).collect()
            } else if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')'))
            {
                let Some((lhs, rhs)) = filter.split_once("==") else {
                    return Vec::new();
                };
                let field = lhs.trim().trim_start_matches('@').trim_start_matches('.');
                let want = rhs.trim().trim_matches('"').trim_matches('\'');
                cur.into_iter()
                    .flat_map(|v| {
                        v.as_array()
                            .map(|a| a.iter().collect())
                            .unwrap_or_else(Vec::new)
                    })
                    .filter(|e| {
                        let mut x = *e;
                        for seg in field.split('.') {
                            x = &x[seg];
                        }
                        x.as_str() == Some(want)
                    })
                    .collect()
            } else {
                Vec::new()
            };
        } else {
            return Vec::new();
        }
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_path_subset() {
        let obj = json!({"status": {"conditions": [
            {"type": "Reconciling", "status": "True"},
            {"type": "Ready", "status": "False", "message": "boom"}
        ], "latestRef": {"tag": "v1"}}});
        let ready = json_path(&obj, r#".status.conditions[?(@.type=="Ready")].status"#);
        assert_eq!(ready, vec![&json!("False")]);
        assert_eq!(json_path(&obj, ".status.latestRef.tag"), vec![&json!("v1")]);
        assert_eq!(
            json_path(&obj, ".status.conditions[1].message"),
            vec![&json!("boom")]
        );
        assert_eq!(json_path(&obj, ".status.conditions[*].type").len(), 2);
        assert!(json_path(&obj, ".status.missing").is_empty());
        assert!(json_path(&obj, ".status.conditions[?(@.type==\"X\")].status").is_empty());
    }
}
