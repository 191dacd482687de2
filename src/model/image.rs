//! The image-reflector kinds: ImageRepository (what the registry holds) and ImagePolicy
//! (which tag Flux picked), read from `v1` or `v1beta2`.

use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use super::conditions::FluxStatus;
use super::json::{array_at, at, i64_at, str_at, string_at, time_at};
use super::key::{Kind, ObjectKey};
use super::meta::{Meta, ModelError, object_ref};
use crate::policy::PolicySpec;

/// An image reference as Flux's `latestRef` holds it: name, tag and optional digest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRef {
    /// The repository, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end`.
    pub name: String,
    /// The tag, e.g. `main-1f49071-24` (empty when the reference has none).
    pub tag: String,
    /// The digest, when reflected.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Reads a structured `{name, tag, digest}` ref; `None` without a tag.
    pub fn from_fields(value: &Value) -> Option<ImageRef> {
        Some(ImageRef {
            name: str_at(value, &["name"]).unwrap_or("").to_owned(),
            tag: string_at(value, &["tag"])?,
            digest: string_at(value, &["digest"]),
        })
    }

    /// Splits an image string `name[:tag][@digest]` (the pre-v1 `latestImage` form). The tag
    /// is what follows the last `:` after the last `/`, so registry ports stay in the name.
    pub fn parse(image: &str) -> ImageRef {
        let (reference, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (image, None),
        };
        let slash = reference.rfind('/').map_or(0, |i| i + 1);
        let last_segment = reference.get(slash..).unwrap_or("");
        match last_segment.rfind(':') {
            Some(colon) => {
                let cut = slash + colon;
                ImageRef {
                    name: reference.get(..cut).unwrap_or(reference).to_owned(),
                    tag: reference.get(cut + 1..).unwrap_or("").to_owned(),
                    digest,
                }
            }
            None => ImageRef {
                name: reference.to_owned(),
                tag: String::new(),
                digest,
            },
        }
    }
}

impl fmt::Display for ImageRef {
    /// `name:tag[@digest]`, Flux's `ImageRef.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)?;
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// An ImageRepository as fluxdeck shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRepository {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready, suspension, generations, reconcile tokens.
    pub status: FluxStatus,
    /// `spec.image`.
    pub image: Option<String>,
    /// `status.lastScanResult.scanTime`.
    pub last_scan: Option<Timestamp>,
    /// `status.lastScanResult.tagCount` (after exclusions).
    pub tag_count: Option<i64>,
    /// `status.lastScanResult.latestTags` (up to 10, as Flux stores them).
    pub latest_tags: Vec<String>,
    /// `spec.exclusionList` (empty: Flux's default, `^.*\\.sig$`).
    pub exclusion_list: Vec<String>,
    /// `spec.interval`, as written (Go duration).
    pub interval: Option<String>,
}

impl ImageRepository {
    /// Reads an ImageRepository of any served version.
    pub fn parse(object: &Value) -> Result<ImageRepository, ModelError> {
        let meta = Meta::parse(Kind::ImageRepository, object)?;
        Ok(ImageRepository {
            key: meta.key,
            created: meta.created,
            status: FluxStatus::parse(object),
            image: string_at(object, &["spec", "image"]),
            last_scan: time_at(object, &["status", "lastScanResult", "scanTime"]),
            tag_count: i64_at(object, &["status", "lastScanResult", "tagCount"]),
            latest_tags: array_at(object, &["status", "lastScanResult", "latestTags"])
                .iter()
                .filter_map(Value::as_str)
                .take(10)
                .map(str::to_owned)
                .collect(),
            exclusion_list: array_at(object, &["spec", "exclusionList"])
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            interval: string_at(object, &["spec", "interval"]),
        })
    }
}

/// An ImagePolicy as fluxdeck shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImagePolicy {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready, suspension, generations, reconcile tokens.
    pub status: FluxStatus,
    /// `spec.imageRepositoryRef`, resolved to a key.
    pub repository: Option<ObjectKey>,
    /// The rule in words, e.g. `numerical asc` or `semver >=1.0.0`.
    pub rule: Option<String>,
    /// The selected image: `status.latestRef`, else the older `status.latestImage`.
    pub latest: Option<ImageRef>,
    /// The one before: `status.observedPreviousRef`, else `status.observedPreviousImage`.
    pub previous: Option<ImageRef>,
    /// `spec.policy` and `spec.filterTags` for local evaluation, or why they cannot be read
    /// (the policy engine's message).
    pub spec: Result<PolicySpec, String>,
}

