//! `DescribeImages` paging and the mapping of ECR's answers onto scan errors, with
//! aws-smithy-mocks standing in for the HTTP layer (moto does not paginate; these answers come
//! from the real SDK deserializers, so the error codes are parsed exactly as from ECR).

use aws_sdk_ecr::Client;
use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecr::operation::describe_images::{DescribeImagesError, DescribeImagesOutput};
use aws_sdk_ecr::primitives::DateTime;
use aws_sdk_ecr::types::ImageDetail;
use aws_sdk_ecr::types::error::RepositoryNotFoundException;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use fluxdeck::workers::ecr::{EcrRepo, ScanError, parse_ecr_image, scan};

const IMAGE: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

fn front_end() -> EcrRepo {
    parse_ecr_image(IMAGE).unwrap()
}

/// A client whose calls are answered by `rules`, with fake credentials and no retries.
fn mocked(rules: &[&Rule]) -> Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "mocks"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn detail(n: usize, tags: &[String], pushed: i64) -> ImageDetail {
    ImageDetail::builder()
        .registry_id("123456789012")
        .repository_name("weaveworksdemos/front-end")
        .image_digest(format!("sha256:{n:064x}"))
        .set_image_tags((!tags.is_empty()).then(|| tags.to_vec()))
        .image_pushed_at(DateTime::from_secs(pushed))
        .image_size_in_bytes(25_000_000)
        .build()
}

/// The CI tag of build `n`.
fn ci_tag(n: usize) -> String {
    format!("main-{:07x}-{n}", n * 7919 % 0xfff_ffff)
}

/// Image `n`: tagged `main-<hex>-<n>`, every 7th untagged, every 100th also `stable-<n>`.
fn image(n: usize) -> ImageDetail {
    let mut tags = Vec::new();
    if n % 7 != 3 {
        tags.push(ci_tag(n));
    }
    if n.is_multiple_of(100) {
        tags.push(format!("stable-{n}"));
    }
    detail(n, &tags, 1_700_000_000 + n as i64 * 60)
}

#[tokio::test]
async fn every_page_is_read_with_the_token_it_was_given() {
    const PAGES: usize = 3;
    let rule = mock!(Client::describe_images)
        .match_requests(|req| {
            req.registry_id() == Some("123456789012")
                && req.repository_name() == Some("weaveworksdemos/front-end")
                && req.max_results() == Some(1000)
        })
        .then_compute_output(|req| {
            // Page k answers token "page-k" (the first has none) and hands out "page-k+1".
            let page = match req.next_token() {
                None => 0,
                Some(t) => t
                    .strip_prefix("page-")
                    .and_then(|k| k.parse().ok())
                    .expect("a token this mock issued"),
            };
            let size = if page + 1 == PAGES { 437 } else { 1000 };
            let details = (page * 1000..page * 1000 + size).map(image).collect();
            DescribeImagesOutput::builder()
                .set_image_details(Some(details))
                .set_next_token((page + 1 < PAGES).then(|| format!("page-{}", page + 1)))
                .build()
        });
    let result = scan(&mocked(&[&rule]), &front_end()).await.unwrap();
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(result.pages, 3);
    assert_eq!(result.images.len(), 2437);
    let expected_tags: usize = (0..2437).map(|n| image(n).image_tags().len()).sum();
    assert_eq!(result.tag_count(), expected_tags);
    let untagged = (0..2437)
        .filter(|&n| image(n).image_tags().is_empty())
        .count();
    assert!(untagged > 300);
    assert_eq!(result.untagged().count(), untagged);
    // Images from the last page are there, with their push times, newest first in tags().
    let newest = result.tags()[0];
    assert_eq!(newest.tag, ci_tag(2436));
    assert_eq!(
        newest.pushed_at.map(|t| t.as_second()),
        Some(1_700_000_000 + 2436 * 60)
    );
    assert_eq!(
        result
            .image_for_tag("stable-2000")
            .map(|i| i.digest.clone()),
        Some(format!("sha256:{:064x}", 2000))
    );
}

#[tokio::test]
async fn a_tag_moved_while_paging_ends_on_the_newer_image() {
    let latest = || vec!["latest".to_string()];
    let rule =
        mock!(Client::describe_images).then_compute_output(move |req| match req.next_token() {
            None => DescribeImagesOutput::builder()
                .image_details(detail(1, &latest(), 100))
                .next_token("two")
                .build(),
            Some(_) => DescribeImagesOutput::builder()
                .image_details(detail(2, &latest(), 200))
                .build(),
        });
    let result = scan(&mocked(&[&rule]), &front_end()).await.unwrap();
    assert_eq!(result.tag_count(), 1);
    assert_eq!(
        result.image_for_tag("latest").map(|i| i.digest.clone()),
        Some(format!("sha256:{:064x}", 2))
    );
}

