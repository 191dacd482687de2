//! One repository of the sandbox registry: images in push order, indexed by digest and tag,
//! with ECR's push rules (digest = sha256 of the manifest, tags move unless immutable).

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::RegistryError;

/// Docker's manifest media type, ECR's default when neither the request nor the manifest says.
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// One stored image (manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Push order within the registry (the paging key).
    pub seq: u64,
    /// `sha256:<hex>` of the manifest bytes.
    pub digest: String,
    /// The manifest as pushed.
    pub manifest: String,
    /// The manifest media type.
    pub media_type: String,
    /// The config blob's media type (ECR's `artifactMediaType`).
    pub artifact_media_type: Option<String>,
    /// Tags on it, in the order they were put.
    pub tags: Vec<String>,
    /// When it was first pushed.
    pub pushed_at: Timestamp,
    /// Sum of the layer sizes the manifest declares.
    pub size_bytes: u64,
}

/// One repository.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The name, e.g. `weaveworksdemos/front-end`.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// `IMMUTABLE` tag mutability: a tag can never move.
    pub immutable: bool,
    /// Images in push order (ascending `seq`).
    pub images: Vec<StoredImage>,
    by_digest: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
}

/// What a push asks for.
#[derive(Debug, Clone, Default)]
pub struct PushRequest {
    /// The tag to put on the image (none: an untagged push).
    pub tag: Option<String>,
    /// The manifest JSON.
    pub manifest: String,
    /// The media type (default: the manifest's `mediaType`, then Docker v2).
    pub media_type: Option<String>,
    /// The digest the client expects (checked).
    pub digest: Option<String>,
    /// The push time (default: now).
    pub pushed_at: Option<Timestamp>,
}

/// `sha256:<hex>` of a manifest.
pub fn manifest_digest(manifest: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(manifest.as_bytes()))
    )
}

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && tag.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

impl Repository {
    /// An empty repository.
    pub fn new(name: &str, immutable: bool, created_at: Timestamp) -> Self {
        Repository {
            name: name.to_string(),
            created_at,
            immutable,
            images: Vec::new(),
            by_digest: HashMap::new(),
            by_tag: HashMap::new(),
        }
    }

    /// The image with this digest.
    pub fn by_digest(&self, digest: &str) -> Option<&StoredImage> {
        self.by_digest.get(digest).and_then(|&i| self.images.get(i))
    }

    /// The image a tag points at.
    pub fn by_tag(&self, tag: &str) -> Option<&StoredImage> {
        self.by_tag.get(tag).and_then(|&i| self.images.get(i))
    }

    /// Index of the first image pushed after `seq` (images are in ascending `seq`).
    pub fn position_after(&self, seq: u64) -> usize {
        self.images.partition_point(|i| i.seq <= seq)
    }

