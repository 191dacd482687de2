//! Unit tests of `setters::apply_tree` over real temporary directories.

use std::os::unix::fs::{PermissionsExt, symlink};

use super::*;
use crate::setters::test_support::{
    KUSTOMIZATION, fixture_policies as policies, kustomization_updated,
};

const KUSTOMIZATION_YML: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: container
    newDigest: sha256:1234 # {"$imagepolicy": "automation-ns:policy-with-digest:digest"}
patches:
  - patch: |
      - op: replace
        path: /spec/template/spec/containers/0/volumeMounts
    target:
      image: image # {"$imagepolicy": "automation-ns:policy-with-digest"}
"#;

const MARKED: &str = r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: foo
  namespace: bar
spec:
  containers:
  - name: c
    image: image:v1.0.0 # {"$imagepolicy": "automation-ns:policy"}
  - name: d
    image: image:v1.0.0 # {"$imagepolicy": "automation-ns:unchanged"}
"#;

const OTHERNS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: foo
  namespace: bar
spec:
  image: user:v1.0.0 # {"$imagepolicy": "other-namespace:policy"}
"#;

const UNMARKED: &str = "kind: Deployment\nimage: image:v1.0.0 # same image, left alone\n";

/// The upstream `setters/original` situations, with our own files.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("Kustomization"), KUSTOMIZATION).unwrap();
    fs::write(d.join("kustomization.yml"), KUSTOMIZATION_YML).unwrap();
    fs::write(d.join("marked.yaml"), MARKED).unwrap();
    fs::write(d.join("otherns.yaml"), OTHERNS).unwrap();
    fs::write(d.join("unmarked.yaml"), UNMARKED).unwrap();
    symlink("testing.yaml", d.join("test.yaml")).unwrap();
    dir
}

#[test]
fn upstream_fixture_situations_in_place() {
    let dir = fixture();
    let d = dir.path();
    let result = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    assert_eq!(
        result.changed_files,
        ["Kustomization", "kustomization.yml", "marked.yaml"]
    );
    assert!(result.problems.is_empty(), "{:?}", result.problems);
    let summary: Vec<(&str, &str, &str)> = result
        .changes
        .iter()
        .map(|c| {
            (
                c.file.as_str(),
                c.change.setter.as_str(),
                c.change.new_value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Kustomization",
                "automation-ns:policy:name",
                "index.repo.fake/updated"
            ),
            ("Kustomization", "automation-ns:policy:tag", "v1.0.1"),
            (
                "kustomization.yml",
                "automation-ns:policy-with-digest:digest",
                "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be"
            ),
            (
                "kustomization.yml",
                "automation-ns:policy-with-digest",
                "image:v1.0.0@sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be"
            ),
            (
                "marked.yaml",
                "automation-ns:policy",
                "index.repo.fake/updated:v1.0.1"
            ),
        ]
    );
    assert_eq!(fs::read_to_string(d.join("otherns.yaml")).unwrap(), OTHERNS);
    assert_eq!(
        fs::read_to_string(d.join("unmarked.yaml")).unwrap(),
        UNMARKED
    );
    let yml = fs::read_to_string(d.join("kustomization.yml")).unwrap();
    assert!(yml.contains("  - patch: |\n      - op: replace\n"), "{yml}");
    assert_eq!(
        fs::read_to_string(d.join("Kustomization")).unwrap(),
        kustomization_updated(KUSTOMIZATION)
    );
    assert!(
        fs::symlink_metadata(d.join("test.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // a second run finds nothing to do
    let again = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    assert!(again.changes.is_empty() && again.written.is_empty());
}

#[test]
fn dir_output_writes_only_changed_files_under_their_relative_paths() {
    let dir = fixture();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/deep.yaml"), MARKED).unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = apply_tree(
        dir.path(),
        ".",
        &policies(),
        Output::Dir(out.path().to_owned()),
    )
    .unwrap();
    let mut written: Vec<String> = result
        .written
        .iter()
        .map(|p| p.strip_prefix(out.path()).unwrap().display().to_string())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "Kustomization",
            "kustomization.yml",
            "marked.yaml",
            "sub/deep.yaml"
        ]
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("marked.yaml")).unwrap(),
        MARKED
    );
    assert!(!out.path().join("otherns.yaml").exists());
    assert!(
        fs::read_to_string(out.path().join("sub/deep.yaml"))
            .unwrap()
            .contains("index.repo.fake/updated:v1.0.1")
    );
}

