//! kustomize's field specs: "set this value at `spec/selector/matchLabels` of every
//! `Deployment`". A path walks maps by field name and every element of a list it meets; the
//! last part is set; with `create`, missing maps on the way (and the last field) are made.

use serde_json::{Map, Value};

use super::kustfile::FieldSpec;
use super::resource::{Gvk, Res};

/// What a missing last field is created as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// Never create.
    No,
    /// A string (namespace, image).
    Scalar,
    /// A map (labels, annotations).
    Map,
}

/// A field spec written as (group, version, kind, path, create).
pub(crate) type Spec = (&'static str, &'static str, &'static str, &'static str, bool);

/// Turns static specs into field specs.
pub(crate) fn specs(list: &[Spec]) -> Vec<FieldSpec> {
    list.iter()
        .map(|(g, v, k, p, c)| FieldSpec {
            group: g.to_string(),
            version: v.to_string(),
            kind: k.to_string(),
            path: p.to_string(),
            create: *c,
        })
        .collect()
}

/// Labels on the object and its templates (kustomize's `metadataLabels` field specs).
pub(crate) const METADATA_LABELS: &[Spec] = &[
    ("", "", "", "metadata/labels", true),
    (
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
    ),
    ("", "", "Deployment", "spec/template/metadata/labels", true),
    ("", "", "ReplicaSet", "spec/template/metadata/labels", true),
    ("", "", "DaemonSet", "spec/template/metadata/labels", true),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/template/metadata/labels",
        true,
    ),
    (
        "apps",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    ),
    ("batch", "", "Job", "spec/template/metadata/labels", true),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/labels",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

const AFFINITY: [&str; 5] = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/// Selectors that `commonLabels` (and `labels` with `includeSelectors`) also set, before
/// [`METADATA_LABELS`] (kustomize's `commonLabels` field specs).
pub(crate) fn common_label_specs() -> Vec<FieldSpec> {
    let mut v = specs(&[
        ("", "v1", "Service", "spec/selector", true),
        ("", "v1", "ReplicationController", "spec/selector", true),
        ("", "", "Deployment", "spec/selector/matchLabels", true),
    ]);
    let affinity = |kind: &'static str| {
        AFFINITY.iter().map(move |p| FieldSpec {
            group: "apps".into(),
            kind: kind.into(),
            path: p.to_string(),
            ..FieldSpec::default()
        })
    };
    v.extend(affinity("Deployment"));
    v.extend(specs(&[
        ("", "", "ReplicaSet", "spec/selector/matchLabels", true),
        ("", "", "DaemonSet", "spec/selector/matchLabels", true),
        ("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    ]));
    v.extend(affinity("StatefulSet"));
    v.extend(specs(&[
        ("batch", "", "Job", "spec/selector/matchLabels", false),
        (
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/selector/matchLabels",
            false,
        ),
        (
            "policy",
            "",
            "PodDisruptionBudget",
            "spec/selector/matchLabels",
            false,
        ),
        (
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/podSelector/matchLabels",
            false,
        ),
        (
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/ingress/from/podSelector/matchLabels",
            false,
        ),
        (
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/egress/to/podSelector/matchLabels",
            false,
        ),
    ]));
    v.extend(specs(METADATA_LABELS));
    v
}

/// Where `commonAnnotations` go.
pub(crate) const COMMON_ANNOTATIONS: &[Spec] = &[
    ("", "", "", "metadata/annotations", true),
    (
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "ReplicaSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "DaemonSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "",
        "",
        "StatefulSet",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "Job",
        "spec/template/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
        true,
    ),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// Whether a field spec applies to an object of this kind.
fn selects(fs: &FieldSpec, gvk: &Gvk) -> bool {
    (fs.kind.is_empty() || fs.kind == gvk.kind)
        && (fs.group.is_empty() || fs.group == gvk.group)
        && (fs.version.is_empty() || fs.version == gvk.version)
}

/// Splits a field-spec path on `/`, where `\/` is a literal slash.
fn split(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                cur.push('/');
            }
            '/' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

/// A setter at the end of a path.
pub(crate) type Setter<'a> = dyn FnMut(&mut Value) -> Result<(), String> + 'a;

/// Applies `set` at `fs.path` of the object when `fs` selects it.
pub(crate) fn apply(
    r: &mut Res,
    fs: &FieldSpec,
    create: Create,
    set: &mut Setter,
) -> Result<(), String> {
    if !selects(fs, &r.gvk()) {
        return Ok(());
    }
    let id = r.cur_id();
    let path = split(&fs.path);
    let create = if fs.create { create } else { Create::No };
    walk(&mut r.obj, &path, create, set)
        .map_err(|e| format!("considering field '{}' of object {id}: {e}", fs.path))
}

fn walk(node: &mut Value, path: &[String], create: Create, set: &mut Setter) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return set(node);
    };
    match node {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for item in items {
                walk(item, path, create, set)
                    .map_err(|e| format!("visit traversal on path: [{}]: {e}", path.join(" ")))?;
            }
            Ok(())
        }
        Value::Object(m) => {
            let (name, seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (first.as_str(), false),
            };
            if name.is_empty() {
                return Err("cannot set or create an empty field name".into());
            }
            if create == Create::No || seq {
                return match m.get_mut(name) {
                    None => Ok(()),
                    Some(v) => walk(v, rest, create, set),
                };
            }
            let made = if rest.is_empty() && create == Create::Scalar {
                Value::String(String::new())
            } else {
                Value::Object(Map::new())
            };
            let field = m.entry(name.to_string()).or_insert(Value::Null);
            if field.is_null() {
                *field = made;
            }
            walk(field, rest, create, set)
        }
        _ => Err("expected sequence or mapping node".into()),
    }
}

/// Sets `key: value` in a map (labels, annotations).
pub(crate) fn set_entry<'a>(
    key: &'a str,
    value: &'a str,
) -> impl FnMut(&mut Value) -> Result<(), String> + 'a {
    move |node| match node {
        Value::Object(m) => {
            m.insert(key.to_string(), Value::String(value.to_string()));
            Ok(())
        }
        _ => Err(format!(
            "wrong node kind: expected MappingNode but got {}",
            kind_name(node)
        )),
    }
}

