use super::super::{call, dispatch};
use super::*;

fn store_with(n: usize) -> RegistryStore {
    let store = RegistryStore::new("123456789012", "us-west-2");
    store.create_repository("app", false).unwrap();
    for i in 0..n {
        let manifest = format!(r#"{{"schemaVersion":2,"n":{i}}}"#);
        if i % 3 == 2 {
            store
                .push_image(
                    "app",
                    PushRequest {
                        manifest,
                        ..PushRequest::default()
                    },
                )
                .unwrap();
        } else {
            store.push("app", &format!("t{i}"), &manifest).unwrap();
        }
    }
    store
}

#[test]
fn describe_images_pages_through_everything_with_filters() {
    let store = store_with(10);
    let mut digests = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"repositoryName": "app", "maxResults": 3});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let out = call(&store, "DescribeImages", body).unwrap();
        pages += 1;
        for d in out["imageDetails"].as_array().unwrap() {
            digests.push(d["imageDigest"].as_str().unwrap().to_string());
        }
        token = out["nextToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(digests.len(), 10);
    let tagged = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "filter": {"tagStatus": "TAGGED"}}),
    )
    .unwrap();
    assert_eq!(tagged["imageDetails"].as_array().unwrap().len(), 7);
    let untagged = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "filter": {"tagStatus": "UNTAGGED"}}),
    )
    .unwrap();
    let untagged = untagged["imageDetails"].as_array().unwrap();
    assert_eq!(untagged.len(), 3);
    assert!(untagged[0].get("imageTags").is_none());
    // An exact page end leaves no token behind.
    let exact = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "maxResults": 10}),
    )
    .unwrap();
    assert!(exact.get("nextToken").is_none());
}

#[test]
fn bad_paging_input_is_invalid_parameter() {
    let store = store_with(2);
    for body in [
        json!({"repositoryName": "app", "maxResults": 0}),
        json!({"repositoryName": "app", "maxResults": 1001}),
        json!({"repositoryName": "app", "nextToken": "garbage!"}),
        json!({"repositoryName": "app", "nextToken": encode_token("ListImages|app", 1)}),
        json!({"repositoryName": "app", "filter": {"tagStatus": "SOME"}}),
        json!({"repositoryName": "app", "imageIds": [{"imageTag": "t0"}], "maxResults": 5}),
        json!({"repositoryName": 7}),
    ] {
        let e = call(&store, "DescribeImages", body.clone()).unwrap_err();
        assert_eq!(e.code(), "InvalidParameterException", "{body}: {e}");
    }
}

#[test]
fn describe_images_by_id_and_not_found() {
    let store = store_with(2);
    let out = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "imageIds": [{"imageTag": "t1"}]}),
    )
    .unwrap();
    assert_eq!(out["imageDetails"][0]["imageTags"], json!(["t1"]));
    let e = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "imageIds": [{"imageTag": "nope"}]}),
    )
    .unwrap_err();
    assert_eq!(e.code(), "ImageNotFoundException");
    let e = call(&store, "DescribeImages", json!({"repositoryName": "nope"})).unwrap_err();
    assert_eq!(e.code(), "RepositoryNotFoundException");
    let e = call(
        &store,
        "DescribeImages",
        json!({"repositoryName": "app", "registryId": "111111111111"}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "The repository with name 'app' does not exist in the registry with id '111111111111'"
    );
    let other_region = Caller {
        region: "eu-west-1".into(),
    };
    let e = dispatch(
        &store,
        &other_region,
        "DescribeImages",
        &json!({"repositoryName": "app"}),
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(e.code(), "RepositoryNotFoundException");
    assert!(dispatch(&store, &other_region, "DeleteRepository", &json!({})).is_none());
}

#[test]
fn list_images_lists_one_id_per_tag_and_untagged_digests() {
    let store = store_with(3);
    store
        .push("app", "latest", r#"{"schemaVersion":2,"n":1}"#)
        .unwrap();
    let out = call(&store, "ListImages", json!({"repositoryName": "app"})).unwrap();
    let ids = out["imageIds"].as_array().unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().any(|i| i["imageTag"] == "latest"));
    assert!(ids.iter().any(|i| i.get("imageTag").is_none()));
}

#[test]
fn put_and_batch_get_round_trip() {
    let store = RegistryStore::new("123456789012", "us-west-2");
    call(
        &store,
        "CreateRepository",
        json!({"repositoryName": "app", "imageTagMutability": "IMMUTABLE"}),
    )
    .unwrap();
    let manifest = r#"{"schemaVersion":2,"layers":[{"size":10}]}"#;
    let out = call(
        &store,
        "PutImage",
        json!({"repositoryName": "app", "imageManifest": manifest, "imageTag": "v1"}),
    )
    .unwrap();
    let digest = out["image"]["imageId"]["imageDigest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(digest, crate::sandbox::registry::manifest_digest(manifest));
    let e = call(&store, "PutImage", json!({"repositoryName": "app", "imageManifest": r#"{"schemaVersion":2}"#, "imageTag": "v1"})).unwrap_err();
    assert_eq!(e.code(), "ImageTagAlreadyExistsException");
    let got = call(&store, "BatchGetImage", json!({"repositoryName": "app", "imageIds": [
        {"imageTag": "v1"}, {"imageTag": "v2"}, {}, {"imageTag": "v1", "imageDigest": "sha256:00"}
    ]}))
    .unwrap();
    assert_eq!(got["images"][0]["imageManifest"], manifest);
    assert_eq!(got["images"][0]["imageId"]["imageDigest"], digest);
    let codes: Vec<&str> = got["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["failureCode"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            "ImageNotFound",
            "MissingDigestAndTag",
            "ImageTagDoesNotMatchDigest"
        ]
    );
}
