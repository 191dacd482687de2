//! Benchmark of the release lanes (criterion, plus a percentile pass): 500 apps, 10,000
//! tags, a config repository of 50,000 commits; one update of each kind a release makes
//! (registry scan, Flux scan, policy pick, automation commit, fetch, apply, pod Ready),
//! timed through `State::apply_at` until the lanes are current. Target: p99 < 1 ms.
//!
//! The percentile pass plays whole releases round-robin over the apps (each update timed
//! on its own) and prints p50 / p99 / max per kind. The lanes have numbered all 50,000
//! commits; the git worker sends the newest page of 200 (its page size), and for the last 40
//! releases the whole 50,000 (a user scrolled to the first commit): that kind is listed
//! apart, its cost is mostly the state replacing a 50,000-commit log, not the lanes. criterion then
//! measures the mean update of a release. Memory stays bounded: every lane keeps its last
//! 20 releases.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fluxdeck::model::commit::{Commit, ImageUpdate};
use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::state::lanes::KEPT_RELEASES;
use fluxdeck::state::{CommitLog, RegistryScan, ScanResult, State, Update};
use jiff::Timestamp;
use serde_json::{Value, json};

const APPS: usize = 500;
const TAGS_PER_APP: usize = 20; // 10,000 tags
const COMMITS: usize = 50_000;

