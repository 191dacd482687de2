//! The reference pipeline's setter run: the Sock Shop development overlay with the front-end
//! policy, through the library and through the `fluxdeck setters` binary.

use std::fs;
use std::process::Command;

use crate::support::setters::{copy_tree, seed_repo};

use fluxdeck::setters::{
    ImageRef, Output, PolicyRef, TemplateData, TemplateError, apply_tree, commit_message,
};

const OVERLAY: &str = "deploy/kubernetes/overlays/development";
const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";
const POLICY: &str = "sock-shop:sock-shop-front-end=123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24";

fn policy() -> PolicyRef {
    PolicyRef {
        namespace: "sock-shop".into(),
        name: "sock-shop-front-end".into(),
        latest: ImageRef::parse(&format!("{IMAGE}:main-1f49071-24")).unwrap(),
    }
}

fn expected_kustomization(original: &str) -> String {
    original
        .replace(
            "newName: __ACCOUNT_ID__.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end #",
            &format!("newName: {IMAGE} #"),
        )
        .replace("newTag: latest #", "newTag: main-1f49071-24 #")
}

#[test]
fn reference_overlay_changes_new_name_and_new_tag_and_nothing_else() {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&seed_repo(), repo.path());
    let result = apply_tree(repo.path(), OVERLAY, &[policy()], Output::InPlace).unwrap();

    let summary: Vec<(&str, &str, &str, &str)> = result
        .changes
        .iter()
        .map(|c| {
            (
                c.file.as_str(),
                c.change.setter.as_str(),
                c.change.old_value.as_str(),
                c.change.new_value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "kustomization.yaml",
                "sock-shop:sock-shop-front-end:name",
                "__ACCOUNT_ID__.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end",
                IMAGE
            ),
            (
                "kustomization.yaml",
                "sock-shop:sock-shop-front-end:tag",
                "latest",
                "main-1f49071-24"
            ),
        ]
    );
    assert!(result.problems.is_empty());
    for change in &result.changes {
        assert_eq!(change.change.object.kind, "Kustomization");
        assert_eq!(
            change.change.object.api_version,
            "kustomize.config.k8s.io/v1beta1"
        );
    }
    // byte for byte: only the two values differ, everything else of the tree is untouched
    let original =
        fs::read_to_string(seed_repo().join(OVERLAY).join("kustomization.yaml")).unwrap();
    let rewritten =
        fs::read_to_string(repo.path().join(OVERLAY).join("kustomization.yaml")).unwrap();
    assert_eq!(rewritten, expected_kustomization(&original));
    let base = "deploy/kubernetes/base";
    for file in ["kustomization.yaml", "complete-demo.yaml"] {
        assert_eq!(
            fs::read(repo.path().join(base).join(file)).unwrap(),
            fs::read(seed_repo().join(base).join(file)).unwrap()
        );
    }

    // The reference automation's template prints each new value with Go's println: the name
    // changes too (the seed has an account placeholder), so Go prints two lines.
    let template = "{{range .Changed.Changes}}{{println .NewValue}}{{end}}";
    let data = TemplateData {
        automation_namespace: "sock-shop".into(),
        automation_name: "sock-shop-front-end".into(),
        changes: result.changes.clone(),
        values: Default::default(),
    };
    assert_eq!(
        commit_message(Some(template), &data).unwrap(),
        format!("{IMAGE}\nmain-1f49071-24\n")
    );
    // With the name already right, only the tag changes and the message is the tag alone.
    let again = tempfile::tempdir().unwrap();
    copy_tree(&seed_repo(), again.path());
    let overlay_file = again.path().join(OVERLAY).join("kustomization.yaml");
    let named = fs::read_to_string(&overlay_file)
        .unwrap()
        .replace("__ACCOUNT_ID__", "123456789012");
    fs::write(&overlay_file, named).unwrap();
    let tag_only = apply_tree(again.path(), OVERLAY, &[policy()], Output::InPlace).unwrap();
    let data = TemplateData {
        changes: tag_only.changes,
        ..data
    };
    assert_eq!(
        commit_message(Some(template), &data).unwrap(),
        "main-1f49071-24\n"
    );
    assert_eq!(
        commit_message(Some("{{ .Updated }}"), &data).unwrap_err(),
        TemplateError::RemovedUpdated
    );
}

fn fluxdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fluxdeck"))
        .args(args)
        .env("XDG_STATE_HOME", std::env::temp_dir())
        .output()
        .unwrap()
}