impl ImagePolicy {
    /// Reads an ImagePolicy of `v1` (`latestRef`), Flux 2.6's `v1beta2` (both forms) or
    /// Flux 2.5's `v1beta2` (`latestImage` only).
    pub fn parse(object: &Value) -> Result<ImagePolicy, ModelError> {
        let meta = Meta::parse(Kind::ImagePolicy, object)?;
        let namespace = meta.key.namespace.clone();
        let image_ref = |structured: &str, flat: &str| {
            at(object, &["status", structured])
                .and_then(ImageRef::from_fields)
                .or_else(|| string_at(object, &["status", flat]).map(|s| ImageRef::parse(&s)))
        };
        Ok(ImagePolicy {
            repository: object_ref(
                object,
                &["spec", "imageRepositoryRef"],
                Some(Kind::ImageRepository),
                &namespace,
            ),
            rule: policy_rule(object),
            latest: image_ref("latestRef", "latestImage"),
            previous: image_ref("observedPreviousRef", "observedPreviousImage"),
            spec: PolicySpec::from_spec(at(object, &["spec"]).unwrap_or(&Value::Null))
                .map_err(|e| e.to_string()),
            status: FluxStatus::parse(object),
            key: meta.key,
            created: meta.created,
        })
    }
}

/// `spec.policy` in words.
fn policy_rule(object: &Value) -> Option<String> {
    if let Some(range) = str_at(object, &["spec", "policy", "semver", "range"]) {
        return Some(format!("semver {range}"));
    }
    ["numerical", "alphabetical"].iter().find_map(|rule| {
        let choice = at(object, &["spec", "policy", rule])?;
        let order = str_at(choice, &["order"]).unwrap_or("asc");
        Some(format!("{rule} {order}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;

    const ECR: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end";

    #[test]
    fn image_strings_split_at_the_tag_not_the_port() {
        let r = ImageRef::parse("registry:5000/team/app:v1.2.3@sha256:abc");
        assert_eq!(r.name, "registry:5000/team/app");
        assert_eq!(r.tag, "v1.2.3");
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(r.to_string(), "registry:5000/team/app:v1.2.3@sha256:abc");
        let r = ImageRef::parse("registry:5000/app");
        assert_eq!((r.name.as_str(), r.tag.as_str()), ("registry:5000/app", ""));
    }

    #[test]
    fn reads_image_repositories_of_both_versions() {
        for fixture in ["imagerepository-v1.json", "imagerepository-v1beta2.json"] {
            let repo = ImageRepository::parse(&testdata::json(fixture)).unwrap();
            assert_eq!(repo.tag_count, Some(24), "{fixture}");
            assert_eq!(repo.latest_tags.len(), 10, "{fixture}");
            assert_eq!(repo.image.as_deref(), Some(ECR), "{fixture}");
            assert!(repo.last_scan.is_some(), "{fixture}");
            assert!(repo.interval.is_some(), "{fixture}");
            assert_eq!(
                repo.exclusion_list,
                vec!["^.*\\.sig$".to_owned()],
                "{fixture}"
            );
        }
    }

    #[test]
    fn reads_the_latest_and_previous_ref_from_every_policy_shape() {
        for fixture in [
            "imagepolicy-v1.json",
            "imagepolicy-v1beta2-flux26.json",
            "imagepolicy-v1beta2-flux25.json",
        ] {
            let policy = ImagePolicy::parse(&testdata::json(fixture)).unwrap();
            let latest = policy.latest.as_ref().expect(fixture);
            assert_eq!(latest.name, ECR, "{fixture}");
            assert_eq!(latest.tag, "main-1f49071-24", "{fixture}");
            assert_eq!(
                policy.previous.as_ref().map(|p| p.tag.as_str()),
                Some("main-8c2d3e4-23"),
                "{fixture}"
            );
            assert_eq!(policy.rule.as_deref(), Some("numerical asc"), "{fixture}");
            let spec = policy.spec.as_ref().expect(fixture);
            assert!(spec.filter.is_some(), "{fixture}");
            assert_eq!(
                policy.repository,
                Some(ObjectKey::new(
                    Kind::ImageRepository,
                    "sock-shop",
                    "sock-shop-front-end"
                ))
            );
        }
    }

    #[test]
    fn a_policy_that_never_resolved_has_no_latest() {
        let policy = ImagePolicy::parse(&serde_json::json!({
            "metadata": {"name": "p", "namespace": "n"},
            "spec": {"policy": {"semver": {"range": ">=1.0.0"}}},
            "status": {"latestRef": {"name": "x"}, "latestImage": 3}
        }))
        .unwrap();
        assert_eq!(policy.latest, None);
        assert_eq!(policy.rule.as_deref(), Some("semver >=1.0.0"));
        assert_eq!(policy.repository, None);
        let broken = ImagePolicy::parse(&serde_json::json!({
            "metadata": {"name": "p", "namespace": "n"}, "spec": {}
        }))
        .unwrap();
        assert!(broken.spec.is_err());
    }
}
