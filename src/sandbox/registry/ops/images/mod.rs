//! The image operations: `DescribeImages`, `ListImages` (both paged), `PutImage`,
//! `BatchGetImage`.
//!
//! `ListImages` pages by image, so a page of `maxResults` images may hold more image ids than
//! that when images carry several tags (ECR counts ids); clients that follow `nextToken` see
//! every id either way.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::error::RegistryError;
use super::super::repository::{PushRequest, Repository, StoredImage};
use super::super::store::RegistryStore;
use super::request::{Caller, addressed, parse_addressed};
use super::shapes::{decode_token, encode_token, epoch_seconds, page_size};

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
    let req: ImagesRequest = parse_addressed(store, caller, body, operation)?;
    let scope = format!("{operation}|{}", req.repository_name);
    store.with_repository(&req.repository_name, |repo| f(&req, repo, &scope))?
}

addressed!(ImagesRequest, PutImageRequest, BatchGetImageRequest);

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
    let req: PutImageRequest = parse_addressed(store, caller, body, "PutImage")?;
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
    let req: BatchGetImageRequest = parse_addressed(store, caller, body, "BatchGetImage")?;
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
mod tests;