/// Replaces a scalar with a string (namespace, name).
pub(crate) fn set_scalar(value: &str) -> impl FnMut(&mut Value) -> Result<(), String> + '_ {
    move |node| match node {
        Value::Object(_) | Value::Array(_) => Err(format!(
            "wrong node kind: expected ScalarNode but got {}",
            kind_name(node)
        )),
        _ => {
            *node = Value::String(value.to_string());
            Ok(())
        }
    }
}

/// The YAML node kind kyaml would name for a value.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "MappingNode",
        Value::Array(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fs(kind: &str, path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            kind: kind.into(),
            path: path.into(),
            create,
            ..FieldSpec::default()
        }
    }

    #[test]
    fn creates_walks_lists_and_skips_other_kinds() {
        let mut r = Res::new(
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
            "spec": {"volumeClaimTemplates": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b", "labels": null}}]}}),
        );
        let spec = fs(
            "StatefulSet",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true,
        );
        apply(&mut r, &spec, Create::Map, &mut set_entry("app", "x")).unwrap();
        assert_eq!(
            r.obj["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"]["app"],
            "x"
        );
        assert_eq!(
            r.obj["spec"]["volumeClaimTemplates"][1]["metadata"]["labels"]["app"],
            "x"
        );
        apply(
            &mut r,
            &fs("Deployment", "spec/x", true),
            Create::Map,
            &mut set_entry("a", "b"),
        )
        .unwrap();
        assert!(r.obj["spec"].get("x").is_none());
        apply(
            &mut r,
            &fs("", "spec/selector/matchLabels", false),
            Create::Map,
            &mut set_entry("a", "b"),
        )
        .unwrap();
        assert!(r.obj["spec"].get("selector").is_none());
        apply(
            &mut r,
            &fs("", "spec/selector/matchLabels", true),
            Create::Map,
            &mut set_entry("a", "b"),
        )
        .unwrap();
        assert_eq!(r.obj["spec"]["selector"]["matchLabels"]["a"], "b");
    }

    #[test]
    fn a_scalar_on_the_way_is_an_error_that_names_the_object() {
        let mut r = Res::new(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": "oops"}),
        );
        let e = apply(
            &mut r,
            &fs("Service", "spec/selector", true),
            Create::Map,
            &mut set_entry("a", "b"),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "considering field 'spec/selector' of object Service.v1.[noGrp]/s.[noNs]: expected sequence or mapping node"
        );
    }

    #[test]
    fn escaped_slashes_stay_in_the_name() {
        assert_eq!(
            split(r"metadata/annotations/a.io\/b"),
            ["metadata", "annotations", "a.io/b"]
        );
    }
}
