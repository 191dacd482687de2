//! [`RawObject`]: what the watchers read from the API: the object's JSON text, and for the
//! Flux kinds a cluster has thousands of, the fields the model needs, decoded on the way in.
//!
//! kube's `DynamicObject` flattens everything but the metadata into a value through serde's
//! buffered `flatten` path, and a `serde_json::Value` tree costs an allocation per key and
//! string: at 20,000 Kustomizations two thirds of the start-up CPU went to building and
//! freeing those trees (issue 6). A `RawObject` keeps the JSON as text (one copy) and
//! decodes it once into [`FluxWire`] (the fields Kustomizations and sources read, nothing
//! else); the model builds those rows from it. Other kinds, and any object whose JSON has an
//! unexpected shape, are read from the text through `Value` as before (see `model::wire`).
//!
//! The text comes from serde_json's `RawValue`, which needs the object to be deserialized
//! straight from the JSON text: a list's items are, and so is a watch event's object
//! because API servers write `type` before `object` (serde buffers an adjacently tagged
//! enum's content only when it comes first).

use std::borrow::Cow;

use kube::api::{ApiResource, ObjectMeta};
use kube::core::{DynamicResourceScope, Resource};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::key::Kind;
use crate::model::meta::ModelError;
use crate::model::object::Object;
use crate::model::wire::FluxWire;

/// A watched object: its JSON text, its Flux fields when they decoded, and the metadata
/// fields the watcher reads.
#[derive(Debug, Clone)]
pub struct RawObject {
    meta: ObjectMeta,
    raw: Box<RawValue>,
    flux: Option<std::sync::Arc<FluxWire>>,
}

/// The metadata the watcher needs, for objects whose Flux fields did not decode.
#[derive(Default, Deserialize)]
#[serde(default)]
struct MetaOnly {
    metadata: MetaFields,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MetaFields {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    uid: Option<String>,
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let flux = serde_json::from_str::<FluxWire>(raw.get()).ok();
        let meta = match &flux {
            Some(f) => ObjectMeta {
                name: f.metadata.name.clone(),
                namespace: f.metadata.namespace.clone(),
                resource_version: f.metadata.resource_version.clone(),
                uid: f.metadata.uid.clone(),
                ..ObjectMeta::default()
            },
            None => {
                // Not an object of the usual shape: the watcher still needs its name and
                // version if they can be read; `Value` reads the rest in `RawObject::object`.
                let m = serde_json::from_str::<MetaOnly>(raw.get())
                    .map(|m| m.metadata)
                    .unwrap_or_default();
                ObjectMeta {
                    name: m.name,
                    namespace: m.namespace,
                    resource_version: m.resource_version,
                    uid: m.uid,
                    ..ObjectMeta::default()
                }
            }
        };
        Ok(RawObject {
            meta,
            raw,
            flux: flux.map(std::sync::Arc::new),
        })
    }
}

/// Why a watched object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Its JSON is not an object the model can read.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Its text is not JSON (cannot happen for text serde_json itself delimited).
    #[error("the API sent JSON that does not parse again: {0}")]
    Json(#[from] serde_json::Error),
}

impl RawObject {
    /// The object as the model reads it: from the decoded Flux fields for Kustomizations
    /// and sources, else from its JSON through `Value`.
    pub fn object(&self, kind: Kind) -> Result<Object, ReadError> {
        let is_source = matches!(
            kind,
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository
        );
        match &self.flux {
            Some(f) if kind == Kind::Kustomization => {
                Ok(Object::Kustomization(f.kustomization()?.into()))
            }
            Some(f) if is_source => Ok(Object::Source(f.source(kind)?.into())),
            _ => {
                let value: Value = serde_json::from_str(self.raw.get())?;
                Ok(Object::parse(kind, &value)?)
            }
        }
    }

    /// The JSON text as the API sent it.
    pub fn json(&self) -> &str {
        self.raw.get()
    }
}

impl Resource for RawObject {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        dt.kind.as_str().into()
    }

    fn group(dt: &ApiResource) -> Cow<'_, str> {
        dt.group.as_str().into()
    }

    fn version(dt: &ApiResource) -> Cow<'_, str> {
        dt.version.as_str().into()
    }

    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        dt.api_version.as_str().into()
    }

    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        dt.plural.as_str().into()
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_watchers_metadata_and_the_model_row() {
        let json = r#"{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system", "resourceVersion": "42",
                         "uid": "u-1", "managedFields": [{"manager": "kubectl"}]},
            "spec": {"path": "./apps", "sourceRef": {"kind": "GitRepository", "name": "repo"}},
            "status": {"lastAppliedRevision": "main@sha1:abc"}}"#;
        let o: RawObject = serde_json::from_str(json).unwrap();
        assert!(o.flux.is_some());
        assert_eq!(o.meta().name.as_deref(), Some("apps"));
        assert_eq!(o.meta().namespace.as_deref(), Some("flux-system"));
        assert_eq!(o.meta().resource_version.as_deref(), Some("42"));
        assert_eq!(o.meta().uid.as_deref(), Some("u-1"));
        let value: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            o.object(Kind::Kustomization).unwrap(),
            Object::parse(Kind::Kustomization, &value).unwrap()
        );
        let bare: RawObject = serde_json::from_str("{}").unwrap();
        assert_eq!(bare.meta().name, None);
        assert!(bare.object(Kind::Kustomization).is_err());
    }

    #[test]
    fn an_unusual_shape_is_read_through_value_with_its_metadata() {
        // `suspend` as a string: the fast decode refuses it, `Value` reads it as absent.
        let json = r#"{"metadata": {"name": "apps", "namespace": "ns", "resourceVersion": "7"},
            "spec": {"suspend": "yes", "path": "./apps"}}"#;
        let o: RawObject = serde_json::from_str(json).unwrap();
        assert!(o.flux.is_none());
        assert_eq!(o.meta().resource_version.as_deref(), Some("7"));
        let Object::Kustomization(k) = o.object(Kind::Kustomization).unwrap() else {
            panic!("not a Kustomization");
        };
        assert_eq!(k.path.as_deref(), Some("./apps"));
        assert!(!k.status.suspended);
    }

    #[test]
    fn watch_events_carry_the_object_text() {
        let line = r#"{"type": "MODIFIED", "object": {"metadata": {"name": "p", "namespace": "n"},
            "spec": {"containers": []}}}"#;
        let ev: kube::core::WatchEvent<RawObject> = serde_json::from_str(line).unwrap();
        let kube::core::WatchEvent::Modified(o) = ev else {
            panic!("not MODIFIED");
        };
        assert_eq!(o.meta().name.as_deref(), Some("p"));
        assert!(o.json().contains("containers"));
    }
}
