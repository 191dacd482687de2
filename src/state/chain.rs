//! The image automation chain per policy: which ImageRepository feeds an ImagePolicy and
//! which ImageUpdateAutomations write its pick to git. A derived view, rebuilt when any
//! image object changes (there are few of them; Kustomizations are the many).

use crate::model::automation::ImageUpdateAutomation;
use crate::model::image::{ImagePolicy, ImageRepository};
use crate::model::key::ObjectKey;

use super::table::{Row, Table};

/// One row of the image pane: a policy with its repository and automations, or a
/// repository or automation that no policy links to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageChain {
    /// The row's key: the policy's, else the lone repository's or automation's.
    pub anchor: ObjectKey,
    /// The ImagePolicy.
    pub policy: Option<ObjectKey>,
    /// The ImageRepository the policy reads (`spec.imageRepositoryRef`).
    pub repository: Option<ObjectKey>,
    /// The ImageUpdateAutomations that apply the policy.
    pub automations: Vec<ObjectKey>,
}

/// Builds the chains, sorted by anchor.
///
/// An automation applies a policy when it lists the policy in `status.observedPolicies`;
/// before its first run (or on versions without that field) every automation in the
/// policy's namespace counts, as Flux loads all policies of its own namespace by default.
pub fn build(
    repositories: &Table<ImageRepository>,
    policies: &Table<ImagePolicy>,
    automations: &Table<ImageUpdateAutomation>,
) -> Vec<ImageChain> {
    let mut chains = Vec::with_capacity(policies.len());
    let mut used_repositories = Vec::new();
    let mut used_automations = Vec::new();
    for policy in policies.iter() {
        let repository = policy
            .repository
            .as_ref()
            .filter(|key| repositories.get(key).is_some())
            .cloned();
        if let Some(key) = &repository {
            used_repositories.push(key.clone());
        }
        let applying: Vec<ObjectKey> = automations
            .in_namespace(&policy.key.namespace)
            .filter(|a| {
                a.observed_policies.is_empty()
                    || a.observed_policies.iter().any(|p| *p == policy.key.name)
            })
            .map(|a| a.key().clone())
            .collect();
        used_automations.extend(applying.iter().cloned());
        chains.push(ImageChain {
            anchor: policy.key.clone(),
            policy: Some(policy.key.clone()),
            repository,
            automations: applying,
        });
    }
    used_repositories.sort();
    used_automations.sort();
    for repo in repositories.iter() {
        if used_repositories.binary_search(&repo.key).is_err() {
            chains.push(ImageChain {
                anchor: repo.key.clone(),
                policy: None,
                repository: Some(repo.key.clone()),
                automations: Vec::new(),
            });
        }
    }
    for automation in automations.iter() {
        if used_automations.binary_search(&automation.key).is_err() {
            chains.push(ImageChain {
                anchor: automation.key.clone(),
                policy: None,
                repository: None,
                automations: vec![automation.key.clone()],
            });
        }
    }
    chains.sort_by(|a, b| a.anchor.cmp(&b.anchor));
    chains
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::Kind;
    use crate::model::testdata;

    fn tables() -> (
        Table<ImageRepository>,
        Table<ImagePolicy>,
        Table<ImageUpdateAutomation>,
    ) {
        let mut repos = Table::default();
        repos.upsert(ImageRepository::parse(&testdata::json("imagerepository-v1.json")).unwrap());
        let mut policies = Table::default();
        policies.upsert(ImagePolicy::parse(&testdata::json("imagepolicy-v1.json")).unwrap());
        let mut automations = Table::default();
        automations.upsert(
            ImageUpdateAutomation::parse(&testdata::json("imageupdateautomation-v1.json")).unwrap(),
        );
        (repos, policies, automations)
    }

    #[test]
    fn links_the_sock_shop_chain() {
        let (repos, policies, automations) = tables();
        let chains = build(&repos, &policies, &automations);
        assert_eq!(chains.len(), 1);
        let chain = &chains[0];
        assert_eq!(chain.anchor.kind, Kind::ImagePolicy);
        assert_eq!(
            chain.repository.as_ref().map(|k| k.name.as_str()),
            Some("sock-shop-front-end")
        );
        assert_eq!(chain.automations.len(), 1);
    }

    #[test]
    fn unlinked_objects_get_their_own_rows() {
        let (mut repos, policies, mut automations) = tables();
        let mut other = repos.iter().next().unwrap().clone();
        other.key.name = "carts".into();
        repos.upsert(other);
        let mut elsewhere = automations.iter().next().unwrap().clone();
        elsewhere.key.namespace = "other".into();
        automations.upsert(elsewhere);
        let chains = build(&repos, &policies, &automations);
        let anchors: Vec<_> = chains
            .iter()
            .map(|c| {
                (
                    c.anchor.namespace.as_str(),
                    c.anchor.name.as_str(),
                    c.anchor.kind,
                )
            })
            .collect();
        assert_eq!(
            anchors,
            [
                ("other", "sock-shop-front-end", Kind::ImageUpdateAutomation),
                ("sock-shop", "carts", Kind::ImageRepository),
                ("sock-shop", "sock-shop-front-end", Kind::ImagePolicy),
            ]
        );
    }

    #[test]
    fn observed_policies_restrict_the_automations() {
        let (repos, policies, mut automations) = tables();
        let mut a = automations.iter().next().unwrap().clone();
        a.observed_policies = vec!["another-policy".into()];
        automations.upsert(a);
        let chains = build(&repos, &policies, &automations);
        assert_eq!(chains.len(), 2);
        assert_eq!(chains[0].anchor.kind, Kind::ImagePolicy);
        assert!(chains[0].automations.is_empty());
        assert_eq!(chains[1].anchor.kind, Kind::ImageUpdateAutomation);
    }
}
