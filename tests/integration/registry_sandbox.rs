//! The sandbox's ECR-compatible endpoint, driven by the real aws-sdk-ecr client over loopback:
//! every served operation, real paging, ECR's error shapes, and what happens without a
//! signature.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::support::registry::{client, manifest, repo};
use aws_sdk_ecr::types::{ImageIdentifier, TagStatus};
use fluxdeck::sandbox::SandboxError;
use fluxdeck::sandbox::registry::{PushRequest, RegistryServer, RegistryStore, manifest_digest};
use serde_json::Value;

const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app";

async fn serve(store: &Arc<RegistryStore>) -> RegistryServer {
    store
        .start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("registry starts")
}

fn empty_store() -> Arc<RegistryStore> {
    Arc::new(RegistryStore::new("123456789012", "us-west-2"))
}

#[tokio::test]
async fn sdk_round_trip_of_every_operation() {
    let store = empty_store();
    let server = serve(&store).await;
    let ecr = client(&server.url, &repo(IMAGE)).await;

    let created = ecr
        .create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    let created = created.repository.unwrap();
    assert_eq!(created.repository_uri(), Some(IMAGE));
    assert_eq!(created.registry_id(), Some("123456789012"));
    let again = ecr
        .create_repository()
        .repository_name("team/app")
        .send()
        .await
        .unwrap_err();
    assert!(
        again
            .as_service_error()
            .unwrap()
            .is_repository_already_exists_exception()
    );

    let m1 = manifest(1);
    let put = ecr
        .put_image()
        .repository_name("team/app")
        .image_manifest(&m1)
        .image_tag("v1")
        .send()
        .await
        .unwrap();
    let d1 = put.image.unwrap().image_id.unwrap().image_digest.unwrap();
    assert_eq!(d1, manifest_digest(&m1));
    ecr.put_image()
        .repository_name("team/app")
        .image_manifest(&m1)
        .image_tag("latest")
        .send()
        .await
        .unwrap();
    ecr.put_image()
        .repository_name("team/app")
        .image_manifest(manifest(2))
        .send()
        .await
        .unwrap();
    let dup = ecr
        .put_image()
        .repository_name("team/app")
        .image_manifest(&m1)
        .image_tag("v1")
        .send()
        .await
        .unwrap_err();
    assert!(
        dup.as_service_error()
            .unwrap()
            .is_image_already_exists_exception()
    );

    let described = ecr
        .describe_images()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    let details = described.image_details();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0].image_tags(), ["v1", "latest"]);
    assert_eq!(details[0].image_size_in_bytes(), Some(2000));
    assert!(details[0].image_pushed_at().is_some());
    assert!(details[1].image_tags().is_empty());
    let tagged = ecr
        .describe_images()
        .repository_name("team/app")
        .filter(
            aws_sdk_ecr::types::DescribeImagesFilter::builder()
                .tag_status(TagStatus::Untagged)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.image_details().len(), 1);

    let listed = ecr
        .list_images()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.image_ids().len(), 3);

    let got = ecr
        .batch_get_image()
        .repository_name("team/app")
        .image_ids(ImageIdentifier::builder().image_tag("latest").build())
        .image_ids(ImageIdentifier::builder().image_tag("nope").build())
        .send()
        .await
        .unwrap();
    assert_eq!(got.images()[0].image_manifest(), Some(m1.as_str()));
    assert_eq!(
        got.failures()[0].failure_code().map(|c| c.as_str()),
        Some("ImageNotFound")
    );

    let token = ecr.get_authorization_token().send().await.unwrap();
    let data = &token.authorization_data()[0];
    assert!(data.authorization_token().is_some_and(|t| !t.is_empty()));
    assert!(data.expires_at().is_some());

    let repos = ecr
        .describe_repositories()
        .repository_names("team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(repos.repositories()[0].repository_name(), Some("team/app"));
    let missing = ecr
        .describe_images()
        .repository_name("nope")
        .send()
        .await
        .unwrap_err();
    let missing = missing.into_service_error();
    assert!(missing.is_repository_not_found_exception());
    assert_eq!(
        aws_sdk_ecr::error::ProvideErrorMetadata::message(&missing),
        Some(
            "The repository with name 'nope' does not exist in the registry with id '123456789012'"
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn describe_and_list_images_page_for_real() {
    let store = empty_store();
    store.create_repository("team/app", false).unwrap();
    for n in 0..2345u32 {
        let tag = (n % 10 != 0).then(|| format!("build-{n}"));
        store
            .push_image(
                "team/app",
                PushRequest {
                    tag,
                    manifest: manifest(n),
                    ..PushRequest::default()
                },
            )
            .unwrap();
    }
    let server = serve(&store).await;
    let ecr = client(&server.url, &repo(IMAGE)).await;

    let mut pages = ecr
        .describe_images()
        .repository_name("team/app")
        .into_paginator()
        .page_size(1000)
        .send();
    let mut sizes = Vec::new();
    let mut digests = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        sizes.push(page.image_details().len());
        digests.extend(
            page.image_details()
                .iter()
                .filter_map(|d| d.image_digest().map(str::to_string)),
        );
    }
    assert_eq!(sizes, vec![1000, 1000, 345]);
    let mut unique = digests.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2345);
    let describe_calls = store
        .calls()
        .iter()
        .filter(|c| c.operation == "DescribeImages" && c.status == 200)
        .count();
    assert_eq!(describe_calls, 3);

    let ids: Vec<ImageIdentifier> = ecr
        .list_images()
        .repository_name("team/app")
        .into_paginator()
        .page_size(700)
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(ids.len(), 2345);
    assert_eq!(ids.iter().filter(|i| i.image_tag().is_none()).count(), 235);

    // The default page is ECR's 100.
    let first = ecr
        .describe_images()
        .repository_name("team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(first.image_details().len(), 100);
    assert!(first.next_token().is_some());
    let bad = ecr
        .describe_images()
        .repository_name("team/app")
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert!(bad.into_service_error().is_invalid_parameter_exception());
}

#[tokio::test]
async fn another_region_is_another_registry() {
    let store = empty_store();
    store.create_repository("team/app", false).unwrap();
    let server = serve(&store).await;
    let elsewhere = client(
        &server.url,
        &repo("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"),
    )
    .await;
    let e = elsewhere
        .describe_images()
        .repository_name("team/app")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_repository_not_found_exception());
    let e = elsewhere
        .create_repository()
        .repository_name("other")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_invalid_parameter_exception());
}