fn t(second: i64) -> Timestamp {
    Timestamp::from_second(1_786_104_000 + second).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn sha(n: usize) -> String {
    format!("{:040x}", (n as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn tag(app: usize, build: usize) -> String {
    format!("main-{:07x}-{build}", (app * 7919 + build) & 0xfff_ffff)
}

fn ns(app: usize) -> String {
    format!("team-{app:03}")
}

fn obj(kind: Kind, value: Value) -> Update {
    Update::Applied(Object::parse(kind, &value).expect("bench object"))
}

fn ready() -> Value {
    json!([{"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ok"}])
}

fn repository(app: usize, scan: i64, latest: &[String]) -> Update {
    obj(
        Kind::ImageRepository,
        json!({"metadata": {"name": "web", "namespace": ns(app)},
               "spec": {"image": format!("reg.example/{}/web", ns(app)), "interval": "1m"},
               "status": {"lastScanResult": {"scanTime": t(scan).to_string(), "latestTags": latest},
                          "conditions": ready()}}),
    )
}

fn policy(app: usize, latest: &str) -> Update {
    obj(
        Kind::ImagePolicy,
        json!({"metadata": {"name": "web", "namespace": ns(app)},
               "spec": {"imageRepositoryRef": {"name": "web"},
                        "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<n>[0-9]+)$", "extract": "$n"},
                        "policy": {"numerical": {"order": "asc"}}},
               "status": {"latestRef": {"name": format!("reg.example/{}/web", ns(app)), "tag": latest},
                          "conditions": ready()}}),
    )
}

fn automation(app: usize) -> Update {
    obj(
        Kind::ImageUpdateAutomation,
        json!({"metadata": {"name": "web", "namespace": ns(app)},
               "spec": {"interval": "1m",
                        "sourceRef": {"kind": "GitRepository", "name": "config", "namespace": "flux-system"},
                        "git": {"commit": {"author": {"name": "fluxbot", "email": "flux@example.com"}}}},
               "status": {"conditions": ready()}}),
    )
}

fn source(head: usize, fetched: i64) -> Update {
    obj(
        Kind::GitRepository,
        json!({"metadata": {"name": "config", "namespace": "flux-system"},
               "spec": {"url": "https://git.example/config", "interval": "1m"},
               "status": {"artifact": {"revision": format!("main@sha1:{}", sha(head)),
                                       "lastUpdateTime": t(fetched).to_string()},
                          "conditions": ready()}}),
    )
}

fn kustomization(app: usize, applied: usize) -> Update {
    obj(
        Kind::Kustomization,
        json!({"metadata": {"name": "web", "namespace": ns(app)},
               "spec": {"interval": "10m", "path": format!("./apps/{}", ns(app)),
                        "sourceRef": {"kind": "GitRepository", "name": "config", "namespace": "flux-system"}},
               "status": {"lastAppliedRevision": format!("main@sha1:{}", sha(applied)),
                          "inventory": {"entries": [{"id": format!("{}_web_apps_Deployment", ns(app)), "v": "v1"}]},
                          "conditions": ready()}}),
    )
}

fn pod(app: usize, n: usize, tag: &str, at: i64) -> Update {
    obj(
        Kind::Pod,
        json!({"metadata": {"name": format!("web-abc-{n}"), "namespace": ns(app),
                            "labels": {"pod-template-hash": "abc"},
                            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]},
               "spec": {"containers": [{"name": "web", "image": format!("reg.example/{}/web:{tag}", ns(app))}]},
               "status": {"phase": "Running",
                          "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t(at).to_string()}],
                          "containerStatuses": [{"name": "web", "ready": true, "state": {"running": {}}}]}}),
    )
}

fn scan(app: usize, builds: std::ops::Range<usize>) -> Update {
    Update::RegistryScan(RegistryScan {
        repository: format!("{}/web", ns(app)),
        image: format!("reg.example/{}/web", ns(app)),
        result: ScanResult::Tags {
            scanned_at: t(builds.end as i64),
            tags: builds
                .rev()
                .map(|b| (tag(app, b), Some(t(b as i64))))
                .collect(),
        },
    })
}

/// The config repository: `commits` of them, newest first; `automation[i]` = (commit
/// number, app, build) for the automation commits.
struct Repo {
    commits: Vec<Commit>,
}

impl Repo {
    fn commit(n: usize, change: Option<(usize, usize)>) -> Commit {
        Commit {
            sha: sha(n),
            author: if change.is_some() { "fluxbot" } else { "alice" }.to_owned(),
            email: "flux@example.com".to_owned(),
            time: t(n as i64),
            subject: format!("commit {n}"),
            automation: change.is_some(),
            changes: change
                .map(|(app, build)| {
                    vec![ImageUpdate {
                        setter: Some(format!("{}:web:tag", ns(app))),
                        old: None,
                        new: tag(app, build),
                    }]
                })
                .unwrap_or_default(),
        }
    }

    fn push(&mut self, change: Option<(usize, usize)>) -> usize {
        let n = self.commits.len() + 1;
        self.commits.insert(0, Repo::commit(n, change));
        n
    }

    /// The log as the git worker sends it: its newest `window` commits (the worker's page is
    /// 200 until the user scrolls further), or all of them.
    fn update(&self, window: Option<usize>) -> Update {
        let n = window.unwrap_or(self.commits.len()).min(self.commits.len());
        Update::Commits(CommitLog {
            key: "flux-system/config".to_owned(),
            repository: "https://git.example/config".to_owned(),
            branch: "refs/heads/main".to_owned(),
            commits: self.commits[..n].to_vec(),
            complete: n == self.commits.len(),
            ..CommitLog::default()
        })
    }
}

/// 500 apps running build TAGS_PER_APP - 1, written by the last of 50,000 commits.
fn world() -> (State, Repo, Vec<usize>) {
    let mut state = State::new(fluxdeck::state::PodsWatch::All);
    let mut repo = Repo {
        commits: Vec::with_capacity(COMMITS + 5000),
    };
    let mut head_of = vec![0; APPS];
    // Automation commits spread over history; the rest human.
    for n in 1..=COMMITS {
        let app = n % APPS;
        let change = (n > COMMITS - APPS).then_some((app, TAGS_PER_APP - 1));
        if change.is_some() {
            head_of[app] = n;
        }
        repo.commits.push(Repo::commit(n, change));
    }
    repo.commits.reverse();
    state.apply_at(source(COMMITS, 0), t(0));
    for app in 0..APPS {
        let current = tag(app, TAGS_PER_APP - 1);
        for u in [
            repository(app, 100, std::slice::from_ref(&current)),
            policy(app, &current),
            automation(app),
            kustomization(app, COMMITS),
            pod(app, 1, &current, 50),
            pod(app, 2, &current, 60),
            scan(app, 0..TAGS_PER_APP),
        ] {
            state.apply_at(u, t(0));
        }
    }
    // The whole history once (as if scrolled to the first commit): the lanes number it all.
    state.apply_at(repo.update(None), t(0));
    (state, repo, head_of)
}

/// The updates of one release of `app`, build `build`, with their kind.
fn release(
    app: usize,
    build: usize,
    repo: &mut Repo,
    clock: i64,
    whole_log: bool,
) -> Vec<(&'static str, Update)> {
    let new = tag(app, build);
    let n = repo.push(Some((app, build)));
    let commit = if whole_log {
        ("commit (log of 50k)", repo.update(None))
    } else {
        ("commit (page of 200)", repo.update(Some(200)))
    };
    vec![
        (
            "registry scan",
            scan(app, build + 1 - TAGS_PER_APP..build + 1),
        ),
        (
            "flux scan",
            repository(app, clock, std::slice::from_ref(&new)),
        ),
        ("policy pick", policy(app, &new)),
        commit,
        ("fetch", source(n, clock)),
        ("apply", kustomization(app, n)),
        ("pod ready", pod(app, 1, &new, clock)),
        ("pod ready", pod(app, 2, &new, clock)),
    ]
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), samples[samples.len() - 1])
}

