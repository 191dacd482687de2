//! The image operations: `DescribeImages`, `ListImages` (both paged), `PutImage`,
//! `BatchGetImage`.
//!
//! `ListImages` pages by image, so a page of `maxResults` images may hold more image ids than
//! that when images carry several tags (ECR counts ids); clients that follow `nextToken` see
//! every id either way.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::repository::{PushRequest, Repository, StoredImage};
use super::super::{RegistryError, RegistryStore};
use super::{Caller, check_registry, decode_token, encode_token, epoch_seconds, page_size, parse};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageIdentifier {
    image_digest: Option<String>,
    image_tag: Option<String>,
}

impl ImageIdentifier {
    fn describe(&self) -> String {
        match (&self.image_tag, &self.image_digest) {
            (Some(t), Some(d)) => format!("'{{imageTag={t}, imageDigest={d}}}'"),
            (Some(t), None) => format!("'{{imageTag={t}}}'"),
            (None, Some(d)) => format!("'{{imageDigest={d}}}'"),
            (None, None) => "'{}'".to_string(),
        }
    }

    fn find<'r>(&self, repo: &'r Repository) -> Result<&'r StoredImage, &'static str> {
        match (&self.image_tag, &self.image_digest) {
            (None, None) => Err("MissingDigestAndTag"),
            (Some(t), Some(d)) => match repo.by_tag(t) {
                Some(i) if i.digest == *d => Ok(i),
                Some(_) => Err("ImageTagDoesNotMatchDigest"),
                None => Err("ImageNotFound"),
            },
            (Some(t), None) => repo.by_tag(t).ok_or("ImageNotFound"),
            (None, Some(d)) => repo.by_digest(d).ok_or("ImageNotFound"),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TagFilter {
    tag_status: Option<String>,
}

impl TagFilter {
    fn admits(&self, image: &StoredImage) -> Result<bool, RegistryError> {
        match self.tag_status.as_deref() {
            None | Some("ANY") => Ok(true),
            Some("TAGGED") => Ok(!image.tags.is_empty()),
            Some("UNTAGGED") => Ok(image.tags.is_empty()),
            Some(other) => Err(RegistryError::InvalidParameter(format!(
                "filter.tagStatus '{other}' is not one of TAGGED, UNTAGGED, ANY"
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImagesRequest {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Option<Vec<ImageIdentifier>>,
    next_token: Option<String>,
    max_results: Option<i64>,
    #[serde(default)]
    filter: TagFilter,
}

fn image_detail(store: &RegistryStore, repo: &Repository, image: &StoredImage) -> Value {
    let mut v = json!({
        "registryId": store.account(),
        "repositoryName": repo.name,
        "imageDigest": image.digest,
        "imageSizeInBytes": image.size_bytes,
        "imagePushedAt": epoch_seconds(image.pushed_at),
        "imageManifestMediaType": image.media_type,
    });
    if !image.tags.is_empty() {
        v["imageTags"] = json!(image.tags);
    }
    if let Some(a) = &image.artifact_media_type {
        v["artifactMediaType"] = json!(a);
    }
    v
}

/// Applies `filter`, `nextToken` and `maxResults` over a repository's images.
fn page<'r>(
    req: &ImagesRequest,
    repo: &'r Repository,
    scope: &str,
) -> Result<(Vec<&'r StoredImage>, Option<String>), RegistryError> {
    let size = page_size(req.max_results)?;
    let after = decode_token(req.next_token.as_deref(), scope)?;
    let mut out = Vec::with_capacity(size.min(repo.images.len()));
    let mut rest = repo.images.iter().skip(repo.position_after(after));
    for image in rest.by_ref() {
        if req.filter.admits(image)? {
            out.push(image);
            if out.len() == size {
                break;
            }
        }
    }
    let more = out.len() == size && rest.any(|i| req.filter.admits(i).unwrap_or(false));
    let token = match out.last() {
        Some(last) if more => Some(encode_token(scope, last.seq)),
        _ => None,
    };
    Ok((out, token))
}

/// The front both listing operations share: parse, check the registry, find the repository.
fn images_request<T>(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
    operation: &str,
    f: impl FnOnce(&ImagesRequest, &Repository, &str) -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    let req: ImagesRequest = parse(body, operation)?;
    check_registry(
        store,
        caller,
        req.registry_id.as_deref(),
        &req.repository_name,
    )?;
    let scope = format!("{operation}|{}", req.repository_name);
    store.with_repository(&req.repository_name, |repo| f(&req, repo, &scope))?
}

/// `{field: items}`, plus `nextToken` when there is more.
fn paged(field: &str, items: Vec<Value>, token: Option<String>) -> Value {
    let mut out = json!({ field: items });
    if let Some(t) = token {
        out["nextToken"] = json!(t);
    }
    out
}

pub(super) fn describe_images(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    images_request(store, caller, body, "DescribeImages", |req, repo, scope| {
        if let Some(ids) = &req.image_ids {
            if req.max_results.is_some() || req.next_token.is_some() {
                return Err(RegistryError::InvalidParameter(
                    "imageIds cannot be combined with maxResults or nextToken: drop one".into(),
                ));
            }
            let mut details = Vec::with_capacity(ids.len());
            for id in ids {
                let image = id.find(repo).map_err(|_| RegistryError::ImageNotFound {
                    repository: repo.name.clone(),
                    image: id.describe(),
                })?;
                details.push(image_detail(store, repo, image));
            }
            return Ok(paged("imageDetails", details, None));
        }
        let (images, token) = page(req, repo, scope)?;
        let details = images
            .iter()
            .map(|i| image_detail(store, repo, i))
            .collect();
        Ok(paged("imageDetails", details, token))
    })
}

pub(super) fn list_images(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    images_request(store, caller, body, "ListImages", |req, repo, scope| {
        let (images, token) = page(req, repo, scope)?;
        let mut ids = Vec::new();
        for image in images {
            if image.tags.is_empty() {
                ids.push(json!({"imageDigest": image.digest}));
            }
            for tag in &image.tags {
                ids.push(json!({"imageDigest": image.digest, "imageTag": tag}));
            }
        }
        Ok(paged("imageIds", ids, token))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageRequest {
    registry_id: Option<String>,
    repository_name: String,
    image_manifest: String,
    image_manifest_media_type: Option<String>,
    image_tag: Option<String>,
    image_digest: Option<String>,
}

pub(super) fn put_image(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    let req: PutImageRequest = parse(body, "PutImage")?;
    check_registry(
        store,
        caller,
        req.registry_id.as_deref(),
        &req.repository_name,
    )?;
    let tag = req.image_tag.clone();
    let image = store.push_image(
        &req.repository_name,
        PushRequest {
            tag: req.image_tag,
            manifest: req.image_manifest,
            media_type: req.image_manifest_media_type,
            digest: req.image_digest,
            pushed_at: None,
        },
    )?;
    let mut image_id = json!({"imageDigest": image.digest});
    if let Some(t) = tag {
        image_id["imageTag"] = json!(t);
    }
    Ok(json!({"image": image_json(store, &req.repository_name, image_id, &image)}))
}

/// ECR's `Image`: the manifest with the id it was asked or pushed by.
fn image_json(
    store: &RegistryStore,
    repository: &str,
    image_id: Value,
    image: &StoredImage,
) -> Value {
    json!({
        "registryId": store.account(),
        "repositoryName": repository,
        "imageId": image_id,
        "imageManifest": image.manifest,
        "imageManifestMediaType": image.media_type,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetImageRequest {
    registry_id: Option<String>,
    repository_name: String,
    image_ids: Vec<ImageIdentifier>,
}

pub(super) fn batch_get_image(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    let req: BatchGetImageRequest = parse(body, "BatchGetImage")?;
    check_registry(
        store,
        caller,
        req.registry_id.as_deref(),
        &req.repository_name,
    )?;
    store.with_repository(&req.repository_name, |repo| {
        let mut images = Vec::new();
        let mut failures = Vec::new();
        for id in &req.image_ids {
            let mut image_id = json!({});
            if let Some(d) = &id.image_digest {
                image_id["imageDigest"] = json!(d);
            }
            if let Some(t) = &id.image_tag {
                image_id["imageTag"] = json!(t);
            }
            match id.find(repo) {
                Ok(image) => {
                    image_id["imageDigest"] = json!(image.digest);
                    images.push(image_json(store, &repo.name, image_id, image));
                }
                Err(code) => failures.push(json!({
                    "imageId": image_id,
                    "failureCode": code,
                    "failureReason": match code {
                        "MissingDigestAndTag" => "Missing image digest and tag",
                        "ImageTagDoesNotMatchDigest" => "Requested image tag does not match the digest",
                        _ => "Requested image not found",
                    },
                })),
            }
        }
        json!({"images": images, "failures": failures})
    })
}

#[cfg(test)]
mod tests {
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
}
