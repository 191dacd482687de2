//! `images:`: kustomize's image tag transformer.
//!
//! Rules (kustomize `api/internal/image` and `api/filters/imagetag`):
//! - An entry matches an image whose name, without tag or digest, equals `name` exactly:
//!   `^<name>(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`. There is no registry
//!   normalisation: `nginx` does not match `docker.io/nginx`. `name` is used as a regular
//!   expression unescaped, as kustomize does (a `.` matches any character).
//! - `newName` replaces the name. `newTag` with `digest` gives `name:tag@digest`; `newTag`
//!   alone drops the old digest; `digest` alone drops the old tag; `tagSuffix` (kustomize only)
//!   appends to the current tag.
//! - Images are found in every `containers` and `initContainers` list anywhere in the object
//!   (kustomize's legacy walk), then again through its field specs (`containers`,
//!   `initContainers` and `volumes[]/image/reference` under `spec` and `spec/template/spec`);
//!   `CustomResourceDefinition`s are skipped. Both passes rewrite, which changes nothing but
//!   for `tagSuffix`: a Deployment's container gets it twice (`redis:6.2.6-alpine-alpine`),
//!   kustomize issue #4814, still open in v5.8.1; Flux's `spec.images` has no `tagSuffix`.
//! - An entry whose `name` is not a valid regular expression makes kustomize panic (a nil
//!   regexp), which Flux recovers as `recovered from kustomize build panic: …`; so does this.

use regex::Regex;
use serde_json::Value;

use super::fieldspec::kind_name;
use super::kustfile::ImageSpec;
use super::resource::Res;
use super::selector::compile;

/// Flux's text for kustomize's nil-regexp panic.
const PANIC: &str = "recovered from kustomize build panic: runtime error: invalid memory address or nil pointer dereference";

/// The pod specs of kustomize's image field specs (`containers[]/image`,
/// `initContainers[]/image`, `volumes[]/image/reference`), visited after the legacy walk.
const POD_SPECS: [&[&str]; 2] = [&["spec"], &["spec", "template", "spec"]];

/// Splits an image reference into name, tag and digest as kustomize's `image.Split` does.
pub(crate) fn split(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|i| *i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    let digest_only = |a: usize| {
        let a = a + slash;
        (
            image[..a].to_string(),
            String::new(),
            image[a + 1..].to_string(),
        )
    };
    match (at, colon) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (Some(a), None) => digest_only(a),
        (Some(a), Some(c)) if a < c => digest_only(a),
        (Some(a), Some(c)) => {
            let (a, c) = (a + slash, c + slash);
            (
                image[..c].to_string(),
                image[c + 1..a].to_string(),
                image[a + 1..].to_string(),
            )
        }
        (None, Some(c)) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
    }
}

/// The new value of an image reference under an `images:` entry.
pub(crate) fn rewrite(image: &str, spec: &ImageSpec) -> String {
    let (mut name, mut tag, mut digest) = split(image);
    if !spec.new_name.is_empty() {
        name = spec.new_name.clone();
    }
    match (spec.new_tag.is_empty(), spec.digest.is_empty()) {
        (false, false) => {
            tag = spec.new_tag.clone();
            digest = spec.digest.clone();
        }
        (false, true) => {
            tag = spec.new_tag.clone();
            digest.clear();
        }
        (true, false) => {
            tag.clear();
            digest = spec.digest.clone();
        }
        (true, true) if !spec.tag_suffix.is_empty() => {
            tag.push_str(&spec.tag_suffix);
            digest.clear();
        }
        (true, true) => {}
    }
    if !tag.is_empty() {
        name = format!("{name}:{tag}");
    }
    if !digest.is_empty() {
        name = format!("{name}@{digest}");
    }
    name
}

/// One `images:` entry, ready to apply.
pub(crate) struct ImageRule<'a> {
    spec: &'a ImageSpec,
    re: Option<Regex>,
}