#[test]
fn dry_run_writes_nothing_and_returns_a_unified_diff() {
    let dir = fixture();
    let result = apply_tree(dir.path(), ".", &policies(), Output::DryRun).unwrap();
    assert!(result.written.is_empty());
    assert_eq!(
        fs::read_to_string(dir.path().join("marked.yaml")).unwrap(),
        MARKED
    );
    let diff = result.diff.unwrap();
    assert!(
        diff.contains("--- a/marked.yaml\n+++ b/marked.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-    image: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:policy\"}\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+    image: index.repo.fake/updated:v1.0.1 # {\"$imagepolicy\": \"automation-ns:policy\"}\n"),
        "{diff}"
    );
    let empty = tempfile::tempdir().unwrap();
    let nothing = apply_tree(empty.path(), ".", &policies(), Output::DryRun).unwrap();
    assert_eq!(nothing.diff.as_deref(), Some(""));
}

#[test]
fn only_yaml_names_with_the_quoted_token_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["a.json", "b.tpl", "c.txt", "kustomization", "d.yaml.bak"] {
        fs::write(d.join(name), MARKED).unwrap();
    }
    // the token without quotes is not screened in, so this broken YAML is no problem
    fs::write(d.join("helm.yaml"), "{{ if }}: $imagepolicy\n  - : [\n").unwrap();
    let result = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    assert!(result.changes.is_empty() && result.problems.is_empty());
    assert_eq!(fs::read_to_string(d.join("a.json")).unwrap(), MARKED);
}

#[test]
fn problem_files_are_reported_and_left_alone_while_others_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let helm =
        "image: {{ .Values.image }} # {\"$imagepolicy\": \"automation-ns:policy\"}\n  - : [\n";
    fs::write(d.join("a-helm.yaml"), helm).unwrap();
    let mut latin1 = MARKED.as_bytes().to_vec();
    latin1.extend_from_slice(b"# caf\xe9\n");
    fs::write(d.join("b-latin1.yaml"), &latin1).unwrap();
    let mut binary = vec![0u8, 159, 146, 150, 255];
    binary.extend_from_slice(TOKEN.as_bytes());
    fs::write(d.join("c-binary.yml"), &binary).unwrap();
    let block = "img: | # {\"$imagepolicy\": \"automation-ns:policy\"}\n  x\n";
    fs::write(d.join("d-block.yaml"), block).unwrap();
    fs::write(d.join("e-good.yaml"), MARKED).unwrap();
    let result = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    let files: Vec<_> = result.problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "a-helm.yaml",
            "b-latin1.yaml",
            "c-binary.yml",
            "d-block.yaml"
        ]
    );
    assert!(result.problems[0].cause.contains("not valid YAML"));
    assert!(result.problems[1].cause.contains("UTF-8"));
    assert!(result.problems[3].cause.contains("block scalar"));
    assert_eq!(result.changed_files, ["e-good.yaml"]);
    assert_eq!(fs::read_to_string(d.join("a-helm.yaml")).unwrap(), helm);
    assert_eq!(fs::read(d.join("b-latin1.yaml")).unwrap(), latin1);
    assert_eq!(fs::read_to_string(d.join("d-block.yaml")).unwrap(), block);
}

#[test]
fn big_files_are_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("big.yaml"), MARKED).unwrap();
    let options = TreeOptions {
        max_file_size: MARKED.len() as u64 - 1,
    };
    let result = apply_tree_with(dir.path(), ".", &policies(), Output::InPlace, &options).unwrap();
    assert_eq!(result.problems.len(), 1);
    assert!(
        result.problems[0].cause.contains("-byte limit"),
        "{:?}",
        result.problems
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("big.yaml")).unwrap(),
        MARKED
    );
}

#[test]
fn symlinks_never_lead_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.yaml"), MARKED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    symlink(outside.path(), d.join("linked-dir")).unwrap();
    symlink(
        outside.path().join("secret.yaml"),
        d.join("linked-file.yaml"),
    )
    .unwrap();
    symlink("nowhere.yaml", d.join("dangling.yaml")).unwrap();
    let result = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    assert!(result.changes.is_empty());
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    assert_eq!(result.problems[0].file, "linked-file.yaml");
    assert!(result.problems[0].cause.contains("outside the repository"));
    assert_eq!(
        fs::read_to_string(outside.path().join("secret.yaml")).unwrap(),
        MARKED
    );
    let escape = apply_tree(d, "linked-dir", &policies(), Output::InPlace).unwrap_err();
    assert!(
        escape.to_string().contains("outside the repository"),
        "{escape}"
    );
}

