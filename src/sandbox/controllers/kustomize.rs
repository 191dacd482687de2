//! kustomize-controller, for Kustomizations: waits for `dependsOn`, reads the source's
//! artifact (the commit of the sandbox's repository it names), builds `spec.path` with the
//! sandbox's kustomize subset, applies the result, prunes what left the inventory, and
//! writes what Flux writes: `lastAttemptedRevision`, `lastAppliedRevision`, `inventory`,
//! `history`, Ready `Applied revision: <rev>` (`ReconciliationSucceeded`), or Ready=False
//! with `DependencyNotReady`, `ArtifactFailed`, `BuildFailed` or `ReconciliationFailed`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::apply::{Entry, apply, prune_all};
use super::events::FluxEvent;
use super::outcome::{Failure, Progress, REQUEUE_DEPENDENCY, Reconciled, interval_of};
use super::world::World;
use crate::golang::time::format_duration;
use crate::sandbox::apiserver::store::now_rfc3339;
use crate::sandbox::git;
use crate::sandbox::kustomize::{self, Overrides};

/// History entries kept (`status.history`).
const HISTORY: usize = 5;

/// The source's artifact revision, if it has one.
fn source_revision(world: &World, obj: &Value) -> Result<(Value, String), Failure> {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let src = &obj["spec"]["sourceRef"];
    let kind = src["kind"].as_str().unwrap_or("GitRepository");
    let name = src["name"].as_str().unwrap_or_default();
    let src_ns = src["namespace"].as_str().unwrap_or(ns);
    let source = if kind == "GitRepository" {
        world.get(kind, src_ns, name)
    } else {
        None
    };
    let Some(source) = source else {
        return Err(Failure::new(
            "ArtifactFailed",
            format!("Source '{kind}/{src_ns}/{name}' not found"),
        ));
    };
    match source["status"]["artifact"]["revision"].as_str() {
        Some(rev) => Ok((source.clone(), rev.to_string())),
        None => Err(Failure::new(
            "ArtifactFailed",
            format!(
                "Source artifact not found, retrying in {}s",
                REQUEUE_DEPENDENCY.as_secs()
            ),
        )),
    }
}

fn timeout(obj: &Value) -> String {
    obj["spec"]["timeout"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            let every = interval_of(obj);
            format_duration(every)
        })
}

/// What a reconcile shows while it runs.
pub fn progress(world: &World, obj: &Value) -> Progress {
    let rev = source_revision(world, obj)
        .map(|(_, r)| r)
        .unwrap_or_else(|_| "latest".into());
    Progress::new(format!(
        "Fetching manifests for revision {rev} with a timeout of {}",
        timeout(obj)
    ))
}

