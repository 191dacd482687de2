//! The shape of a kustomization file, for checking it as Go's `encoding/json` checks
//! kustomize's `types.Kustomization`: field names match case-insensitively, a value of the
//! wrong type is `json: cannot unmarshal <json type> into Go struct field <Struct>.<path> of
//! type <go type>`, and (for kustomize's own strict read) an unknown field is
//! `json: unknown field "<name>"`.

use serde_json::Value;

/// A Go field type.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    Int,
    /// A list of string-like values, with the element's Go type name.
    StrList(&'static str),
    StrMap,
    Obj(&'static Def),
    ObjList(&'static Def),
    /// Anything (fields the sandbox does not read).
    Any,
}

/// A Go struct.
pub(crate) struct Def {
    pub go: &'static str,
    pub fields: &'static [(&'static str, Ty)],
}

const OBJECT_META: Def = Def {
    go: "ObjectMeta",
    fields: &[
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("labels", Ty::StrMap),
        ("annotations", Ty::StrMap),
    ],
};
const SELECTOR: Def = Def {
    go: "Selector",
    fields: &[
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("annotationSelector", Ty::Str),
        ("labelSelector", Ty::Str),
    ],
};
const PATCH_ARGS: Def = Def {
    go: "PatchArgs",
    fields: &[("allowNameChange", Ty::Bool), ("allowKindChange", Ty::Bool)],
};
const PATCH: Def = Def {
    go: "Patch",
    fields: &[
        ("path", Ty::Str),
        ("patch", Ty::Str),
        ("target", Ty::Obj(&SELECTOR)),
        ("options", Ty::Obj(&PATCH_ARGS)),
    ],
};
const IMAGE: Def = Def {
    go: "Image",
    fields: &[
        ("name", Ty::Str),
        ("newName", Ty::Str),
        ("tagSuffix", Ty::Str),
        ("newTag", Ty::Str),
        ("digest", Ty::Str),
    ],
};
const FIELD_SPEC: Def = Def {
    go: "FieldSpec",
    fields: &[
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("path", Ty::Str),
        ("create", Ty::Bool),
    ],
};
const LABEL: Def = Def {
    go: "Label",
    fields: &[
        ("pairs", Ty::StrMap),
        ("includeSelectors", Ty::Bool),
        ("includeTemplates", Ty::Bool),
        ("fields", Ty::ObjList(&FIELD_SPEC)),
    ],
};
const REPLICA: Def = Def {
    go: "Replica",
    fields: &[("name", Ty::Str), ("count", Ty::Int)],
};
const LEGACY_SORT: Def = Def {
    go: "LegacySortOptions",
    fields: &[
        ("orderFirst", Ty::StrList("string")),
        ("orderLast", Ty::StrList("string")),
    ],
};
const SORT: Def = Def {
    go: "SortOptions",
    fields: &[
        ("order", Ty::Str),
        ("legacySortOptions", Ty::Obj(&LEGACY_SORT)),
    ],
};

/// `types.Kustomization` (kustomize api v0.21.1, kustomize v5.8.1).
pub(crate) const KUSTOMIZATION: Def = Def {
    go: "Kustomization",
    fields: &[
        ("apiVersion", Ty::Str),
        ("kind", Ty::Str),
        ("metadata", Ty::Obj(&OBJECT_META)),
        ("openapi", Ty::StrMap),
        ("namePrefix", Ty::Str),
        ("nameSuffix", Ty::Str),
        ("namespace", Ty::Str),
        ("commonLabels", Ty::StrMap),
        ("labels", Ty::ObjList(&LABEL)),
        ("commonAnnotations", Ty::StrMap),
        (
            "patchesStrategicMerge",
            Ty::StrList("types.PatchStrategicMerge"),
        ),
        ("patchesJson6902", Ty::ObjList(&PATCH)),
        ("patches", Ty::ObjList(&PATCH)),
        ("images", Ty::ObjList(&IMAGE)),
        ("imageTags", Ty::ObjList(&IMAGE)),
        ("replacements", Ty::Any),
        ("replicas", Ty::ObjList(&REPLICA)),
        ("vars", Ty::Any),
        ("sortOptions", Ty::Obj(&SORT)),
        ("resources", Ty::StrList("string")),
        ("components", Ty::StrList("string")),
        ("crds", Ty::StrList("string")),
        ("bases", Ty::StrList("string")),
        ("configMapGenerator", Ty::Any),
        ("secretGenerator", Ty::Any),
        ("helmGlobals", Ty::Any),
        ("helmCharts", Ty::Any),
        ("helmChartInflationGenerator", Ty::Any),
        ("generatorOptions", Ty::Any),
        ("configurations", Ty::StrList("string")),
        ("generators", Ty::StrList("string")),
        ("transformers", Ty::StrList("string")),
        ("validators", Ty::StrList("string")),
        ("buildMetadata", Ty::StrList("string")),
    ],
};

/// The field of `def` a key names (exact match first, then ASCII case-insensitive, as Go).
pub(crate) fn field<'d>(def: &'d Def, key: &str) -> Option<&'d (&'static str, Ty)> {
    def.fields
        .iter()
        .find(|(n, _)| *n == key)
        .or_else(|| def.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(key)))
}

