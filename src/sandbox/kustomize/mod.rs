//! The subset of `kustomize build` that Flux's kustomize-controller runs, for the sandbox's
//! simulated kustomize-controller: files in, objects out. No I/O.
//!
//! [`build`] does what kustomize-controller does between downloading the artifact and
//! applying: it joins `spec.path` to the repository root (`kustomization path not found` when
//! it is missing), runs Flux's kustomization generator (see [`Overrides`]) and kustomize
//! (kustomize v5.8.1, the one fluxcd/pkg pins), then checks that every object has an
//! apiVersion, a kind and a name, and sets `spec.commonMetadata`.
//!
//! **Supported**: `resources` (files with many documents, `…List` kinds, directories, `../`),
//! legacy `bases`, `namespace`, `namePrefix`/`nameSuffix` (with name references for the
//! common kinds, see `nameref`), `commonLabels`, `labels` (`includeSelectors`,
//! `includeTemplates`, `fields`), `commonAnnotations`, `images` (`newName`, `newTag`,
//! `digest`, `tagSuffix`), `patches` (inline or `path:`, strategic merge or JSON 6902, with
//! targets), legacy `patchesStrategicMerge` and `patchesJson6902`, `replicas`,
//! `sortOptions`, `buildMetadata: [originAnnotations, managedByLabel]`, and objects annotated
//! `config.kubernetes.io/local-config` are dropped.
//!
//! **Not supported** (a build that uses them fails with a message that says so):
//! `configMapGenerator`, `secretGenerator`, `helmCharts`, `components`, `replacements`,
//! `vars`, `crds`, `openapi`, `configurations`, `generators`/`transformers`/`validators`,
//! remote resources. Also not done: SOPS decryption and `postBuild` substitution (Flux steps
//! after the build), `buildMetadata: [transformerAnnotations]` (ignored).
//!
//! **Order**: objects come out in the order Flux's kustomize gives them, which is the order
//! the resources are listed, depth first ("fifo"). The `kustomize build` CLI sorts by kind by
//! default (`--reorder legacy`), but Flux calls the kustomize library with an empty reorder
//! option, which keeps the listed order (kustomize api v0.21.1 `Kustomizer.applySortOrder`).
//! A kustomization with `sortOptions: {order: legacy}` gets kustomize's legacy order
//! (Namespace, ResourceQuota, StorageClass, CustomResourceDefinition, ServiceAccount, … ,
//! webhooks last). kustomize-controller applies in its own stages anyway ([`apply_stage`]:
//! CRDs, Namespaces and ClusterRoles first, then `…Class` kinds, then the rest).
//!
//! **Paths in messages** use [`ROOT`] (`/tmp/kustomization-sandbox`) where Flux prints its
//! random temporary directory (`/tmp/kustomization-<n>`).
//!
//! **Limits** ([`Limits`]): 64 nested kustomization directories, 20,000 objects and 256 MiB
//! of manifests and patches per build (a kustomization read counts at least 32 KiB, a
//! transformer counts one byte per object it walks); YAML files may nest 64 levels and hold
//! 1,000,000 nodes and 10,000 documents; a JSON patch may not nest an object deeper than 200
//! levels; JSON patch `copy` may add 4 MiB per object; regular
//! expressions compile to at most 1 MiB.

mod ctx;
mod error;
mod factory;
mod fieldspec;
mod generate;
mod images;
mod json6902;
mod kustfile;
mod load;
mod nameref;
mod patch;
mod resmap;
mod resource;
mod schema;
mod selector;
mod smp;
mod transform;
mod tree;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

pub use ctx::Limits;
pub use error::BuildError;
pub use generate::Overrides;
pub use kustfile::{ImageSpec, PatchSpec, Selector};
pub use tree::ROOT;

use ctx::Ctx;
use error::KError;
use resource::{Gvk, Id, Res, meta_map, scalar};

/// The annotation that keeps an object out of the build (kustomize's `IgnoreLocal`).
const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
/// The label `buildMetadata: [managedByLabel]` adds, with kustomize's version.
const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kustomize-v5.8.1");

/// Builds `path` (a directory of the tree; `""`, `"."`, `"./x"` as Flux writes `spec.path`)
/// of `files` (repository-relative `/`-separated path → bytes; the whole repository tree),
/// as kustomize-controller builds a Kustomization with these [`Overrides`].
pub fn build(
    files: &BTreeMap<String, Vec<u8>>,
    path: &str,
    overrides: &Overrides,
) -> Result<Vec<Value>, BuildError> {
    build_with_limits(files, path, overrides, &Limits::default())
}

