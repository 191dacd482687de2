//! Flux's kustomization generator (fluxcd/pkg `kustomize/kustomize_generator.go`), which
//! kustomize-controller runs on `spec.path` before building.
//!
//! - With a kustomization file (the first of `kustomization.yaml`, `kustomization.yml`,
//!   `Kustomization`), it reads it leniently (unknown fields are dropped, scalars keep their
//!   text). If its `resources:` is empty it adds `buildMetadata: [originAnnotations]` (to dodge
//!   kustomize's "kustomization.yaml is empty"), so every object then carries a
//!   `config.kubernetes.io/origin` annotation, as with real Flux.
//! - Without one, it generates one: walking the directory in name order, every `.yaml`/`.yml`
//!   file (not `.json`) becomes a resource, and must parse as Kubernetes objects (each with a
//!   kind and a name) or the build fails; a subdirectory holding a kustomization file becomes a
//!   resource and is not walked; any other subdirectory is walked. With nothing found, the
//!   kustomization gets the placeholder namespace `_placeholder` and builds nothing.
//! - Then it writes the Flux Kustomization's own fields into it: `targetNamespace` replaces
//!   `namespace`, `namePrefix`/`nameSuffix` replace theirs, `patches` (and the legacy
//!   `patchesStrategicMerge`/`patchesJson6902`) are appended, and `images` merge by name (a
//!   new `newName` replaces the old; a new `newTag` or `digest` replaces both, so a stale
//!   digest never survives a new tag).

use std::collections::BTreeMap;

use serde_json::Value;

use super::ctx::Ctx;
use super::error::{BuildError, KError};
use super::factory::objects_from_docs;
use super::kustfile::{self, FILE_NAMES, ImageSpec, Kust, PatchSpec};
use super::load::find_kust_file;
use super::schema;
use super::tree::{abs, ext};
use super::yaml;

/// A Flux Kustomization's own build inputs (`spec.targetNamespace`, `spec.images`,
/// `spec.patches`, `spec.namePrefix`, `spec.nameSuffix`, `spec.commonMetadata.labels` and
/// `.annotations`, and the legacy `spec.patchesStrategicMerge`/`spec.patchesJson6902`),
/// applied the way kustomize-controller applies them (it writes them into the generated or
/// extended kustomization; `commonMetadata` it sets on every object after the build).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `spec.targetNamespace`: replaces the kustomization's `namespace`.
    pub target_namespace: Option<String>,
    /// `spec.namePrefix`: replaces the kustomization's `namePrefix`.
    pub name_prefix: Option<String>,
    /// `spec.nameSuffix`: replaces the kustomization's `nameSuffix`.
    pub name_suffix: Option<String>,
    /// `spec.images`: merged into the kustomization's `images` by name.
    pub images: Vec<ImageSpec>,
    /// `spec.patches`: appended to the kustomization's `patches`.
    pub patches: Vec<PatchSpec>,
    /// `spec.patchesStrategicMerge` (v1beta2), as JSON texts.
    pub patches_strategic_merge: Vec<String>,
    /// `spec.patchesJson6902` (v1beta2), operations as a JSON text.
    pub patches_json6902: Vec<PatchSpec>,
    /// `spec.commonMetadata.labels`: set on every object (not on selectors or templates).
    pub common_labels: BTreeMap<String, String>,
    /// `spec.commonMetadata.annotations`: set on every object.
    pub common_annotations: BTreeMap<String, String>,
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn objects(v: Option<&Value>) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

impl Overrides {
    /// Reads a Flux Kustomization's `spec` (any served version). Fields of the wrong type are
    /// ignored, as the API server's schema would have refused them.
    pub fn from_spec(spec: &Value) -> Overrides {
        let s = |k: &str| spec.get(k).and_then(Value::as_str).map(str::to_string);
        Overrides {
            target_namespace: s("targetNamespace"),
            name_prefix: s("namePrefix"),
            name_suffix: s("nameSuffix"),
            images: objects(spec.get("images"))
                .map(|m| ImageSpec {
                    tag_suffix: String::new(),
                    ..kustfile::image_spec(m)
                })
                .collect(),
            patches: objects(spec.get("patches"))
                .map(|m| PatchSpec {
                    path: String::new(),
                    ..kustfile::patch_spec(m)
                })
                .collect(),
            patches_strategic_merge: objects(spec.get("patchesStrategicMerge"))
                .map(|m| Value::Object(m.clone()).to_string())
                .collect(),
            patches_json6902: objects(spec.get("patchesJson6902"))
                .map(|m| PatchSpec {
                    patch: m.get("patch").map(Value::to_string).unwrap_or_default(),
                    target: m
                        .get("target")
                        .and_then(Value::as_object)
                        .map(kustfile::selector),
                    ..PatchSpec::default()
                })
                .collect(),
            common_labels: string_map(spec.get("commonMetadata").and_then(|c| c.get("labels"))),
            common_annotations: string_map(
                spec.get("commonMetadata")
                    .and_then(|c| c.get("annotations")),
            ),
        }
    }
}

fn gen_error(e: impl Into<String>, hint: impl Into<String>) -> BuildError {
    KError::new(e).hint(hint).into_generate_error()
}

