//! Reading a kustomization and accumulating its `resources:` (files and directories,
//! recursively), with kustomize's error wrapping:
//!
//! ```text
//! accumulating resources: accumulation err='accumulating resources from 'x.yaml': open …:
//!   no such file or directory': must build at directory: not a valid directory: …
//! ```
//!
//! A resource entry is tried as a file first; when that fails it is tried as a directory, and
//! the directory error is reported with the file error quoted in front (unless the file was
//! malformed YAML). A directory must hold exactly one kustomization file, may not be the
//! directory of a kustomization being built or one above it (`cycle detected`), and may not
//! leave the repository (`fs-security-constraint`).

use serde_json::Value;

use super::ctx::Ctx;
use super::error::{KError, KResult};
use super::factory::objects_from_docs;
use super::kustfile::{self, FILE_NAMES, Kust};
use super::resmap::append_all;
use super::resource::{Res, meta_map};
use super::schema;
use super::transform;
use super::tree::{ROOT, abs, resolve};
use super::yaml;

/// What reading a kustomization costs at least, in bytes of the build's budget.
const MIN_VISIT_COST: usize = 32 << 10;

/// kustomize's annotation naming the file an object came from.
pub(crate) const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";

/// Whether kustomize (or Flux's generator) would treat a path as remote.
pub(crate) fn is_remote(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [
        "git::",
        "gh:",
        "ssh://",
        "https://",
        "http://",
        "git@",
        "github.com:",
        "github.com/",
    ]
    .iter()
    .any(|p| p.len() < path.len() && lower.starts_with(p))
}

/// Go's `filepath.Join` for relative paths (origin annotations).
pub(crate) fn join_rel(a: &str, b: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in a.split('/').chain(b.split('/')) {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// The kustomization file of directory `dir` (its bytes and name).
pub(crate) fn find_kust_file<'a>(
    ctx: &Ctx<'a>,
    dir: &str,
) -> KResult<Option<(&'a [u8], &'static str)>> {
    let found: Vec<(&[u8], &str)> = FILE_NAMES
        .iter()
        .filter_map(|n| {
            let p = if dir.is_empty() {
                n.to_string()
            } else {
                format!("{dir}/{n}")
            };
            ctx.tree.file(&p).map(|b| (b, *n))
        })
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(KError::new(format!(
            "Found multiple kustomization files under: {}\n",
            abs(dir)
        ))
        .hint(
            "keep one of kustomization.yaml, kustomization.yml and Kustomization in the directory",
        )),
    }
}

/// Reads a nested kustomization strictly, as kustomize's `KustTarget.Load` does.
pub(crate) fn load_kust(ctx: &mut Ctx, dir: &str) -> KResult<Kust> {
    let Some((bytes, name)) = find_kust_file(ctx, dir)? else {
        return Err(KError::new(format!(
            "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
            abs(dir)
        ))
        .hint(format!(
            "directory '{dir}' is listed in resources but has no kustomization file: add one, or list its files instead"
        )));
    };
    // Each visit costs at least a page, so a diamond of directories that include each other
    // many times over stops at the limit however small the files are.
    ctx.charge_bytes(bytes.len().max(MIN_VISIT_COST))?;
    let file = format!("{dir}/{name}");
    let doc = yaml::documents(bytes)
        .map_err(|e| {
            KError::new(format!("invalid Kustomization: {e}"))
                .hint(format!("fix the YAML of {file}"))
        })?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    schema::check(&doc, true).map_err(|e| {
        KError::new(format!("invalid Kustomization: {e}")).hint(format!(
            "fix {file}: the field named in the message is unknown to kustomize or has the wrong type \
             (quote numbers meant as text, e.g. newTag: \"1.10\")"
        ))
    })?;
    let mut k = kustfile::from_value(&doc);
    finish(dir, &file, &mut k)?;
    Ok(k)
}

