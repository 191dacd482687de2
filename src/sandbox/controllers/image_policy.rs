//! image-reflector-controller, for ImagePolicies: runs `crate::policy` over the tags of the
//! referenced ImageRepository's last scan and writes `latestRef`, `observedPreviousRef` (and
//! on Flux 2.6 the deprecated `latestImage`/`observedPreviousImage`) with the Ready message
//! Flux composes. No pick is written by hand: this is the only place the sandbox chooses.

use serde_json::{Value, json};

use super::events::FluxEvent;
use super::image_reflector::succeeded;
use super::outcome::{Failure, REQUEUE_DEPENDENCY, Reconciled};
use super::world::World;
use crate::policy::{ImageRef, PolicySpec, ready_message};
use crate::sandbox::crds::FluxVersion;

/// How often a policy is evaluated without a trigger (Flux only re-evaluates on a scan or
/// a spec change; this keeps a missed trigger from lasting).
const REFRESH: std::time::Duration = std::time::Duration::from_secs(600);

fn image_ref(v: &Value) -> Option<ImageRef> {
    Some(ImageRef {
        name: v["name"].as_str()?.to_string(),
        tag: v["tag"].as_str()?.to_string(),
        digest: v["digest"].as_str().unwrap_or_default().to_string(),
    })
}

fn ref_value(r: &ImageRef) -> Value {
    let mut v = json!({"name": r.name, "tag": r.tag});
    if !r.digest.is_empty() {
        v["digest"] = json!(r.digest);
    }
    v
}

/// The pick the policy makes over `tags` (descending byte-wise, as scanned), or Flux's
/// failure for it.
pub fn pick(spec: &Value, tags: &[String]) -> Result<String, Failure> {
    let fail = |e: crate::policy::PolicyError| {
        let c = e.condition();
        if c.stalled() {
            Failure::stalled(c.reason(), e.condition_message())
        } else {
            Failure::new(c.reason(), e.condition_message())
        }
    };
    let compiled = PolicySpec::from_spec(spec)
        .and_then(|s| s.compile())
        .map_err(fail)?;
    compiled.latest(tags).map_err(fail)
}

/// One evaluation.
pub fn reconcile(world: &World, obj: &Value) -> Reconciled {
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default();
    let spec = &obj["spec"];
    let repo_ref = &spec["imageRepositoryRef"];
    let repo_name = repo_ref["name"].as_str().unwrap_or_default();
    let repo_ns = repo_ref["namespace"].as_str().unwrap_or(ns);
    let Some(repo) = world.get("ImageRepository", repo_ns, repo_name) else {
        return Reconciled::failed(Failure::new(
            "DependencyNotReady",
            format!(
                "failed to get the referred ImageRepository: referenced ImageRepository does not exist: imagerepositories.image.toolkit.fluxcd.io \"{repo_name}\" not found"
            ),
        ))
        .requeue(REQUEUE_DEPENDENCY);
    };
    let tags = world.tags(repo_ns, repo_name).unwrap_or_default();
    if tags.is_empty() {
        let secs = REQUEUE_DEPENDENCY.as_secs();
        return Reconciled::failed(Failure::new(
            "DependencyNotReady",
            format!("retrying in {secs}s error: no tags in database"),
        ))
        .requeue(REQUEUE_DEPENDENCY);
    }
    let tag = match pick(spec, &tags) {
        Ok(t) => t,
        Err(f) => {
            let event = FluxEvent::warning("image-reflector-controller", &f.reason, &f.message);
            return Reconciled::failed(f).requeue(REFRESH).event(event);
        }
    };
    let name = repo["spec"]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let latest = ImageRef {
        name,
        tag,
        digest: String::new(),
    };
    let status = &obj["status"];
    let old = image_ref(&status["latestRef"]);
    let previous = match &old {
        Some(o) if *o != latest => Some(o.clone()),
        _ => image_ref(&status["observedPreviousRef"]),
    };
    let message = ready_message(&latest.name, &latest.tag, &latest.digest, previous.as_ref());
    let mut out = Reconciled::ready("Succeeded", message.clone())
        .with("latestRef", ref_value(&latest))
        .requeue(REFRESH);
    if let Some(p) = &previous {
        out = out.with("observedPreviousRef", ref_value(p));
    }
    if world.flux == FluxVersion::V2_6 {
        out = out.with(
            "latestImage",
            json!(format!("{}:{}", latest.name, latest.tag)),
        );
        if let Some(p) = &previous {
            out = out.with(
                "observedPreviousImage",
                json!(format!("{}:{}", p.name, p.tag)),
            );
        }
    }
    if old.as_ref() != Some(&latest) {
        out = out.produced(succeeded(message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_policy_picks_the_highest_build_number_and_bad_specs_stall() {
        let spec = json!({
            "filterTags": {"pattern": "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)", "extract": "$buidnumber"},
            "policy": {"numerical": {"order": "asc"}}
        });
        let mut tags: Vec<String> = [
            "main-f9a6c31-18",
            "main-1f49071-24",
            "latest",
            "main-8a1c2e4-9",
        ]
        .map(String::from)
        .to_vec();
        crate::policy::repository_order(&mut tags);
        assert_eq!(pick(&spec, &tags).unwrap(), "main-1f49071-24");
        let bad = json!({"filterTags": {"pattern": "(("}, "policy": {"numerical": {}}});
        let f = pick(&bad, &tags).unwrap_err();
        assert!(f.stalled);
        assert_eq!(f.reason, "InvalidPolicy");
        let numeric = json!({"policy": {"numerical": {"order": "asc"}}});
        let f = pick(&numeric, &tags).unwrap_err();
        assert!(!f.stalled);
        assert_eq!(f.reason, "Failure");
    }
}