#[tokio::test]
async fn an_empty_repository_and_a_server_repeating_its_token_both_end() {
    let empty =
        mock!(Client::describe_images).then_output(|| DescribeImagesOutput::builder().build());
    let result = scan(&mocked(&[&empty]), &front_end()).await.unwrap();
    assert_eq!((result.pages, result.images.len()), (1, 0));

    // A broken server that always answers with the same token: the paginator stops on the
    // repeated token instead of looping forever.
    let stuck = mock!(Client::describe_images).then_compute_output(|_| {
        DescribeImagesOutput::builder()
            .image_details(image(1))
            .next_token("again")
            .build()
    });
    let result = scan(&mocked(&[&stuck]), &front_end()).await.unwrap();
    assert_eq!(stuck.num_calls(), 2);
    assert_eq!(result.images.len(), 1);
}

/// Scans once against a single canned HTTP answer.
async fn answer(status: u16, body: Option<&str>) -> ScanError {
    let rule = mock!(Client::describe_images)
        .sequence()
        .http_status(status, body.map(str::to_string))
        .build();
    scan(&mocked(&[&rule]), &front_end()).await.unwrap_err()
}

#[tokio::test]
async fn ecr_answers_map_onto_typed_errors() {
    let throttled = answer(
        400,
        Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#),
    )
    .await;
    assert_eq!(
        throttled,
        ScanError::Throttled {
            repository: "weaveworksdemos/front-end".into(),
            message: "Rate exceeded".into()
        }
    );
    assert!(matches!(
        answer(429, None).await,
        ScanError::Throttled { .. }
    ));
    assert!(matches!(
        answer(503, None).await,
        ScanError::Throttled { .. }
    ));

    let server = answer(
        500,
        Some(r#"{"__type":"ServerException","message":"boom"}"#),
    )
    .await;
    assert!(
        matches!(&server, ScanError::Server { status: 500, message, .. } if message == "boom"),
        "{server:?}"
    );
    assert!(matches!(
        answer(502, None).await,
        ScanError::Server { status: 502, .. }
    ));

    let denied = answer(
        400,
        Some(r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:DescribeImages"}"#),
    )
    .await;
    assert!(
        matches!(denied, ScanError::AccessDenied { .. }),
        "{denied:?}"
    );
    assert!(
        denied.to_string().contains("grant ecr:DescribeImages"),
        "{denied}"
    );

    let expired = answer(400, Some(r#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#)).await;
    assert!(
        matches!(&expired, ScanError::CredentialsRejected { code, .. } if code == "ExpiredTokenException"),
        "{expired:?}"
    );
    assert!(expired.to_string().contains("aws sso login"), "{expired}");

    let invalid = answer(
        400,
        Some(r#"{"__type":"InvalidParameterException","message":"bad"}"#),
    )
    .await;
    assert!(
        matches!(&invalid, ScanError::Other { message, .. } if message == "InvalidParameterException: bad"),
        "{invalid:?}"
    );

    let garbage = answer(200, Some("<html>proxy login</html>")).await;
    assert!(
        matches!(garbage, ScanError::Server { status: 200, .. }),
        "{garbage:?}"
    );
    assert!(garbage.to_string().contains("not ECR's JSON"), "{garbage}");

    for (e, transient) in [
        (throttled, true),
        (server, true),
        (denied, false),
        (expired, false),
        (invalid, false),
    ] {
        assert_eq!(e.is_transient(), transient, "{e:?}");
    }
}

#[tokio::test]
async fn a_modeled_not_found_names_account_region_and_fix() {
    let rule = mock!(Client::describe_images).then_error(|| {
        DescribeImagesError::RepositoryNotFoundException(
            RepositoryNotFoundException::builder()
                .message("The repository with name 'weaveworksdemos/front-end' does not exist in the registry with id '123456789012'")
                .build(),
        )
    });
    let e = scan(&mocked(&[&rule]), &front_end()).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "ECR repository 'weaveworksdemos/front-end' does not exist in account 123456789012, region us-west-2: \
         create it (aws ecr create-repository --repository-name weaveworksdemos/front-end --region us-west-2) \
         or fix the ImageRepository's spec.image"
    );
    assert_eq!(e.kind(), "not found");
    // Not transient: exactly one call, no retry.
    assert_eq!(rule.num_calls(), 1);
}
