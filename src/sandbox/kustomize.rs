//! The small subset of `kustomize build` the sandbox needs to apply the reference
//! repositories: `resources` (files and directories, recursively), `namespace`, and
//! `images` (`name` → `newName`, `newTag`, `digest`). Patches, generators and components are
//! not applied (the demo's overlays do not need them); a kustomization that uses them still
//! builds, without them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::yaml;

/// A build that failed; the message names the file and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kustomize build failed: {0}")]
pub struct BuildError(pub String);

/// Files of a tree: `/`-separated path from the root → content.
pub type Files = BTreeMap<String, Vec<u8>>;

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn join(dir: &str, rel: &str) -> String {
    normalize(&format!("{dir}/{rel}"))
}

fn kustomization_file<'a>(files: &'a Files, dir: &str) -> Option<(String, &'a Vec<u8>)> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|n| join(dir, n))
        .find_map(|p| files.get(&p).map(|b| (p, b)))
}

fn docs(files: &Files, path: &str) -> Result<Vec<Value>, BuildError> {
    let bytes = files
        .get(path)
        .ok_or_else(|| BuildError(format!("resource '{path}' not found")))?;
    let text = std::str::from_utf8(bytes).map_err(|_| BuildError(format!("'{path}' is not UTF-8")))?;
    yaml::documents(text).map_err(|e| BuildError(format!("'{path}': {e}")))
}

/// Builds the directory `dir` of `files`: its kustomization, or every YAML file in it when
/// it has none (as kustomize-controller generates one).
pub fn build(files: &Files, dir: &str) -> Result<Vec<Value>, BuildError> {
    build_depth(files, &normalize(dir), 0)
}

fn build_depth(files: &Files, dir: &str, depth: usize) -> Result<Vec<Value>, BuildError> {
    if depth > 20 {
        return Err(BuildError(format!("'{dir}': resources nest too deep (a cycle?)")));
    }
    let Some((kpath, kbytes)) = kustomization_file(files, dir) else {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out = Vec::new();
        for path in files.keys().filter(|p| {
            p.starts_with(&prefix) && (p.ends_with(".yaml") || p.ends_with(".yml"))
        }) {
            out.extend(docs(files, path)?);
        }
        return Ok(out);
    };
    let text = std::str::from_utf8(kbytes).map_err(|_| BuildError(format!("'{kpath}' is not UTF-8")))?;
    let k = yaml::documents(text)
        .map_err(|e| BuildError(format!("'{kpath}': {e}")))?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    let mut out = Vec::new();
    for r in k["resources"].as_array().into_iter().flatten() {
        let Some(r) = r.as_str() else { continue };
        let path = join(dir, r);
        if files.contains_key(&path) {
            out.extend(docs(files, &path)?);
        } else {
            out.extend(build_depth(files, &path, depth + 1)?);
        }
    }
    if let Some(ns) = k["namespace"].as_str() {
        for o in &mut out {
            if o["kind"] != "Namespace" && o["metadata"].is_object() {
                o["metadata"]["namespace"] = Value::from(ns);
            }
        }
    }
    for img in k["images"].as_array().into_iter().flatten() {
        apply_image(&mut out, img);
    }
    Ok(out)
}

/// The repository part of an image reference (no tag, no digest).
pub fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

fn apply_image(objects: &mut [Value], rule: &Value) {
    let Some(name) = rule["name"].as_str() else { return };
    for o in objects.iter_mut() {
        for list in ["containers", "initContainers"] {
            let Some(cs) = o["spec"]["template"]["spec"][list].as_array_mut() else {
                continue;
            };
            for c in cs {
                let Some(image) = c["image"].as_str() else { continue };
                if image_name(image) != name {
                    continue;
                }
                let old_tag = image
                    .split('@')
                    .next()
                    .and_then(|s| s.rsplit_once(':'))
                    .filter(|(_, t)| !t.contains('/'))
                    .map(|(_, t)| t.to_string());
                let new_name = rule["newName"].as_str().unwrap_or(name);
                let mut new = new_name.to_string();
                if let Some(tag) = rule["newTag"].as_str().map(str::to_string).or(old_tag) {
                    new = format!("{new}:{tag}");
                }
                if let Some(d) = rule["digest"].as_str() {
                    new = format!("{new}@{d}");
                }
                c["image"] = Value::from(new);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn builds_an_overlay_with_image_overrides_and_a_namespace() {
        let f = files(&[
            ("deploy/base/kustomization.yaml", "resources:\n- ./app.yaml\n"),
            (
                "deploy/base/app.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: front-end\nspec:\n  template:\n    spec:\n      containers:\n      - name: front-end\n        image: weaveworksdemos/front-end:0.3.12\n      - name: side\n        image: busybox:1\n",
            ),
            (
                "deploy/overlays/dev/kustomization.yaml",
                "namespace: sock-shop\nresources:\n- ../../base\nimages:\n- name: weaveworksdemos/front-end\n  newName: 123.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end\n  newTag: main-1f49071-24\n",
            ),
        ]);
        let out = build(&f, "./deploy/overlays/dev").unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["metadata"]["namespace"], "sock-shop");
        let cs = &out[0]["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[0]["image"], "123.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24");
        assert_eq!(cs[1]["image"], "busybox:1");
    }

    #[test]
    fn missing_resources_and_cycles_are_errors() {
        let f = files(&[("a/kustomization.yaml", "resources:\n- ./nope.yaml\n")]);
        assert!(build(&f, "a").unwrap_err().0.contains("not found"));
        let f = files(&[("a/kustomization.yaml", "resources:\n- ../a\n")]);
        assert!(build(&f, "a").unwrap_err().0.contains("too deep"));
    }

    #[test]
    fn image_names_without_tags_or_digests() {
        assert_eq!(image_name("repo/app:1.0"), "repo/app");
        assert_eq!(image_name("host:5000/repo/app"), "host:5000/repo/app");
        assert_eq!(image_name("host:5000/repo/app:1@sha256:ab"), "host:5000/repo/app");
    }
}
