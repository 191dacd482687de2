//! The transformers of one kustomization, in kustomize's order: `patchesStrategicMerge`,
//! `patches`, `namespace`, `namePrefix`, `nameSuffix`, `labels` then `commonLabels`,
//! `commonAnnotations`, `patchesJson6902`, `replicas`, `images`. Every patch is read (and
//! its file loaded) before the first transformer runs, as kustomize configures all plugins
//! first.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ctx::Ctx;
use super::error::{KError, KResult};
use super::fieldspec::{
    self, COMMON_ANNOTATIONS, Create, METADATA_LABELS, common_label_specs, set_entry, specs,
};
use super::images::ImageRule;
use super::kustfile::{FieldSpec, Kust, ReplicaSpec};
use super::patch;
use super::resmap::first_conflict;
use super::resource::{Res, scalar};

/// Runs every transformer of kustomization `k` (in directory `dir`) over `list`.
pub(crate) fn run(ctx: &mut Ctx, dir: &str, k: &Kust, list: &mut Vec<Res>) -> KResult<()> {
    let legacy_sm = if k.patches_strategic_merge.is_empty() {
        Vec::new()
    } else {
        patch::configure_legacy_sm(ctx, dir, &k.patches_strategic_merge)?
    };
    let patches = k
        .patches
        .iter()
        .map(|p| patch::configure(ctx, dir, p))
        .collect::<KResult<Vec<_>>>()?;
    let legacy_json = k
        .patches_json6902
        .iter()
        .map(|p| patch::configure_legacy_json(ctx, dir, p))
        .collect::<KResult<Vec<_>>>()?;
    // Every transformer walks every object: charge that work so a kustomization with
    // millions of labels or patches stops at the limit instead of running for hours.
    let entries = legacy_sm.len()
        + patches.len()
        + legacy_json.len()
        + k.labels.iter().map(|l| l.pairs.len()).sum::<usize>()
        + k.common_labels.len()
        + k.common_annotations.len()
        + k.replicas.len()
        + k.images.len()
        + 3;
    ctx.charge_bytes(entries.saturating_mul(list.len()))?;
    for p in legacy_sm.iter().chain(&patches) {
        patch::apply(ctx, list, p)?;
    }
    if !k.namespace.is_empty() {
        namespace(list, &k.namespace)?;
    }
    if !k.name_prefix.is_empty() {
        rename(list, &k.name_prefix, true);
    }
    if !k.name_suffix.is_empty() {
        rename(list, &k.name_suffix, false);
    }
    for l in &k.labels {
        let mut fss = l.fields.clone();
        if l.include_selectors {
            fss.extend(common_label_specs());
        } else {
            if l.include_templates {
                fss.extend(specs(METADATA_LABELS));
            }
            fss.extend(specs(&[("", "", "", "metadata/labels", true)]));
        }
        set_map(list, &l.pairs, &dedup(fss))?;
    }
    if !k.common_labels.is_empty() {
        set_map(list, &k.common_labels, &common_label_specs())?;
    }
    if !k.common_annotations.is_empty() {
        set_map(list, &k.common_annotations, &specs(COMMON_ANNOTATIONS))?;
    }
    for p in &legacy_json {
        patch::apply(ctx, list, p)?;
    }
    for r in &k.replicas {
        replicas(list, r)?;
    }
    for img in &k.images {
        let rule = ImageRule::new(img);
        for r in list.iter_mut() {
            rule.apply(r)?;
        }
    }
    Ok(())
}

/// Field specs without repeats (kustomize merges them by kind and path).
fn dedup(fss: Vec<FieldSpec>) -> Vec<FieldSpec> {
    let mut out: Vec<FieldSpec> = Vec::new();
    for fs in fss {
        let same = |o: &FieldSpec| {
            o.group == fs.group && o.version == fs.version && o.kind == fs.kind && o.path == fs.path
        };
        if !out.iter().any(same) {
            out.push(fs);
        }
    }
    out
}

/// Sets each pair (in key order) at every field spec (labels, annotations).
fn set_map(list: &mut [Res], pairs: &BTreeMap<String, String>, fss: &[FieldSpec]) -> KResult<()> {
    for r in list.iter_mut() {
        for (k, v) in pairs {
            for fs in fss {
                fieldspec::apply(r, fs, Create::Map, &mut set_entry(k, v))?;
            }
        }
    }
    Ok(())
}