    /// Applies ECR's PutImage rules; `seq` numbers a new image.
    pub fn push(
        &mut self,
        req: PushRequest,
        seq: u64,
        account: &str,
    ) -> Result<StoredImage, RegistryError> {
        let parsed: Value = serde_json::from_str(&req.manifest).map_err(|e| {
            RegistryError::InvalidParameter(format!(
                "imageManifest is not valid JSON ({e}); send the image manifest document"
            ))
        })?;
        if !parsed.is_object() {
            return Err(RegistryError::InvalidParameter(
                "imageManifest must be a JSON object (an image manifest or index)".into(),
            ));
        }
        let digest = manifest_digest(&req.manifest);
        if let Some(expected) = &req.digest
            && *expected != digest
        {
            return Err(RegistryError::ImageDigestDoesNotMatch {
                expected: expected.clone(),
                actual: digest,
            });
        }
        if let Some(tag) = &req.tag
            && !valid_tag(tag)
        {
            return Err(RegistryError::InvalidParameter(format!(
                "imageTag '{tag}' is not a valid tag: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -"
            )));
        }
        let existing = self.by_digest.get(&digest).copied();
        if let Some(index) = existing {
            let already = match &req.tag {
                None => true,
                Some(tag) => self.by_tag.get(tag) == Some(&index),
            };
            if already {
                return Err(RegistryError::ImageAlreadyExists {
                    repository: self.name.clone(),
                    account: account.to_string(),
                    digest,
                    tag: req.tag.unwrap_or_default(),
                });
            }
        }
        if let Some(tag) = &req.tag
            && self.immutable
            && self.by_tag.contains_key(tag)
        {
            return Err(RegistryError::ImageTagAlreadyExists {
                repository: self.name.clone(),
                tag: tag.clone(),
            });
        }
        let index = match existing {
            Some(index) => index,
            None => {
                let index = self.images.len();
                let media_type = req
                    .media_type
                    .clone()
                    .or_else(|| parsed["mediaType"].as_str().map(str::to_string))
                    .unwrap_or_else(|| DOCKER_MANIFEST_V2.to_string());
                let size_bytes = parsed["layers"]
                    .as_array()
                    .map(|layers| layers.iter().filter_map(|l| l["size"].as_u64()).sum())
                    .unwrap_or(0);
                self.images.push(StoredImage {
                    seq,
                    digest: digest.clone(),
                    manifest: req.manifest.clone(),
                    media_type,
                    artifact_media_type: parsed["config"]["mediaType"].as_str().map(str::to_string),
                    tags: Vec::new(),
                    pushed_at: req.pushed_at.unwrap_or_else(Timestamp::now),
                    size_bytes,
                });
                self.by_digest.insert(digest, index);
                index
            }
        };
        if let Some(tag) = req.tag {
            if let Some(old) = self.by_tag.insert(tag.clone(), index)
                && let Some(image) = self.images.get_mut(old)
            {
                image.tags.retain(|t| *t != tag);
            }
            if let Some(image) = self.images.get_mut(index) {
                image.tags.push(tag);
            }
        }
        self.images.get(index).cloned().ok_or_else(|| {
            RegistryError::InvalidParameter("the image vanished while being pushed".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(
        r: &mut Repository,
        tag: Option<&str>,
        manifest: &str,
        seq: u64,
    ) -> Result<StoredImage, RegistryError> {
        r.push(
            PushRequest {
                tag: tag.map(str::to_string),
                manifest: manifest.to_string(),
                ..PushRequest::default()
            },
            seq,
            "123456789012",
        )
    }

    const M1: &str = r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"sha256:00"},"layers":[{"size":100},{"size":23}]}"#;
    const M2: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;

    #[test]
    fn digest_size_and_media_types_come_from_the_manifest() {
        let mut r = Repository::new("app", false, Timestamp::UNIX_EPOCH);
        let a = push(&mut r, Some("v1"), M1, 1).unwrap();
        assert_eq!(a.digest, manifest_digest(M1));
        assert_eq!(a.digest.len(), "sha256:".len() + 64);
        assert_eq!(a.size_bytes, 123);
        assert_eq!(a.media_type, DOCKER_MANIFEST_V2);
        assert_eq!(
            a.artifact_media_type.as_deref(),
            Some("application/vnd.docker.container.image.v1+json")
        );
        let b = push(&mut r, None, M2, 2).unwrap();
        assert_eq!(b.media_type, "application/vnd.oci.image.manifest.v1+json");
        assert!(b.tags.is_empty());
    }

    #[test]
    fn tags_move_add_and_duplicates_are_refused() {
        let mut r = Repository::new("app", false, Timestamp::UNIX_EPOCH);
        push(&mut r, Some("latest"), M1, 1).unwrap();
        push(&mut r, Some("v1"), M1, 2).unwrap();
        assert_eq!(
            r.by_digest(&manifest_digest(M1)).unwrap().tags,
            vec!["latest", "v1"]
        );
        assert_eq!(r.images.len(), 1);
        push(&mut r, Some("latest"), M2, 3).unwrap();
        assert_eq!(r.by_tag("latest").unwrap().digest, manifest_digest(M2));
        assert_eq!(r.by_digest(&manifest_digest(M1)).unwrap().tags, vec!["v1"]);
        assert!(matches!(
            push(&mut r, Some("v1"), M1, 4),
            Err(RegistryError::ImageAlreadyExists { .. })
        ));
        assert!(matches!(
            push(&mut r, None, M1, 5),
            Err(RegistryError::ImageAlreadyExists { .. })
        ));
        assert_eq!(r.position_after(0), 0);
        assert_eq!(r.position_after(1), 1);
        assert_eq!(r.position_after(3), 2);
    }

    #[test]
    fn immutable_tags_bad_manifests_tags_and_digests_are_refused() {
        let mut r = Repository::new("app", true, Timestamp::UNIX_EPOCH);
        push(&mut r, Some("v1"), M1, 1).unwrap();
        assert!(matches!(
            push(&mut r, Some("v1"), M2, 2),
            Err(RegistryError::ImageTagAlreadyExists { .. })
        ));
        assert!(matches!(
            push(&mut r, Some("v2"), "not json", 3),
            Err(RegistryError::InvalidParameter(_))
        ));
        assert!(matches!(
            push(&mut r, Some("v2"), "[1]", 3),
            Err(RegistryError::InvalidParameter(_))
        ));
        assert!(matches!(
            push(&mut r, Some("-bad"), M2, 3),
            Err(RegistryError::InvalidParameter(_))
        ));
        let wrong = r.push(
            PushRequest {
                manifest: M2.into(),
                digest: Some("sha256:0000".into()),
                ..PushRequest::default()
            },
            3,
            "123456789012",
        );
        assert!(matches!(
            wrong,
            Err(RegistryError::ImageDigestDoesNotMatch { .. })
        ));
        assert_eq!(r.images.len(), 1);
    }

    #[test]
    fn tag_grammar() {
        for ok in [
            "latest",
            "main-1f49071-24",
            "v1.2.3",
            "_x",
            &"a".repeat(128),
        ] {
            assert!(valid_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a b", "a:b", &"a".repeat(129)] {
            assert!(!valid_tag(bad), "{bad}");
        }
    }
}
