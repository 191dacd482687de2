//! A kustomization file read into the fields the sandbox's kustomize understands.
//!
//! Two readers exist, as in Flux: kustomize reads nested kustomizations strictly (unknown
//! fields and mistyped scalars are errors, `invalid Kustomization: …`), while the top
//! kustomization goes through Flux's generator first, which reads it leniently (unknown fields
//! are dropped, any scalar fits a string field, keeping the text as written: `newTag: 1.10`
//! stays `1.10`) and rewrites it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::resource::scalar;
use super::schema::{self, get};
use super::yaml;

/// The file names kustomize recognises, in its order.
pub(crate) const FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// `kustomize.config.k8s.io/v1beta1`.
pub(crate) const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `kustomize.config.k8s.io/v1alpha1`, the Component version.
const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// Fields the sandbox does not implement; a kustomization using one fails to build with a
/// message that says so.
const UNSUPPORTED: &[&str] = &[
    "openapi",
    "replacements",
    "vars",
    "components",
    "crds",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "configurations",
    "generators",
    "transformers",
    "validators",
];

/// Where a field of a kustomization should be set: a kustomize field spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
}

/// A patch target (kustomize's `types.Selector`); names are anchored regular expressions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// API group (regex).
    pub group: String,
    /// API version (regex).
    pub version: String,
    /// Kind (regex).
    pub kind: String,
    /// Name (regex).
    pub name: String,
    /// Namespace (regex).
    pub namespace: String,
    /// A Kubernetes label selector.
    pub label_selector: String,
    /// A Kubernetes label selector over annotations.
    pub annotation_selector: String,
}

/// A `patches:` (or `patchesJson6902:`) entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatchSpec {
    /// A file holding the patch.
    pub path: String,
    /// The patch text.
    pub patch: String,
    /// Which objects it applies to.
    pub target: Option<Selector>,
    /// `options.allowNameChange`.
    pub allow_name_change: bool,
    /// `options.allowKindChange`.
    pub allow_kind_change: bool,
}

/// An `images:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageSpec {
    /// The image name to match (without tag or digest).
    pub name: String,
    /// The new name.
    pub new_name: String,
    /// The new tag.
    pub new_tag: String,
    /// The new digest (wins over the tag).
    pub digest: String,
    /// A suffix for the current tag.
    pub tag_suffix: String,
}

/// A `labels:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LabelSpec {
    pub pairs: BTreeMap<String, String>,
    pub include_selectors: bool,
    pub include_templates: bool,
    pub fields: Vec<FieldSpec>,
}

/// A `replicas:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ReplicaSpec {
    pub name: String,
    pub count: i64,
}

/// `sortOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SortOptions {
    pub order: String,
    pub legacy: Option<(Vec<String>, Vec<String>)>,
}

/// A kustomization file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Kust {
    pub api_version: String,
    pub kind: String,
    pub name_prefix: String,
    pub name_suffix: String,
    pub namespace: String,
    pub common_labels: BTreeMap<String, String>,
    pub labels: Vec<LabelSpec>,
    pub common_annotations: BTreeMap<String, String>,
    pub patches_strategic_merge: Vec<String>,
    pub patches_json6902: Vec<PatchSpec>,
    pub patches: Vec<PatchSpec>,
    pub images: Vec<ImageSpec>,
    pub replicas: Vec<ReplicaSpec>,
    pub sort_options: Option<SortOptions>,
    /// `resources:` then (legacy) `bases:`.
    pub resources: Vec<String>,
    /// Whether `resources:` itself listed something (Flux's generator looks at this).
    pub has_resources: bool,
    pub build_metadata: Vec<String>,
    /// Unsupported fields that are set.
    pub unsupported: Vec<&'static str>,
    /// kustomize's `CheckEmpty`: no field but apiVersion/kind is set.
    pub empty: bool,
}

fn text(v: Option<&Value>) -> String {
    v.and_then(scalar).unwrap_or_default()
}

fn texts(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|x| scalar(x).unwrap_or_default()).collect(),
        _ => Vec::new(),
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), scalar(v).unwrap_or_default()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn objects(v: Option<&Value>) -> Vec<&Map<String, Value>> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

fn flag(m: &Map<String, Value>, name: &str) -> bool {
    matches!(get(m, name), Some(Value::Bool(true)))
}

