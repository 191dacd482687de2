//! The Flux objects of the reference pipeline and the story that makes them consistent: CI
//! pushed a front-end build, the policy picked it, the automation committed and pushed it,
//! source-controller fetched that commit, the `sock-shop` Kustomization applied it and the
//! front-end rolled out. Five such releases happened a day or so apart; the last one 44
//! minutes before `now`.

use serde_json::{Value, json};

use super::assets::Manifests;
use super::flux::{
    Applied, Commit, InventoryRef, KustomizationState, flux_meta, git_repository, interval_seconds,
    kustomization,
};
use super::flux_install;
use super::ids::{self, Ids};
use super::images::{self, FrontEndTags, Release};
use super::kube::{Event, Meta, event};
use crate::sandbox::crds::FluxVersion;

const DAY: i64 = 86_400;

/// When each step of one release happened.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReleaseTimes {
    /// The policy picked the new build (CI pushed it to ECR just before).
    pub picked: i64,
    /// The automation pushed its commit.
    pub pushed: i64,
    /// source-controller stored the new artifact.
    pub fetched: i64,
    /// kustomize-controller applied it; the Deployment rolled a second later.
    pub applied: i64,
}

/// The cluster's history, in seconds since the epoch.
#[derive(Debug, Clone)]
pub(super) struct Timeline {
    pub now: i64,
    /// The EKS cluster was created.
    pub cluster: i64,
    /// `flux bootstrap` ran.
    pub bootstrap: i64,
    /// The `apps` Kustomization created the sock-shop tenant and its workloads.
    pub tenant: i64,
    /// The flux repository's last commit was fetched.
    pub flux_fetched: i64,
    /// One entry per pick of `front_end_tags()`, oldest first.
    pub releases: Vec<ReleaseTimes>,
}

impl Timeline {
    /// The history leading to `now`, for `releases` releases.
    pub(super) fn new(now: i64, releases: usize) -> Self {
        let bootstrap = now - 21 * DAY - 5 * 3600;
        let releases = (0..releases)
            .map(|k| {
                // Releases a day and a bit apart, the last one 44 minutes ago.
                let back = (releases - 1 - k) as i64;
                let pushed = now - 44 * 60 - back * (DAY + 3 * 3600 + 17 * 60);
                ReleaseTimes {
                    picked: pushed - 21,
                    pushed,
                    fetched: pushed + 38,
                    applied: pushed + 41,
                }
            })
            .collect();
        Self {
            now,
            cluster: now - 30 * DAY,
            bootstrap,
            tenant: bootstrap + 14 * 60,
            flux_fetched: now - 3 * DAY - 7 * 3600,
            releases,
        }
    }

    /// The last run at or before `now` of a loop that started at `start` with `interval`.
    pub(super) fn last_run(&self, start: i64, interval: i64, until: i64) -> i64 {
        let until = until.min(self.now);
        if until <= start || interval <= 0 {
            return start;
        }
        start + (until - start) / interval * interval
    }
}

/// The pipeline's Flux objects and the Events they left.
#[derive(Debug, Default)]
pub(super) struct Pipeline {
    pub objects: Vec<Value>,
    pub events: Vec<Value>,
}

/// Builds the Flux objects of `flux-system` and `sock-shop`.
pub(super) fn pipeline(
    ids: &Ids,
    flux: FluxVersion,
    m: &Manifests,
    t: &Timeline,
    tags: &FrontEndTags,
) -> Pipeline {
    let mut p = Pipeline::default();
    flux_system(ids, flux, m, t, &mut p);
    tenant(ids, flux, m, t, tags, &mut p);
    p
}