/// The value of `def`'s field `name` in map `m`, matching keys as Go does.
pub(crate) fn get<'v>(m: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn json_type(v: &Value) -> String {
    match v {
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        Value::Null => "null".into(),
    }
}

fn go_type(t: Ty) -> String {
    match t {
        Ty::Str => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::Int => "int64".into(),
        Ty::StrList(e) => format!("[]{e}"),
        Ty::StrMap => "map[string]string".into(),
        Ty::Obj(d) => format!("types.{}", d.go),
        Ty::ObjList(d) => format!("[]types.{}", d.go),
        Ty::Any => "interface {}".into(),
    }
}

/// Checks a kustomization document. `strict` is kustomize's own read (unknown fields are
/// errors, scalars must have the field's type); otherwise it is the Flux generator's
/// lenient read (unknown fields are ignored, any scalar fits a string field).
pub(crate) fn check(doc: &Value, strict: bool) -> Result<(), String> {
    match doc {
        Value::Null => Ok(()),
        Value::Object(_) => check_obj(doc, &KUSTOMIZATION, "", strict),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type types.Kustomization",
            json_type(other)
        )),
    }
}

fn mismatch(v: &Value, st: &str, path: &str, t: Ty) -> String {
    let jt = match (v, t) {
        (Value::Number(n), Ty::Int) => format!("number {n}"),
        _ => json_type(v),
    };
    format!(
        "json: cannot unmarshal {jt} into Go struct field {st}.{path} of type {}",
        go_type(t)
    )
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn check_obj(v: &Value, def: &Def, path: &str, strict: bool) -> Result<(), String> {
    let Value::Object(m) = v else {
        return Ok(());
    };
    for (key, val) in m {
        let Some((name, ty)) = field(def, key) else {
            if strict {
                return Err(format!("json: unknown field \"{key}\""));
            }
            continue;
        };
        check_val(val, *ty, def.go, &join(path, name), strict)?;
    }
    Ok(())
}

fn scalar_fits(v: &Value, t: Ty, strict: bool) -> bool {
    match (t, v) {
        (_, Value::Null) => true,
        (Ty::Str, Value::String(_)) => true,
        (Ty::Str, Value::Number(_) | Value::Bool(_)) => !strict,
        (Ty::Bool, Value::Bool(_)) => true,
        (Ty::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn check_val(v: &Value, t: Ty, st: &str, path: &str, strict: bool) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    match t {
        Ty::Any => Ok(()),
        Ty::Str | Ty::Bool | Ty::Int => {
            if scalar_fits(v, t, strict) {
                Ok(())
            } else {
                Err(mismatch(v, st, path, t))
            }
        }
        Ty::StrList(_) => match v {
            Value::Array(items) => {
                for item in items {
                    if !scalar_fits(item, Ty::Str, strict) {
                        return Err(mismatch(item, st, path, Ty::Str));
                    }
                }
                Ok(())
            }
            _ => Err(mismatch(v, st, path, t)),
        },
        Ty::StrMap => match v {
            Value::Object(m) => {
                for (k, item) in m {
                    if !scalar_fits(item, Ty::Str, strict) {
                        return Err(mismatch(item, st, &join(path, k), Ty::Str));
                    }
                }
                Ok(())
            }
            _ => Err(mismatch(v, st, path, t)),
        },
        Ty::Obj(def) => match v {
            Value::Object(_) => check_obj(v, def, path, strict),
            _ => Err(mismatch(v, st, path, t)),
        },
        Ty::ObjList(def) => match v {
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(_) => check_obj(item, def, path, strict)?,
                        Value::Null => {}
                        _ => return Err(mismatch(item, def.go, path, Ty::Obj(def))),
                    }
                }
                Ok(())
            }
            _ => Err(mismatch(v, st, path, t)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_go_json_errors() {
        let cases = [
            (
                json!({"resources": "x"}),
                true,
                "json: cannot unmarshal string into Go struct field Kustomization.resources of type []string",
            ),
            (
                json!({"images": [{"name": "a", "newTag": 1.1}]}),
                true,
                "json: cannot unmarshal number into Go struct field Image.images.newTag of type string",
            ),
            (
                json!({"images": [{"name": "a", "newtag": "x", "newTAG2": "y"}]}),
                true,
                "json: unknown field \"newTAG2\"",
            ),
            (
                json!({"patches": [{"patch": {"a": 1}}]}),
                false,
                "json: cannot unmarshal object into Go struct field Patch.patches.patch of type string",
            ),
            (
                json!({"replicas": [{"name": "a", "count": 1.5}]}),
                true,
                "json: cannot unmarshal number 1.5 into Go struct field Replica.replicas.count of type int64",
            ),
            (
                json!({"commonLabels": {"a": true}}),
                true,
                "json: cannot unmarshal bool into Go struct field Kustomization.commonLabels.a of type string",
            ),
            (
                json!(["a"]),
                true,
                "json: cannot unmarshal array into Go value of type types.Kustomization",
            ),
        ];
        for (doc, strict, want) in cases {
            assert_eq!(check(&doc, strict).unwrap_err(), want);
        }
        assert!(
            check(
                &json!({"images": [{"name": "a", "newTag": 1.1}], "zzz": 1}),
                false
            )
            .is_ok()
        );
        assert!(check(&json!({"Resources": ["a"], "NAMESPACE": "x"}), true).is_ok());
    }
}