#[test]
fn a_symlink_inside_the_root_is_written_through_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("real")).unwrap();
    fs::write(d.join("real/app.yaml"), MARKED).unwrap();
    fs::create_dir(d.join("apps")).unwrap();
    symlink("../real/app.yaml", d.join("apps/link.yaml")).unwrap();
    let result = apply_tree(d, ".", &policies(), Output::InPlace).unwrap();
    assert_eq!(result.changed_files, ["apps/link.yaml"]);
    assert_eq!(result.changes.len(), 1);
    assert!(
        fs::symlink_metadata(d.join("apps/link.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(d.join("real/app.yaml"))
            .unwrap()
            .contains("index.repo.fake/updated:v1.0.1")
    );
}

#[test]
fn update_path_is_joined_securely_and_files_are_relative_to_it() {
    let dir = fixture();
    let d = dir.path();
    fs::create_dir_all(d.join("deploy/dev")).unwrap();
    fs::write(d.join("deploy/dev/app.yaml"), MARKED).unwrap();
    let result = apply_tree(d, "deploy/../deploy/./dev", &policies(), Output::DryRun).unwrap();
    assert_eq!(result.changed_files, ["app.yaml"]);
    // `..` cannot climb above the root: it is clamped there, as securejoin does
    let clamped = apply_tree(d, "../../..", &policies(), Output::DryRun).unwrap();
    assert_eq!(clamped.changed_files.len(), 4);
    let missing = apply_tree(d, "nope", &policies(), Output::DryRun).unwrap_err();
    assert!(
        missing.to_string().contains("update path `nope`"),
        "{missing}"
    );
    let single = apply_tree(d, "/deploy/dev/app.yaml", &policies(), Output::DryRun).unwrap();
    assert_eq!(single.changed_files, ["app.yaml"]);
    let no_root = apply_tree(&d.join("absent"), ".", &policies(), Output::DryRun).unwrap_err();
    assert!(no_root.to_string().contains("repository root"), "{no_root}");
}

#[test]
fn in_place_writes_keep_permissions_and_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    fs::write(&file, MARKED).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    apply_tree(dir.path(), ".", &policies(), Output::InPlace).unwrap();
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["app.yaml"]);
}

#[test]
fn token_screen_needs_the_quotes() {
    assert!(contains_token(b"x: y # {\"$imagepolicy\": \"a:b\"}"));
    assert!(!contains_token(b"x: y # {$imagepolicy: a:b}"));
    assert!(!contains_token(b"\"$imagepolic"));
    assert!(!contains_token(b""));
}

#[test]
fn a_100_mb_file_is_skipped_with_a_message_and_empty_files_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let big = fs::File::create(dir.path().join("huge.yaml")).unwrap();
    // sparse: 100 MB on paper, nothing on disk
    big.set_len(100 * 1024 * 1024).unwrap();
    fs::write(dir.path().join("empty.yaml"), "").unwrap();
    fs::write(dir.path().join("only-token.yaml"), TOKEN).unwrap();
    let deep = format!("{}{TOKEN}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    fs::write(dir.path().join("deep.yaml"), deep).unwrap();
    let result = apply_tree(dir.path(), ".", &policies(), Output::InPlace).unwrap();
    let huge: Vec<_> = result
        .problems
        .iter()
        .filter(|p| p.file == "huge.yaml")
        .collect();
    assert_eq!(huge.len(), 1, "{:?}", result.problems);
    assert!(
        huge[0]
            .cause
            .contains("104857600 bytes, over the 10485760-byte limit")
    );
    assert!(result.changes.is_empty());
    assert!(result.problems.iter().all(|p| p.file != "empty.yaml"));
}

#[test]
fn in_memory_files_are_screened_and_rewritten_like_a_tree_on_disk() {
    let dir = fixture();
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_symlink() {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir.path())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    let (written, changes, problems) = apply_files(&files, &policies());
    let on_disk = apply_tree(dir.path(), ".", &policies(), Output::DryRun).unwrap();
    let mut names: Vec<&str> = written.iter().map(|(p, _)| p.as_str()).collect();
    names.sort();
    let mut disk_names: Vec<&str> = on_disk.changed_files.iter().map(String::as_str).collect();
    disk_names.sort();
    assert!(!names.is_empty());
    assert_eq!(names, disk_names);
    assert_eq!(changes.len(), on_disk.changes.len());
    assert_eq!(problems.len(), on_disk.problems.len());
}