fn flux_system(ids: &Ids, flux: FluxVersion, m: &Manifests, t: &Timeline, p: &mut Pipeline) {
    let ns = "flux-system";
    let mut rng = ids.rng("commits/flux-repo");
    let bootstrap_commit = Commit {
        branch: "main".into(),
        sha: ids::commit_sha(&mut rng),
        fetched: t.bootstrap + 20,
    };
    let commit = Commit {
        branch: "main".into(),
        sha: ids::commit_sha(&mut rng),
        fetched: t.flux_fetched,
    };
    let Some(source) = Manifests::find(&m.cluster, "GitRepository", ns) else {
        return;
    };
    let meta = flux_meta(
        Meta::new(ids, "GitRepository", Some(ns), ns, t.bootstrap).applied_by(ns, ns),
        None,
    );
    let repo = git_repository(ids, source, meta, &commit, t.bootstrap + 20);
    p.events.push(new_artifact(
        ids,
        &repo,
        &commit,
        "Add image automation for the sock-shop front-end",
    ));
    p.objects.push(repo);

    let mut cluster_inventory = flux_install::components(flux);
    cluster_inventory.extend(m.cluster.iter().map(|d| InventoryRef::of(d, ns)));
    let apps_inventory: Vec<InventoryRef> = m
        .apps
        .iter()
        .map(|d| InventoryRef::of(d, "sock-shop"))
        .collect();
    for (name, inventory, created) in [
        (ns, cluster_inventory, t.bootstrap),
        ("infrastructure", Vec::new(), t.bootstrap + 30),
        ("apps", apps_inventory, t.bootstrap + 30),
    ] {
        let Some(manifest) = Manifests::find(&m.cluster, "Kustomization", name) else {
            continue;
        };
        let interval = interval_seconds(manifest["spec"]["interval"].as_str().unwrap_or_default());
        let first = commit.fetched + 4;
        let state = KustomizationState {
            current: Applied {
                revision: commit.revision(),
                first,
                last: t.last_run(first, interval, t.now),
            },
            previous: vec![Applied {
                revision: bootstrap_commit.revision(),
                first: created + 10,
                last: t.last_run(created + 10, interval, first - 1),
            }],
            interval_seconds: interval,
            ready_since: created + 10,
            inventory,
        };
        let meta = flux_meta(
            Meta::new(ids, "Kustomization", Some(ns), name, created).applied_by(ns, ns),
            None,
        );
        let ks = kustomization(ids, manifest, meta, &state);
        p.events.push(reconciled(ids, &ks, &state));
        p.objects.push(ks);
    }
}

fn tenant(
    ids: &Ids,
    flux: FluxVersion,
    m: &Manifests,
    t: &Timeline,
    tags: &FrontEndTags,
    p: &mut Pipeline,
) {
    let ns = "sock-shop";
    let mut rng = ids.rng("commits/microservices-repo");
    let commits: Vec<Commit> = t
        .releases
        .iter()
        .map(|r| Commit {
            branch: "main".into(),
            sha: ids::commit_sha(&mut rng),
            fetched: r.fetched,
        })
        .collect();
    let (Some(last), Some(times)) = (commits.last().cloned(), t.releases.last().copied()) else {
        return;
    };
    let created = t.tenant;
    let applied = |kind: &str, name: &str| {
        Meta::new(ids, kind, Some(ns), name, created).applied_by("apps", "flux-system")
    };

    if let Some(source) = Manifests::find(&m.apps, "GitRepository", "sock-shop-tenant") {
        let meta = flux_meta(applied("GitRepository", "sock-shop-tenant"), None);
        let repo = git_repository(ids, source, meta, &last, created + 8);
        p.events.push(new_artifact(
            ids,
            &repo,
            &last,
            images::commit_message(
                m.apps
                    .iter()
                    .find(|d| d["kind"] == "ImageUpdateAutomation")
                    .and_then(|a| a["spec"]["git"]["commit"]["messageTemplate"].as_str()),
                tags.previous().unwrap_or("latest"),
                tags.latest(),
            )
            .lines()
            .next()
            .unwrap_or_default(),
        ));
        p.objects.push(repo);
    }
    if let Some(manifest) = Manifests::find(&m.apps, "Kustomization", ns) {
        let interval = interval_seconds(manifest["spec"]["interval"].as_str().unwrap_or_default());
        // One history entry per release commit: each applied until the next one arrived.
        let mut applied_runs: Vec<Applied> = commits
            .iter()
            .zip(&t.releases)
            .map(|(c, r)| Applied {
                revision: c.revision(),
                first: r.applied,
                last: r.applied,
            })
            .collect();
        let ends: Vec<i64> = applied_runs
            .iter()
            .skip(1)
            .map(|a| a.first - 1)
            .chain([t.now])
            .collect();
        for (a, end) in applied_runs.iter_mut().zip(ends) {
            a.last = t.last_run(a.first, interval, end);
        }
        applied_runs.reverse();
        let mut history = applied_runs.into_iter();
        let Some(current) = history.next() else {
            return;
        };
        let state = KustomizationState {
            current,
            previous: history.collect(),
            interval_seconds: interval,
            ready_since: created + 12,
            inventory: m.demo.iter().map(|d| InventoryRef::of(d, ns)).collect(),
        };
        // Someone ran `flux reconcile ks sock-shop` three hours ago.
        let requested = ids::rfc3339_nano(t.now - 3 * 3600 - 17, 482_913_000);
        let meta = flux_meta(applied("Kustomization", ns), Some(&requested));
        let ks = kustomization(ids, manifest, meta, &state);
        let mut progressing = Event::normal(
            "Progressing",
            "Deployment/sock-shop/front-end configured",
            times.applied,
            "kustomize-controller",
        );
        progressing.annotations = revision_annotation("kustomize", &last.revision());
        p.events.push(event(ids, &ks, progressing));
        p.events.push(reconciled(ids, &ks, &state));
        p.objects.push(ks);
    }

    let release = Release {
        flux,
        tags,
        image: &m.front_end_image,
        scanned: t.last_run(created + 20, 60, t.now),
        picked: times.picked,
        pushed: &last,
        pushed_at: times.pushed,
        last_run: t.last_run(created + 25, 5 * 60, t.now),
        ready_since: created + 30,
        message_template: Manifests::find(&m.apps, "ImageUpdateAutomation", "sock-shop-front-end")
            .and_then(|a| a["spec"]["git"]["commit"]["messageTemplate"].as_str()),
    };
    let name = "sock-shop-front-end";
    let find = |kind: &str| Manifests::find(&m.apps, kind, name);
    let (Some(repo), Some(policy), Some(automation)) = (
        find("ImageRepository"),
        find("ImagePolicy"),
        find("ImageUpdateAutomation"),
    ) else {
        return;
    };
    let repository = images::image_repository(
        repo,
        flux_meta(applied("ImageRepository", name), None),
        &release,
    );
    let policy = images::image_policy(
        policy,
        flux_meta(applied("ImagePolicy", name), None),
        &release,
    );
    let automation = images::image_update_automation(
        automation,
        flux_meta(applied("ImageUpdateAutomation", name), None),
        name,
        &release,
    );
    p.events.extend(images::release_events(
        ids,
        [&repository, &policy, &automation],
        &release,
    ));
    p.objects.extend([repository, policy, automation]);
}

