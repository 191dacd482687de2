//! What every object has: its key and its creation time. Reading these is the only place a
//! model parse can fail, because an object without a name cannot be shown or acted on.

use jiff::Timestamp;
use serde_json::Value;

use super::json::{str_at, time_at};
use super::key::{Kind, ObjectKey};

/// Why an object could not be read into a model type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The object's `kind` is not one fluxdeck reads.
    #[error(
        "object `{name}` has kind `{kind}`, which fluxdeck does not read; expected one of \
         Kustomization, GitRepository, OCIRepository, Bucket, HelmRepository, ImageRepository, \
         ImagePolicy, ImageUpdateAutomation or Pod (check the watcher's resource type)"
    )]
    UnknownKind {
        /// The `kind` found (or `<none>`).
        kind: String,
        /// The `metadata.name` found (or `<none>`).
        name: String,
    },
    /// The object has no `metadata.name`.
    #[error(
        "a {kind} has no `metadata.name`; every object from an API server has one, so pass \
         whole objects (not patches or partial status) to the model"
    )]
    MissingName {
        /// The kind being read.
        kind: Kind,
    },
}

/// The identity and age of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Kind, namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
}

impl Meta {
    /// Reads the name, namespace (empty when absent) and creation time of an object.
    pub fn parse(kind: Kind, object: &Value) -> Result<Meta, ModelError> {
        let name = str_at(object, &["metadata", "name"])
            .filter(|n| !n.is_empty())
            .ok_or(ModelError::MissingName { kind })?;
        let namespace = str_at(object, &["metadata", "namespace"]).unwrap_or("");
        Ok(Meta {
            key: ObjectKey::new(kind, namespace, name),
            created: time_at(object, &["metadata", "creationTimestamp"]),
        })
    }
}

/// A reference to another object (`sourceRef`, `imageRepositoryRef`): its namespace
/// defaults to the referring object's, as Flux resolves it. `None` when the name is missing
/// or the kind is not one fluxdeck knows.
pub fn object_ref(
    object: &Value,
    path: &[&str],
    default_kind: Option<Kind>,
    referrer_namespace: &str,
) -> Option<ObjectKey> {
    let reference = super::json::at(object, path)?;
    let name = str_at(reference, &["name"]).filter(|n| !n.is_empty())?;
    let kind = match str_at(reference, &["kind"]) {
        Some(kind) => Kind::from_name(kind)?,
        None => default_kind?,
    };
    let namespace = str_at(reference, &["namespace"])
        .filter(|n| !n.is_empty())
        .unwrap_or(referrer_namespace);
    Some(ObjectKey::new(kind, namespace, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn name_is_required_namespace_is_not() {
        let err = Meta::parse(Kind::Kustomization, &json!({"metadata": {}})).unwrap_err();
        assert_eq!(
            err,
            ModelError::MissingName {
                kind: Kind::Kustomization
            }
        );
        assert!(err.to_string().contains("metadata.name"));
        let meta = Meta::parse(Kind::Pod, &json!({"metadata": {"name": "p"}})).unwrap();
        assert_eq!(meta.key.namespace, "");
        assert_eq!(meta.created, None);
    }

    #[test]
    fn references_default_to_the_referrers_namespace() {
        let v = json!({"spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}}});
        assert_eq!(
            object_ref(&v, &["spec", "sourceRef"], None, "apps"),
            Some(ObjectKey::new(Kind::GitRepository, "apps", "repo"))
        );
        let v = json!({"spec": {"ref": {"name": "repo", "namespace": "other"}}});
        assert_eq!(
            object_ref(&v, &["spec", "ref"], Some(Kind::ImageRepository), "apps"),
            Some(ObjectKey::new(Kind::ImageRepository, "other", "repo"))
        );
        let v = json!({"spec": {"sourceRef": {"kind": "ExternalArtifact", "name": "x"}}});
        assert_eq!(object_ref(&v, &["spec", "sourceRef"], None, "apps"), None);
    }
}
