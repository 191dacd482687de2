//! Which object a row, an action or an update is about: the kind and the namespaced name.

use std::fmt;

use compact_str::CompactString;

/// The kinds fluxdeck watches. The order is the display order within a namespace/name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Kind {
    /// `kustomize.toolkit.fluxcd.io` Kustomization.
    Kustomization,
    /// `source.toolkit.fluxcd.io` GitRepository.
    GitRepository,
    /// `source.toolkit.fluxcd.io` OCIRepository.
    OciRepository,
    /// `source.toolkit.fluxcd.io` Bucket.
    Bucket,
    /// `source.toolkit.fluxcd.io` HelmRepository.
    HelmRepository,
    /// `image.toolkit.fluxcd.io` ImageRepository.
    ImageRepository,
    /// `image.toolkit.fluxcd.io` ImagePolicy.
    ImagePolicy,
    /// `image.toolkit.fluxcd.io` ImageUpdateAutomation.
    ImageUpdateAutomation,
    /// Core `v1` Pod.
    Pod,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 9] = [
        Kind::Kustomization,
        Kind::GitRepository,
        Kind::OciRepository,
        Kind::Bucket,
        Kind::HelmRepository,
        Kind::ImageRepository,
        Kind::ImagePolicy,
        Kind::ImageUpdateAutomation,
        Kind::Pod,
    ];

    /// The Kubernetes `kind` string.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kustomization => "Kustomization",
            Kind::GitRepository => "GitRepository",
            Kind::OciRepository => "OCIRepository",
            Kind::Bucket => "Bucket",
            Kind::HelmRepository => "HelmRepository",
            Kind::ImageRepository => "ImageRepository",
            Kind::ImagePolicy => "ImagePolicy",
            Kind::ImageUpdateAutomation => "ImageUpdateAutomation",
            Kind::Pod => "Pod",
        }
    }

    /// The API group (empty for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Kustomization => "kustomize.toolkit.fluxcd.io",
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository => {
                "source.toolkit.fluxcd.io"
            }
            Kind::ImageRepository | Kind::ImagePolicy | Kind::ImageUpdateAutomation => {
                "image.toolkit.fluxcd.io"
            }
            Kind::Pod => "",
        }
    }

    /// The plural resource name, as RBAC and the API paths spell it.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Kustomization => "kustomizations",
            Kind::GitRepository => "gitrepositories",
            Kind::OciRepository => "ocirepositories",
            Kind::Bucket => "buckets",
            Kind::HelmRepository => "helmrepositories",
            Kind::ImageRepository => "imagerepositories",
            Kind::ImagePolicy => "imagepolicies",
            Kind::ImageUpdateAutomation => "imageupdateautomations",
            Kind::Pod => "pods",
        }
    }

    /// `plural.group` (or just `plural` for the core group), the name RBAC rules use.
    pub fn resource(self) -> String {
        match self.group() {
            "" => self.plural().to_owned(),
            group => format!("{}.{group}", self.plural()),
        }
    }

    /// A short prefix for narrow columns, as the flux CLI abbreviates source kinds.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Kustomization => "ks",
            Kind::GitRepository => "git",
            Kind::OciRepository => "oci",
            Kind::Bucket => "bucket",
            Kind::HelmRepository => "helm",
            Kind::ImageRepository => "imagerepo",
            Kind::ImagePolicy => "imagepolicy",
            Kind::ImageUpdateAutomation => "imageupdate",
            Kind::Pod => "pod",
        }
    }

    /// The kind named by a Kubernetes `kind` string (exact spelling, as the API returns it).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether this kind is a Flux source (what a Kustomization's `sourceRef` points at).
    pub fn is_source(self) -> bool {
        matches!(
            self,
            Kind::GitRepository | Kind::OciRepository | Kind::Bucket | Kind::HelmRepository
        )
    }

    /// Whether Flux reconciles this kind (so suspend, resume and reconcile apply to it).
    pub fn is_flux(self) -> bool {
        self != Kind::Pod
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One object: its namespace, name and kind. Ordered by namespace, then name, then kind,
/// which is the row order of every table.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ObjectKey {
    /// The namespace (empty for cluster-scoped or when the API omitted it).
    #[serde(with = "crate::model::compact")]
    pub namespace: CompactString,
    /// The object's name.
    #[serde(with = "crate::model::compact")]
    pub name: CompactString,
    /// The object's kind.
    pub kind: Kind,
}

impl ObjectKey {
    /// A key from its parts.
    pub fn new(
        kind: Kind,
        namespace: impl Into<CompactString>,
        name: impl Into<CompactString>,
    ) -> Self {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
            kind,
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("kustomization"), None);
        assert_eq!(Kind::from_name("HelmRelease"), None);
    }

    #[test]
    fn resource_names_match_rbac_spelling() {
        assert_eq!(
            Kind::Kustomization.resource(),
            "kustomizations.kustomize.toolkit.fluxcd.io"
        );
        assert_eq!(Kind::Pod.resource(), "pods");
    }

    #[test]
    fn keys_order_by_namespace_then_name_then_kind() {
        let mut keys = [
            ObjectKey::new(Kind::Kustomization, "b", "a"),
            ObjectKey::new(Kind::GitRepository, "a", "x"),
            ObjectKey::new(Kind::Kustomization, "a", "x"),
        ];
        keys.sort();
        assert_eq!(keys[0], ObjectKey::new(Kind::Kustomization, "a", "x"));
        assert_eq!(keys[1], ObjectKey::new(Kind::GitRepository, "a", "x"));
        assert_eq!(keys[2].namespace, "b");
        assert_eq!(keys[0].to_string(), "Kustomization a/x");
    }
}
