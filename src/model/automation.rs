//! ImageUpdateAutomation: the step that commits the picked tag to the config repository.

use jiff::Timestamp;
use serde_json::Value;

use super::conditions::FluxStatus;
use super::json::{array_at, at, str_at, string_at, time_at};
use super::key::{Kind, ObjectKey};
use super::meta::{Meta, ModelError, object_ref};

/// An ImageUpdateAutomation as fluxdeck shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageUpdateAutomation {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Ready, suspension, generations, reconcile tokens.
    pub status: FluxStatus,
    /// `spec.sourceRef` (a GitRepository), resolved to a key.
    pub source: Option<ObjectKey>,
    /// The branch it pushes to: `spec.git.push.branch`, else the checkout branch.
    pub push_branch: Option<String>,
    /// `status.lastAutomationRunTime`.
    pub last_run: Option<Timestamp>,
    /// `status.lastPushCommit` (full SHA).
    pub last_push_commit: Option<String>,
    /// `status.lastPushTime`.
    pub last_push_time: Option<Timestamp>,
    /// Names of the policies it applied last run (`status.observedPolicies`, `v1` and late
    /// `v1beta2`); empty for older shapes.
    pub observed_policies: Vec<String>,
    /// `spec.git.commit.author`, when it names an email (commits are matched by it).
    pub author: Option<CommitAuthor>,
    /// `spec.update.path`: the part of the repository whose markers it updates (Flux's
    /// default is the repository root).
    pub update_path: Option<String>,
    /// `spec.interval`.
    pub interval: Option<String>,
}

/// The author an automation commits as.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitAuthor {
    /// `name` (may be empty: then any name with the email matches).
    pub name: String,
    /// `email` (never empty).
    pub email: String,
}

impl ImageUpdateAutomation {
    /// Reads an ImageUpdateAutomation of any served version.
    pub fn parse(object: &Value) -> Result<ImageUpdateAutomation, ModelError> {
        let meta = Meta::parse(Kind::ImageUpdateAutomation, object)?;
        let namespace = meta.key.namespace.clone();
        let mut observed_policies: Vec<String> = match at(object, &["status", "observedPolicies"]) {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            // Tolerate a list of `{name: ...}` entries (a shape seen during v1beta2).
            Some(Value::Array(_)) => array_at(object, &["status", "observedPolicies"])
                .iter()
                .filter_map(|p| str_at(p, &["name"]).map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        observed_policies.sort();
        Ok(ImageUpdateAutomation {
            source: object_ref(
                object,
                &["spec", "sourceRef"],
                Some(Kind::GitRepository),
                &namespace,
            ),
            push_branch: string_at(object, &["spec", "git", "push", "branch"])
                .or_else(|| string_at(object, &["spec", "git", "checkout", "ref", "branch"])),
            last_run: time_at(object, &["status", "lastAutomationRunTime"]),
            last_push_commit: string_at(object, &["status", "lastPushCommit"]),
            last_push_time: time_at(object, &["status", "lastPushTime"]),
            observed_policies,
            update_path: string_at(object, &["spec", "update", "path"]),
            interval: string_at(object, &["spec", "interval"]),
            author: string_at(object, &["spec", "git", "commit", "author", "email"])
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty())
                .map(|email| CommitAuthor {
                    name: str_at(object, &["spec", "git", "commit", "author", "name"])
                        .unwrap_or("")
                        .trim()
                        .to_owned(),
                    email,
                }),
            status: FluxStatus::parse(object),
            key: meta.key,
            created: meta.created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testdata;

    #[test]
    fn reads_both_versions() {
        let v1 =
            ImageUpdateAutomation::parse(&testdata::json("imageupdateautomation-v1.json")).unwrap();
        assert_eq!(v1.observed_policies, vec!["sock-shop-front-end".to_owned()]);
        assert_eq!(v1.push_branch.as_deref(), Some("main"));
        assert_eq!(
            v1.source,
            Some(ObjectKey::new(
                Kind::GitRepository,
                "sock-shop",
                "sock-shop-tenant"
            ))
        );
        assert_eq!(
            v1.last_push_commit.as_deref(),
            Some("9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f")
        );
        let old =
            ImageUpdateAutomation::parse(&testdata::json("imageupdateautomation-v1beta2.json"))
                .unwrap();
        assert!(old.observed_policies.is_empty());
        assert_eq!(old.last_run, v1.last_run);
        let author = v1.author.expect("the fixture names an author");
        assert!(author.email.contains('@'), "{author:?}");
    }

    #[test]
    fn tolerates_a_list_of_observed_policies() {
        let iua = ImageUpdateAutomation::parse(&serde_json::json!({
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"git": {"checkout": {"ref": {"branch": "dev"}}}},
            "status": {"observedPolicies": [{"name": "b"}, {"name": "a"}, 3]}
        }))
        .unwrap();
        assert_eq!(iua.observed_policies, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(iua.push_branch.as_deref(), Some("dev"));
        assert_eq!(iua.author, None);
    }
}
