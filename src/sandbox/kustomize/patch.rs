//! `patches:`, and the legacy `patchesStrategicMerge:` and `patchesJson6902:`.
//!
//! A patch text that parses as objects (each with a kind and a name) is a strategic-merge
//! patch; one that parses as a list of operations is a JSON 6902 patch; one that is both or
//! neither is an error. A strategic-merge patch without a target applies to the one object
//! with its own group/version/kind/name/namespace (looking at names the object had before a
//! prefix or namespace changed them); with a target it applies to every selected object and
//! may select none. A JSON patch needs a target and may select none.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::error::{KError, KResult};
use super::factory::objects_from_docs;
use super::json6902::{self, Op};
use super::kustfile::{PatchSpec, Selector};
use super::resmap::{first_conflict, get_by_id};
use super::resource::Res;
use super::selector::{Matcher, selector_string};
use super::smp;
use super::yaml;
use crate::golang::strconv::quote;

/// What a patch does.
#[derive(Debug, Clone)]
enum Body {
    Sm(Vec<Value>),
    Json(Vec<Op>),
}

/// Which kustomization field a patch came from (they differ in checks and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Patches,
    LegacySm,
    LegacyJson,
}

/// A patch ready to apply.
#[derive(Debug, Clone)]
pub(crate) struct Patch {
    body: Body,
    origin: Origin,
    target: Option<Selector>,
    source: String,
    allow_name_change: bool,
    allow_kind_change: bool,
}

