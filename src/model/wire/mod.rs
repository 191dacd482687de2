//! The fast path for the kinds a cluster has thousands of (Kustomizations and Flux
//! sources): their JSON decoded straight into the few fields the model keeps, with no
//! `serde_json::Value` tree in between.
//!
//! A `Value` tree costs an allocation per key, string and map (and a SipHash per key with
//! `preserve_order`); at a start with tens of thousands of Kustomizations, building and freeing
//! those trees dominated the CPU profile (figures in the README's performance notes).
//! [`FluxWire`] names only what
//! `Kustomization::parse` and `Source::parse` read; serde skips everything else.
//!
//! The `Value` readers stay the reference. This path must give exactly what they give, and
//! it only runs when the JSON has the expected shape: a field of another type (a number
//! where a string belongs, a condition that is not an object, a duplicate key) fails the
//! decode, and the caller then reads the object through `Value` as before, which is
//! tolerant of all of that. Tests compare both paths on the fixtures and on generated
//! objects.

use compact_str::CompactString;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::conditions::{CondStatus, Condition, FluxStatus, MESSAGE_MAX, ReconcileTokens};
use super::json::bounded;
use super::key::{Kind, ObjectKey};
use super::kustomization::{Kustomization, attempted_if_different, workloads};
use super::meta::ModelError;
use super::source::{GitRef, REF_FIELDS, Source};

/// The fields of a Flux object that the Kustomization and source models read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FluxWire {
    /// `metadata`.
    pub metadata: MetaWire,
    /// `spec`.
    pub spec: SpecWire,
    /// `status`.
    pub status: StatusWire,
}

/// `metadata`: identity, age, generation, deletion and the reconcile annotation.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MetaWire {
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// `metadata.resourceVersion` (for the watcher).
    pub resource_version: Option<String>,
    /// `metadata.uid` (for the watcher).
    pub uid: Option<String>,
    creation_timestamp: Option<String>,
    generation: Option<i64>,
    /// Any non-null value means the object is being deleted.
    deletion_timestamp: Option<IgnoredAny>,
    annotations: Option<AnnotationsWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnnotationsWire {
    #[serde(rename = "reconcile.fluxcd.io/requestedAt")]
    requested_at: Option<String>,
}

