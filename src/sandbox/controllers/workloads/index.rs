//! Who owns what: ReplicaSets by their Deployment and pods by their ReplicaSet (the
//! controller owner reference), so a sync reads only its own objects instead of listing the
//! store.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::sched::ObjKey;

/// The controller owner reference of `obj` if it is of `kind`: `(name, uid)`.
pub(super) fn controller_of<'a>(obj: &'a Value, kind: &str) -> Option<(&'a str, &'a str)> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .filter(|r| r["kind"] == kind)
        .and_then(|r| Some((r["name"].as_str()?, r["uid"].as_str()?)))
}

/// Children by owner and owner by child, for one kind of ownership.
#[derive(Debug, Default)]
pub(super) struct Owners {
    children: HashMap<ObjKey, BTreeSet<String>>,
    owner: HashMap<ObjKey, String>,
}

impl Owners {
    /// Records that `child` is owned by `owner` (a name in the child's namespace), or by
    /// nothing.
    pub(super) fn set(&mut self, child: &ObjKey, owner: Option<&str>) {
        if self.owner.get(child).map(String::as_str) == owner {
            return;
        }
        self.remove(child);
        if let Some(owner) = owner {
            self.owner.insert(child.clone(), owner.to_string());
            self.children
                .entry(ObjKey::new(&child.ns, owner))
                .or_default()
                .insert(child.name.clone());
        }
    }

    /// Forgets `child`; returns its owner's key.
    pub(super) fn remove(&mut self, child: &ObjKey) -> Option<ObjKey> {
        let owner = self.owner.remove(child)?;
        let key = ObjKey::new(&child.ns, &owner);
        if let Some(set) = self.children.get_mut(&key) {
            set.remove(&child.name);
            if set.is_empty() {
                self.children.remove(&key);
            }
        }
        Some(key)
    }

    /// The children of `owner`.
    pub(super) fn children(&self, owner: &ObjKey) -> Vec<ObjKey> {
        self.children
            .get(owner)
            .map(|names| names.iter().map(|n| ObjKey::new(&owner.ns, n)).collect())
            .unwrap_or_default()
    }

    /// The owner of `child`, if it has one.
    pub(super) fn owner(&self, child: &ObjKey) -> Option<ObjKey> {
        self.owner.get(child).map(|o| ObjKey::new(&child.ns, o))
    }

    /// Forgets everything.
    pub(super) fn clear(&mut self) {
        self.children.clear();
        self.owner.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn children_follow_their_owner_references() {
        let mut o = Owners::default();
        let pod = ObjKey::new("ns", "web-abc-1");
        o.set(&pod, Some("web-abc"));
        o.set(&ObjKey::new("ns", "web-abc-2"), Some("web-abc"));
        assert_eq!(o.children(&ObjKey::new("ns", "web-abc")).len(), 2);
        o.set(&pod, Some("web-def"));
        assert_eq!(o.children(&ObjKey::new("ns", "web-abc")).len(), 1);
        assert_eq!(o.owner(&pod), Some(ObjKey::new("ns", "web-def")));
        assert_eq!(o.remove(&pod), Some(ObjKey::new("ns", "web-def")));
        assert!(o.children(&ObjKey::new("ns", "web-def")).is_empty());
        let obj = json!({"metadata": {"ownerReferences": [
            {"kind": "ReplicaSet", "name": "rs", "uid": "u", "controller": true}
        ]}});
        assert_eq!(controller_of(&obj, "ReplicaSet"), Some(("rs", "u")));
        assert_eq!(controller_of(&obj, "Deployment"), None);
    }
}