fn selector_value(s: &Selector) -> Value {
    let mut m = Map::new();
    for (k, v) in [
        ("group", &s.group),
        ("version", &s.version),
        ("kind", &s.kind),
        ("name", &s.name),
        ("namespace", &s.namespace),
        ("annotationSelector", &s.annotation_selector),
        ("labelSelector", &s.label_selector),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

/// The plugin configuration kustomize prints in `trouble configuring builtin …` messages.
fn config_yaml(fields: Vec<(&str, Value)>) -> String {
    let m: Map<String, Value> = fields
        .into_iter()
        .filter(|(_, v)| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    yaml::to_yaml(&Value::Object(m))
}

fn trouble(plugin: &str, config: &str, e: KError) -> KError {
    e.wrap(format!(
        "trouble configuring builtin {plugin} with config: `\n{config}`"
    ))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses strategic-merge patches (kustomize's `SliceFromBytes`).
fn parse_sm(text: &str) -> Result<Vec<Value>, String> {
    objects_from_docs(yaml::documents(text.as_bytes())?)
}

/// Parses a JSON patch as the `patches:` field does.
fn parse_json(text: &str) -> Result<Vec<Op>, String> {
    if text.is_empty() {
        return Err("empty json patch operations".into());
    }
    json6902::decode(text)
}

/// Reads a `patches:` entry.
pub(crate) fn configure(ctx: &mut Ctx, dir: &str, spec: &PatchSpec) -> KResult<Patch> {
    let options = if spec.allow_name_change || spec.allow_kind_change {
        let mut o = Map::new();
        if spec.allow_name_change {
            o.insert("allowNameChange".into(), Value::Bool(true));
        }
        if spec.allow_kind_change {
            o.insert("allowKindChange".into(), Value::Bool(true));
        }
        Value::Object(o)
    } else {
        Value::Null
    };
    let config = config_yaml(vec![
        ("path", Value::String(spec.path.clone())),
        ("patch", Value::String(spec.patch.clone())),
        (
            "target",
            spec.target
                .as_ref()
                .map(selector_value)
                .unwrap_or(Value::Null),
        ),
        ("options", options),
    ]);
    let fail = |e: KError| trouble("PatchTransformer", &config, e);
    let patch = spec.patch.trim();
    let (text, source) = match (patch.is_empty(), spec.path.is_empty()) {
        (true, true) => {
            return Err(fail(
                KError::new(format!("must specify one of patch and path in\n{config}"))
                    .hint("a patches entry needs `patch:` (inline text) or `path:` (a file)"),
            ));
        }
        (false, false) => {
            return Err(fail(
                KError::new(format!(
                    "patch and path can't be set at the same time\n{config}"
                ))
                .hint("keep either `patch:` or `path:` in the patches entry"),
            ));
        }
        (false, true) => (patch.to_string(), format!("[patch: {}]", quote(patch))),
        (true, false) => {
            let bytes = ctx.load(dir, &spec.path).map_err(|e| {
                fail(e.wrap(format!(
                    "failed to get the patch file from path({})",
                    spec.path
                )))
            })?;
            (text(bytes), format!("[path: {}]", quote(&spec.path)))
        }
    };
    let sm = parse_sm(&text);
    let js = parse_json(&text);
    let body = match (sm, js) {
        (Ok(sm), Ok(js)) if !sm.is_empty() && !js.is_empty() => {
            return Err(fail(KError::new(format!(
                "illegally qualifies as both an SM and JSON patch: {source}"
            ))));
        }
        (Err(_), Err(_)) => {
            return Err(fail(KError::new(format!("unable to parse SM or JSON patch from {source}")).hint(
                "a patch is either objects with apiVersion, kind and metadata.name (strategic merge) \
                 or a list of {op, path, value} operations (JSON 6902)",
            )));
        }
        (Ok(sm), _) => Body::Sm(sm),
        (Err(_), Ok(js)) => Body::Json(js),
    };
    Ok(Patch {
        body,
        origin: Origin::Patches,
        target: spec.target.clone(),
        source,
        allow_name_change: spec.allow_name_change,
        allow_kind_change: spec.allow_kind_change,
    })
}

/// Reads the `patchesStrategicMerge:` list (each entry inline text or a file).
pub(crate) fn configure_legacy_sm(
    ctx: &mut Ctx,
    dir: &str,
    entries: &[String],
) -> KResult<Vec<Patch>> {
    let config = config_yaml(vec![(
        "paths",
        Value::Array(entries.iter().cloned().map(Value::String).collect()),
    )]);
    let mut out = Vec::new();
    for entry in entries {
        let docs = match parse_sm(entry) {
            Ok(docs) => docs,
            Err(_) => {
                let bytes = ctx
                    .load(dir, entry)
                    .map_err(|e| trouble("PatchStrategicMergeTransformer", &config, e))?;
                parse_sm(&text(bytes)).map_err(|e| {
                    trouble("PatchStrategicMergeTransformer", &config, KError::new(e))
                })?
            }
        };
        out.extend(docs.into_iter().map(|doc| Patch {
            body: Body::Sm(vec![doc]),
            origin: Origin::LegacySm,
            target: None,
            source: format!("[path: {}]", quote(entry)),
            allow_name_change: false,
            allow_kind_change: false,
        }));
    }
    if out.is_empty() {
        return Err(trouble(
            "PatchStrategicMergeTransformer",
            &config,
            KError::new(format!(
                "patch appears to be empty; files=[{}], Patch=",
                entries.join(" ")
            )),
        ));
    }
    Ok(out)
}

/// Reads a `patchesJson6902:` entry.
pub(crate) fn configure_legacy_json(ctx: &mut Ctx, dir: &str, spec: &PatchSpec) -> KResult<Patch> {
    let config = config_yaml(vec![
        (
            "target",
            spec.target
                .as_ref()
                .map(selector_value)
                .unwrap_or(Value::Null),
        ),
        ("path", Value::String(spec.path.clone())),
        ("jsonOp", Value::String(spec.patch.clone())),
    ]);
    let fail = |e: String| trouble("PatchJson6902Transformer", &config, KError::new(e));
    if spec.target.as_ref().is_none_or(|t| t.name.is_empty()) {
        return Err(fail("must specify the target name".into())
            .hint("patchesJson6902 entries need target.name"));
    }
    let op = match (spec.path.is_empty(), spec.patch.is_empty()) {
        (true, true) => return Err(fail("empty file path and empty jsonOp".into())),
        (false, false) => return Err(fail("must specify a file path or jsonOp, not both".into())),
        (true, false) => spec.patch.clone(),
        (false, true) => {
            let bytes = ctx
                .load(dir, &spec.path)
                .map_err(|e| trouble("PatchJson6902Transformer", &config, e))?;
            if bytes.is_empty() {
                return Err(fail(format!(
                    "patch file '{}' empty seems to be empty",
                    spec.path
                )));
            }
            text(bytes)
        }
    };
    let ops = json6902::decode(&op).map_err(|e| fail(format!("decoding {op}: {e}")))?;
    if ops.is_empty() {
        return Err(fail(format!(
            "patch appears to be empty; file={}, JsonOp={op}",
            spec.path
        )));
    }
    Ok(Patch {
        body: Body::Json(ops),
        origin: Origin::LegacyJson,
        target: spec.target.clone(),
        source: op,
        allow_name_change: false,
        allow_kind_change: false,
    })
}

/// kustomize's `Resource.ApplySmPatch` with one document of `p`, retargeted to the object:
/// merge, then restore kind, name and namespace unless the patch may change them. An emptied
/// object is left empty, to be dropped.
fn apply_sm(ctx: &mut Ctx, r: &mut Res, doc: &Value, p: &Patch) -> KResult<()> {
    let patch = &retargeted(doc, r);
    let (name_ok, kind_ok) = (p.allow_name_change, p.allow_kind_change);
    ctx.charge_bytes(patch.to_string().len())?;
    let (name, ns, kind) = (r.name(), r.namespace(), r.gvk().kind);
    if name_ok || kind_ok {
        r.store_previous_id();
    }
    let merged = smp::merge(&r.obj, patch, smp::schema::root(&r.gvk()))?;
    let Some(obj) = merged else {
        r.obj = Value::Object(Map::new());
        return Ok(());
    };
    r.obj = obj;
    if let (false, Value::Object(m)) = (kind_ok, &mut r.obj) {
        m.insert("kind".into(), Value::String(kind));
    }
    if !name_ok {
        r.set_name(&name);
    }
    r.set_namespace(&ns);
    Ok(())
}

/// A targeted copy of a patch takes the object's apiVersion (kustomize's `SetGvk` dance).
fn retargeted(patch: &Value, r: &Res) -> Value {
    let mut p = patch.clone();
    if let Value::Object(m) = &mut p {
        m.insert("apiVersion".into(), Value::String(r.gvk().api_version()));
    }
    p
}

fn select(list: &[Res], target: &Selector) -> Result<Vec<usize>, String> {
    let m = Matcher::new(target)?;
    Ok((0..list.len()).filter(|i| m.matches(&list[*i])).collect())
}

/// Applies a patch to the objects.
pub(crate) fn apply(ctx: &mut Ctx, list: &mut Vec<Res>, p: &Patch) -> KResult<()> {
    ctx.charge_bytes(list.len())?;
    match (&p.body, &p.target) {
        (Body::Sm(docs), Some(target)) if p.origin == Origin::Patches => {
            if docs.len() > 1 {
                return Err(KError::new(format!(
                    "Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field: {}",
                    p.source
                )));
            }
            let Some(doc) = docs.first() else {
                return Ok(());
            };
            let selected = select(list, target).map_err(|e| {
                KError::new(format!(
                    "unable to find patch target {} in `resources`: {e}",
                    quote(&selector_string(target))
                ))
            })?;
            for i in selected {
                apply_sm(ctx, &mut list[i], doc, p)?;
            }
        }
        (Body::Sm(docs), _) => {
            for doc in docs {
                let id = Res::new(doc.clone()).cur_id();
                let i = get_by_id(list, &id).map_err(|e| match p.origin {
                    Origin::Patches => KError::new(format!(
                        "no resource matches strategic merge patch {}: {e}",
                        quote(&id.to_string())
                    )),
                    _ => KError::new(e),
                }
                .hint(format!(
                    "the patch names {id}, which no object of this kustomization has: fix the patch's \
                     apiVersion/kind/metadata (name, namespace) or add a target"
                )))?;
                apply_sm(ctx, &mut list[i], doc, p)?;
            }
        }
        (Body::Json(ops), target) => {
            let Some(target) = target else {
                return Err(KError::new(format!(
                    "must specify a target for JSON patch {}",
                    p.source
                ))
                .hint("JSON 6902 patches need a target (kind, name, …)"));
            };
            for i in select(list, target)? {
                ctx.charge_bytes(p.source.len())?;
                let r = &mut list[i];
                r.store_previous_id();
                let id = r.cur_id();
                json6902::apply(&mut r.obj, ops).map_err(|e| {
                    KError::new(e).hint(format!(
                        "the JSON patch does not fit {id}: check the paths of its operations against that object"
                    ))
                })?;
            }
        }
    }
    list.retain(|r| !r.is_empty());
    if let Some(id) = first_conflict(list) {
        return Err(KError::new(format!(
            "may not add resource with an already registered id: {id}"
        )));
    }
    Ok(())
}
