//! One watched object of any kind fluxdeck reads: what a watcher hands to the state.

use std::sync::Arc;

use serde_json::Value;

use super::automation::ImageUpdateAutomation;
use super::image::{ImagePolicy, ImageRepository};
use super::json::str_at;
use super::key::{Kind, ObjectKey};
use super::kustomization::Kustomization;
use super::meta::ModelError;
use super::pod::Pod;
use super::source::Source;

/// A watched object, already reduced to the fields the panes need. Each model sits behind
/// an `Arc`: the UI's state and the hub's mirror hold the same row, not two copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    /// A Kustomization.
    Kustomization(Arc<Kustomization>),
    /// A GitRepository, OCIRepository, Bucket or HelmRepository.
    Source(Arc<Source>),
    /// An ImageRepository.
    ImageRepository(Arc<ImageRepository>),
    /// An ImagePolicy.
    ImagePolicy(Arc<ImagePolicy>),
    /// An ImageUpdateAutomation.
    ImageUpdateAutomation(Arc<ImageUpdateAutomation>),
    /// A Pod.
    Pod(Arc<Pod>),
}

/// Written as `{"Kind": {fields}}` (`--record`), the row itself, not its `Arc`.
impl serde::Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::Kustomization(o) => {
                ser.serialize_newtype_variant("Object", 0, "Kustomization", &**o)
            }
            Object::Source(o) => ser.serialize_newtype_variant("Object", 1, "Source", &**o),
            Object::ImageRepository(o) => {
                ser.serialize_newtype_variant("Object", 2, "ImageRepository", &**o)
            }
            Object::ImagePolicy(o) => {
                ser.serialize_newtype_variant("Object", 3, "ImagePolicy", &**o)
            }
            Object::ImageUpdateAutomation(o) => {
                ser.serialize_newtype_variant("Object", 4, "ImageUpdateAutomation", &**o)
            }
            Object::Pod(o) => ser.serialize_newtype_variant("Object", 5, "Pod", &**o),
        }
    }
}

/// [`Object`] as read back (`fluxdeck replay`), before each row goes behind its `Arc`.
#[derive(serde::Deserialize)]
enum Owned {
    Kustomization(Kustomization),
    Source(Source),
    ImageRepository(ImageRepository),
    ImagePolicy(ImagePolicy),
    ImageUpdateAutomation(ImageUpdateAutomation),
    Pod(Pod),
}

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Object, D::Error> {
        Ok(match Owned::deserialize(de)? {
            Owned::Kustomization(o) => Object::Kustomization(Arc::new(o)),
            Owned::Source(o) => Object::Source(Arc::new(o)),
            Owned::ImageRepository(o) => Object::ImageRepository(Arc::new(o)),
            Owned::ImagePolicy(o) => Object::ImagePolicy(Arc::new(o)),
            Owned::ImageUpdateAutomation(o) => Object::ImageUpdateAutomation(Arc::new(o)),
            Owned::Pod(o) => Object::Pod(Arc::new(o)),
        })
    }
}

impl Object {
    /// Reads an object of a known kind (a watcher knows what it watches, even when the
    /// API strips `kind` from list items).
    pub fn parse(kind: Kind, value: &Value) -> Result<Object, ModelError> {
        Ok(match kind {
            Kind::Kustomization => Object::Kustomization(Arc::new(Kustomization::parse(value)?)),
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                Object::Source(Arc::new(Source::parse(kind, value)?))
            }
            Kind::ImageRepository => {
                Object::ImageRepository(Arc::new(ImageRepository::parse(value)?))
            }
            Kind::ImagePolicy => Object::ImagePolicy(Arc::new(ImagePolicy::parse(value)?)),
            Kind::ImageUpdateAutomation => {
                Object::ImageUpdateAutomation(Arc::new(ImageUpdateAutomation::parse(value)?))
            }
            Kind::Pod => Object::Pod(Arc::new(Pod::parse(value)?)),
        })
    }

    /// Reads an object by its own `kind` field, whatever its `apiVersion`.
    pub fn from_value(value: &Value) -> Result<Object, ModelError> {
        let kind_name = str_at(value, &["kind"]);
        match kind_name.and_then(Kind::from_name) {
            Some(kind) => Object::parse(kind, value),
            None => Err(ModelError::UnknownKind {
                kind: kind_name.unwrap_or("<none>").to_owned(),
                name: str_at(value, &["metadata", "name"])
                    .unwrap_or("<none>")
                    .to_owned(),
            }),
        }
    }

    /// The object's key.
    pub fn key(&self) -> &ObjectKey {
        match self {
            Object::Kustomization(o) => &o.key,
            Object::Source(o) => &o.key,
            Object::ImageRepository(o) => &o.key,
            Object::ImagePolicy(o) => &o.key,
            Object::ImageUpdateAutomation(o) => &o.key,
            Object::Pod(o) => &o.key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;

    #[test]
    fn every_fixture_reads_by_its_own_kind() {
        for (fixture, kind) in [
            ("kustomization-sock-shop.json", Kind::Kustomization),
            ("gitrepository-flux-system.json", Kind::GitRepository),
            ("imagerepository-v1beta2.json", Kind::ImageRepository),
            ("imagepolicy-v1.json", Kind::ImagePolicy),
            ("imageupdateautomation-v1.json", Kind::ImageUpdateAutomation),
        ] {
            let object = Object::from_value(&testdata::json(fixture)).unwrap();
            assert_eq!(object.key().kind, kind, "{fixture}");
        }
        let pod = &testdata::items("pods-sock-shop.json")[0];
        assert!(matches!(Object::from_value(pod), Ok(Object::Pod(_))));
    }

    #[test]
    fn unknown_kinds_are_errors_that_name_the_object() {
        let err = Object::from_value(&testdata::json("secret-basic-auth.json")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`Secret`") && text.contains("microservices-basic-access-auth"));
        let err = Object::from_value(&serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("<none>"));
    }
}
