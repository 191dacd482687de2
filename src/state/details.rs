//! The details of one object, fetched on demand: conditions, events and YAML with every
//! Secret value masked. Masking happens here, on arrival, so unmasked values are never kept.

use serde_json::Value;

use crate::model::conditions::{Condition, all_conditions};
use crate::model::event::KubeEvent;
use crate::model::key::ObjectKey;
use crate::model::mask::mask_secrets;

/// What the details view shows for one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    /// Which object.
    pub key: ObjectKey,
    /// Its conditions, all of them (empty until the object arrives).
    pub conditions: Vec<Condition>,
    /// The object and its related objects as YAML lines, masked; `None` until fetched.
    pub yaml: Option<Vec<String>>,
    /// Its events; `None` until fetched.
    pub events: Option<Vec<KubeEvent>>,
    /// Why fetching failed, if it did.
    pub error: Option<String>,
}

impl Details {
    /// Empty details for `key`, waiting for the fetch.
    pub fn pending(key: ObjectKey) -> Details {
        Details {
            key,
            conditions: Vec::new(),
            yaml: None,
            events: None,
            error: None,
        }
    }

    /// Takes the fetched object: masks Secrets, keeps its conditions and its YAML.
    pub fn set_object(&mut self, mut object: Value, related: Vec<Value>) {
        self.conditions = all_conditions(&object);
        drop_noise(&mut object);
        let mut documents = vec![object];
        documents.extend(related);
        let mut lines = Vec::new();
        for (i, mut document) in documents.into_iter().enumerate() {
            mask_secrets(&mut document);
            if i > 0 {
                lines.push("---".to_owned());
            }
            lines.extend(to_yaml(&document).lines().map(str::to_owned));
        }
        self.yaml = Some(lines);
    }
}

/// Removes `metadata.managedFields`: pages of server bookkeeping nobody reads on a terminal.
fn drop_noise(object: &mut Value) {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
}

/// YAML text of a JSON value; falls back to pretty JSON (also valid YAML) if the YAML
/// serialiser refuses a value.
fn to_yaml(value: &Value) -> String {
    serde_saphyr::to_string(value)
        .or_else(|_| serde_json::to_string_pretty(value))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::Kind;
    use crate::model::testdata;

    #[test]
    fn yaml_masks_related_secrets_and_keeps_conditions() {
        let mut d = Details::pending(ObjectKey::new(Kind::GitRepository, "sock-shop", "t"));
        let mut repo = testdata::json("gitrepository-sock-shop-tenant.json");
        repo["metadata"]["managedFields"] = serde_json::json!([{"manager": "x"}]);
        d.set_object(repo, vec![testdata::json("secret-basic-auth.json")]);
        let yaml = d.yaml.unwrap().join("\n");
        assert!(yaml.contains("kind: GitRepository"));
        assert!(yaml.contains("kind: Secret"));
        assert!(yaml.contains("password:"), "{yaml}");
        assert!(!yaml.contains("czNjcjN0LXBhc3N3MHJk"), "{yaml}");
        assert!(!yaml.contains("managedFields"), "{yaml}");
        assert!(yaml.contains("\n---\n"));
        assert_eq!(d.conditions.len(), 2);
    }

    #[test]
    fn yaml_and_conditions_mask_a_password_in_a_url() {
        let mut d = Details::pending(ObjectKey::new(Kind::GitRepository, "sock-shop", "t"));
        let mut repo = testdata::json("gitrepository-sock-shop-tenant.json");
        let url = "https://alice:TOKEN-9@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r";
        repo["spec"]["url"] = url.into();
        repo["status"]["conditions"][0]["message"] = format!("cannot clone '{url}'").into();
        d.set_object(repo, vec![]);
        let yaml = d.yaml.unwrap().join("\n");
        assert!(!yaml.contains("TOKEN-9"), "{yaml}");
        assert!(yaml.contains("alice:********@git-codecommit"), "{yaml}");
        assert!(d.conditions.iter().all(|c| !c.message.contains("TOKEN-9")));
        assert!(d.conditions[0].message.contains("alice:********@"));
    }
}
