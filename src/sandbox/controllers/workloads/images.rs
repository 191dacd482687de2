//! What pulling and running an image does in the sandbox: an [`ImageSource`] decides each
//! image reference's [`ImageFate`] every time the kubelet pulls or starts it, so a build CI
//! fixes later (a tag pushed after all) pulls on the next retry.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::sandbox::scenario::pods::normalize;

/// What pulling and running an image does in the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFate {
    /// Pulls and runs; digest `sha256:<64 hex>` and compressed size in bytes (for the
    /// `Pulled` event).
    Runs {
        /// The manifest digest (`sha256:<64 hex>`), shown in `imageID`.
        digest: String,
        /// Compressed size in bytes.
        size: u64,
    },
    /// Pulls, starts, then exits with `exit_code` after `after` (then restarts with
    /// back-off), printing `log`.
    Crashes {
        /// The manifest digest (`sha256:<64 hex>`).
        digest: String,
        /// Compressed size in bytes.
        size: u64,
        /// The exit code of every run (`reason: Error`; 0 gives `Completed`).
        exit_code: i32,
        /// How long each run lasts before it exits (paced).
        after: Duration,
        /// What each run prints before it exits (a stack trace), for the `log` subresource.
        log: Vec<String>,
    },
    /// The pull fails with this containerd error text (ErrImagePull / ImagePullBackOff).
    Unpullable {
        /// containerd's error, e.g. [`ImageFate::not_found`]'s.
        message: String,
    },
}

impl ImageFate {
    /// The pull of a tag the registry does not have, in containerd's words:
    /// `rpc error: code = NotFound desc = failed to pull and unpack image "<ref>": failed to
    /// resolve reference "<ref>": <ref>: not found` (`<ref>` fully qualified, as containerd
    /// prints it).
    pub fn not_found(image: &str) -> ImageFate {
        let (repository, tag) = normalize(image);
        let reference = format!("{repository}:{tag}");
        ImageFate::Unpullable {
            message: format!(
                "rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found"
            ),
        }
    }

    /// The fate of an image that runs, with a digest and size derived from the reference
    /// (the same reference always gives the same digest).
    pub fn runs(image: &str) -> ImageFate {
        let (digest, size) = derived(image);
        ImageFate::Runs { digest, size }
    }
}

/// A digest and a plausible compressed size (20 to 200 MB) derived from an image reference.
pub(super) fn derived(image: &str) -> (String, u64) {
    let hash = Sha256::digest(image.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    let size = 20_000_000 + u64::from_le_bytes(first) % 180_000_000;
    (format!("sha256:{}", hex::encode(hash)), size)
}

/// Decides the fate of an image reference (the lead implements it over the sandbox's ECR
/// registry, where CI marks broken and unpullable builds).
pub trait ImageSource: Send + Sync + 'static {
    /// The fate of `image` (the reference exactly as a pod's container spec names it).
    fn fate(&self, image: &str) -> ImageFate;
}

/// Every image runs (digest derived deterministically from the reference).
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyImage;

impl ImageSource for AnyImage {
    fn fate(&self, image: &str) -> ImageFate {
        ImageFate::runs(image)
    }
}

impl<F> ImageSource for F
where
    F: Fn(&str) -> ImageFate + Send + Sync + 'static,
{
    fn fate(&self, image: &str) -> ImageFate {
        self(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_digests_are_stable_and_shaped_like_sha256() {
        let ImageFate::Runs { digest, size } = AnyImage.fate("nginx:1.27") else {
            panic!("AnyImage runs everything");
        };
        assert_eq!(digest.len(), "sha256:".len() + 64);
        assert!(digest.starts_with("sha256:"));
        assert!((20_000_000..200_000_000).contains(&size));
        assert_eq!(AnyImage.fate("nginx:1.27"), ImageFate::runs("nginx:1.27"));
        assert_ne!(AnyImage.fate("nginx:1.28"), ImageFate::runs("nginx:1.27"));
    }

    #[test]
    fn not_found_speaks_containerd() {
        let ImageFate::Unpullable { message } = ImageFate::not_found("redis:alpin") else {
            panic!("not_found is unpullable");
        };
        assert_eq!(
            message,
            "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/redis:alpin\": failed to resolve reference \"docker.io/library/redis:alpin\": docker.io/library/redis:alpin: not found"
        );
        let closure = |image: &str| ImageFate::not_found(image);
        assert!(matches!(closure.fate("x"), ImageFate::Unpullable { .. }));
    }
}
