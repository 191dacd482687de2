//! Fixtures shared by the setters unit tests.

use super::policy_ref::{ImageRef, PolicyRef};

/// The images block of upstream's kustomization test file ("not a working kustomization"),
/// its name and tag marked for `automation-ns:policy`.
pub const KUSTOMIZATION: &str = r#"# not a working kustomization
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: container
    newName: replaced # {"$imagepolicy": "automation-ns:policy:name"}
    newTag: v1 # {"$imagepolicy": "automation-ns:policy:tag"}
"#;

/// `text` holding [`KUSTOMIZATION`], with the name and tag that [`fixture_policies`] give
/// `automation-ns:policy` written in.
pub fn kustomization_updated(text: &str) -> String {
    text.replace("newName: replaced", "newName: index.repo.fake/updated")
        .replace("newTag: v1 ", "newTag: v1.0.1 ")
}

/// A policy from its namespace, name and latest ref.
pub fn policy(ns: &str, name: &str, image: &str) -> PolicyRef {
    PolicyRef {
        namespace: ns.into(),
        name: name.into(),
        latest: ImageRef::parse(image).unwrap(),
    }
}

/// The policies of upstream's `TestUpdateWithSetters`, rebuilt: one that changes images, one
/// already up to date, one with a digest.
pub fn fixture_policies() -> Vec<PolicyRef> {
    vec![
        policy("automation-ns", "policy", "index.repo.fake/updated:v1.0.1"),
        policy("automation-ns", "unchanged", "image:v1.0.0"),
        policy(
            "automation-ns",
            "policy-with-digest",
            "image:v1.0.0@sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be",
        ),
    ]
}
