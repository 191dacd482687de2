//! Flux-style status values the simulated controllers and the state need: the
//! ImageRepository scan summary (`status.lastScanResult`) and the ImagePolicy `Ready`
//! message.

use std::fmt;

use super::error::PolicyError;
use super::filter::exclude;
use crate::golang::json;

/// How many tags `status.lastScanResult.latestTags` holds.
pub const LATEST_TAGS_COUNT: usize = 10;

/// Sorts tags the way Flux stores them after a scan, descending byte-wise (Go:
/// `slices.SortStableFunc(tags, -strings.Compare)`). Policies iterate them in this order,
/// which is what decides their ties.
pub fn repository_order(tags: &mut [String]) {
    // Unstable is fine: equal tags are identical strings.
    tags.sort_unstable_by(|a, b| b.cmp(a));
}

/// The result of an ImageRepository scan, as Flux stores and reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// The tags after exclusion, sorted descending byte-wise: the order Flux stores them in,
    /// and so the order its policies iterate (which decides ties).
    pub tags: Vec<String>,
    /// `latestTags`: the first ten of `tags` (Flux omits the field when empty).
    pub latest_tags: Vec<String>,
    /// `tagCount`: tags left after exclusion.
    pub tag_count: usize,
    /// `revision`: decimal adler32 of Go's JSON encoding of `tags`.
    pub revision: String,
}

impl ScanSummary {
    /// Applies the exclusion list (empty = the default `^.*\.sig$`) and sorts, as a scan does.
    pub fn new<S: AsRef<str>>(
        listed: &[S],
        exclusion_list: &[String],
    ) -> Result<Self, PolicyError> {
        let mut tags = exclude(listed, exclusion_list)?;
        repository_order(&mut tags);
        let latest_tags = tags.iter().take(LATEST_TAGS_COUNT).cloned().collect();
        let revision = adler2::adler32_slice(json::string_array(&tags).as_bytes()).to_string();
        Ok(Self {
            tag_count: tags.len(),
            latest_tags,
            revision,
            tags,
        })
    }

    /// The ImageRepository `Ready` message after this scan.
    pub fn ready_message(&self) -> String {
        format!(
            "successful scan: found {} tags with checksum {}",
            self.tag_count, self.revision
        )
    }
}

/// `status.latestRef` / `observedPreviousRef` of an ImagePolicy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    /// The ImageRepository's `spec.image`, verbatim.
    pub name: String,
    /// The selected (original) tag.
    pub tag: String,
    /// The digest, empty unless digest reflection is on.
    pub digest: String,
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)?;
        if !self.digest.is_empty() {
            write!(f, "@{}", self.digest)?;
        }
        Ok(())
    }
}

/// The ImagePolicy `Ready=True` message (`composeImagePolicyReadyMessage`):
/// `Latest image tag for <name> resolved to <tag>[ with digest <d>][ (previously
/// <name>:<tag>[@<digest>])]`; the previous ref appears only when it differs.
pub fn ready_message(name: &str, tag: &str, digest: &str, previous: Option<&ImageRef>) -> String {
    let mut msg = format!("Latest image tag for {name} resolved to {tag}");
    if !digest.is_empty() {
        msg.push_str(&format!(" with digest {digest}"));
    }
    if let Some(prev) = previous {
        let same = prev.name == name && prev.tag == tag && prev.digest == digest;
        if !same {
            msg.push_str(&format!(" (previously {prev})"));
        }
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_sorts_descending_excludes_and_counts() {
        let listed = [
            "v1.0.0",
            "1.0.0",
            "latest",
            "v1.0.0.sig",
            "main-abc-2",
            "Main",
        ];
        let s = ScanSummary::new(&listed, &[]).unwrap();
        assert_eq!(s.tags, ["v1.0.0", "main-abc-2", "latest", "Main", "1.0.0"]);
        assert_eq!(s.tag_count, 5);
        assert_eq!(s.latest_tags, s.tags);
    }

    #[test]
    fn latest_tags_are_the_first_ten() {
        let listed: Vec<String> = (0..25).map(|i| format!("{i:02}")).collect();
        let s = ScanSummary::new(&listed, &[]).unwrap();
        assert_eq!(s.tag_count, 25);
        assert_eq!(s.latest_tags.len(), 10);
        assert_eq!(s.latest_tags.first().map(String::as_str), Some("24"));
        assert_eq!(s.latest_tags.last().map(String::as_str), Some("15"));
    }

    #[test]
    fn revision_is_adler32_of_go_json() {
        // adler32 of the two bytes `[]`, by hand: A = 1 + '[' + ']', B = (1 + '[') + A.
        let empty: [&str; 0] = [];
        let s = ScanSummary::new(&empty, &[]).unwrap();
        let a = 1 + 0x5B + 0x5D;
        let b = (1 + 0x5B) + a;
        assert_eq!(s.revision, ((b << 16) | a).to_string());
        assert!(s.latest_tags.is_empty());
        let one = ScanSummary::new(&["a"], &[]).unwrap();
        assert_ne!(one.revision, s.revision);
        // Order matters: the checksum is of the sorted list, so input order does not.
        let ab = ScanSummary::new(&["a", "b"], &[]).unwrap();
        let ba = ScanSummary::new(&["b", "a"], &[]).unwrap();
        assert_eq!(ab.revision, ba.revision);
        assert_eq!(
            ab.ready_message(),
            format!(
                "successful scan: found 2 tags with checksum {}",
                ab.revision
            )
        );
    }

    #[test]
    fn bad_exclusion_fails_the_scan() {
        let err = ScanSummary::new(&["a"], &["(".to_owned()]).unwrap_err();
        assert!(err.to_string().starts_with("failed to compile regex (: "));
    }

    #[test]
    fn ready_message_variants() {
        let prev = ImageRef {
            name: "ghcr.io/a/b".into(),
            tag: "1.0.0".into(),
            digest: String::new(),
        };
        assert_eq!(
            ready_message("ghcr.io/a/b", "1.0.1", "", None),
            "Latest image tag for ghcr.io/a/b resolved to 1.0.1"
        );
        assert_eq!(
            ready_message("ghcr.io/a/b", "1.0.1", "sha256:ff", Some(&prev)),
            "Latest image tag for ghcr.io/a/b resolved to 1.0.1 with digest sha256:ff (previously ghcr.io/a/b:1.0.0)"
        );
        assert_eq!(
            ready_message("ghcr.io/a/b", "1.0.0", "", Some(&prev)),
            "Latest image tag for ghcr.io/a/b resolved to 1.0.0"
        );
        let with_digest = ImageRef {
            digest: "sha256:aa".into(),
            ..prev.clone()
        };
        assert_eq!(
            ready_message("ghcr.io/a/b", "1.0.0", "", Some(&with_digest)),
            "Latest image tag for ghcr.io/a/b resolved to 1.0.0 (previously ghcr.io/a/b:1.0.0@sha256:aa)"
        );
        assert_eq!(with_digest.to_string(), "ghcr.io/a/b:1.0.0@sha256:aa");
    }
}
