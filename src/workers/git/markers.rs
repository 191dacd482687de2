//! The setter markers of a repository at a commit: every `# {"$imagepolicy": "ns:name[:field]"}`
//! comment in its YAML files, with file and line, so the release lanes can say when no
//! marker refers to a policy, or when the marker lies outside an automation's `update.path`.

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::image_change::{MARKER, marked_value};

/// One marker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The file, relative to the repository root.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
    /// The setter it names (`ns:policy:tag`).
    pub setter: String,
}

/// Files larger than this are not read (a config repository's YAML is small).
const MAX_FILE: usize = 1 << 20;
/// At most this many markers are reported.
const MAX_MARKERS: usize = 10_000;

/// The markers in the `.yaml`/`.yml` files of `commit`'s tree, by file and line.
pub fn scan(repo: &Repository, commit: Oid) -> Result<Vec<Marker>, git2::Error> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut out = Vec::new();
    let mut failed = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return TreeWalkResult::Ok;
        };
        if entry.kind() != Some(ObjectType::Blob)
            || !(name.ends_with(".yaml") || name.ends_with(".yml"))
        {
            return TreeWalkResult::Ok;
        }
        let blob = match repo.find_blob(entry.id()) {
            Ok(b) => b,
            Err(e) => {
                failed = Some(e);
                return TreeWalkResult::Abort;
            }
        };
        if blob.size() > MAX_FILE || blob.is_binary() {
            return TreeWalkResult::Ok;
        }
        let text = String::from_utf8_lossy(blob.content());
        for (i, line) in text.lines().enumerate() {
            if line.contains(MARKER)
                && let Some((_, setter)) = marked_value(line)
            {
                out.push(Marker {
                    file: format!("{dir}{name}"),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    setter,
                });
            }
        }
        if out.len() >= MAX_MARKERS {
            return TreeWalkResult::Abort;
        }
        TreeWalkResult::Ok
    })
    .or_else(|e| {
        if out.len() >= MAX_MARKERS {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("deploy/app")).unwrap();
        std::fs::write(
            dir.path().join("deploy/app/kustomization.yaml"),
            "images:\n- name: web\n  newTag: v1 # {\"$imagepolicy\": \"shop:web:tag\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("README.md"),
            "# {\"$imagepolicy\": \"x:y\"}\n",
        )
        .unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let oid = repo
            .commit(Some("HEAD"), &sig, &sig, "m", &tree, &[])
            .unwrap();
        let markers = scan(&repo, oid).unwrap();
        assert_eq!(
            markers,
            [Marker {
                file: "deploy/app/kustomization.yaml".to_owned(),
                line: 3,
                setter: "shop:web:tag".to_owned()
            }]
        );
    }
}
