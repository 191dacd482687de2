//! `fluxdeck setters`: apply image policies' latest refs to `$imagepolicy` markers (see
//! `crate::setters`).

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::global::GlobalArgs;
use crate::setters::{
    DEFAULT_MAX_FILE_SIZE, FileChange, ImageRef, Output, PolicyRef, TreeOptions, TreeResult,
    apply_tree_with,
};

const LONG_ABOUT: &str = r#"Rewrite `$imagepolicy` setter markers in a tree of YAML files, as Flux's
image-automation-controller does when an ImageUpdateAutomation runs (update strategy Setters).

A marker is a comment on a value:

    image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
    newTag: 1.0.0                # {"$imagepolicy": "flux-system:app:tag"}

For a policy NS:NAME whose latest ref is IMAGE:TAG@DIGEST, the marker values write:
  NS:NAME         IMAGE:TAG[@DIGEST] (the whole value is replaced)
  NS:NAME:tag     TAG
  NS:NAME:name    IMAGE
  NS:NAME:digest  DIGEST ("" without one)
Markers naming other policies, other namespaces or other suffixes are left alone.

Files read: `*.yaml`, `*.yml` and files named `Kustomization`, holding the text
"$imagepolicy" with its quotes. Only the marked values change: comments, indentation, quoting
style, line endings and every other byte stay as they are. A file that does not parse, is not
UTF-8, is larger than --max-file-size, or whose marked value cannot be rewritten in place
(block scalar, multi-line value, explicit tag, flow collection) is reported as a problem and
left alone. Symlinked directories are never entered, symlinked files only when they point
inside DIR.

Output: the change list, one line per change (FILE  OBJECT  SETTER: OLD -> NEW), then a
summary; problems go to stderr as warnings. With -o json, one JSON object on stdout:
  {
    "dryRun": bool,
    "changes": [{"file": "kustomization.yaml",
                 "object": {"apiVersion": "...", "kind": "...", "name": "...", "namespace": "..."},
                 "setter": "NS:NAME:tag", "oldValue": "...", "newValue": "...",
                 "missingMetadata": false}],
    "problems": [{"file": "...", "cause": "..."}],
    "changedFiles": ["kustomization.yaml"],
    "written": ["/abs/path/of/each/written/file"],
    "diff": "unified diff" (with --dry-run) or null
  }
File paths are relative to DIR. "missingMetadata" marks a change in a document with no
apiVersion, kind or metadata, which Flux would not list in its commit's change set.

Exit codes: 0 when the run completed (with or without changes, and even with problem files,
which Flux skips too); 1 on an error (bad --policy, unreadable DIR, a failed write). As for
every fluxdeck command, a malformed command line (unknown flag, bad -o value) is reported by
the argument parser with exit code 2.

Examples:
  # the reference pipeline: bump the Sock Shop front-end in the development overlay
  fluxdeck setters --path deploy/kubernetes/overlays/development \
    --policy sock-shop:sock-shop-front-end=123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24

  # preview only: print the change list and a unified diff, write nothing
  fluxdeck setters --path . --policy flux-system:podinfo=ghcr.io/stefanprodan/podinfo:6.5.0 --dry-run

  # several policies, a digest, changed files written elsewhere, JSON for scripts
  fluxdeck setters --path ./clusters/prod -o json --out /tmp/changed \
    --policy apps:web=registry.example.com:5000/web:2.1.0@sha256:0123abcd \
    --policy apps:worker=registry.example.com:5000/worker:2.1.0"#;

/// Arguments of `fluxdeck setters`.
#[derive(Debug, Args)]
#[command(
    after_long_help = LONG_ABOUT,
    after_help = "See `fluxdeck setters --help` for the manual: markers, output shape, exit codes, examples."
)]
pub struct SettersArgs {
    /// Directory to update (Flux's `spec.update.path`); nothing outside it is read or written.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// A policy and its latest ref, as NS:NAME=IMAGE[:TAG][@DIGEST] (repeatable).
    #[arg(long = "policy", value_name = "NS:NAME=IMAGE[:TAG][@DIGEST]")]
    pub policies: Vec<String>,
    /// Write only the changed files under this directory, at their paths relative to DIR,
    /// instead of rewriting them in place.
    #[arg(long, value_name = "DIR", conflicts_with = "dry_run")]
    pub out: Option<PathBuf>,
    /// Write nothing; print the change list and a unified diff.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Skip (and report) files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
}

/// How the result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per change, then a summary.
    Text,
    /// One JSON object (shape in `--help`).
    Json,
}