async fn post(url: &str, target: Option<&str>, auth: bool, body: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string());
    if let Some(t) = target {
        req = req.header(
            "x-amz-target",
            format!("AmazonEC2ContainerRegistry_V20150921.{t}"),
        );
    }
    if auth {
        req = req.header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/ecr/aws4_request, SignedHeaders=host, Signature=00",
        );
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Posts and checks the answer's HTTP status and `__type`; returns the body.
async fn expect(url: &str, target: &str, auth: bool, body: &str, status: u16, code: &str) -> Value {
    let (got, answer) = post(url, Some(target), auth, body).await;
    assert_eq!(
        (got, answer["__type"].as_str()),
        (status, Some(code)),
        "{target}: {answer}"
    );
    answer
}

#[tokio::test]
async fn unsigned_unknown_and_malformed_requests_get_aws_errors() {
    let store = empty_store();
    let server = serve(&store).await;
    let url = server.url.as_str();
    expect(
        url,
        "DescribeRepositories",
        false,
        "{}",
        400,
        "MissingAuthenticationTokenException",
    )
    .await;
    expect(
        url,
        "DeleteRepository",
        true,
        "{}",
        400,
        "UnknownOperationException",
    )
    .await;
    expect(
        url,
        "DescribeImages",
        true,
        "{not json",
        400,
        "SerializationException",
    )
    .await;
    let body = expect(
        url,
        "DescribeImages",
        true,
        "{}",
        400,
        "InvalidParameterException",
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("repositoryName"),
        "{body}"
    );
    let (status, body) = post(url, Some("DescribeRepositories"), true, "").await;
    assert_eq!(
        (status, body["repositories"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let get = reqwest::get(format!("{url}/v2/")).await.unwrap();
    assert_eq!(get.status().as_u16(), 404);
    let statuses: Vec<u16> = store.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![400, 400, 400, 400, 200, 404]);
}

#[tokio::test]
async fn injected_faults_answer_like_ecr() {
    let store = empty_store();
    let server = serve(&store).await;
    store.throttle_next(1);
    store.fail_next(1);
    let url = server.url.as_str();
    expect(
        url,
        "DescribeRepositories",
        true,
        "{}",
        400,
        "ThrottlingException",
    )
    .await;
    expect(
        url,
        "DescribeRepositories",
        true,
        "{}",
        500,
        "ServerException",
    )
    .await;
    let (status, _) = post(url, Some("DescribeRepositories"), true, "{}").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn only_loopback_and_drop_stops_the_server() {
    let store = empty_store();
    let e = store
        .start(SocketAddr::from(([0, 0, 0, 0], 0)))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, SandboxError::NotLoopback(_)), "{e}");
    let server = serve(&store).await;
    let url = server.url.clone();
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        reqwest::get(format!("{url}/")).await.is_err(),
        "still serving after drop"
    );
}
