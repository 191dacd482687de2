//! Benchmark of `fluxdeck::setters::apply_tree` (criterion): a generated tree of 2,000 YAML
//! files holding 1,000 markers, walked and rewritten.
//!
//! - `dry_run`: screen, parse, rewrite and diff every marked file, write nothing;
//! - `in_place`: the same with atomic writes, on a fresh copy of the tree each iteration
//!   (the copy is made outside the timed section).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/integration/support/setters.rs"]
#[allow(dead_code)]
mod setters_support;

use criterion::{Criterion, criterion_group, criterion_main};
use fluxdeck::setters::{ImageRef, Output, PolicyRef, apply_tree};
use setters_support::copy_tree;

const FILES: usize = 2_000;
const MARKERS: usize = 1_000;

fn policies() -> Vec<PolicyRef> {
    (0..10)
        .map(|i| PolicyRef {
            namespace: "apps".into(),
            name: format!("app-{i}"),
            latest: ImageRef::parse(&format!("registry.example.com:5000/team/app-{i}:2.0.{i}"))
                .unwrap(),
        })
        .collect()
}

/// 2,000 Deployment files in 20 directories; 500 of them carry two markers each (an image
/// marker and a tag marker), the rest none.
fn generate(root: &Path) {
    for i in 0..FILES {
        let dir = root.join(format!("team-{:02}", i % 20));
        fs::create_dir_all(&dir).unwrap();
        let app = i % 10;
        let marked = i % 4 == 0;
        let image = if marked {
            format!(
                "registry.example.com:5000/team/app-{app}:1.0.0 # {{\"$imagepolicy\": \"apps:app-{app}\"}}"
            )
        } else {
            format!("registry.example.com:5000/team/app-{app}:1.0.0")
        };
        let tag = if marked {
            format!("\"1.0.0\" # {{\"$imagepolicy\": \"apps:app-{app}:tag\"}}")
        } else {
            "\"1.0.0\"".to_owned()
        };
        let text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: apps\n  labels:\n    app.kubernetes.io/name: app-{app}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        env:\n        - name: VERSION\n          value: {tag}\n        ports:\n        - containerPort: 8080\n        resources:\n          limits:\n            memory: 128Mi\n"
        );
        fs::write(dir.join(format!("deploy-{i:04}.yaml")), text).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let template = tempfile::tempdir().unwrap();
    generate(template.path());
    let policies = policies();
    let check = apply_tree(template.path(), ".", &policies, Output::DryRun).unwrap();
    assert_eq!(
        check.changes.len(),
        MARKERS,
        "the tree must hold {MARKERS} live markers"
    );
    assert_eq!(check.changed_files.len(), MARKERS / 2);

    let mut group = c.benchmark_group("setters_apply_tree_2000_files_1000_markers");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("dry_run", |b| {
        b.iter(|| apply_tree(template.path(), ".", &policies, Output::DryRun).unwrap())
    });
    group.bench_function("in_place", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let work = tempfile::tempdir().unwrap();
                copy_tree(template.path(), work.path());
                let start = Instant::now();
                let result = apply_tree(work.path(), ".", &policies, Output::InPlace).unwrap();
                total += start.elapsed();
                assert_eq!(result.written.len(), MARKERS / 2);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
