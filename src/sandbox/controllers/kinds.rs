//! What one reconcile does per Flux kind, in the sandbox: sources re-store their artifact,
//! Kustomizations apply their source's revision, image objects refresh their last run.

use serde_json::{Value, json};

use super::ctx::{Ctx, Outcome};
use crate::sandbox::apiserver::store::now_rfc3339;

/// Whether the controllers reconcile this kind.
pub fn handles(kind: &str) -> bool {
    matches!(
        kind,
        "Kustomization"
            | "GitRepository"
            | "OCIRepository"
            | "Bucket"
            | "HelmRepository"
            | "ImageRepository"
            | "ImagePolicy"
            | "ImageUpdateAutomation"
    )
}

/// The Reconciling message while a reconcile runs.
pub fn progress_message(kind: &str, obj: &Value) -> String {
    match kind {
        "Kustomization" => {
            let rev = obj["status"]["lastAttemptedRevision"]
                .as_str()
                .unwrap_or("latest");
            format!("Fetching manifests for revision {rev} with a timeout of 9m30s")
        }
        "GitRepository" | "OCIRepository" | "Bucket" | "HelmRepository" => {
            "building artifact: new revision".to_string()
        }
        _ => "reconciliation in progress".to_string(),
    }
}

/// Runs one reconcile of `obj` and says how it went.
pub async fn reconcile(ctx: &Ctx, kind: &str, obj: &Value) -> Outcome {
    let status = &obj["status"];
    match kind {
        "Kustomization" => kustomization(ctx, obj),
        "GitRepository" | "OCIRepository" | "Bucket" | "HelmRepository" => {
            match status["artifact"]["revision"].as_str() {
                Some(rev) => {
                    let mut artifact = status["artifact"].clone();
                    artifact["lastUpdateTime"] = json!(now_rfc3339());
                    Outcome::ready("Succeeded", format!("stored artifact for revision '{rev}'"))
                        .with("artifact", artifact)
                }
                None => Outcome::failed(
                    "GitOperationFailed",
                    format!(
                        "failed to checkout and determine revision: unable to clone '{}'",
                        obj["spec"]["url"].as_str().unwrap_or_default()
                    ),
                ),
            }
        }
        "ImageRepository" => {
            let scan = &status["lastScanResult"];
            let mut scan = if scan.is_object() {
                scan.clone()
            } else {
                json!({"tagCount": 0})
            };
            scan["scanTime"] = json!(now_rfc3339());
            Outcome::ready(
                "Succeeded",
                format!(
                    "successful scan: found {} tags with checksum {}",
                    scan["tagCount"].as_i64().unwrap_or(0),
                    scan["revision"].as_str().unwrap_or("0")
                ),
            )
            .with("lastScanResult", scan)
        }
        "ImagePolicy" => match status["latestRef"]["tag"].as_str() {
            Some(tag) => Outcome::ready(
                "Succeeded",
                format!(
                    "Latest image tag for {} resolved to {tag}",
                    status["latestRef"]["name"].as_str().unwrap_or_default()
                ),
            ),
            None => Outcome::failed(
                "DependencyNotReady",
                "retrying in 30s error: no tags in database",
            ),
        },
        "ImageUpdateAutomation" => Outcome::ready("Succeeded", "repository up-to-date")
            .with("lastAutomationRunTime", json!(now_rfc3339())),
        _ => Outcome::ready("Succeeded", "reconciliation succeeded"),
    }
}

fn kustomization(ctx: &Ctx, obj: &Value) -> Outcome {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let src = &obj["spec"]["sourceRef"];
    let src_kind = src["kind"].as_str().unwrap_or("GitRepository");
    let src_name = src["name"].as_str().unwrap_or_default();
    let src_ns = src["namespace"].as_str().unwrap_or(ns);
    let Some(source) = ctx.find(src_kind, src_ns, src_name) else {
        return Outcome::failed(
            "ArtifactFailed",
            format!("Source '{src_kind}/{src_ns}/{src_name}' not found"),
        );
    };
    let Some(rev) = source["status"]["artifact"]["revision"].as_str() else {
        return Outcome::failed(
            "ArtifactFailed",
            format!("Source artifact not found, retrying in 30s: {src_kind}/{src_ns}/{src_name}"),
        );
    };
    Outcome::ready(
        "ReconciliationSucceeded",
        format!("Applied revision: {rev}"),
    )
    .with("lastAppliedRevision", json!(rev))
    .with("lastAttemptedRevision", json!(rev))
}