/// Parses one `--policy` value: `NS:NAME=IMAGE[:TAG][@DIGEST]`.
pub fn parse_policy(value: &str) -> anyhow::Result<PolicyRef> {
    let fix = "write it as NS:NAME=IMAGE:TAG[@DIGEST], e.g. sock-shop:front-end=registry.example.com/app:1.2.3";
    let Some((policy, image)) = value.split_once('=') else {
        bail!("invalid --policy `{value}`: no `=` between the policy and its image; {fix}");
    };
    let Some((namespace, name)) = policy.split_once(':') else {
        bail!("invalid --policy `{value}`: the policy `{policy}` has no namespace; {fix}");
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    if !valid(namespace) || !valid(name) {
        bail!(
            "invalid --policy `{value}`: `{namespace}` and `{name}` must be Kubernetes names (letters, digits, `-`, `.`); {fix}"
        );
    }
    let latest =
        ImageRef::parse(image).with_context(|| format!("invalid --policy `{value}`: {fix}"))?;
    Ok(PolicyRef {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        latest,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    dry_run: bool,
    #[serde(flatten)]
    result: &'a TreeResult,
}

/// Runs `fluxdeck setters`.
pub fn run(_global: &GlobalArgs, args: SettersArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = &args.path else {
        bail!("no --path given: pass the directory to update, e.g. --path deploy/overlays/dev");
    };
    if args.policies.is_empty() {
        bail!(
            "no --policy given: pass at least one NS:NAME=IMAGE:TAG, e.g. --policy sock-shop:front-end=registry.example.com/app:1.2.3"
        );
    }
    let mut policies = Vec::with_capacity(args.policies.len());
    let mut seen = HashSet::new();
    for value in &args.policies {
        let policy = parse_policy(value)?;
        if !seen.insert((policy.namespace.clone(), policy.name.clone())) {
            bail!(
                "--policy {}:{} is given twice: keep one value per policy",
                policy.namespace,
                policy.name
            );
        }
        policies.push(policy);
    }
    let output = match (&args.out, args.dry_run) {
        (_, true) => Output::DryRun,
        (Some(out), false) => Output::Dir(out.clone()),
        (None, false) => Output::InPlace,
    };
    let options = TreeOptions {
        max_file_size: args.max_file_size,
    };
    let result = apply_tree_with(path, ".", &policies, output.clone(), &options)?;
    let mut stdout = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            let report = JsonReport {
                dry_run: args.dry_run,
                result: &result,
            };
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        Format::Text => {
            for problem in &result.problems {
                eprintln!(
                    "warning: {}: {} (file left alone)",
                    problem.file, problem.cause
                );
            }
            stdout.write_all(render_text(&result, &output).as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_object(change: &FileChange) -> String {
    let object = &change.change.object;
    if change.change.missing_metadata {
        return "(no metadata)".to_owned();
    }
    let mut parts = vec![if object.kind.is_empty() {
        "(no kind)"
    } else {
        object.kind.as_str()
    }];
    if !object.namespace.is_empty() {
        parts.push(&object.namespace);
    }
    if !object.name.is_empty() {
        parts.push(&object.name);
    }
    parts.join("/")
}

/// The text report: one line per change, a summary, then the diff of a dry run.
fn render_text(result: &TreeResult, output: &Output) -> String {
    let mut out = String::new();
    for fc in &result.changes {
        out.push_str(&format!(
            "{}  {}  {}: {} -> {}\n",
            fc.file,
            describe_object(fc),
            fc.change.setter,
            fc.change.old_value,
            fc.change.new_value
        ));
    }
    let n = result.changes.len();
    let files = result.changed_files.len();
    let where_ = match output {
        Output::InPlace => "written in place".to_owned(),
        Output::Dir(dir) => format!("written under {}", dir.display()),
        Output::DryRun => "dry run: nothing written".to_owned(),
    };
    out.push_str(&format!(
        "{n} change{} in {files} file{} ({where_}); {} problem file{}\n",
        if n == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
        result.problems.len(),
        if result.problems.len() == 1 { "" } else { "s" },
    ));
    if let Some(diff) = result.diff.as_deref().filter(|d| !d.is_empty()) {
        out.push('\n');
        out.push_str(diff);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_values_parse_and_bad_ones_name_the_fix() {
        let p = parse_policy("sock-shop:front-end=host:5000/app:1.2@sha256:ab").unwrap();
        assert_eq!(
            (p.namespace.as_str(), p.name.as_str()),
            ("sock-shop", "front-end")
        );
        assert_eq!(p.latest.to_string(), "host:5000/app:1.2@sha256:ab");
        for bad in [
            "front-end=app:1",
            "ns:front-end",
            "ns:=app:1",
            ":p=app:1",
            "ns:p:tag=app:1",
            "ns:p=app",
            "ns:p=",
            "ns:p=app:1@",
        ] {
            let err = format!("{:#}", parse_policy(bad).unwrap_err());
            assert!(err.contains("NS:NAME=IMAGE:TAG"), "{bad}: {err}");
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }
}
