//! [`RawObject`]: what the watchers read from the API: the object's JSON text, and for the
//! Flux kinds a cluster has thousands of, the fields the model needs, decoded on the way in.
//!
//! kube's `DynamicObject` flattens everything but the metadata into a value through serde's
//! buffered `flatten` path, and a `serde_json::Value` tree costs an allocation per key and
//! string: at 20,000 Kustomizations two thirds of the start-up CPU went to building and
//! freeing those trees (issue 6). A `RawObject` takes the JSON as text (one copy) and
//! decodes it once into [`FluxWire`] (the fields Kustomizations and sources read, nothing
//! else); the model builds those rows from it. Other kinds, and any object whose JSON has an
//! unexpected shape, are read from the text through `Value` as before (see `model::wire`).
//! The row is built right there, as the watcher's kind ([`READING`]), and the text dropped.
//!
//! The text comes from serde_json's `RawValue`, which needs the object to be deserialized
//! straight from the JSON text: a list's items are, and so is a watch event's object
//! because API servers write `type` before `object` (serde buffers an adjacently tagged
//! enum's content only when it comes first).

use std::borrow::Cow;
use std::sync::Arc;

use kube::api::{ApiResource, ObjectMeta};
use kube::core::{DynamicResourceScope, Resource};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::key::Kind;
use crate::model::meta::ModelError;
use crate::model::object::Object;
use crate::model::wire::FluxWire;

tokio::task_local! {
    /// The kind a watcher reads. Objects deserialized under it are read into model rows as
    /// they arrive and their text is dropped (see [`RawObject`]).
    pub static READING: Kind;
}

/// A watched object: the metadata fields the watcher reads, and the model row read from it
/// as it arrived (or why it cannot be read).
///
/// The row is read while the list page is decoded, under the watcher's [`READING`] kind: a
/// page then holds rows, not text that is freed once read. Text freed between rows leaves
/// holes glibc cannot give back: with pages of 2,000 objects that kept 4 MB of the TUI's RSS
/// at 2,000 Kustomizations and 6 MB at 20,000 (issue 6). Decoding one without a kind set is
/// an error.
#[derive(Debug, Clone)]
pub struct RawObject {
    meta: ObjectMeta,
    read: Result<Object, Arc<ReadError>>,
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
                // version if they can be read; `Value` reads the rest in `read`.
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
        let kind = READING.try_with(|kind| *kind).map_err(|_| {
            D::Error::custom("an object was decoded outside a watcher: no kind to read it as")
        })?;
        let read = read(kind, flux.as_ref(), &raw).map_err(Arc::new);
        Ok(RawObject { meta, read })
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
    /// The object as the model reads it (read as it arrived, as its watcher's kind).
    pub fn object(&self) -> Result<Object, Arc<ReadError>> {
        self.read.clone()
    }
}

/// Reads an object of `kind` from its decoded Flux fields for Kustomizations and sources,
/// else from its JSON text through `Value`.
fn read(kind: Kind, flux: Option<&FluxWire>, raw: &RawValue) -> Result<Object, ReadError> {
    let is_source = matches!(
        kind,
        Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository
    );
    match flux {
        Some(f) if kind == Kind::Kustomization => {
            Ok(Object::Kustomization(f.kustomization()?.into()))
        }
        Some(f) if is_source => Ok(Object::Source(f.source(kind)?.into())),
        _ => {
            let value: Value = serde_json::from_str(raw.get())?;
            Ok(Object::parse(kind, &value)?)
        }
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
        let o = as_kustomization(json).unwrap();
        // Read by the fast decode.
        assert!(serde_json::from_str::<FluxWire>(json).is_ok());
        assert_eq!(o.meta().name.as_deref(), Some("apps"));
        assert_eq!(o.meta().namespace.as_deref(), Some("flux-system"));
        assert_eq!(o.meta().resource_version.as_deref(), Some("42"));
        assert_eq!(o.meta().uid.as_deref(), Some("u-1"));
        let value: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            o.object().unwrap(),
            Object::parse(Kind::Kustomization, &value).unwrap()
        );
        let bare = as_kustomization("{}").unwrap();
        assert_eq!(bare.meta().name, None);
        assert!(bare.object().is_err());
        // Outside a watcher there is no kind to read it as.
        assert!(serde_json::from_str::<RawObject>(json).is_err());
    }

    #[test]
    fn an_unusual_shape_is_read_through_value_with_its_metadata() {
        // `suspend` as a string: the fast decode refuses it, `Value` reads it as absent.
        let json = r#"{"metadata": {"name": "apps", "namespace": "ns", "resourceVersion": "7"},
            "spec": {"suspend": "yes", "path": "./apps"}}"#;
        let o = as_kustomization(json).unwrap();
        // Refused by the fast decode.
        assert!(serde_json::from_str::<FluxWire>(json).is_err());
        assert_eq!(o.meta().resource_version.as_deref(), Some("7"));
        let Object::Kustomization(k) = o.object().unwrap() else {
            panic!("not a Kustomization");
        };
        assert_eq!(k.path.as_deref(), Some("./apps"));
        assert!(!k.status.suspended);
    }

    #[test]
    fn watch_events_carry_the_object_read_as_it_arrives() {
        let line = r#"{"type": "MODIFIED", "object": {"metadata": {"name": "p", "namespace": "n"},
            "spec": {"containers": [{"name": "c", "image": "weaveworksdemos/carts:0.4.8"}]}}}"#;
        let ev: kube::core::WatchEvent<RawObject> =
            READING.sync_scope(Kind::Pod, || serde_json::from_str(line).unwrap());
        let kube::core::WatchEvent::Modified(o) = ev else {
            panic!("not MODIFIED");
        };
        assert_eq!(o.meta().name.as_deref(), Some("p"));
        let Object::Pod(pod) = o.object().unwrap() else {
            panic!("not a Pod");
        };
        assert_eq!(pod.image_tags().collect::<Vec<_>>(), ["0.4.8"]);
    }

    #[test]
    fn a_watchers_list_page_holds_the_rows_the_model_reads_from_each_item() {
        let items = [
            r#"{"metadata": {"name": "apps", "namespace": "flux-system", "resourceVersion": "3"},
             "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}, "path": "./apps"},
             "status": {"lastAppliedRevision": "main@sha1:abc"}}"#,
            r#"{"metadata": {"name": "odd", "namespace": "ns"}, "spec": {"suspend": "yes"}}"#,
            r#"{"metadata": {"namespace": "ns"}}"#,
        ];
        let page = format!(
            r#"{{"metadata": {{"resourceVersion": "9"}}, "items": [{}]}}"#,
            items.join(",")
        );
        type Page = kube::core::ObjectList<RawObject>;
        let read: Page =
            READING.sync_scope(Kind::Kustomization, || serde_json::from_str(&page).unwrap());
        assert_eq!(read.items.len(), 3);
        for (r, item) in read.items.iter().zip(items) {
            let value: Value = serde_json::from_str(item).unwrap();
            match (r.object(), Object::parse(Kind::Kustomization, &value)) {
                (Ok(r), Ok(v)) => assert_eq!(r, v),
                (Err(r), Err(v)) => assert_eq!(r.to_string(), v.to_string()),
                other => panic!("the page and the model read differently: {other:?}"),
            }
        }
        assert_eq!(read.items[0].meta().resource_version.as_deref(), Some("3"));
        // The object without a name is an error, read once and kept.
        assert!(read.items[2].object().is_err());
    }

    fn as_kustomization(json: &str) -> serde_json::Result<RawObject> {
        READING.sync_scope(Kind::Kustomization, || serde_json::from_str(json))
    }
}
