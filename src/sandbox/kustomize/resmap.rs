//! kustomize's resource map: an ordered list of objects whose identities are unique.

use std::collections::HashSet;

use super::resource::{Id, Res};

/// Appends `new` to `list`, refusing an identity already present (kustomize's
/// `resWrangler.Append`: `may not add resource with an already registered id: …`).
pub(crate) fn append_all(list: &mut Vec<Res>, new: Vec<Res>) -> Result<(), String> {
    let mut seen: HashSet<_> = list.iter().map(|r| r.cur_id().key()).collect();
    for r in new {
        let id = r.cur_id();
        if !seen.insert(id.key()) {
            return Err(format!(
                "may not add resource with an already registered id: {id}"
            ));
        }
        list.push(r);
    }
    Ok(())
}

/// The one object any of whose identities (previous or current) equals `id`
/// (kustomize's `GetById`, used by patches without a target).
pub(crate) fn get_by_id(list: &[Res], id: &Id) -> Result<usize, String> {
    let found: Vec<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_empty() && r.all_ids().iter().any(|i| i.equals(id)))
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no matches for Id {id}; failed to find unique target for patch {id}"
        )),
        _ => Err(format!(
            "multiple matches for Id {id}; failed to find unique target for patch {id}"
        )),
    }
}

/// The first identity that two objects share, if any (after a transformer renamed them).
pub(crate) fn first_conflict(list: &[Res]) -> Option<Id> {
    let mut seen = HashSet::new();
    list.iter()
        .map(Res::cur_id)
        .find(|id| !seen.insert(id.key()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(name: &str, ns: Option<&str>) -> Res {
        let mut o =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}});
        if let Some(ns) = ns {
            o["metadata"]["namespace"] = json!(ns);
        }
        Res::new(o)
    }

    #[test]
    fn refuses_duplicates_with_default_namespace_equal_to_none() {
        let mut l = Vec::new();
        append_all(&mut l, vec![res("a", None)]).unwrap();
        let e = append_all(&mut l, vec![res("a", Some("default"))]).unwrap_err();
        assert_eq!(
            e,
            "may not add resource with an already registered id: Deployment.v1.apps/a.default"
        );
        append_all(&mut l, vec![res("a", Some("other"))]).unwrap();
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn finds_by_previous_identity() {
        let mut r = res("a", None);
        r.store_previous_id();
        r.set_name("p-a");
        let l = vec![r, res("b", None)];
        assert_eq!(get_by_id(&l, &res("a", None).cur_id()), Ok(0));
        assert_eq!(
            get_by_id(&l, &res("c", None).cur_id()).unwrap_err(),
            "no matches for Id Deployment.v1.apps/c.[noNs]; failed to find unique target for patch Deployment.v1.apps/c.[noNs]"
        );
    }
}