/// The checks kustomize runs on every kustomization after reading it.
pub(crate) fn finish(dir: &str, file: &str, k: &mut Kust) -> KResult<()> {
    k.fix();
    if k.empty {
        return Err(KError::new("kustomization.yaml is empty").hint(format!(
            "{file} lists nothing: add resources (or remove the directory from its parent)"
        )));
    }
    let errs = k.enforce();
    if !errs.is_empty() {
        return Err(KError::new(format!(
            "Failed to read kustomization file under {}:\n{}",
            abs(dir),
            errs.join("\n")
        ))
        .hint(format!(
            "{file} must be kind: Kustomization, apiVersion: kustomize.config.k8s.io/v1beta1"
        )));
    }
    if let Some(f) = k.unsupported.first() {
        return Err(KError::new(format!(
            "the fluxdeck sandbox does not implement kustomize's '{f}' (in {ROOT}/{file})"
        ))
        .hint(format!(
            "remove '{f}' from {file}, or build this path with a real Flux: the sandbox implements \
             resources, bases, namespace, images, patches, labels, annotations, name prefix/suffix, replicas and sortOptions"
        )));
    }
    Ok(())
}

/// Builds a kustomization: its resources, then its transformers.
pub(crate) fn accumulate_target(
    ctx: &mut Ctx,
    dir: &str,
    k: &Kust,
    chain: &mut Vec<String>,
    origin: Option<&str>,
) -> KResult<Vec<Res>> {
    let mut list = Vec::new();
    accumulate_resources(ctx, dir, &k.resources, chain, origin, &mut list)
        .map_err(|e| e.wrap("accumulating resources"))?;
    transform::run(ctx, dir, k, &mut list)?;
    Ok(list)
}

fn accumulate_resources(
    ctx: &mut Ctx,
    dir: &str,
    paths: &[String],
    chain: &mut Vec<String>,
    origin: Option<&str>,
    list: &mut Vec<Res>,
) -> KResult<()> {
    for path in paths {
        if is_remote(path) {
            return Err(KError::new(format!(
                "accumulating resources from '{path}': remote resources are not supported by the fluxdeck sandbox (it has no network)"
            ))
            .hint("vendor the remote base into the repository, or build this path with a real Flux"));
        }
        let err_f = match accumulate_file(ctx, dir, path, origin, list) {
            Ok(()) => continue,
            Err(e) => e,
        };
        let sub = match new_root(ctx, dir, path, chain) {
            Ok(sub) => sub,
            Err(err_l) => {
                if err_f.is_malformed_yaml() {
                    return Err(err_f);
                }
                let hint = err_f.hint.clone().or(err_l.hint.clone());
                let mut e = err_l.wrap(format!("accumulation err='{}'", err_f.msg));
                e.hint = hint;
                return Err(e);
            }
        };
        let sub_origin = origin.map(|o| join_rel(o, path));
        accumulate_directory(ctx, &sub, chain, sub_origin.as_deref(), list)
            .map_err(|e| e.wrap(format!("accumulation err='{}'", err_f.msg)))?;
    }
    Ok(())
}

fn accumulate_file(
    ctx: &mut Ctx,
    dir: &str,
    path: &str,
    origin: Option<&str>,
    list: &mut Vec<Res>,
) -> KResult<()> {
    let from = format!("accumulating resources from '{path}'");
    let bytes = ctx.load(dir, path).map_err(|e| e.wrap(&from))?;
    let docs = yaml::documents(bytes).map_err(|e| {
        KError::new(format!("MalformedYAMLError: {e} in File: {path}"))
            .wrap(&from)
            .hint(format!("fix the YAML of '{path}' (in directory '{dir}')"))
    })?;
    let objs = objects_from_docs(docs).map_err(|e| {
        KError::new(e).wrap(&from).hint(format!(
            "every document of '{path}' needs apiVersion, kind and metadata.name"
        ))
    })?;
    ctx.charge_objects(objs.len())?;
    let origin_value = origin.map(|o| format!("path: {}\n", join_rel(o, path)));
    let mut fresh = Vec::with_capacity(objs.len());
    for obj in objs {
        let mut r = Res::new(obj);
        if let Some(v) = &origin_value {
            let md = meta_map(&mut r.obj);
            let anns = md
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(a) = anns {
                a.insert(ORIGIN_ANNOTATION.into(), Value::String(v.clone()));
            }
        }
        fresh.push(r);
    }
    let mut own = Vec::new();
    append_all(&mut own, fresh).map_err(|e| KError::new(e).wrap(&from))?;
    append_all(list, own).map_err(|e| {
        KError::new(e)
            .wrap(format!("merging resources from '{path}'"))
            .hint("the same object (kind, name, namespace) is listed twice: remove one, or patch it instead")
    })
}

