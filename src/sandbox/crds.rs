//! The real Flux CRDs, embedded from `assets/crds` (Apache-2.0, see `assets/crds/NOTICE`).
//!
//! The sandbox serves them under `apiextensions.k8s.io/v1` and derives its discovery, its
//! printer columns and its schema validation from them, so it serves exactly the kinds and
//! versions a real Flux install of that release would.

use serde_json::Value;

use crate::model::yaml;

/// Which Flux release the sandbox plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FluxVersion {
    /// Flux 2.7 and later: the image kinds at `v1` (the CRDs in `assets/crds`).
    #[default]
    Current,
    /// Flux 2.6: the image kinds at `v1beta1` and `v1beta2` (`assets/crds/flux-2.6`).
    V2_6,
}

impl std::str::FromStr for FluxVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2.7" | "2.8" | "2.9" | "current" | "latest" => Ok(Self::Current),
            "2.6" => Ok(Self::V2_6),
            other => Err(format!(
                "unsupported Flux version '{other}': use 2.6 or current (2.7+)"
            )),
        }
    }
}

const SOURCE_AND_KUSTOMIZE: &[(&str, &str)] = &[
    (
        "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
        include_str!("../../assets/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_gitrepositories.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_gitrepositories.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_ocirepositories.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_ocirepositories.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_buckets.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_buckets.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_helmrepositories.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_helmrepositories.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_helmcharts.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_helmcharts.yaml"),
    ),
    (
        "source.toolkit.fluxcd.io_externalartifacts.yaml",
        include_str!("../../assets/crds/source.toolkit.fluxcd.io_externalartifacts.yaml"),
    ),
];

const IMAGE_CURRENT: &[(&str, &str)] = &[
    (
        "image.toolkit.fluxcd.io_imagerepositories.yaml",
        include_str!("../../assets/crds/image.toolkit.fluxcd.io_imagerepositories.yaml"),
    ),
    (
        "image.toolkit.fluxcd.io_imagepolicies.yaml",
        include_str!("../../assets/crds/image.toolkit.fluxcd.io_imagepolicies.yaml"),
    ),
    (
        "image.toolkit.fluxcd.io_imageupdateautomations.yaml",
        include_str!("../../assets/crds/image.toolkit.fluxcd.io_imageupdateautomations.yaml"),
    ),
];

const IMAGE_2_6: &[(&str, &str)] = &[
    (
        "flux-2.6/image.toolkit.fluxcd.io_imagerepositories.yaml",
        include_str!("../../assets/crds/flux-2.6/image.toolkit.fluxcd.io_imagerepositories.yaml"),
    ),
    (
        "flux-2.6/image.toolkit.fluxcd.io_imagepolicies.yaml",
        include_str!("../../assets/crds/flux-2.6/image.toolkit.fluxcd.io_imagepolicies.yaml"),
    ),
    (
        "flux-2.6/image.toolkit.fluxcd.io_imageupdateautomations.yaml",
        include_str!(
            "../../assets/crds/flux-2.6/image.toolkit.fluxcd.io_imageupdateautomations.yaml"
        ),
    ),
];

/// An embedded CRD file that does not parse (a build-time asset error).
#[derive(Debug, thiserror::Error)]
#[error("embedded CRD assets/crds/{file} does not parse: {message}")]
pub struct CrdError {
    file: &'static str,
    message: String,
}

/// The CRD objects of a Flux release, parsed.
pub fn crds(flux: FluxVersion) -> Result<Vec<Value>, CrdError> {
    let image = match flux {
        FluxVersion::Current => IMAGE_CURRENT,
        FluxVersion::V2_6 => IMAGE_2_6,
    };
    let mut out = Vec::new();
    for (file, text) in SOURCE_AND_KUSTOMIZE.iter().chain(image) {
        let docs = yaml::documents(text).map_err(|e| CrdError {
            file,
            message: e.to_string(),
        })?;
        out.extend(docs);
    }
    Ok(out)
}

/// The `openAPIV3Schema` of `group/version kind` among `crds`, if that version is served.
pub fn schema<'a>(crds: &'a [Value], group: &str, version: &str, kind: &str) -> Option<&'a Value> {
    crds.iter()
        .filter(|c| c["spec"]["group"] == group && c["spec"]["names"]["kind"] == kind)
        .flat_map(|c| c["spec"]["versions"].as_array().into_iter().flatten())
        .find(|v| v["name"] == version)
        .map(|v| &v["schema"]["openAPIV3Schema"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_crd_parses_and_declares_its_versions() {
        for flux in [FluxVersion::Current, FluxVersion::V2_6] {
            let crds = crds(flux).unwrap();
            assert_eq!(crds.len(), 10);
            for crd in &crds {
                assert_eq!(crd["kind"], "CustomResourceDefinition");
                assert!(!crd["spec"]["versions"].as_array().unwrap().is_empty());
            }
        }
    }

    #[test]
    fn flux_2_6_serves_image_kinds_at_v1beta2_and_current_at_v1() {
        let old = crds(FluxVersion::V2_6).unwrap();
        let new = crds(FluxVersion::Current).unwrap();
        let g = "image.toolkit.fluxcd.io";
        assert!(schema(&old, g, "v1beta2", "ImagePolicy").is_some());
        assert!(schema(&old, g, "v1", "ImagePolicy").is_none());
        assert!(schema(&new, g, "v1", "ImagePolicy").is_some());
        assert!(schema(&new, "kustomize.toolkit.fluxcd.io", "v1", "Kustomization").is_some());
    }
}