#[test]
fn cli_rewrites_the_reference_overlay_in_place_and_prints_the_change_list() {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&seed_repo(), repo.path());
    let dir = repo.path().join(OVERLAY);
    let out = fluxdeck(&[
        "setters",
        "--path",
        dir.to_str().unwrap(),
        "--policy",
        POLICY,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        format!(
            "kustomization.yaml  Kustomization  sock-shop:sock-shop-front-end:name: __ACCOUNT_ID__.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end -> {IMAGE}\n\
             kustomization.yaml  Kustomization  sock-shop:sock-shop-front-end:tag: latest -> main-1f49071-24\n\
             2 changes in 1 file (written in place); 0 problem files\n"
        )
    );
    let original =
        fs::read_to_string(seed_repo().join(OVERLAY).join("kustomization.yaml")).unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("kustomization.yaml")).unwrap(),
        expected_kustomization(&original)
    );
}

#[test]
fn cli_dry_run_json_writes_nothing_and_reports_a_diff() {
    let dir = seed_repo().join(OVERLAY);
    let before = fs::read(dir.join("kustomization.yaml")).unwrap();
    let out = fluxdeck(&[
        "setters",
        "--path",
        dir.to_str().unwrap(),
        "--policy",
        POLICY,
        "--dry-run",
        "-o",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(dir.join("kustomization.yaml")).unwrap(), before);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["dryRun"], true);
    assert_eq!(
        json["changedFiles"],
        serde_json::json!(["kustomization.yaml"])
    );
    assert_eq!(json["written"], serde_json::json!([]));
    assert_eq!(json["changes"][1]["newValue"], "main-1f49071-24");
    assert_eq!(
        json["changes"][1]["setter"],
        "sock-shop:sock-shop-front-end:tag"
    );
    assert_eq!(json["changes"][1]["object"]["kind"], "Kustomization");
    assert_eq!(json["changes"][1]["missingMetadata"], false);
    let diff = json["diff"].as_str().unwrap();
    assert!(
        diff.contains(
            "-  newTag: latest # {\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("+  newTag: main-1f49071-24 # {\"$imagepolicy\": \"sock-shop:sock-shop-front-end:tag\"}\n"), "{diff}");
}

#[test]
fn cli_out_writes_only_changed_files_elsewhere() {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&seed_repo(), repo.path());
    let out_dir = tempfile::tempdir().unwrap();
    let out = fluxdeck(&[
        "setters",
        "--path",
        repo.path().to_str().unwrap(),
        "--policy",
        POLICY,
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = out_dir.path().join(OVERLAY).join("kustomization.yaml");
    assert!(
        fs::read_to_string(written)
            .unwrap()
            .contains("newTag: main-1f49071-24")
    );
    assert!(!out_dir.path().join("deploy/kubernetes/base").exists());
    assert!(
        fs::read_to_string(repo.path().join(OVERLAY).join("kustomization.yaml"))
            .unwrap()
            .contains("newTag: latest")
    );
}

#[test]
fn cli_errors_exit_1_and_name_the_fix() {
    let dir = seed_repo().join(OVERLAY);
    let path = dir.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["setters", "--path", path, "--policy", "front-end=app:1"],
            "NS:NAME=IMAGE:TAG",
        ),
        (
            vec!["setters", "--path", path, "--policy", "ns:p=app"],
            "neither a tag nor a digest",
        ),
        (vec!["setters", "--path", path], "no --policy given"),
        (vec!["setters", "--policy", POLICY], "no --path given"),
        (
            vec![
                "setters",
                "--path",
                "/nonexistent/fluxdeck",
                "--policy",
                POLICY,
            ],
            "repository root",
        ),
        (
            vec![
                "setters", "--path", path, "--policy", "a:b=x:1", "--policy", "a:b=x:2",
            ],
            "given twice",
        ),
    ] {
        let out = fluxdeck(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn cli_problem_files_warn_but_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("chart.yaml"),
        "image: {{ .Values.image }} # {\"$imagepolicy\": \"sock-shop:sock-shop-front-end\"}\n  - : [\n",
    )
    .unwrap();
    let out = fluxdeck(&[
        "setters",
        "--path",
        dir.path().to_str().unwrap(),
        "--policy",
        POLICY,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: chart.yaml: line "), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 changes in 0 files (written in place); 1 problem file\n")
    );
}

#[test]
fn cli_help_is_the_manual() {
    let out = fluxdeck(&["setters", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "Examples:",
        "Exit codes:",
        "\"changes\"",
        "NS:NAME:digest",
        "--dry-run",
        "--out <DIR>",
        "--max-file-size",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}
