//! Which Flux API versions the cluster serves. Flux 2.7+ serves the image kinds at `v1`,
//! Flux 2.5/2.6 at `v1beta2` (2.6 still serves `v1beta1`); sources and Kustomizations are at
//! `v1` since Flux 2.3 (older clusters: `v1beta2`). fluxdeck reads the newest version the
//! cluster serves for each kind, and leaves out kinds the cluster does not have.

use std::collections::BTreeMap;

/// A Flux kind fluxdeck watches, with where it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedKind {
    /// Kind, e.g. `ImagePolicy`.
    pub kind: String,
    /// API group.
    pub group: String,
    /// The version fluxdeck uses.
    pub version: String,
    /// Plural resource name.
    pub plural: String,
}

/// The Flux kinds fluxdeck knows: (kind, group, plural), in display order.
pub const FLUX_KINDS: &[(&str, &str, &str)] = &[
    (
        "Kustomization",
        "kustomize.toolkit.fluxcd.io",
        "kustomizations",
    ),
    (
        "GitRepository",
        "source.toolkit.fluxcd.io",
        "gitrepositories",
    ),
    (
        "OCIRepository",
        "source.toolkit.fluxcd.io",
        "ocirepositories",
    ),
    ("Bucket", "source.toolkit.fluxcd.io", "buckets"),
    (
        "ImageRepository",
        "image.toolkit.fluxcd.io",
        "imagerepositories",
    ),
    ("ImagePolicy", "image.toolkit.fluxcd.io", "imagepolicies"),
    (
        "ImageUpdateAutomation",
        "image.toolkit.fluxcd.io",
        "imageupdateautomations",
    ),
];

/// Versions fluxdeck can read, best first.
const READABLE: &[&str] = &["v1", "v1beta2"];

/// Picks, for every known kind, the best readable version among those served.
/// `served` maps `group` → (version → plurals served at that version).
pub fn choose(served: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Vec<ServedKind> {
    let mut out = Vec::new();
    for (kind, group, plural) in FLUX_KINDS {
        let Some(versions) = served.get(*group) else {
            continue;
        };
        if let Some(v) = READABLE.iter().find(|v| {
            versions
                .get(**v)
                .is_some_and(|ps| ps.iter().any(|p| p == plural))
        }) {
            out.push(ServedKind {
                kind: kind.to_string(),
                group: group.to_string(),
                version: v.to_string(),
                plural: plural.to_string(),
            });
        }
    }
    out
}

/// Asks the cluster which Flux kinds and versions it serves (one request for the group
/// list, one per Flux group version).
pub async fn discover(client: &kube::Client) -> Result<Vec<ServedKind>, kube::Error> {
    let groups = client.list_api_groups().await?;
    // One round trip per group version, all at once: sequential, they were most of the
    // time between connecting and the first list.
    let wanted: Vec<(&str, &str, &str)> = groups
        .groups
        .iter()
        .filter(|g| g.name.ends_with(".toolkit.fluxcd.io"))
        .flat_map(|g| {
            g.versions
                .iter()
                .filter(|v| READABLE.contains(&v.version.as_str()))
                .map(move |v| {
                    (
                        g.name.as_str(),
                        v.version.as_str(),
                        v.group_version.as_str(),
                    )
                })
        })
        .collect();
    let lists = futures::future::try_join_all(
        wanted
            .iter()
            .map(|(_, _, gv)| client.list_api_group_resources(gv)),
    )
    .await?;
    let mut served: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for ((group, version, _), resources) in wanted.iter().zip(lists) {
        served.entry((*group).to_owned()).or_default().insert(
            (*version).to_owned(),
            resources.resources.iter().map(|r| r.name.clone()).collect(),
        );
    }
    Ok(choose(&served))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(
        entries: &[(&str, &str, &[&str])],
    ) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
        let mut m: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (g, v, ps) in entries {
            m.entry(g.to_string())
                .or_default()
                .insert(v.to_string(), ps.iter().map(|p| p.to_string()).collect());
        }
        m
    }

    #[test]
    fn prefers_v1_and_falls_back_to_v1beta2_for_flux_2_6() {
        let s = served(&[
            ("kustomize.toolkit.fluxcd.io", "v1", &["kustomizations"]),
            (
                "source.toolkit.fluxcd.io",
                "v1",
                &["gitrepositories", "buckets"],
            ),
            (
                "image.toolkit.fluxcd.io",
                "v1beta2",
                &[
                    "imagerepositories",
                    "imagepolicies",
                    "imageupdateautomations",
                ],
            ),
            ("image.toolkit.fluxcd.io", "v1beta1", &["imagepolicies"]),
        ]);
        let kinds = choose(&s);
        let get = |k: &str| {
            kinds
                .iter()
                .find(|x| x.kind == k)
                .map(|x| x.version.as_str())
        };
        assert_eq!(get("Kustomization"), Some("v1"));
        assert_eq!(get("ImagePolicy"), Some("v1beta2"));
        assert_eq!(get("OCIRepository"), None, "not served, left out");
        assert_eq!(get("Bucket"), Some("v1"));
    }

    #[test]
    fn no_flux_at_all_is_an_empty_list() {
        assert!(choose(&BTreeMap::new()).is_empty());
    }
}