impl<'a> ImageRule<'a> {
    /// Prepares an entry (an invalid `name` only fails when an image is met).
    pub fn new(spec: &'a ImageSpec) -> ImageRule<'a> {
        let pattern = format!(
            "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
            spec.name
        );
        ImageRule {
            spec,
            re: compile(&pattern).ok(),
        }
    }

    fn update(&self, v: &mut Value) -> Result<(), String> {
        let current = match &*v {
            Value::Object(_) | Value::Array(_) => {
                return Err(format!(
                    "wrong node kind: expected ScalarNode but got {}",
                    kind_name(v)
                ));
            }
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let Some(re) = &self.re else {
            return Err(PANIC.to_string());
        };
        if re.is_match(&current) {
            *v = Value::String(rewrite(&current, self.spec));
        }
        Ok(())
    }

    fn containers(&self, v: &mut Value) -> Result<(), String> {
        match v {
            Value::Object(m) => {
                for (k, field) in m.iter_mut() {
                    self.containers(field)?;
                    if let ("containers" | "initContainers", Value::Array(items)) =
                        (k.as_str(), field)
                    {
                        for item in items {
                            if let Some(image) = item.get_mut("image") {
                                self.update(image)?;
                            }
                        }
                    }
                }
                Ok(())
            }
            Value::Array(items) => items.iter_mut().try_for_each(|i| self.containers(i)),
            _ => Ok(()),
        }
    }

    /// Applies the entry to one object.
    pub fn apply(&self, r: &mut Res) -> Result<(), String> {
        if r.gvk().kind == "CustomResourceDefinition" {
            return Ok(());
        }
        self.containers(&mut r.obj)?;
        for pod in POD_SPECS {
            let Some(Value::Object(spec)) = dig(&mut r.obj, pod) else {
                continue;
            };
            for (list, field) in [
                ("containers", "image"),
                ("initContainers", "image"),
                ("volumes", ""),
            ] {
                let Some(Value::Array(items)) = spec.get_mut(list) else {
                    continue;
                };
                for item in items {
                    let target = if field.is_empty() {
                        item.get_mut("image").and_then(|i| i.get_mut("reference"))
                    } else {
                        item.get_mut(field)
                    };
                    if let Some(v) = target {
                        self.update(v)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn dig<'v>(v: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, p| v.get_mut(*p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, new_name: &str, tag: &str, digest: &str) -> ImageSpec {
        ImageSpec {
            name: name.into(),
            new_name: new_name.into(),
            new_tag: tag.into(),
            digest: digest.into(),
            tag_suffix: String::new(),
        }
    }

    #[test]
    fn splits_like_kustomize() {
        let cases = [
            ("nginx", ("nginx", "", "")),
            ("nginx:1.2", ("nginx", "1.2", "")),
            ("reg:5000/app:v1", ("reg:5000/app", "v1", "")),
            ("reg:5000/app", ("reg:5000/app", "", "")),
            ("app@sha256:abc", ("app", "", "sha256:abc")),
            ("app:v1@sha256:abc", ("app", "v1", "sha256:abc")),
        ];
        for (image, (n, t, d)) in cases {
            assert_eq!(split(image), (n.into(), t.into(), d.into()), "{image}");
        }
    }

    #[test]
    fn tag_and_digest_precedence() {
        let cases = [
            ("app:v1@sha256:old", spec("app", "", "v2", ""), "app:v2"),
            (
                "app:v1@sha256:old",
                spec("app", "", "", "sha256:new"),
                "app@sha256:new",
            ),
            (
                "app:v1",
                spec("app", "", "v2", "sha256:new"),
                "app:v2@sha256:new",
            ),
            ("app:v1", spec("app", "reg/app", "", ""), "reg/app:v1"),
            ("app", spec("app", "", "", ""), "app"),
        ];
        for (image, s, want) in cases {
            assert_eq!(rewrite(image, &s), want, "{image}");
        }
        let mut suffix = spec("app", "", "", "");
        suffix.tag_suffix = "-dbg".into();
        assert_eq!(rewrite("app:v1@sha256:x", &suffix), "app:v1-dbg");
    }

    #[test]
    fn matches_whole_names_only_and_walks_all_containers() {
        let s = spec("weaveworksdemos/front-end", "", "v9", "");
        let rule = ImageRule::new(&s);
        let mut r = Res::new(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "initContainers": [{"name": "i", "image": "weaveworksdemos/front-end:1"}],
                "containers": [{"name": "a", "image": "docker.io/weaveworksdemos/front-end:1"},
                               {"name": "b", "image": "weaveworksdemos/front-end@sha256:0"}],
                "volumes": [{"name": "v", "image": {"reference": "weaveworksdemos/front-end"}}]
            }}}}}}),
        );
        rule.apply(&mut r).unwrap();
        let pod = &r.obj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(
            pod["initContainers"][0]["image"],
            "weaveworksdemos/front-end:v9"
        );
        assert_eq!(
            pod["containers"][0]["image"],
            "docker.io/weaveworksdemos/front-end:1"
        );
        assert_eq!(
            pod["containers"][1]["image"],
            "weaveworksdemos/front-end:v9"
        );
        let mut p = Res::new(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [], "volumes": [{"name": "v", "image": {"reference": "weaveworksdemos/front-end"}}]}}),
        );
        rule.apply(&mut p).unwrap();
        assert_eq!(
            p.obj["spec"]["volumes"][0]["image"]["reference"],
            "weaveworksdemos/front-end:v9"
        );
    }

    #[test]
    fn an_invalid_name_is_flux_recovered_panic() {
        let s = spec("app(", "", "v1", "");
        let mut r = Res::new(
            json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "x"}]}}),
        );
        assert_eq!(ImageRule::new(&s).apply(&mut r).unwrap_err(), PANIC);
    }
}
