//! image-automation-controller, for ImageUpdateAutomations: reads the checkout branch of
//! the source GitRepository, runs `crate::setters` on `spec.update.path` with the
//! ImagePolicies of the automation's namespace, renders `messageTemplate` with
//! `setters::template`, commits as `spec.git.commit.author` and moves the push branch only
//! from the commit it was built on (a fast-forward; a branch that moved meanwhile refuses the
//! push, which is a failed condition and a retry, never a force). Status as Flux writes it:
//! `lastPushCommit`, `lastPushTime`, `lastAutomationRunTime`, `observedPolicies`,
//! `observedSourceRevision`, Ready `repository up-to-date`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::events::FluxEvent;
use super::outcome::{Failure, Reconciled, interval_of};
use super::source::{DEFAULT_BRANCH, authorize, commit_of};
use super::world::World;
use crate::sandbox::apiserver::selectors::LabelSelector;
use crate::sandbox::apiserver::store::now_rfc3339;
use crate::sandbox::git::{self, Identity, NewCommit, SandboxGitError};
use crate::sandbox::labels::{match_labels, string_map};
use crate::setters::{self, ImageRef, PolicyRef, TemplateData};

/// The policies an automation applies: its namespace's ImagePolicies with a `latestRef`,
/// filtered by `spec.policySelector` (`matchLabels`); only those are read from the store.
fn policies(world: &World, ns: &str, selector: &Value) -> Vec<PolicyRef> {
    let wanted = match_labels(selector);
    let labels = LabelSelector::parse(&wanted.join(",")).unwrap_or_default();
    let mut out: Vec<PolicyRef> = world
        .list_selected("ImagePolicy", Some(ns), &labels)
        .into_iter()
        .filter_map(|p| {
            let latest = &p["status"]["latestRef"];
            Some(PolicyRef {
                namespace: ns.to_string(),
                name: p["metadata"]["name"].as_str()?.to_string(),
                latest: ImageRef {
                    name: latest["name"].as_str()?.to_string(),
                    tag: latest["tag"].as_str()?.to_string(),
                    digest: latest["digest"]
                        .as_str()
                        .filter(|d| !d.is_empty())
                        .map(str::to_string),
                },
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn observed(policies: &[PolicyRef]) -> Value {
    let mut m = Map::new();
    for p in policies {
        let mut v = json!({"name": p.latest.name, "tag": p.latest.tag});
        if let Some(d) = &p.latest.digest {
            v["digest"] = json!(d);
        }
        m.insert(p.name.clone(), v);
    }
    Value::Object(m)
}

/// `./deploy/x/` → `deploy/x`.
fn clean(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// One run.
pub async fn reconcile(world: &World, obj: &Value) -> Reconciled {
    let (ns, name) = super::world::ns_name(obj);
    let spec = &obj["spec"];
    let every = interval_of(obj);
    let run_time = now_rfc3339();
    let src = &spec["sourceRef"];
    let src_kind = src["kind"].as_str().unwrap_or("GitRepository");
    if src_kind != "GitRepository" {
        return Reconciled::failed(Failure::stalled(
            "InvalidSourceConfiguration",
            format!("source kind '{src_kind}' not supported; use GitRepository"),
        ));
    }
    let src_name = src["name"].as_str().unwrap_or_default();
    let src_ns = src["namespace"].as_str().unwrap_or(&ns);
    let Some(repo_obj) = world.get("GitRepository", src_ns, src_name) else {
        return Reconciled::failed(Failure::new(
            "SourceManagerFailed",
            format!(
                "failed to get source object: gitrepositories.source.toolkit.fluxcd.io \"{src_name}\" not found"
            ),
        ))
        .requeue(every);
    };
    let strategy = spec["update"]["strategy"].as_str().unwrap_or("Setters");
    if strategy != "Setters" {
        return Reconciled::failed(Failure::stalled(
            "InvalidUpdateStrategy",
            format!("unsupported update strategy: {strategy}"),
        ));
    }
    let checkout = spec["git"]["checkout"]["ref"]["branch"]
        .as_str()
        .or_else(|| repo_obj["spec"]["ref"]["branch"].as_str());
    let push = spec["git"]["push"]["branch"].as_str().or(checkout);
    let Some(push) = push else {
        return Reconciled::failed(Failure::stalled(
            "InvalidSourceConfiguration",
            "push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref",
        ));
    };
    let checkout = checkout.unwrap_or(DEFAULT_BRANCH);
    let git_failed = |what: &str, message: String| {
        let f = Failure::new("GitOperationFailed", format!("{what}: {message}"));
        let e = FluxEvent::warning("image-automation-controller", &f.reason, &f.message);
        Reconciled::failed(f).requeue(every).event(e)
    };
    let repo = match authorize(world, &repo_obj) {
        Ok(r) => r,
        Err(f) => return git_failed("failed to checkout source", f.message),
    };
    let url = repo_obj["spec"]["url"].as_str().unwrap_or_default();
    let Some((head, _)) = commit_of(&repo, &format!("refs/heads/{checkout}")) else {
        return git_failed(
            "failed to checkout source",
            format!("unable to clone '{url}': couldn't find remote ref \"refs/heads/{checkout}\""),
        );
    };
    let policies = policies(world, &ns, &spec["policySelector"]);
    let update_path = clean(spec["update"]["path"].as_str().unwrap_or_default());
    let files = match git::read_tree(&repo, &head, &update_path) {
        Ok(f) => f,
        Err(e) => {
            let f = Failure::new("UpdateFailed", format!("failed to apply policies: {e}"));
            return Reconciled::failed(f).requeue(every);
        }
    };
    let prefix = if update_path.is_empty() {
        String::new()
    } else {
        format!("{update_path}/")
    };
    let relative: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|f| {
            let rel = f.path.strip_prefix(&prefix).unwrap_or(&f.path).to_string();
            (rel, f.bytes)
        })
        .collect();
    let (written, changes, _problems) = setters::apply_files(&relative, &policies);
    let mut out = Reconciled::ready("Succeeded", "repository up-to-date")
        .with("lastAutomationRunTime", json!(run_time))
        .with("observedPolicies", observed(&policies))
        .requeue(every);
    if written.is_empty() {
        return out.with(
            "observedSourceRevision",
            json!(format!("{checkout}@sha1:{head}")),
        );
    }
    let values: BTreeMap<String, String> =
        string_map(&spec["git"]["commit"]["messageTemplateValues"]);
    let data = TemplateData {
        automation_namespace: ns.clone(),
        automation_name: name.clone(),
        changes,
        values,
    };
    let template = spec["git"]["commit"]["messageTemplate"].as_str();
    let message = match setters::commit_message(template, &data) {
        Ok(m) => m,
        Err(e) if e.is_removed_field() => {
            return Reconciled::failed(Failure::stalled("RemovedTemplateField", e.to_string()));
        }
        Err(e) => {
            let f = Failure::new("UpdateFailed", e.to_string());
            return Reconciled::failed(f).requeue(every);
        }
    };
    let author = &spec["git"]["commit"]["author"];
    let author = Identity::new(
        author["name"].as_str().unwrap_or("fluxcdbot"),
        author["email"].as_str().unwrap_or_default(),
    );
    let changed: Vec<(String, String)> = written
        .into_iter()
        .map(|(rel, text)| (format!("{prefix}{rel}"), text))
        .collect();
    if push != checkout && commit_of(&repo, &format!("refs/heads/{push}")).is_none() {
        // A new push branch starts at the checkout commit (`switchBranch`).
        if let Err(e) = git::create_branch(&repo, push, &head) {
            return git_failed("failed to push to remote", e.to_string());
        }
    }
    let commit = NewCommit {
        branch: push,
        author: &author,
        message: &message,
        time: None,
    };
    let pushed = match git::commit_files_on(&repo, &head, &commit, &changed) {
        Ok(sha) => sha,
        Err(SandboxGitError::NotFastForward { .. }) => {
            return git_failed(
                "failed to push to remote",
                format!("non-fast-forward update: refs/heads/{push}"),
            );
        }
        Err(e) => return git_failed("failed to push to remote", e.to_string()),
    };
    let short = pushed.get(..7).unwrap_or(&pushed);
    out = out
        .with("lastPushCommit", json!(pushed))
        .with("lastPushTime", json!(now_rfc3339()))
        .with(
            "observedSourceRevision",
            json!(format!("{push}@sha1:{pushed}")),
        )
        .event(
            FluxEvent::normal(
                "image-automation-controller",
                "Succeeded",
                format!("pushed commit '{short}' to branch '{push}'\n{message}"),
            )
            .with_revision("image.toolkit.fluxcd.io", &format!("{push}@sha1:{pushed}")),
        );
    out.changed = true;
    out
}