/// kustomize's `FileLoader.New`: a directory resource, checked for escapes and cycles.
fn new_root(ctx: &Ctx, dir: &str, path: &str, chain: &[String]) -> KResult<String> {
    if path.is_empty() {
        return Err(KError::new("new root cannot be empty"));
    }
    if path.starts_with('/') {
        return Err(KError::new(format!("new root '{path}' cannot be absolute"))
            .hint("resources are paths relative to the kustomization's directory"));
    }
    let r = resolve(dir, path);
    let must = "must build at directory";
    let Some(rel) = r.rel else {
        return Err(KError::new(format!(
            "{must}: not a valid directory: fs-security-constraint abs {abs}: path '{abs}' is not in or below '{ROOT}'",
            abs = r.abs
        ))
        .hint(format!("'{path}' leaves the repository: Flux builds only inside the source artifact")));
    };
    if !ctx.tree.is_dir(&rel) {
        if ctx.tree.file(&rel).is_some() {
            return Err(KError::new(format!(
                "{must}: '{}': file is not directory",
                r.abs
            )));
        }
        return Err(KError::new(format!(
            "{must}: not a valid directory: evalsymlink failure on '{abs}' : lstat {abs}: no such file or directory",
            abs = r.abs
        )));
    }
    let contains = |d: &str| rel.is_empty() || d == rel || d.starts_with(&format!("{rel}/"));
    if let Some(visited) = chain.iter().rev().find(|d| contains(d)) {
        return Err(KError::new(format!(
            "cycle detected: candidate root '{}' contains visited root '{}'",
            r.abs,
            abs(visited)
        ))
        .hint(format!("'{path}' is the directory being built or one above it: a kustomization may only include directories beside or below it")));
    }
    if chain.len() >= ctx.limits.max_depth {
        return Err(KError::new(format!(
            "the fluxdeck sandbox stopped at {} nested kustomization directories (limit {})",
            chain.len(),
            ctx.limits.max_depth
        ))
        .hint("flatten the kustomization tree, or raise Limits::max_depth"));
    }
    Ok(rel)
}

fn accumulate_directory(
    ctx: &mut Ctx,
    dir: &str,
    chain: &mut Vec<String>,
    origin: Option<&str>,
    list: &mut Vec<Res>,
) -> KResult<()> {
    chain.push(dir.to_string());
    let result = (|| {
        let root = abs(dir);
        let k = load_kust(ctx, dir)
            .map_err(|e| e.wrap(format!("couldn't make target for path '{root}'")))?;
        if k.kind == "Component" {
            return Err(
                KError::new(format!("expected kind != 'Component' for path '{root}'")).hint(
                    "Components are listed under components:, which the sandbox does not implement",
                ),
            );
        }
        let sub = accumulate_target(ctx, dir, &k, chain, origin)
            .map_err(|e| e.wrap(format!("recursed accumulation of path '{root}'")))?;
        append_all(list, sub).map_err(|e| {
            KError::new(e)
                .wrap(format!("recursed merging from path '{root}'"))
                .hint("two directories produce the same object (kind, name, namespace): remove one")
        })
    })();
    chain.pop();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths_and_origin_joins() {
        assert!(is_remote("https://github.com/x/y"));
        assert!(is_remote("github.com/x/y?ref=v1"));
        assert!(!is_remote("./github.com"));
        assert_eq!(join_rel("", "./a.yaml"), "a.yaml");
        assert_eq!(join_rel("../../base", "./x.yaml"), "../../base/x.yaml");
        assert_eq!(join_rel("a/b", "../c"), "a/c");
    }
}