fn percentile_pass() {
    let (mut state, mut repo, _) = world();
    let mut by_kind: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    let mut all = Vec::new();
    let releases = 400;
    for i in 0..releases {
        let app = (i * 37) % APPS;
        let build = TAGS_PER_APP + i;
        // For the last 40 releases the user has scrolled the commits pane to the first commit,
        // so the worker sends the whole log from then on (it keeps what was loaded).
        let whole = i >= releases - 40;
        for (kind, update) in release(app, build, &mut repo, 1000 + i as i64, whole) {
            let start = Instant::now();
            state.apply_at(update, t(1000 + i as i64));
            let took = start.elapsed();
            if kind != "commit (log of 50k)" {
                all.push(took);
            }
            match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, v)) => v.push(took),
                None => by_kind.push((kind, vec![took])),
            }
        }
        let lane = state
            .lanes()
            .iter()
            .find(|l| l.policy.namespace == ns(app))
            .expect("lane");
        let current = lane.current().expect("release");
        assert_eq!(current.tag, tag(app, build));
        assert!(
            current.rolled_out(),
            "release {i} of {} rolled out",
            ns(app)
        );
    }
    assert!(
        state
            .lanes()
            .iter()
            .all(|l| l.releases().len() <= KEPT_RELEASES)
    );
    println!(
        "lanes: {APPS} apps, {} tags, {} commits; {releases} releases, {} updates",
        APPS * TAGS_PER_APP,
        repo.commits.len(),
        all.len()
    );
    for (kind, samples) in &mut by_kind {
        let (p50, p99, max) = percentiles(samples);
        println!("  {kind:<20} p50 {p50:>10.1?}  p99 {p99:>10.1?}  max {max:>10.1?}");
    }
    let (p50, p99, max) = percentiles(&mut all);
    println!(
        "  {:<18} p50 {p50:>10.1?}  p99 {p99:>10.1?}  max {max:>10.1?}",
        "every update (pages)"
    );
}

fn bench(c: &mut Criterion) {
    percentile_pass();
    let (mut state, mut repo, _) = world();
    let mut group = c.benchmark_group("lanes_500_apps");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    // One iteration is one update of a release cycle, played on the same growing state.
    let mut pending: Vec<Update> = Vec::new();
    let mut i = 0usize;
    group.bench_function("one_update_of_a_release", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if pending.is_empty() {
                    let app = (i * 37) % APPS;
                    pending = release(
                        app,
                        TAGS_PER_APP + 1000 + i,
                        &mut repo,
                        5000 + i as i64,
                        false,
                    )
                    .into_iter()
                    .rev()
                    .map(|(_, u)| u)
                    .collect();
                    i += 1;
                }
                if let Some(u) = pending.pop() {
                    let start = Instant::now();
                    state.apply_at(u, t(5000 + i as i64));
                    total += start.elapsed();
                }
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