/// Whether every `dependsOn` Kustomization is Ready at its current generation.
fn dependencies(world: &World, obj: &Value) -> Result<(), Failure> {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    for d in obj["spec"]["dependsOn"].as_array().into_iter().flatten() {
        let name = d["name"].as_str().unwrap_or_default();
        let dns = d["namespace"].as_str().unwrap_or(ns);
        let Some(dep) = world.get("Kustomization", dns, name) else {
            return Err(Failure::new(
                "DependencyNotReady",
                format!(
                    "unable to get '{dns}/{name}' dependency: kustomizations.kustomize.toolkit.fluxcd.io \"{name}\" not found"
                ),
            ));
        };
        let ready = dep["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let current = dep["status"]["observedGeneration"] == dep["metadata"]["generation"];
        if !(ready && current) {
            return Err(Failure::new(
                "DependencyNotReady",
                format!("dependency '{dns}/{name}' is not ready"),
            ));
        }
    }
    Ok(())
}

/// `status.history` with this run added: the same digest updates its entry, a new one goes
/// first; at most [`HISTORY`] entries.
fn history(old: &Value, digest: &str, revision: &str, took: Duration, ok: bool) -> Value {
    let now = now_rfc3339();
    let status = if ok {
        "ReconciliationSucceeded"
    } else {
        "ReconciliationFailed"
    };
    let mut entries: Vec<Value> = old.as_array().cloned().unwrap_or_default();
    match entries.first_mut() {
        Some(first) if first["digest"] == digest => {
            first["lastReconciled"] = json!(now);
            first["lastReconciledDuration"] = json!(format_duration(took));
            first["lastReconciledStatus"] = json!(status);
            first["totalReconciliations"] =
                json!(first["totalReconciliations"].as_u64().unwrap_or(0) + 1);
        }
        _ => entries.insert(
            0,
            json!({
                "digest": digest,
                "firstReconciled": now,
                "lastReconciled": now,
                "lastReconciledDuration": format_duration(took),
                "lastReconciledStatus": status,
                "metadata": {"revision": revision},
                "totalReconciliations": 1,
            }),
        ),
    }
    entries.truncate(HISTORY);
    Value::Array(entries)
}

/// One reconcile.
pub async fn reconcile(world: &World, obj: &Value) -> Reconciled {
    let started = Instant::now();
    let spec = &obj["spec"];
    let every = interval_of(obj);
    let retry = spec["retryInterval"]
        .as_str()
        .and_then(crate::model::duration::parse_go_duration)
        .unwrap_or(every);
    let component = "kustomize-controller";
    if let Err(f) = dependencies(world, obj) {
        return Reconciled::failed(f).requeue(REQUEUE_DEPENDENCY);
    }
    let (source, revision) = match source_revision(world, obj) {
        Ok(x) => x,
        Err(f) => return Reconciled::failed(f).requeue(REQUEUE_DEPENDENCY),
    };
    let failed = |f: Failure| {
        let e = FluxEvent::warning(component, &f.reason, &f.message)
            .with_revision("kustomize.toolkit.fluxcd.io", &revision);
        Reconciled::failed(f)
            .with("lastAttemptedRevision", json!(revision))
            .requeue(retry)
            .event(e)
    };
    let sha = revision.rsplit(':').next().unwrap_or_default().to_string();
    let url = source["spec"]["url"].as_str().unwrap_or_default();
    let Some(repo) = world.git.as_ref().and_then(|g| g.repository(url)) else {
        return failed(Failure::new(
            "ArtifactFailed",
            format!(
                "failed to download artifact from http://source-controller.flux-system.svc.cluster.local./{}: artifact not found",
                source["status"]["artifact"]["path"]
                    .as_str()
                    .unwrap_or_default()
            ),
        ));
    };
    let files: BTreeMap<String, Vec<u8>> = match git::read_tree(&repo, &sha, "") {
        Ok(files) => files.into_iter().map(|f| (f.path, f.bytes)).collect(),
        Err(e) => {
            return failed(Failure::new(
                "ArtifactFailed",
                format!("failed to extract artifact: {e}"),
            ));
        }
    };
    let path = spec["path"].as_str().unwrap_or_default();
    let objects = match kustomize::build(&files, path, &Overrides::from_spec(spec)) {
        Ok(o) => o,
        Err(e) => return failed(Failure::new(e.reason(), e.to_string())),
    };
    let digest = {
        let mut h = Sha256::new();
        for o in &objects {
            h.update(o.to_string().as_bytes());
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    };
    let applied = match apply(world, obj, objects) {
        Ok(a) => a,
        Err(f) => {
            let took = started.elapsed();
            return failed(f).with(
                "history",
                history(&obj["status"]["history"], &digest, &revision, took, false),
            );
        }
    };
    let took = started.elapsed();
    let previous = obj["status"]["lastAppliedRevision"].as_str();
    let mut out = Reconciled::ready(
        "ReconciliationSucceeded",
        format!("Applied revision: {revision}"),
    )
    .with("lastAttemptedRevision", json!(revision))
    .with("lastAppliedRevision", json!(revision))
    .with("inventory", Entry::inventory(&applied.entries))
    .with(
        "history",
        history(&obj["status"]["history"], &digest, &revision, took, true),
    )
    .requeue(every);
    if !applied.changes.is_empty() {
        out = out.event(
            FluxEvent::normal(component, "Progressing", applied.changes.join("\n"))
                .with_revision("kustomize.toolkit.fluxcd.io", &revision),
        );
    }
    out = out.event(
        FluxEvent::normal(
            component,
            "ReconciliationSucceeded",
            format!(
                "Reconciliation finished in {}, next run in {}",
                format_duration(Duration::from_millis(took.as_millis() as u64)),
                format_duration(every)
            ),
        )
        .with_revision("kustomize.toolkit.fluxcd.io", &revision),
    );
    out.changed = previous != Some(revision.as_str()) || !applied.changes.is_empty();
    out
}

/// Called when a Kustomization is deleted: prunes what it applied (`spec.prune`).
pub fn finalize(world: &World, obj: &Value) {
    let gone = prune_all(world, obj);
    if !gone.is_empty() {
        tracing::debug!(
            "pruned {} objects of deleted Kustomization {}/{}",
            gone.len(),
            obj["metadata"]["namespace"].as_str().unwrap_or_default(),
            obj["metadata"]["name"].as_str().unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_counts_the_same_digest_and_starts_a_new_entry_for_another() {
        let h = history(
            &Value::Null,
            "sha256:a",
            "main@sha1:1",
            Duration::from_millis(5),
            true,
        );
        let h = history(
            &h,
            "sha256:a",
            "main@sha1:1",
            Duration::from_millis(5),
            true,
        );
        assert_eq!(h[0]["totalReconciliations"], 2);
        let mut h = history(
            &h,
            "sha256:b",
            "main@sha1:2",
            Duration::from_millis(5),
            true,
        );
        assert_eq!(h[0]["metadata"]["revision"], "main@sha1:2");
        for i in 0..10 {
            h = history(&h, &format!("d{i}"), "r", Duration::ZERO, true);
        }
        assert_eq!(h.as_array().unwrap().len(), HISTORY);
    }
}