/// kustomize's namespace transformer (`namespace:` or Flux's `targetNamespace`).
fn namespace(list: &mut [Res], ns: &str) -> KResult<()> {
    let extra = specs(&[
        ("", "", "Namespace", "metadata/name", true),
        (
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/namespace",
            true,
        ),
        (
            "apiextensions.k8s.io",
            "",
            "CustomResourceDefinition",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ]);
    for r in list.iter_mut() {
        r.store_previous_id();
        let gvk = r.gvk();
        if !gvk.is_cluster_scoped() {
            r.set_namespace(ns);
        }
        if gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding" {
            match r.obj.get_mut("subjects") {
                None | Some(Value::Null) => {}
                Some(Value::Array(subjects)) => {
                    for s in subjects.iter_mut() {
                        let named_default =
                            s.get("name").and_then(scalar).as_deref() == Some("default");
                        if let (true, Value::Object(m)) = (named_default, s) {
                            m.insert("namespace".into(), Value::String(ns.into()));
                        }
                    }
                }
                Some(_) => {
                    return Err(KError::new(
                        "setting namespace on (cluster)role binding subjects: wrong node kind: expected SequenceNode",
                    ));
                }
            }
        }
        for fs in &extra {
            // kustomize renames only core/v1 Namespaces.
            if fs.path == "metadata/name" && gvk.api_version() != "v1" {
                continue;
            }
            fieldspec::apply(r, fs, Create::Scalar, &mut fieldspec::set_scalar(ns))
                .map_err(|e| KError::new(e).wrap("namespace transformation failed"))?;
        }
    }
    if let Some(id) = first_conflict(list) {
        return Err(KError::new(format!(
            "namespace transformation produces ID conflict: [{id}]"
        ))
        .hint("two objects end up with the same kind, name and namespace: rename one"));
    }
    Ok(())
}

/// kustomize's prefix or suffix transformer: renames every object but CRDs, APIServices and
/// Namespaces, remembering the old name so patches and references still find it.
fn rename(list: &mut [Res], affix: &str, prefix: bool) {
    for r in list.iter_mut() {
        let org = r.org_id();
        let kind = org.gvk.kind.as_str();
        if kind == "CustomResourceDefinition"
            || kind == "Namespace"
            || (kind == "APIService" && org.gvk.group == "apiregistration.k8s.io")
        {
            continue;
        }
        r.store_previous_id();
        let name = r.name();
        let new = if prefix {
            format!("{affix}{name}")
        } else {
            format!("{name}{affix}")
        };
        r.set_name(&new);
    }
}

/// kustomize's replica count transformer.
fn replicas(list: &mut [Res], spec: &ReplicaSpec) -> KResult<()> {
    const KINDS: [&str; 4] = [
        "Deployment",
        "ReplicationController",
        "ReplicaSet",
        "StatefulSet",
    ];
    let mut found = false;
    for kind in KINDS {
        let fs = FieldSpec {
            kind: kind.into(),
            path: "spec/replicas".into(),
            create: true,
            ..FieldSpec::default()
        };
        for r in list.iter_mut() {
            let hit = r
                .all_ids()
                .iter()
                .any(|id| id.name == spec.name && id.gvk.kind == kind);
            if !hit {
                continue;
            }
            found = true;
            let count = spec.count;
            fieldspec::apply(r, &fs, Create::Scalar, &mut |node: &mut Value| {
                if node.is_object() || node.is_array() {
                    return Err("wrong node kind: expected ScalarNode".to_string());
                }
                *node = Value::from(count);
                Ok(())
            })?;
        }
    }
    if !found {
        let gvks: Vec<String> = KINDS
            .iter()
            .map(|k| format!("{k}.[noVer].[noGrp]"))
            .collect();
        return Err(KError::new(format!(
            "resource with name {} does not match a config with the following GVK [{}]",
            spec.name,
            gvks.join(" ")
        ))
        .hint("replicas: entries name a Deployment, ReplicationController, ReplicaSet or StatefulSet of this kustomization"));
    }
    Ok(())
}