pub(crate) fn selector(m: &Map<String, Value>) -> Selector {
    Selector {
        group: text(get(m, "group")),
        version: text(get(m, "version")),
        kind: text(get(m, "kind")),
        name: text(get(m, "name")),
        namespace: text(get(m, "namespace")),
        label_selector: text(get(m, "labelSelector")),
        annotation_selector: text(get(m, "annotationSelector")),
    }
}

pub(crate) fn patch_spec(m: &Map<String, Value>) -> PatchSpec {
    let opts = get(m, "options").and_then(Value::as_object);
    PatchSpec {
        path: text(get(m, "path")),
        patch: text(get(m, "patch")),
        target: get(m, "target").and_then(Value::as_object).map(selector),
        allow_name_change: opts.is_some_and(|o| flag(o, "allowNameChange")),
        allow_kind_change: opts.is_some_and(|o| flag(o, "allowKindChange")),
    }
}

pub(crate) fn image_spec(m: &Map<String, Value>) -> ImageSpec {
    ImageSpec {
        name: text(get(m, "name")),
        new_name: text(get(m, "newName")),
        new_tag: text(get(m, "newTag")),
        digest: text(get(m, "digest")),
        tag_suffix: text(get(m, "tagSuffix")),
    }
}

fn field_spec(m: &Map<String, Value>) -> FieldSpec {
    FieldSpec {
        group: text(get(m, "group")),
        version: text(get(m, "version")),
        kind: text(get(m, "kind")),
        path: text(get(m, "path")),
        create: flag(m, "create"),
    }
}

/// Whether a field counts as set for `CheckEmpty` (Go's zero values: `""`, `nil`).
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Reads a parsed kustomization (already checked with [`schema::check`]).
pub(crate) fn from_value(doc: &Value) -> Kust {
    let empty_map = Map::new();
    let m = doc.as_object().unwrap_or(&empty_map);
    let g = |name: &str| get(m, name);
    let mut k = Kust {
        api_version: text(g("apiVersion")),
        kind: text(g("kind")),
        name_prefix: text(g("namePrefix")),
        name_suffix: text(g("nameSuffix")),
        namespace: text(g("namespace")),
        common_labels: string_map(g("commonLabels")),
        common_annotations: string_map(g("commonAnnotations")),
        patches_strategic_merge: texts(g("patchesStrategicMerge")),
        build_metadata: texts(g("buildMetadata")),
        ..Kust::default()
    };
    k.labels = objects(g("labels"))
        .into_iter()
        .map(|l| LabelSpec {
            pairs: string_map(get(l, "pairs")),
            include_selectors: flag(l, "includeSelectors"),
            include_templates: flag(l, "includeTemplates"),
            fields: objects(get(l, "fields"))
                .into_iter()
                .map(field_spec)
                .collect(),
        })
        .collect();
    k.patches_json6902 = objects(g("patchesJson6902"))
        .into_iter()
        .map(patch_spec)
        .collect();
    k.patches = objects(g("patches")).into_iter().map(patch_spec).collect();
    k.images = objects(g("images"))
        .into_iter()
        .chain(objects(g("imageTags")))
        .map(image_spec)
        .collect();
    k.replicas = objects(g("replicas"))
        .into_iter()
        .map(|r| ReplicaSpec {
            name: text(get(r, "name")),
            count: get(r, "count").and_then(Value::as_i64).unwrap_or(0),
        })
        .collect();
    k.sort_options = g("sortOptions")
        .and_then(Value::as_object)
        .map(|s| SortOptions {
            order: text(get(s, "order")),
            legacy: get(s, "legacySortOptions")
                .and_then(Value::as_object)
                .map(|l| (texts(get(l, "orderFirst")), texts(get(l, "orderLast")))),
        });
    k.resources = texts(g("resources"));
    k.has_resources = !k.resources.is_empty();
    k.resources.extend(texts(g("bases")));
    k.unsupported = UNSUPPORTED
        .iter()
        .copied()
        .filter(|f| g(f).is_some_and(|v| !matches!(v, Value::Null) && !is_nil_or_empty_coll(v)))
        .collect();
    k.empty = !m.iter().any(|(key, v)| {
        let known = schema::field(&schema::KUSTOMIZATION, key).map(|(n, _)| *n);
        !matches!(known, Some("apiVersion" | "kind")) && known.is_some() && is_set(v)
    });
    k
}

