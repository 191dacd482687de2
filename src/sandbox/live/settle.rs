//! Whether the live pipeline has settled, and a run without delays until it does: used to
//! start the sandbox (and its tests) from a pipeline at rest.

use std::time::Duration;

use serde_json::Value;

/// Whether the pipeline has settled: every Flux object Ready at its generation, every
/// source at its branch's head, every Kustomization at its source's revision, every
/// Deployment rolled out. Returns what still moves (empty when settled).
pub fn unsettled(world: &crate::sandbox::controllers::world::World) -> Vec<String> {
    let mut moving = Vec::new();
    let ready = |o: &Value| {
        o["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
            && o["status"]["observedGeneration"] == o["metadata"]["generation"]
    };
    let name = |kind: &str, o: &Value| {
        format!(
            "{kind}/{}/{}",
            o["metadata"]["namespace"].as_str().unwrap_or_default(),
            o["metadata"]["name"].as_str().unwrap_or_default()
        )
    };
    for kind in crate::sandbox::controllers::world::FLUX_KINDS {
        for o in world.list(kind, None) {
            if o["spec"]["suspend"] == true {
                continue;
            }
            if !ready(&o) {
                moving.push(format!("{} not ready", name(kind, &o)));
                continue;
            }
            match kind {
                "GitRepository" => {
                    let head =
                        crate::sandbox::controllers::source::resolve(world, &o).map(|r| r.revision);
                    if head.ok().as_deref() != o["status"]["artifact"]["revision"].as_str() {
                        moving.push(format!("{} behind its branch", name(kind, &o)));
                    }
                }
                "Kustomization" => {
                    let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
                    let src = &o["spec"]["sourceRef"];
                    let source = world.get(
                        "GitRepository",
                        src["namespace"].as_str().unwrap_or(ns),
                        src["name"].as_str().unwrap_or_default(),
                    );
                    let want = source
                        .as_ref()
                        .and_then(|s| s["status"]["artifact"]["revision"].as_str());
                    if want != o["status"]["lastAppliedRevision"].as_str() {
                        moving.push(format!("{} not at its source's revision", name(kind, &o)));
                    }
                }
                _ => {}
            }
        }
    }
    let store = &world.store;
    if let Some(id) = store.resources().by_path("apps", "v1", "deployments")
        && let Ok(page) = store.list(
            id,
            None,
            &Default::default(),
            &Default::default(),
            None,
            None,
        )
    {
        for d in page.items.iter().filter_map(|o| o.value().ok()) {
            let want = d["spec"]["replicas"].as_i64().unwrap_or(1);
            let s = &d["status"];
            let done = s["observedGeneration"] == d["metadata"]["generation"]
                && s["replicas"].as_i64().unwrap_or(0) == want
                && s["updatedReplicas"].as_i64().unwrap_or(0) == want
                && s["readyReplicas"].as_i64().unwrap_or(0) == want;
            if !done {
                moving.push(format!("{} rolling out", name("Deployment", &d)));
            }
        }
    }
    moving
}

/// Runs the pipeline without delays until it settles (or `timeout` passes), then at its pace.
pub async fn settle(world: &crate::sandbox::controllers::world::World, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    let pace = &world.pace;
    pace.set_warp(true);
    let started = tokio::time::Instant::now();
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let moving = unsettled(world);
        quiet = if moving.is_empty() { quiet + 1 } else { 0 };
        if quiet >= 3 {
            tracing::info!(
                "sandbox: the live pipeline settled in {} ms",
                started.elapsed().as_millis()
            );
            break;
        }
        if started.elapsed() > timeout {
            tracing::warn!(
                "sandbox: the live pipeline did not settle in {} s; still moving: {}",
                timeout.as_secs(),
                moving.join(", ")
            );
            break;
        }
    }
    pace.set_warp(false);
}