/// [`build`] with explicit [`Limits`].
pub fn build_with_limits(
    files: &BTreeMap<String, Vec<u8>>,
    path: &str,
    overrides: &Overrides,
    limits: &Limits,
) -> Result<Vec<Value>, BuildError> {
    let rel = tree::secure_join(path);
    let t = tree::Tree::new(files);
    if t.file(&rel).is_some() {
        let kfile = format!("{}/kustomization.yaml", tree::abs(&rel));
        return Err(KError::new(format!(
            "open {kfile}: not a directory remove {kfile}: not a directory"
        ))
        .hint("spec.path names a file: point it at the directory that holds the manifests")
        .into_generate_error());
    }
    if !t.is_dir(&rel) {
        return Err(BuildError::PathNotFound { path: rel });
    }
    let mut ctx = Ctx::new(t, limits.clone());
    let (mut k, file) = generate::root(&mut ctx, &rel, overrides)?;
    let shown = if rel.is_empty() {
        file
    } else {
        format!("{rel}/{file}")
    };
    load::finish(&rel, &shown, &mut k).map_err(KError::into_build_error)?;
    ctx.origin_tracking = k.build_metadata.iter().any(|b| b == "originAnnotations");
    ctx.managed_by_label = k.build_metadata.iter().any(|b| b == "managedByLabel");
    let origin = ctx.origin_tracking.then_some("");
    let mut chain = vec![rel.clone()];
    let mut list = load::accumulate_target(&mut ctx, &rel, &k, &mut chain, origin)
        .map_err(KError::into_build_error)?;
    nameref::fix(&mut list);
    if let Some(opts) = &k.sort_options {
        sort(&mut list, opts).map_err(KError::into_build_error)?;
    }
    if ctx.managed_by_label {
        for r in &mut list {
            set_meta(&mut r.obj, "labels", MANAGED_BY.0, MANAGED_BY.1);
        }
    }
    list.retain(|r| {
        r.meta_strings("annotations")
            .iter()
            .all(|(k, v)| k != LOCAL_CONFIG || v == "false")
    });
    let mut out = Vec::with_capacity(list.len());
    for r in list {
        let id = r.cur_id();
        if id.name.is_empty() || id.gvk.kind.is_empty() || r.gvk().api_version().is_empty() {
            return Err(BuildError::InvalidObject {
                object: yaml::to_yaml(&r.obj),
            });
        }
        let mut obj = r.obj;
        for (k, v) in &overrides.common_labels {
            set_meta(&mut obj, "labels", k, v);
        }
        for (k, v) in &overrides.common_annotations {
            set_meta(&mut obj, "annotations", k, v);
        }
        out.push(obj);
    }
    Ok(out)
}

fn set_meta(obj: &mut Value, field: &str, key: &str, value: &str) {
    let md = meta_map(obj);
    let m = md
        .entry(field)
        .or_insert_with(|| Value::Object(Default::default()));
    if !m.is_object() {
        *m = Value::Object(Default::default());
    }
    if let Value::Object(m) = m {
        m.insert(key.to_string(), Value::String(value.to_string()));
    }
}

const ORDER_FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's `SortOrderTransformer` (`sortOptions` of the top kustomization).
fn sort(list: &mut [Res], opts: &kustfile::SortOptions) -> Result<(), KError> {
    match opts.order.as_str() {
        "fifo" if opts.legacy.is_some() => Err(KError::new(
            "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'",
        )),
        "fifo" => Ok(()),
        "legacy" => {
            let (first, last): (Vec<String>, Vec<String>) =
                opts.legacy.clone().unwrap_or_else(|| {
                    (
                        ORDER_FIRST.iter().map(|s| s.to_string()).collect(),
                        ORDER_LAST.iter().map(|s| s.to_string()).collect(),
                    )
                });
            let rank = |kind: &str| -> i64 {
                if let Some(i) = first.iter().position(|k| k == kind) {
                    return i as i64 - first.len() as i64;
                }
                last.iter()
                    .position(|k| k == kind)
                    .map_or(0, |i| i as i64 + 1)
            };
            let gvk_key = |g: &Gvk| {
                let or = |s: &str, d: &str| {
                    if s.is_empty() {
                        d.to_string()
                    } else {
                        s.to_string()
                    }
                };
                format!(
                    "{}_{}_{}",
                    or(&g.group, "~G"),
                    or(&g.version, "~V"),
                    or(&g.kind, "~K")
                )
            };
            let id_key = |id: &Id| {
                let ns = if id.namespace.is_empty() {
                    "~X"
                } else {
                    &id.namespace
                };
                let nm = if id.name.is_empty() { "~N" } else { &id.name };
                format!("{}|{ns}|{nm}", id.gvk)
            };
            list.sort_by(|a, b| {
                let (x, y) = (a.cur_id(), b.cur_id());
                if x.gvk != y.gvk {
                    let (rx, ry) = (rank(&x.gvk.kind), rank(&y.gvk.kind));
                    if rx != ry {
                        return rx.cmp(&ry);
                    }
                    let namespaces = x.gvk.kind == "Namespace" && y.gvk.kind == "Namespace";
                    if namespaces && (x.gvk.group.is_empty() || y.gvk.group.is_empty()) {
                        return gvk_key(&y.gvk).cmp(&gvk_key(&x.gvk));
                    }
                    return gvk_key(&x.gvk).cmp(&gvk_key(&y.gvk));
                }
                id_key(&x).cmp(&id_key(&y))
            });
            Ok(())
        }
        _ => Err(KError::new(
            "the field 'sortOptions.order' must be one of [fifo, legacy]",
        )),
    }
}

/// The stage in which kustomize-controller applies an object (fluxcd/pkg
/// `ssa.ApplyAllStaged`): definitions (CRDs, `v1` Namespaces, ClusterRoles) first and waited
/// for, then classes (kinds ending in `Class`), then everything else. Sorting the built
/// objects by stage (stably) gives Flux's apply order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApplyStage {
    /// CustomResourceDefinitions, Namespaces and ClusterRoles.
    Definitions,
    /// StorageClass, IngressClass, … (any kind ending in `Class`).
    Classes,
    /// Everything else.
    Resources,
}

/// The [`ApplyStage`] of a built object.
pub fn apply_stage(obj: &Value) -> ApplyStage {
    let kind = obj.get("kind").and_then(scalar).unwrap_or_default();
    let api = obj.get("apiVersion").and_then(scalar).unwrap_or_default();
    let lower = kind.to_ascii_lowercase();
    let definition = (lower == "customresourcedefinition"
        && api.starts_with("apiextensions.k8s.io/"))
        || (lower == "namespace" && api == "v1")
        || (lower == "clusterrole" && api.starts_with("rbac.authorization.k8s.io/"));
    if definition {
        ApplyStage::Definitions
    } else if kind.ends_with("Class") {
        ApplyStage::Classes
    } else {
        ApplyStage::Resources
    }
}
