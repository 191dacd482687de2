//! Image references, the policies that carry them, and the setter names Flux derives from them.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::error::SettersError;

/// An ImagePolicy's `status.latestRef`: `{name, tag, digest}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// The repository, verbatim from the ImageRepository's `spec.image` (may carry a registry
    /// host and port).
    pub name: String,
    /// The tag; empty only for a digest-only reference.
    pub tag: String,
    /// The digest, when the policy reflects digests.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `NAME[:TAG][@DIGEST]`: split on the last `@`, then on the last `:` after the last
    /// `/`, so a registry port (`host:5000/img`) is never taken for a tag. A tag or a digest is
    /// required, as Flux's `latestRef` always has a tag.
    pub fn parse(s: &str) -> Result<Self, SettersError> {
        let bad = |reason: &str| SettersError::BadImageRef {
            input: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace or control characters"));
        }
        let (rest, digest) = match s.rsplit_once('@') {
            Some((_, "")) => return Err(bad("the digest after `@` is empty")),
            Some((rest, digest)) => (rest, Some(digest.to_owned())),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest.get(last_slash..).and_then(|tail| tail.rfind(':')) {
            Some(colon) => {
                let at = last_slash + colon;
                let name = rest.get(..at).unwrap_or_default();
                let tag = rest.get(at + 1..).unwrap_or_default();
                if tag.is_empty() {
                    return Err(bad("the tag after `:` is empty"));
                }
                (name, tag)
            }
            None => (rest, ""),
        };
        if name.is_empty() || name.ends_with('/') {
            return Err(bad("the image name is empty"));
        }
        if tag.is_empty() && digest.is_none() {
            return Err(bad("it has neither a tag nor a digest"));
        }
        Ok(Self {
            name: name.to_owned(),
            tag: tag.to_owned(),
            digest,
        })
    }
}

/// `name:tag[@digest]`, as Flux's `ImageRef.String()`; a digest-only ref prints `name@digest`.
impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.tag.is_empty() {
            write!(f, ":{}", self.tag)?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// An ImagePolicy with a latest ref. Which policies are in scope (Flux: the automation's
/// namespace and `policySelector`) is the caller's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    /// The policy's namespace.
    pub namespace: String,
    /// The policy's name.
    pub name: String,
    /// The policy's `status.latestRef`.
    pub latest: ImageRef,
}

/// The setter names Flux generates for a set of policies, with the value each one writes.
///
/// For a policy `P` in namespace `NS`: `NS:P` → `name:tag[@digest]`, `NS:P:tag` → tag,
/// `NS:P:name` → name, `NS:P:digest` → digest (`""` without one). Any other marker value is
/// unknown and ignored, as kyaml ignores a `$ref` to a missing definition.
#[derive(Debug, Clone, Default)]
pub struct SetterTable {
    values: HashMap<String, String>,
}

impl SetterTable {
    /// Builds the table; a later policy with the same namespace and name wins.
    pub fn new(policies: &[PolicyRef]) -> Self {
        let mut values = HashMap::with_capacity(policies.len() * 4);
        for policy in policies {
            let base = format!("{}:{}", policy.namespace, policy.name);
            let latest = &policy.latest;
            values.insert(format!("{base}:tag"), latest.tag.clone());
            values.insert(format!("{base}:name"), latest.name.clone());
            values.insert(
                format!("{base}:digest"),
                latest.digest.clone().unwrap_or_default(),
            );
            values.insert(base, latest.to_string());
        }
        Self { values }
    }

    /// The value a setter writes, or `None` for a setter no policy defines.
    pub fn value(&self, setter: &str) -> Option<&str> {
        self.values.get(setter).map(String::as_str)
    }

    /// True when no policy was given (nothing can change).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> (String, String, Option<String>) {
        let r = ImageRef::parse(s).unwrap();
        (r.name, r.tag, r.digest)
    }

    #[test]
    fn parse_splits_on_last_at_then_last_colon_after_the_last_slash() {
        assert_eq!(parsed("img:v1"), ("img".into(), "v1".into(), None));
        assert_eq!(
            parsed("host:5000/team/img:1.2.3"),
            ("host:5000/team/img".into(), "1.2.3".into(), None)
        );
        assert_eq!(
            parsed("host:5000/img:v1@sha256:abc"),
            (
                "host:5000/img".into(),
                "v1".into(),
                Some("sha256:abc".into())
            )
        );
        assert_eq!(
            parsed("img@sha256:abc"),
            ("img".into(), String::new(), Some("sha256:abc".into()))
        );
        assert_eq!(
            parsed(
                "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24"
            ),
            (
                "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end".into(),
                "main-1f49071-24".into(),
                None
            )
        );
    }

    #[test]
    fn parse_rejects_bad_refs_with_the_fix() {
        for bad in [
            "",
            "img",
            "host:5000/img",
            "img:",
            "img:v1@",
            ":v1",
            "a b:v1",
            "img/:v1",
        ] {
            let err = ImageRef::parse(bad).unwrap_err().to_string();
            assert!(err.contains("NAME:TAG"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn display_is_flux_image_ref_string() {
        for s in ["img:v1", "host:5000/img:v1@sha256:abc", "img@sha256:abc"] {
            assert_eq!(ImageRef::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn setter_table_has_the_four_setters_per_policy_and_nothing_else() {
        let table = SetterTable::new(&[PolicyRef {
            namespace: "ns".into(),
            name: "p".into(),
            latest: ImageRef::parse("index.repo.fake/updated:v1.0.1").unwrap(),
        }]);
        assert_eq!(table.value("ns:p"), Some("index.repo.fake/updated:v1.0.1"));
        assert_eq!(table.value("ns:p:tag"), Some("v1.0.1"));
        assert_eq!(table.value("ns:p:name"), Some("index.repo.fake/updated"));
        assert_eq!(table.value("ns:p:digest"), Some(""));
        assert_eq!(table.value("ns:p:other"), None);
        assert_eq!(table.value("other:p"), None);
        assert_eq!(table.value("p"), None);
    }
}
