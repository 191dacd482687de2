//! Benchmark of `fluxdeck::policy` (criterion): 100k realistic tags through the exclusion
//! list, the tag filter and each policy. Target: < 50 ms for each pipeline.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fluxdeck::policy::{
    FilterTags, Order, PolicyChoice, PolicySpec, ScanSummary, exclude, repository_order,
};

const PIPELINE_PATTERN: &str = "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)";

/// 100k tags like an ECR repository's: CI builds, releases, signatures and junk.
fn tags() -> Vec<String> {
    // A small LCG keeps the data deterministic without a dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        state >> 33
    };
    (0..100_000u64)
        .map(|i| match i % 10 {
            0..=5 => format!("main-{:07x}-{i}", next() & 0xfff_ffff),
            6 => format!("v{}.{}.{}", next() % 5, next() % 30, next() % 100),
            7 => format!(
                "{}.{}.{}-rc.{}",
                next() % 5,
                next() % 30,
                next() % 100,
                next() % 9
            ),
            8 => format!("sha256-{:016x}.sig", next()),
            _ => format!("feature-{:x}-{}", next() % 0xffff, next() % 1000),
        })
        .collect()
}

fn compiled(
    choice: PolicyChoice,
    pattern: Option<&str>,
    extract: &str,
) -> fluxdeck::policy::CompiledPolicy {
    let filter = pattern.map(|p| FilterTags {
        pattern: p.to_owned(),
        extract: extract.to_owned(),
    });
    PolicySpec { choice, filter }
        .compile()
        .expect("valid policy")
}

fn bench(c: &mut Criterion) {
    let listed = tags();
    let mut stored = exclude(&listed, &[]).expect("default exclusion");
    repository_order(&mut stored);

    c.bench_function("exclusion_default_100k", |b| {
        b.iter(|| exclude(black_box(&listed), &[]).expect("ok"))
    });
    c.bench_function("scan_summary_100k", |b| {
        b.iter(|| ScanSummary::new(black_box(&listed), &[]).expect("ok"))
    });

    let numerical = compiled(
        PolicyChoice::Numerical { order: Order::Asc },
        Some(PIPELINE_PATTERN),
        "$buidnumber",
    );
    c.bench_function("numerical_pipeline_filter_100k", |b| {
        b.iter(|| numerical.latest(black_box(&stored)).expect("ok"))
    });
    c.bench_function("exclusion_filter_numerical_100k", |b| {
        b.iter(|| {
            let kept = exclude(black_box(&listed), &[]).expect("ok");
            numerical.latest(&kept).expect("ok")
        })
    });

    let semver = compiled(
        PolicyChoice::Semver {
            range: ">=1.0.0 <4.0.0".into(),
        },
        None,
        "",
    );
    c.bench_function("semver_100k", |b| {
        b.iter(|| semver.latest(black_box(&stored)).expect("ok"))
    });
    let semver_rc = compiled(
        PolicyChoice::Semver {
            range: "^2.x-0".into(),
        },
        Some(".*-rc.*"),
        "",
    );
    c.bench_function("semver_rc_filter_100k", |b| {
        b.iter(|| semver_rc.latest(black_box(&stored)).expect("ok"))
    });

    let alpha = compiled(PolicyChoice::Alphabetical { order: Order::Asc }, None, "");
    c.bench_function("alphabetical_100k", |b| {
        b.iter(|| alpha.latest(black_box(&stored)).expect("ok"))
    });
    let alpha_filter = compiled(
        PolicyChoice::Alphabetical { order: Order::Desc },
        Some(PIPELINE_PATTERN),
        "$buidnumber",
    );
    c.bench_function("alphabetical_pipeline_filter_100k", |b| {
        b.iter(|| alpha_filter.latest(black_box(&stored)).expect("ok"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