/// `spec`: the union of what Kustomizations and sources read.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SpecWire {
    source_ref: Option<RefWire>,
    path: Option<String>,
    interval: Option<String>,
    depends_on: Option<Vec<RefWire>>,
    suspend: Option<bool>,
    url: Option<String>,
    endpoint: Option<String>,
    bucket_name: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<GitRefWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RefWire {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GitRefWire {
    commit: Option<String>,
    name: Option<String>,
    digest: Option<String>,
    semver: Option<String>,
    tag: Option<String>,
    branch: Option<String>,
}

impl GitRefWire {
    fn field(&self, name: &str) -> Option<&String> {
        match name {
            "commit" => self.commit.as_ref(),
            "name" => self.name.as_ref(),
            "digest" => self.digest.as_ref(),
            "semver" => self.semver.as_ref(),
            "tag" => self.tag.as_ref(),
            "branch" => self.branch.as_ref(),
            _ => None,
        }
    }
}

/// `status`: conditions, generations, revisions, the artifact.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StatusWire {
    observed_generation: Option<i64>,
    conditions: Option<Vec<ConditionWire>>,
    last_applied_revision: Option<String>,
    last_attempted_revision: Option<String>,
    last_handled_reconcile_at: Option<String>,
    artifact: Option<ArtifactWire>,
    inventory: Option<InventoryWire>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InventoryWire {
    entries: Option<Vec<EntryWire>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EntryWire {
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ConditionWire {
    #[serde(rename = "type")]
    type_: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    last_transition_time: Option<String>,
    observed_generation: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ArtifactWire {
    revision: Option<String>,
    last_update_time: Option<String>,
}

/// What `json::string_at` gives: a non-empty string, owned.
fn non_empty<T: for<'a> From<&'a str>>(s: &Option<String>) -> Option<T> {
    s.as_deref().filter(|s| !s.is_empty()).map(T::from)
}

fn time(s: &Option<String>) -> Option<jiff::Timestamp> {
    s.as_deref()?.parse().ok()
}

impl ConditionWire {
    fn to_condition(&self) -> Option<Condition> {
        Some(Condition {
            type_: self.type_.as_deref()?.into(),
            status: CondStatus::parse(self.status.as_deref().unwrap_or("")),
            reason: self.reason.as_deref().unwrap_or_default().into(),
            message: bounded(self.message.as_deref().unwrap_or(""), MESSAGE_MAX),
            last_transition: time(&self.last_transition_time),
            observed_generation: self.observed_generation,
        })
    }
}

impl FluxWire {
    fn conditions(&self) -> &[ConditionWire] {
        self.status.conditions.as_deref().unwrap_or(&[])
    }

    fn condition_true(&self, type_: &str) -> bool {
        self.conditions()
            .iter()
            .any(|c| c.type_.as_deref() == Some(type_) && c.status.as_deref() == Some("True"))
    }

    fn flux_status(&self) -> FluxStatus {
        let m = &self.metadata;
        FluxStatus {
            generation: m.generation,
            observed_generation: self.status.observed_generation,
            ready: self
                .conditions()
                .iter()
                .find(|c| c.type_.as_deref() == Some("Ready"))
                .and_then(ConditionWire::to_condition),
            reconciling: self.condition_true("Reconciling"),
            stalled: self.condition_true("Stalled"),
            suspended: self.spec.suspend.unwrap_or(false),
            deleting: m.deletion_timestamp.is_some(),
            tokens: ReconcileTokens::boxed(
                m.annotations
                    .as_ref()
                    .and_then(|a| non_empty(&a.requested_at)),
                non_empty(&self.status.last_handled_reconcile_at),
            ),
        }
    }

    /// Name (required, non-empty), namespace ("" when absent), creation time.
    fn identity(&self, kind: Kind) -> Result<(ObjectKey, Option<jiff::Timestamp>), ModelError> {
        let m = &self.metadata;
        let name = m
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .ok_or(ModelError::MissingName { kind })?;
        let namespace = m.namespace.as_deref().unwrap_or("");
        Ok((
            ObjectKey::new(kind, namespace, name),
            time(&m.creation_timestamp),
        ))
    }

    /// The object as a Kustomization (as `Kustomization::parse` reads it).
    pub fn kustomization(&self) -> Result<Kustomization, ModelError> {
        let (key, created) = self.identity(Kind::Kustomization)?;
        let namespace = key.namespace.as_str();
        let source = self.spec.source_ref.as_ref().and_then(|r| {
            let name = r.name.as_deref().filter(|n| !n.is_empty())?;
            // A Kustomization's sourceRef has no default kind.
            let kind = Kind::from_name(r.kind.as_deref()?)?;
            let ns = r.namespace.as_deref().filter(|n| !n.is_empty());
            Some(ObjectKey::new(kind, ns.unwrap_or(namespace), name))
        });
        let depends_on = self
            .spec
            .depends_on
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .filter_map(|dep| {
                let name: CompactString = non_empty(&dep.name)?;
                let ns: CompactString =
                    non_empty(&dep.namespace).unwrap_or_else(|| namespace.into());
                Some(ObjectKey::new(Kind::Kustomization, ns, name))
            })
            .collect();
        let last_applied_revision = non_empty(&self.status.last_applied_revision);
        let entries = self
            .status
            .inventory
            .as_ref()
            .and_then(|i| i.entries.as_deref())
            .unwrap_or(&[]);
        Ok(Kustomization {
            workloads: workloads(entries.iter().filter_map(|e| e.id.as_deref())),
            source,
            path: non_empty(&self.spec.path),
            interval: non_empty(&self.spec.interval),
            depends_on,
            last_attempted_revision: attempted_if_different(
                non_empty(&self.status.last_attempted_revision),
                &last_applied_revision,
            ),
            last_applied_revision,
            status: self.flux_status(),
            key,
            created,
        })
    }

    /// The object as a source of `kind` (as `Source::parse` reads it).
    pub fn source(&self, kind: Kind) -> Result<Source, ModelError> {
        let (key, created) = self.identity(kind)?;
        let spec = &self.spec;
        let url = match kind {
            Kind::Bucket => match (non_empty(&spec.endpoint), non_empty(&spec.bucket_name)) {
                (Some(e), Some(b)) => Some(format!("{e}/{b}")),
                (e, b) => e.or(b),
            },
            _ => non_empty(&spec.url),
        };
        let git_ref = spec.git_ref.as_ref();
        let ref_field = |name: &str| {
            git_ref
                .and_then(|r| r.field(name))
                .filter(|s| !s.is_empty())
        };
        let reference = REF_FIELDS.iter().find_map(|field| {
            ref_field(field).map(|value| compact_str::format_compact!("{field} {value}"))
        });
        let trimmed = |name: &str| {
            ref_field(name)
                .map(|s| CompactString::from(s.trim()))
                .filter(|s| !s.is_empty())
        };
        Ok(Source {
            key,
            created,
            status: self.flux_status(),
            url,
            reference,
            artifact_revision: self
                .status
                .artifact
                .as_ref()
                .and_then(|a| non_empty(&a.revision)),
            artifact_time: self
                .status
                .artifact
                .as_ref()
                .and_then(|a| time(&a.last_update_time)),
            git_ref: GitRef {
                commit: trimmed("commit"),
                name: trimmed("name"),
                semver: trimmed("semver"),
                tag: trimmed("tag"),
                branch: trimmed("branch"),
            },
            interval: non_empty(&spec.interval),
        })
    }
}

#[cfg(test)]
mod tests;
