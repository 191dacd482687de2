//! Flux sources (GitRepository, OCIRepository, Bucket, HelmRepository): where a
//! Kustomization's revision comes from.

use compact_str::CompactString;
use jiff::Timestamp;
use serde_json::Value;

use super::conditions::FluxStatus;
use super::json::{compact, str_at, string_at, time_at};
use super::key::{Kind, ObjectKey};
use super::meta::{Meta, ModelError};

/// A source as fluxdeck shows it; one type for the four kinds because the panes show the
/// same columns for each.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Source {
    /// Kind, namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready, suspension, generations, reconcile tokens.
    pub status: FluxStatus,
    /// Where it fetches from: `spec.url`, or `endpoint/bucketName` for a Bucket.
    pub url: Option<String>,
    /// What it follows, e.g. `branch main`, `tag v1.2.3`, `semver >=1.0.0`.
    #[serde(with = "crate::model::compact::option")]
    pub reference: Option<CompactString>,
    /// `status.artifact.revision`, e.g. `main@sha1:…`.
    pub artifact_revision: Option<String>,
    /// `status.artifact.lastUpdateTime`.
    pub artifact_time: Option<Timestamp>,
    /// `spec.ref`, field by field (the git worker applies Flux's precedence).
    pub git_ref: GitRef,
    /// `spec.interval`, as written (Go duration).
    #[serde(with = "crate::model::compact::option")]
    pub interval: Option<CompactString>,
}

/// The fields of a GitRepository's `spec.ref`; empty strings read as absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GitRef {
    /// `spec.ref.commit`.
    #[serde(with = "crate::model::compact::option")]
    pub commit: Option<CompactString>,
    /// `spec.ref.name`.
    #[serde(with = "crate::model::compact::option")]
    pub name: Option<CompactString>,
    /// `spec.ref.semver`.
    #[serde(with = "crate::model::compact::option")]
    pub semver: Option<CompactString>,
    /// `spec.ref.tag`.
    #[serde(with = "crate::model::compact::option")]
    pub tag: Option<CompactString>,
    /// `spec.ref.branch`.
    #[serde(with = "crate::model::compact::option")]
    pub branch: Option<CompactString>,
}

impl GitRef {
    /// Reads `spec.ref` of a source object.
    pub fn parse(object: &Value) -> GitRef {
        let field = |name: &str| {
            string_at(object, &["spec", "ref", name])
                .map(|s: String| CompactString::from(s.trim()))
                .filter(|s| !s.is_empty())
        };
        GitRef {
            commit: field("commit"),
            name: field("name"),
            semver: field("semver"),
            tag: field("tag"),
            branch: field("branch"),
        }
    }
}

/// The `spec.ref` fields, in the precedence the source-controller applies.
pub(crate) const REF_FIELDS: [&str; 6] = ["commit", "name", "digest", "semver", "tag", "branch"];

impl Source {
    /// Reads a source of `kind` (one of the four source kinds).
    pub fn parse(kind: Kind, object: &Value) -> Result<Source, ModelError> {
        let meta = Meta::parse(kind, object)?;
        let url = match kind {
            Kind::Bucket => {
                let endpoint = string_at(object, &["spec", "endpoint"]);
                let bucket = string_at(object, &["spec", "bucketName"]);
                match (endpoint, bucket) {
                    (Some(e), Some(b)) => Some(format!("{e}/{b}")),
                    (e, b) => e.or(b),
                }
            }
            _ => string_at(object, &["spec", "url"]),
        };
        let reference = REF_FIELDS.iter().find_map(|field| {
            string_at(object, &["spec", "ref", field])
                .map(|value: String| compact_str::format_compact!("{field} {value}"))
        });
        Ok(Source {
            key: meta.key,
            created: meta.created,
            status: FluxStatus::parse(object),
            url,
            reference,
            artifact_revision: string_at(object, &["status", "artifact", "revision"]),
            artifact_time: time_at(object, &["status", "artifact", "lastUpdateTime"]),
            git_ref: GitRef::parse(object),
            interval: str_at(object, &["spec", "interval"]).and_then(compact),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conditions::Readiness;
    use crate::model::testdata;
    use serde_json::json;

    #[test]
    fn reads_a_git_repository() {
        let src = Source::parse(
            Kind::GitRepository,
            &testdata::json("gitrepository-sock-shop-tenant.json"),
        )
        .unwrap();
        assert_eq!(src.reference.as_deref(), Some("branch main"));
        assert_eq!(src.git_ref.branch.as_deref(), Some("main"));
        assert_eq!(src.git_ref.commit, None);
        assert!(src.interval.is_some());
        assert_eq!(
            src.artifact_revision.as_deref(),
            Some("main@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f")
        );
        assert_eq!(src.status.readiness(), Readiness::Ready);
        assert!(src.url.unwrap().ends_with("microservices-repo"));
    }

    #[test]
    fn reads_an_oci_repository_and_a_bucket() {
        let oci = Source::parse(
            Kind::OciRepository,
            &json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
                "metadata": {"name": "podinfo", "namespace": "apps"},
                "spec": {"url": "oci://ghcr.io/stefanprodan/manifests/podinfo", "ref": {"tag": "latest"}},
                "status": {"artifact": {"revision": "latest@sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de"}}
            }),
        )
        .unwrap();
        assert_eq!(oci.reference.as_deref(), Some("tag latest"));
        assert!(oci.artifact_revision.unwrap().starts_with("latest@sha256:"));

        let bucket = Source::parse(
            Kind::Bucket,
            &json!({"metadata": {"name": "b", "namespace": "n"},
                    "spec": {"endpoint": "s3.amazonaws.com", "bucketName": "manifests"}}),
        )
        .unwrap();
        assert_eq!(bucket.url.as_deref(), Some("s3.amazonaws.com/manifests"));
        assert_eq!(bucket.status.readiness(), Readiness::Unknown);
    }
}
