//! Lists: one page of a type's objects, filtered by selectors, with continue tokens that
//! fail with 410 Gone once their version has expired.

use std::sync::Arc;

use base64::Engine;

use super::Store;
use super::object::StoredObject;
use crate::sandbox::apiserver::resources::TypeId;
use crate::sandbox::apiserver::selectors::{FieldSelector, LabelSelector};
use crate::sandbox::apiserver::status::ApiError;

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The list's resourceVersion (a watch from it sees every later change).
    pub rv: u64,
    /// The objects of the page, ordered by namespace and name.
    pub items: Vec<Arc<StoredObject>>,
    /// Token for the next page.
    pub continue_token: Option<String>,
    /// Objects after this page.
    pub remaining: Option<usize>,
}

/// One entry of a type's map: (namespace, name) → object.
type Entry<'a> = (&'a (String, String), &'a Arc<StoredObject>);

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    ns: String,
    name: String,
}

impl Store {
    /// A page of objects of a type, in one namespace or all, filtered by selectors.
    pub fn list(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        let inner = self.read();
        let (list_rv, start) = match continue_token.filter(|t| !t.is_empty()) {
            Some(token) => {
                let t = decode_continue(token)?;
                if t.rv < inner.oldest_valid_rv {
                    return Err(ApiError::gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.",
                    ));
                }
                (t.rv, Some((t.ns, t.name)))
            }
            None => (inner.rv, None),
        };
        let Some(map) = inner.objects.get(type_id) else {
            return Err(ApiError::internal("unknown resource type"));
        };
        let range: Box<dyn Iterator<Item = Entry<'_>>> = match (&start, namespace) {
            (Some(k), _) => Box::new(map.range((
                std::ops::Bound::Excluded(k.clone()),
                std::ops::Bound::Unbounded,
            ))),
            (None, Some(ns)) => Box::new(map.range((ns.to_string(), String::new())..)),
            (None, None) => Box::new(map.iter()),
        };
        let needs_body = !fields.only_metadata();
        let mut matching = range
            .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
            .map(|(_, o)| o)
            .filter(|o| labels.matches(&o.labels))
            .filter(|o| {
                if needs_body {
                    o.value().map(|v| fields.matches(&v)).unwrap_or(false)
                } else {
                    fields.matches_metadata(&o.namespace, &o.name)
                }
            });
        let mut items = Vec::new();
        let max = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        for o in matching.by_ref() {
            if items.len() == max {
                // One more exists: count the rest for remainingItemCount.
                let rest = 1 + matching.count();
                let last: &Arc<StoredObject> = items.last().ok_or_else(|| {
                    ApiError::internal("a page with a limit of at least one is never empty")
                })?;
                let token = ContinueToken {
                    rv: list_rv,
                    ns: last.namespace.clone(),
                    name: last.name.clone(),
                };
                let raw =
                    serde_json::to_vec(&token).map_err(|e| ApiError::internal(e.to_string()))?;
                return Ok(ListPage {
                    rv: list_rv,
                    items,
                    continue_token: Some(
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
                    ),
                    remaining: Some(rest),
                });
            }
            items.push(o.clone());
        }
        Ok(ListPage {
            rv: list_rv,
            items,
            continue_token: None,
            remaining: None,
        })
    }
}

fn decode_continue(token: &str) -> Result<ContinueToken, ApiError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| {
            ApiError::bad_request("invalid continue token: start the list again without it")
        })?;
    serde_json::from_slice(&raw).map_err(|_| {
        ApiError::bad_request("invalid continue token: start the list again without it")
    })
}
