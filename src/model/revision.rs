//! Revisions as Flux writes them (`main@sha1:<40 hex>`, `latest@sha256:<64 hex>`,
//! `sha1:<hex>`), shortened for columns.

/// Hex digits kept when a revision is shortened: enough to tell commits apart on screen.
pub const SHORT_HEX: usize = 8;

/// Shortens every `sha1:`/`sha256:` digest in a revision to [`SHORT_HEX`] digits, keeping
/// the ref name: `main@sha1:9e2f5b8c1a4d…` becomes `main@sha1:9e2f5b8c`.
pub fn short_revision(revision: &str) -> String {
    let (head, digest) = match revision.rsplit_once('@') {
        Some((name, digest)) => (Some(name), digest),
        None => (None, revision),
    };
    let digest = match digest.split_once(':') {
        Some((algo, hex)) if hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            let cut = hex.get(..SHORT_HEX).unwrap_or(hex);
            format!("{algo}:{cut}")
        }
        _ => digest.to_owned(),
    };
    match head {
        Some(name) => format!("{name}@{digest}"),
        None => digest,
    }
}

/// The commit SHA inside a git revision (`main@sha1:<sha>` or `sha1:<sha>`), if any.
pub fn commit_sha(revision: &str) -> Option<&str> {
    let digest = revision.rsplit_once('@').map_or(revision, |(_, d)| d);
    let (algo, hex) = digest.split_once(':')?;
    (algo == "sha1" && !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_git_and_oci_revisions() {
        assert_eq!(
            short_revision("main@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f"),
            "main@sha1:9e2f5b8c"
        );
        assert_eq!(
            short_revision("feature/x@sha1:9e2f5b8c1a4d7e0f3b6c9a2d5e8f1b4c7a0d3e6f"),
            "feature/x@sha1:9e2f5b8c"
        );
        assert_eq!(short_revision("sha1:9e2f5b8c1a4d"), "sha1:9e2f5b8c");
        assert_eq!(
            short_revision("latest@sha256:3b6cdcc7adcc9a84d3214ee1c029543789d90b5a"),
            "latest@sha256:3b6cdcc7"
        );
        assert_eq!(short_revision("v1.2.3"), "v1.2.3");
        assert_eq!(short_revision("main/abc"), "main/abc");
        assert_eq!(short_revision(""), "");
    }

    #[test]
    fn finds_the_commit_sha() {
        assert_eq!(commit_sha("main@sha1:9e2f5b8c"), Some("9e2f5b8c"));
        assert_eq!(commit_sha("sha1:abc"), Some("abc"));
        assert_eq!(commit_sha("latest@sha256:abc"), None);
        assert_eq!(commit_sha("main"), None);
    }
}