fn is_nil_or_empty_coll(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

impl Kust {
    /// kustomize's `FixKustomization` defaults for kind and apiVersion.
    pub fn fix(&mut self) {
        if self.kind.is_empty() {
            self.kind = "Kustomization".into();
        }
        if self.api_version.is_empty() {
            self.api_version = if self.kind == "Component" {
                COMPONENT_VERSION.into()
            } else {
                KUSTOMIZATION_VERSION.into()
            };
        }
    }

    /// kustomize's `EnforceFields` problems.
    pub fn enforce(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if !self.kind.is_empty() && self.kind != "Kustomization" && self.kind != "Component" {
            errs.push("kind should be Kustomization or Component".to_string());
        }
        let want = if self.kind == "Component" {
            COMPONENT_VERSION
        } else {
            KUSTOMIZATION_VERSION
        };
        if !self.api_version.is_empty() && self.api_version != want {
            errs.push(format!("apiVersion for {} should be {want}", self.kind));
        }
        errs
    }
}

/// The scalars of a kustomization as written, for the lenient read (numbers keep their text).
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawText {
    namespace: Option<String>,
    #[serde(rename = "namePrefix")]
    name_prefix: Option<String>,
    #[serde(rename = "nameSuffix")]
    name_suffix: Option<String>,
    #[serde(rename = "commonLabels")]
    common_labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "commonAnnotations")]
    common_annotations: Option<BTreeMap<String, String>>,
    images: Option<Vec<RawImage>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawImage {
    name: Option<String>,
    #[serde(rename = "newName")]
    new_name: Option<String>,
    #[serde(rename = "newTag")]
    new_tag: Option<String>,
    digest: Option<String>,
}

/// Replaces the scalars the lenient read turned from numbers into text with their text as
/// written (`1.10`, not `1.1`). Best effort: an unusual file keeps serde's rendering.
pub(crate) fn keep_written_text(bytes: &[u8], k: &mut Kust) {
    let Ok(Some(raw)) = yaml::first_as::<RawText>(bytes) else {
        return;
    };
    let set = |dst: &mut String, src: Option<String>| {
        if let Some(s) = src {
            *dst = s;
        }
    };
    set(&mut k.namespace, raw.namespace);
    set(&mut k.name_prefix, raw.name_prefix);
    set(&mut k.name_suffix, raw.name_suffix);
    if let Some(m) = raw.common_labels {
        k.common_labels.extend(m);
    }
    if let Some(m) = raw.common_annotations {
        k.common_annotations.extend(m);
    }
    if let Some(images) = raw.images {
        for (dst, src) in k.images.iter_mut().zip(images) {
            set(&mut dst.name, src.name);
            set(&mut dst.new_name, src.new_name);
            set(&mut dst.new_tag, src.new_tag);
            set(&mut dst.digest, src.digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_bases_after_resources_and_emptiness() {
        let k = from_value(&json!({
            "bases": ["../b"], "resources": ["a.yaml"], "images": [{"name": "x", "newTag": "1"}],
            "imageTags": [{"name": "y"}], "configMapGenerator": [{"name": "c"}], "components": []
        }));
        assert_eq!(k.resources, ["a.yaml", "../b"]);
        assert!(k.has_resources);
        assert_eq!(k.images.len(), 2);
        assert_eq!(k.unsupported, ["configMapGenerator"]);
        assert!(!k.empty);
        assert!(
            from_value(&json!({"apiVersion": "x", "kind": "Kustomization", "namespace": ""})).empty
        );
        assert!(!from_value(&json!({"resources": []})).empty);
    }

    #[test]
    fn keeps_numbers_as_written_in_the_lenient_read() {
        let text = b"images:\n- name: app\n  newTag: 1.10\nnamespace: 010\n";
        let doc = yaml::documents(text).unwrap().remove(0);
        let mut k = from_value(&doc);
        assert_eq!(k.images[0].new_tag, "1.1");
        keep_written_text(text, &mut k);
        assert_eq!(k.images[0].new_tag, "1.10");
        assert_eq!(k.namespace, "010");
    }

    #[test]
    fn enforces_kind_and_version() {
        let mut k = from_value(&json!({"kind": "Pod", "apiVersion": "v1"}));
        k.fix();
        assert_eq!(
            k.enforce(),
            [
                "kind should be Kustomization or Component",
                "apiVersion for Pod should be kustomize.config.k8s.io/v1beta1"
            ]
        );
        let mut k = from_value(&json!({}));
        k.fix();
        assert!(k.enforce().is_empty());
        assert_eq!(k.api_version, KUSTOMIZATION_VERSION);
    }
}
