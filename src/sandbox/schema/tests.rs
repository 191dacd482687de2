use super::*;

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["interval"],
                "properties": {
                    "interval": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},
                    "provider": {"type": "string", "enum": ["generic", "aws"]},
                    "replicas": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10},
                    "name": {"type": "string", "minLength": 1, "maxLength": 5},
                    "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                    "values": {"type": "object", "additionalProperties": {"type": "string"}},
                    "port": {"x-kubernetes-int-or-string": true},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "maybe": {"type": "string", "nullable": true},
                    "at": {"type": "string", "format": "date-time"}
                }
            }
        }
    })
}

fn paths(object: Value) -> Vec<(String, String)> {
    validate(&schema(), &object)
        .into_iter()
        .map(|v| (v.path, v.message))
        .collect()
}

#[test]
fn a_valid_object_has_no_violations() {
    let object = json!({
        "apiVersion": "x/v1", "kind": "X",
        "metadata": {"name": "a.b-c", "namespace": "ns", "labels": {"app.kubernetes.io/name": "x"},
                     "annotations": {"note": "any text at all"}, "generation": 2,
                     "creationTimestamp": "2026-01-02T03:04:05Z"},
        "spec": {"interval": "1m30s", "provider": "aws", "replicas": 3, "name": "abc",
                 "tags": ["a"], "values": {"k": "v"}, "port": "http",
                 "free": {"anything": [1, {"goes": true}]}, "maybe": null,
                 "at": "2026-01-02T03:04:05Z"}
    });
    assert_eq!(paths(object), vec![]);
}

#[test]
fn wrong_types_are_reported_at_their_path() {
    let v = paths(json!({"spec": {"interval": 5, "replicas": "3", "tags": "a", "port": true}}));
    assert_eq!(v.len(), 4, "{v:?}");
    assert_eq!(v[0].0, "spec.interval");
    assert_eq!(v[0].1, "must be a string, not an integer (5)");
    assert_eq!(v[1].0, "spec.replicas");
    assert_eq!(v[2].0, "spec.tags");
    assert_eq!(v[2].1, "must be an array, not a string (\"a\")");
    assert_eq!(
        v[3],
        (
            "spec.port".into(),
            "must be an integer or a string, not a boolean (true)".into()
        )
    );
}

#[test]
fn null_is_a_type_error_unless_nullable() {
    let v = paths(json!({"spec": {"interval": null, "maybe": null}}));
    assert_eq!(
        v,
        vec![("spec.interval".into(), "must be a string, not null".into())]
    );
}

#[test]
fn enum_pattern_and_format_violations_name_the_allowed_values() {
    let v =
        paths(json!({"spec": {"interval": "5 minutes", "provider": "azure", "at": "yesterday"}}));
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[0].0, "spec.interval");
    assert!(
        v[0].1.contains("must match the pattern ^([0-9]+"),
        "{}",
        v[0].1
    );
    assert_eq!(v[1].1, "must be one of \"generic\", \"aws\", not \"azure\"");
    assert!(v[2].1.starts_with("must be an RFC 3339 date-time"));
}

#[test]
fn missing_required_fields_are_reported_under_their_parent() {
    let v = paths(json!({"spec": {}}));
    assert_eq!(
        v,
        vec![("spec.interval".into(), "is required: add it".into())]
    );
}

#[test]
fn unknown_fields_are_violations_that_list_the_known_ones() {
    let v = paths(json!({"spec": {"interval": "1m", "intervall": "1m"}, "extra": 1}));
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0].0, "spec.intervall");
    assert!(
        v[0].1
            .starts_with("unknown field \"intervall\": remove it or correct its name")
    );
    assert!(v[0].1.contains("interval, maybe, name"));
    assert_eq!(v[1].0, "extra");
}

#[test]
fn bounds_on_numbers_lengths_and_items_are_checked() {
    let v = paths(
        json!({"spec": {"interval": "1m", "replicas": 11, "name": "abcdef", "tags": ["a", "b", "c"]}}),
    );
    let messages: Vec<&str> = v.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "must be <= 10, not 11",
            "must be at most 5 characters long, not 6",
            "must have at most 2 items, not 3"
        ]
    );
    let v = paths(json!({"spec": {"interval": "1m", "replicas": -1, "name": ""}}));
    assert_eq!(v[0].1, "must be >= 0, not -1");
    assert_eq!(v[1].1, "must be at least 1 characters long, not 0");
    let v = paths(json!({"spec": {"interval": "1m", "replicas": 1.5}}));
    assert_eq!(v[0].1, "must be an integer, not a number (1.5)");
}

#[test]
fn map_values_and_array_items_get_bracketed_paths() {
    let v = paths(json!({"spec": {"interval": "1m", "values": {"a.b": 1}, "tags": ["x", 2]}}));
    assert_eq!(v[0].0, "spec.values[a.b]");
    assert_eq!(v[1].0, "spec.tags[1]");
}

#[test]
fn additional_properties_false_rejects_extra_keys() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}},
                        "additionalProperties": false});
    let v = validate(&schema, &json!({"a": "x", "b": "y"}));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "[b]");
}

#[test]
fn metadata_is_checked_as_object_meta() {
    let v = paths(json!({
        "metadata": {"name": "Bad_Name", "labels": {"app": "x y", "-bad": "ok", "app.kubernetes.io/name": 3},
                     "lables": {}, "ownerReferences": [{"kind": "ReplicaSet"}]},
        "spec": {"interval": "1m"}
    }));
    let found: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        found,
        vec![
            "metadata.labels[app.kubernetes.io/name]",
            "metadata.lables",
            "metadata.ownerReferences[0].apiVersion",
            "metadata.ownerReferences[0].name",
            "metadata.ownerReferences[0].uid",
            "metadata.name",
            "metadata.labels[app]",
            "metadata.labels[-bad]",
        ],
        "{v:?}"
    );
    assert!(v[5].1.contains("is not a valid name"));
}

#[test]
fn a_schema_pattern_that_does_not_compile_is_reported_not_a_panic() {
    let schema = json!({"type": "string", "pattern": "(unclosed"});
    let v = validate(&schema, &json!("x"));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "<root>");
    assert!(v[0].message.contains("does not compile"));
}

#[test]
fn violations_display_as_path_and_message() {
    let v = SchemaViolation {
        path: "spec.interval".into(),
        message: "is required: add it".into(),
    };
    assert_eq!(v.to_string(), "spec.interval: is required: add it");
}