/// The kustomization Flux builds in directory `dir`, and the file name it lives in.
pub(crate) fn root(ctx: &mut Ctx, dir: &str, o: &Overrides) -> Result<(Kust, String), BuildError> {
    let (mut k, file) = match find_first(ctx, dir) {
        Some((bytes, name)) => {
            let file = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            (existing(ctx, bytes, &file)?, name.to_string())
        }
        None => (generated(ctx, dir)?, FILE_NAMES[0].to_string()),
    };
    if let Some(ns) = &o.target_namespace {
        k.namespace = ns.clone();
    }
    if let Some(p) = &o.name_prefix {
        k.name_prefix = p.clone();
    }
    if let Some(s) = &o.name_suffix {
        k.name_suffix = s.clone();
    }
    k.patches.extend(o.patches.iter().cloned());
    k.patches_strategic_merge
        .extend(o.patches_strategic_merge.iter().cloned());
    k.patches_json6902
        .extend(o.patches_json6902.iter().cloned());
    for img in &o.images {
        match k.images.iter_mut().find(|i| i.name == img.name) {
            Some(cur) => {
                if !img.new_name.is_empty() {
                    cur.new_name = img.new_name.clone();
                }
                if !img.new_tag.is_empty() || !img.digest.is_empty() {
                    cur.new_tag = img.new_tag.clone();
                    cur.digest = img.digest.clone();
                }
            }
            None => k.images.push(img.clone()),
        }
    }
    // kustomize then reads the written file itself: more than one kustomization file in
    // the directory is its error, not the generator's.
    find_kust_file(ctx, dir).map_err(KError::into_build_error)?;
    Ok((k, file))
}

/// The first kustomization file of a directory, in kustomize's order (the generator's pick).
fn find_first<'a>(ctx: &Ctx<'a>, dir: &str) -> Option<(&'a [u8], &'static str)> {
    FILE_NAMES.iter().find_map(|n| {
        let p = if dir.is_empty() {
            n.to_string()
        } else {
            format!("{dir}/{n}")
        };
        ctx.tree.file(&p).map(|b| (b, *n))
    })
}

/// Reads the directory's own kustomization as the generator does (sigs.k8s.io/yaml).
fn existing(ctx: &mut Ctx, bytes: &[u8], file: &str) -> Result<Kust, BuildError> {
    ctx.charge_bytes(bytes.len())
        .map_err(KError::into_build_error)?;
    let doc = yaml::documents(bytes)
        .map_err(|e| {
            gen_error(
                format!("error converting YAML to JSON: {e}"),
                format!("fix the YAML of {file}"),
            )
        })?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    schema::check(&doc, false).map_err(|e| {
        gen_error(
            format!("error unmarshaling JSON: while decoding JSON: {e}"),
            format!("fix {file}: the field named in the message has the wrong type"),
        )
    })?;
    let mut k = kustfile::from_value(&doc);
    kustfile::keep_written_text(bytes, &mut k);
    if !k.has_resources {
        k.build_metadata = vec!["originAnnotations".to_string()];
        k.empty = false;
    }
    Ok(k)
}

/// Generates a kustomization for a directory without one (`scanManifests`).
fn generated(ctx: &mut Ctx, dir: &str) -> Result<Kust, BuildError> {
    let mut resources = Vec::new();
    scan(ctx, dir, ".", &mut resources)?;
    let mut k = Kust {
        api_version: kustfile::KUSTOMIZATION_VERSION.to_string(),
        kind: "Kustomization".to_string(),
        ..Kust::default()
    };
    if resources.is_empty() {
        k.namespace = "_placeholder".to_string();
    } else {
        k.has_resources = true;
        k.resources = resources;
    }
    Ok(k)
}

fn scan(ctx: &mut Ctx, dir: &str, shown: &str, out: &mut Vec<String>) -> Result<(), BuildError> {
    for e in ctx.tree.entries(dir) {
        let rel = if dir.is_empty() {
            e.name.clone()
        } else {
            format!("{dir}/{}", e.name)
        };
        let shown = format!("{shown}/{}", e.name);
        if e.dir {
            let has_kust = FILE_NAMES
                .iter()
                .any(|n| ctx.tree.file(&format!("{rel}/{n}")).is_some());
            if has_kust {
                out.push(shown);
            } else {
                scan(ctx, &rel, &shown, out)?;
            }
            continue;
        }
        if ext(&e.name) != ".yaml" && ext(&e.name) != ".yml" {
            continue;
        }
        let Some(bytes) = ctx.tree.file(&rel) else {
            continue;
        };
        ctx.charge_bytes(bytes.len())
            .map_err(KError::into_build_error)?;
        let parsed = yaml::documents(bytes)
            .map_err(|e| format!("MalformedYAMLError: {e}"))
            .and_then(objects_from_docs);
        if let Err(err) = parsed {
            return Err(gen_error(
                format!("failed to decode Kubernetes YAML from {}: {err}", abs(&rel)),
                format!(
                    "without a kustomization file Flux includes every .yaml/.yml file of '{dir}' and below: \
                     fix '{rel}', move it out, or add a kustomization.yaml that lists the resources"
                ),
            ));
        }
        out.push(shown);
    }
    Ok(())
}