/// `NewArtifact`: source-controller stored the artifact of a new commit.
fn new_artifact(ids: &Ids, repo: &Value, commit: &Commit, subject: &str) -> Value {
    let mut e = Event::normal(
        "NewArtifact",
        format!("stored artifact for commit '{subject}'"),
        commit.fetched,
        "source-controller",
    );
    e.annotations = revision_annotation("source", &commit.revision());
    event(ids, repo, e)
}

/// `ReconciliationSucceeded`, repeated once per interval since the revision was applied.
fn reconciled(ids: &Ids, ks: &Value, state: &KustomizationState) -> Value {
    let interval = ids::go_duration((state.interval_seconds.max(0) as u64).saturating_mul(1000));
    let took = ks["status"]["history"][0]["lastReconciledDuration"]
        .as_str()
        .unwrap_or("1s");
    let mut e = Event::normal(
        "ReconciliationSucceeded",
        format!("Reconciliation finished in {took}, next run in {interval}"),
        state.current.first,
        "kustomize-controller",
    );
    e.last = state.current.last;
    e.count = ks["status"]["history"][0]["totalReconciliations"]
        .as_u64()
        .unwrap_or(1) as u32;
    e.annotations = revision_annotation("kustomize", &state.current.revision);
    event(ids, ks, e)
}

/// The revision annotation Flux controllers put on their events.
fn revision_annotation(group: &str, revision: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert(
        format!("{group}.toolkit.fluxcd.io/revision"),
        json!(revision),
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_ordered_and_the_last_is_44_minutes_old() {
        let t = Timeline::new(1_000_000_000, 5);
        assert_eq!(t.releases.len(), 5);
        assert!(t.releases.windows(2).all(|w| w[0].applied < w[1].picked));
        let last = t.releases[4];
        assert_eq!(t.now - last.pushed, 44 * 60);
        assert!(
            last.picked < last.pushed && last.pushed < last.fetched && last.fetched < last.applied
        );
        assert!(t.tenant < t.releases[0].picked);
    }

    #[test]
    fn last_run_is_the_latest_tick_not_after_the_end() {
        let t = Timeline::new(1000, 1);
        assert_eq!(t.last_run(100, 60, 990), 940);
        assert_eq!(t.last_run(100, 60, 1000), 1000);
        assert_eq!(t.last_run(100, 60, 2000), 1000, "never after now");
        assert_eq!(t.last_run(100, 60, 50), 100);
    }
}
