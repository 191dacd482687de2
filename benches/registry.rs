//! Benchmark of one registry scan of a repository with 10,000 images (criterion).
//!
//! - `loopback_sdk`: `workers::ecr::scan` through aws-sdk-ecr against the sandbox
//!   registry over loopback, pages of 1000 (10 `DescribeImages` calls): network, the sandbox's
//!   own JSON encoding, SDK decoding and assembly together;
//! - `recorded_json_decode_and_assembly`: the same 10 pages, recorded from the sandbox once,
//!   answered by aws-smithy-mocks: the SDK's real HTTP-response deserialisation, the paginator
//!   and assembly into a `RegistryScan`, with no network and no server;
//! - `assembly_only`: `ScanAssembler` over already-decoded SDK image details.
//!
//! - `recorded_decode_assembly_and_policy`: the replayed scan plus the ImagePolicy evaluated
//!   over its tags (default exclusion, filterTags with extract, numerical): issue 5's
//!   "DescribeImages over 10,000 tags plus policy evaluation, excluding network" figure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fluxdeck::sandbox::registry::ops::{Caller, dispatch};
use fluxdeck::sandbox::registry::{PushRequest, RegistryStore};
use fluxdeck::workers::ecr::{
    EcrClientConfig, RegistryScan, ScanAssembler, build_client, parse_ecr_image, scan,
};
use jiff::Timestamp;
use serde_json::json;

const IMAGES: u32 = 10_000;
const PAGE: i64 = 1000;
const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

/// 10,000 CI builds, `main-<hex>-<n>`; every 50th also `release-<n>`, every 20th untagged.
fn store() -> RegistryStore {
    let store = RegistryStore::new("123456789012", "us-west-2");
    store
        .create_repository("weaveworksdemos/front-end", false)
        .unwrap();
    let start = Timestamp::from_second(1_700_000_000).unwrap();
    for n in 0..IMAGES {
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":6400,"digest":"sha256:{n:064x}"}},"layers":[{{"size":2811478,"digest":"sha256:{:064x}"}},{{"size":{},"digest":"sha256:{:064x}"}}]}}"#,
            1u64 << 40,
            180_000 + n,
            u64::from(n) + (1 << 41)
        );
        let tag = (n % 20 != 7)
            .then(|| format!("main-{:07x}-{n}", (n * 2_654_435_761) >> 4 & 0xfff_ffff));
        let pushed_at = start
            .checked_add(jiff::SignedDuration::from_secs(i64::from(n) * 97))
            .unwrap();
        let request = PushRequest {
            tag,
            manifest: manifest.clone(),
            pushed_at: Some(pushed_at),
            ..PushRequest::default()
        };
        store
            .push_image("weaveworksdemos/front-end", request)
            .unwrap();
        if n % 50 == 0 {
            store
                .push(
                    "weaveworksdemos/front-end",
                    &format!("release-{n}"),
                    &manifest,
                )
                .unwrap();
        }
    }
    store
}

/// The sandbox's `DescribeImages` answers, page by page, exactly as it serves them.
fn recorded_pages(store: &RegistryStore) -> Vec<String> {
    let caller = Caller {
        region: "us-west-2".into(),
    };
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"registryId": "123456789012", "repositoryName": "weaveworksdemos/front-end", "maxResults": PAGE});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = dispatch(store, &caller, "DescribeImages", &body)
            .unwrap()
            .unwrap();
        token = page["nextToken"].as_str().map(str::to_string);
        pages.push(page.to_string());
        if token.is_none() {
            return pages;
        }
    }
}

/// A client that answers the recorded pages in order, through the SDK's deserialisers.
fn replaying(pages: &[String]) -> Client {
    let mut sequence = mock!(Client::describe_images).sequence();
    for page in pages {
        sequence = sequence.http_status(200, Some(page.clone()));
    }
    let rule = sequence.build();
    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
        .http_client(create_mock_http_client())
        .interceptor(
            MockResponseInterceptor::new()
                .rule_mode(RuleMode::Sequential)
                .with_rule(&rule),
        )
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn check(result: &RegistryScan) {
    assert_eq!(result.images.len(), IMAGES as usize);
    assert_eq!(result.pages, 10);
    assert_eq!(result.untagged().count(), (IMAGES / 20) as usize);
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let repo = parse_ecr_image(IMAGE).unwrap();
    let store = Arc::new(store());
    let pages = recorded_pages(&store);
    let server = runtime
        .block_on(store.start(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap();
    let config = EcrClientConfig {
        endpoint_url: Some(server.url.clone()),
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "bench", "bench", None, None, "bench",
        ))),
        max_attempts: 1,
        ..EcrClientConfig::default()
    };
    let loopback = runtime.block_on(build_client(&config, &repo)).unwrap();
    check(&runtime.block_on(scan(&loopback, &repo)).unwrap());
    check(&runtime.block_on(scan(&replaying(&pages), &repo)).unwrap());
    // Already-decoded SDK details for the assembly-only case, taken from one replayed scan.
    let sdk_pages: Vec<Vec<aws_sdk_ecr::types::ImageDetail>> = runtime.block_on(async {
        let client = replaying(&pages);
        let mut out = Vec::new();
        let mut paginator = client
            .describe_images()
            .registry_id(&repo.account)
            .repository_name(&repo.repository)
            .into_paginator()
            .page_size(PAGE as i32)
            .send();
        while let Some(page) = paginator.next().await {
            out.push(page.unwrap().image_details.unwrap_or_default());
        }
        out
    });

    let mut group = c.benchmark_group("registry_scan_10000_images");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("loopback_sdk", |b| {
        b.iter(|| runtime.block_on(scan(&loopback, &repo)).unwrap())
    });
    group.bench_function("recorded_json_decode_and_assembly", |b| {
        b.iter_batched(
            || replaying(&pages),
            |client| runtime.block_on(scan(&client, &repo)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // The issue's figure: DescribeImages over 10,000 images plus the ImagePolicy evaluated
    // over the scan's tags (exclusion list, filterTags with extract, numerical), no network.
    let policy = fluxdeck::policy::PolicySpec {
        choice: fluxdeck::policy::PolicyChoice::Numerical {
            order: fluxdeck::policy::Order::Asc,
        },
        filter: Some(fluxdeck::policy::FilterTags {
            pattern: "^main-[a-fA-F0-9]+-(?P<buildnumber>.*)".into(),
            extract: "$buildnumber".into(),
        }),
    }
    .compile()
    .unwrap();
    group.bench_function("recorded_decode_assembly_and_policy", |b| {
        b.iter_batched(
            || replaying(&pages),
            |client| {
                let result = runtime.block_on(scan(&client, &repo)).unwrap();
                let summary = fluxdeck::policy::ScanSummary::new(&result.tag_names(), &[]).unwrap();
                policy.latest(&summary.tags).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("assembly_only", |b| {
        b.iter_batched(
            || sdk_pages.clone(),
            |pages| {
                let mut assembler = ScanAssembler::new();
                for page in pages {
                    assembler.add_page(page);
                }
                assembler.finish(repo.clone(), Timestamp::UNIX_EPOCH)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
