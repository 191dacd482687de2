//! The repository as kustomize sees it: a read-only file tree under one root directory.
//!
//! Flux extracts the artifact into `/tmp/kustomization-<random>` and builds with a file system
//! that refuses anything outside it. The sandbox has no disk: the tree is the repository's file
//! map, and the root is a fixed stand-in, [`ROOT`], so messages are deterministic. Paths are
//! cleaned lexically the way Go's `filepath.Join` cleans them (there are no symlinks to follow).

use std::collections::BTreeMap;

/// The stand-in for Flux's temporary directory (`/tmp/kustomization-<random>`), used in every
/// path a message prints.
pub const ROOT: &str = "/tmp/kustomization-sandbox";

/// The files of a repository, keyed by their cleaned repository-relative path.
pub(crate) struct Tree<'a> {
    files: BTreeMap<String, &'a [u8]>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The entry's name (one path component).
    pub name: String,
    /// Whether it is a directory.
    pub dir: bool,
}

impl<'a> Tree<'a> {
    /// Indexes `files`; keys are cleaned (`./a//b` is `a/b`), keys that climb out of the
    /// repository (`../x`) or name nothing are dropped.
    pub fn new(files: &'a BTreeMap<String, Vec<u8>>) -> Tree<'a> {
        let files = files
            .iter()
            .filter_map(|(k, v)| {
                clean_rel(k)
                    .filter(|k| !k.is_empty())
                    .map(|k| (k, v.as_slice()))
            })
            .collect();
        Tree { files }
    }

    /// The bytes of the file at the repository-relative `rel`.
    pub fn file(&self, rel: &str) -> Option<&'a [u8]> {
        self.files.get(rel).copied()
    }

    /// Whether `rel` is a directory: the root always is, any other path is when a file lies
    /// below it (git has no empty directories).
    pub fn is_dir(&self, rel: &str) -> bool {
        if rel.is_empty() {
            return true;
        }
        let prefix = format!("{rel}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// The entries of directory `rel`, sorted by name as Go's `filepath.Walk` visits them.
    pub fn entries(&self, rel: &str) -> Vec<Entry> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut names: BTreeMap<String, bool> = BTreeMap::new();
        for (k, _) in self.files.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    names.insert(dir.to_string(), true);
                }
                None => {
                    names.entry(rest.to_string()).or_insert(false);
                }
            }
        }
        names
            .into_iter()
            .map(|(name, dir)| Entry { name, dir })
            .collect()
    }
}

/// A path as kustomize resolves it: its absolute, cleaned form (what messages print) and, when
/// it lies inside [`ROOT`], its repository-relative form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The absolute path, e.g. `/tmp/kustomization-sandbox/apps/base`.
    pub abs: String,
    /// The path relative to the repository root (`""` for the root), or `None` outside it.
    pub rel: Option<String>,
}

/// Resolves `p` (relative to directory `dir`, or absolute) like `filepath.Join(root/dir, p)`.
pub(crate) fn resolve(dir: &str, p: &str) -> Resolved {
    let abs = if p.starts_with('/') {
        clean_abs(p)
    } else {
        clean_abs(&format!("{}/{p}", abs(dir)))
    };
    let rel = if abs == ROOT {
        Some(String::new())
    } else {
        abs.strip_prefix(ROOT)
            .and_then(|r| r.strip_prefix('/'))
            .map(str::to_string)
    };
    Resolved { abs, rel }
}

/// The absolute form of a repository-relative path.
pub(crate) fn abs(rel: &str) -> String {
    if rel.is_empty() {
        ROOT.to_string()
    } else {
        format!("{ROOT}/{rel}")
    }
}

/// Joins a Flux `spec.path` to the root as `securejoin.SecureJoin` does: `..` never climbs
/// above the root, a leading `/` is ignored. Returns the repository-relative path.
pub(crate) fn secure_join(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// Cleans an absolute path lexically (`/a/./b/../c` is `/a/c`; `..` at `/` stays at `/`).
fn clean_abs(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Cleans a repository-relative path; `None` when it climbs above the repository.
fn clean_rel(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// The extension of a file name as Go's `filepath.Ext` reports it (`".yaml"`, or `""`).
pub(crate) fn ext(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) => &name[i..],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> BTreeMap<String, Vec<u8>> {
        paths.iter().map(|p| (p.to_string(), Vec::new())).collect()
    }

    #[test]
    fn resolves_like_filepath_join() {
        let cases = [
            (
                "apps",
                "./base",
                "/tmp/kustomization-sandbox/apps/base",
                Some("apps/base"),
            ),
            ("apps/x", "../../", "/tmp/kustomization-sandbox", Some("")),
            ("apps", "../../etc/passwd", "/tmp/etc/passwd", None),
            ("", "/etc/passwd", "/etc/passwd", None),
            (
                "a",
                "b//c/./d",
                "/tmp/kustomization-sandbox/a/b/c/d",
                Some("a/b/c/d"),
            ),
            (
                "",
                "../kustomization-sandbox2/x",
                "/tmp/kustomization-sandbox2/x",
                None,
            ),
        ];
        for (dir, p, want_abs, want_rel) in cases {
            let r = resolve(dir, p);
            assert_eq!(r.abs, want_abs, "{dir} + {p}");
            assert_eq!(r.rel.as_deref(), want_rel, "{dir} + {p}");
        }
    }

    #[test]
    fn secure_join_never_climbs() {
        assert_eq!(secure_join("./apps/overlays/dev"), "apps/overlays/dev");
        assert_eq!(secure_join("../../x"), "x");
        assert_eq!(secure_join("/abs/./y/.."), "abs");
        assert_eq!(secure_join(""), "");
        assert_eq!(secure_join("."), "");
    }

    #[test]
    fn lists_entries_in_walk_order_and_knows_directories() {
        let f = files(&[
            "a/b.yaml",
            "a/b/c.yaml",
            "a/a.yml",
            "./a//d/e/f",
            "../out",
            "z",
        ]);
        let t = Tree::new(&f);
        let names: Vec<(String, bool)> = t
            .entries("a")
            .into_iter()
            .map(|e| (e.name, e.dir))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a.yml".into(), false),
                ("b".into(), true),
                ("b.yaml".into(), false),
                ("d".into(), true)
            ]
        );
        assert!(t.is_dir("a/d/e"));
        assert!(!t.is_dir("a/b.yaml"));
        assert!(t.is_dir(""));
        assert!(t.file("a/d/e/f").is_some());
        assert!(t.file("out").is_none());
        assert_eq!(t.entries("").len(), 2);
    }

    #[test]
    fn ext_is_go_like() {
        assert_eq!(ext("x.yaml"), ".yaml");
        assert_eq!(ext("Kustomization"), "");
        assert_eq!(ext("a.b.yml"), ".yml");
    }
}
