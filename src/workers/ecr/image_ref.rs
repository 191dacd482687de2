//! Which ImageRepository images fluxdeck can scan: private ECR repositories, recognised by
//! their registry host (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`).
//!
//! The host grammar follows Flux's AWS provider: `dkr.ecr` or `dkr-ecr`
//! (dual-stack `on.aws`), an optional `-fips`, and the partitions' DNS suffixes. Unlike Flux's
//! unanchored pattern, the whole host must match and the account must be 12 digits: a host that
//! only contains an ECR-looking part is not an ECR registry.
//!
//! `public.ecr.aws` is deliberately not supported: it is served by a different API
//! (`ecr-public`, us-east-1 only) that would need a second SDK crate, and public images are
//! rarely what a release pipeline deploys. It gets the same "not available" answer as any
//! other registry rather than a guess.

/// A private ECR repository named by an ImageRepository's `spec.image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcrRepo {
    /// The 12-digit AWS account (the ECR registry id).
    pub account: String,
    /// The AWS region the repository lives in, from the host.
    pub region: String,
    /// The repository name, e.g. `weaveworksdemos/front-end`.
    pub repository: String,
    /// The registry host, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`.
    pub host: String,
}

impl EcrRepo {
    /// Whether the host is a FIPS endpoint (`dkr.ecr-fips`), so the API call should be too.
    pub fn fips(&self) -> bool {
        self.host.contains("ecr-fips.")
    }

    /// Whether the host is a dual-stack endpoint (`dkr-ecr.<region>.on.aws`).
    pub fn dual_stack(&self) -> bool {
        self.host.ends_with(".on.aws")
    }

    /// `host/repository`, the image as Flux writes it.
    pub fn image(&self) -> String {
        format!("{}/{}", self.host, self.repository)
    }
}

impl std::fmt::Display for EcrRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.host, self.repository)
    }
}

/// Why an image is not a scannable ECR repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotEcr {
    /// A registry fluxdeck does not scan (Docker Hub, GHCR, public ECR, ...).
    #[error("registry scan not available for {host}")]
    Unsupported {
        /// The registry host (`docker.io` for images without one).
        host: String,
    },
    /// `spec.image` is not a repository reference Flux would accept.
    #[error("ImageRepository spec.image {image:?}: {problem}")]
    Invalid {
        /// The image as written.
        image: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

impl NotEcr {
    /// The registry host, when the image had a usable one.
    pub fn host(&self) -> Option<&str> {
        match self {
            NotEcr::Unsupported { host } => Some(host),
            NotEcr::Invalid { .. } => None,
        }
    }
}

use crate::model::ecr::valid_repository_name;

/// DNS suffixes of the AWS partitions ECR is served in.
const PARTITION_SUFFIXES: [&str; 7] = [
    "amazonaws.com",
    "amazonaws.com.cn",
    "amazonaws.eu",
    "sc2s.sgov.gov",
    "c2s.ic.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// Parses an ImageRepository `spec.image` into an ECR repository, or says why it is not one.
pub fn parse_ecr_image(image: &str) -> Result<EcrRepo, NotEcr> {
    let invalid = |problem: String| NotEcr::Invalid {
        image: image.to_string(),
        problem,
    };
    let trimmed = image.trim();
    if trimmed.is_empty() {
        return Err(invalid(
            "the image is empty; set it to <registry>/<repository>".into(),
        ));
    }
    if let Some((scheme, _)) = trimmed.split_once("://") {
        return Err(invalid(format!(
            "should not include URL scheme; remove '{scheme}://'"
        )));
    }
    if let Some((_, digest)) = trimmed.split_once('@') {
        return Err(invalid(format!(
            "should not include a digest; remove '@{digest}'"
        )));
    }
    let (host, path) = split_registry(trimmed);
    if let Some((_, tag)) = path.rsplit_once(':') {
        return Err(invalid(format!(
            "should not include a tag; remove ':{tag}'"
        )));
    }
    let Some((account, region)) = ecr_host(host) else {
        return Err(NotEcr::Unsupported {
            host: host.to_ascii_lowercase(),
        });
    };
    if !valid_repository_name(path) {
        return Err(invalid(format!(
            "'{path}' is not an ECR repository name (lowercase letters, digits and . _ - separated by /); fix the repository part"
        )));
    }
    Ok(EcrRepo {
        account: account.to_string(),
        region: region.to_string(),
        repository: path.to_string(),
        host: host.to_ascii_lowercase(),
    })
}

/// Splits an image into registry host and path by the Docker reference rule: the first
/// component is a host only if it looks like one (a dot, a port, or `localhost`).
fn split_registry(image: &str) -> (&str, &str) {
    match image.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest)
        }
        _ => ("docker.io", image),
    }
}

/// `(account, region)` when `host` is a private ECR registry host.
fn ecr_host(host: &str) -> Option<(&str, &str)> {
    let lower_ok = host.bytes().all(|b| !b.is_ascii_uppercase());
    let (account, rest) = host.split_once('.')?;
    if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let rest = if let Some(r) = rest.strip_prefix("dkr.ecr-fips.") {
        r
    } else if let Some(r) = rest.strip_prefix("dkr.ecr.") {
        r
    } else if let Some(r) = rest.strip_prefix("dkr-ecr-fips.") {
        // Dual-stack hosts live only under on.aws.
        r.strip_suffix(".on.aws").map(|_| r)?
    } else if let Some(r) = rest.strip_prefix("dkr-ecr.") {
        r.strip_suffix(".on.aws").map(|_| r)?
    } else {
        return None;
    };
    let (region, suffix) = rest.split_once('.')?;
    let suffix_ok = suffix == "on.aws" || PARTITION_SUFFIXES.contains(&suffix);
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (lower_ok && suffix_ok && region_ok).then_some((account, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(image: &str) -> EcrRepo {
        match parse_ecr_image(image) {
            Ok(r) => r,
            Err(e) => panic!("{image}: {e}"),
        }
    }

    #[test]
    fn the_seed_image_is_ecr() {
        let r = ok("123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end");
        assert_eq!(r.account, "123456789012");
        assert_eq!(r.region, "us-west-2");
        assert_eq!(r.repository, "weaveworksdemos/front-end");
        assert_eq!(r.host, "123456789012.dkr.ecr.us-west-2.amazonaws.com");
        assert!(!r.fips() && !r.dual_stack());
        assert_eq!(
            r.image(),
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end"
        );
    }

    #[test]
    fn fips_china_dual_stack_and_other_partitions() {
        let f = ok("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app");
        assert_eq!(f.region, "us-gov-west-1");
        assert!(f.fips());
        let cn = ok("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app");
        assert_eq!(cn.region, "cn-north-1");
        let ds = ok("123456789012.dkr-ecr.eu-west-1.on.aws/team/app");
        assert_eq!(ds.region, "eu-west-1");
        assert!(ds.dual_stack());
        let dsf = ok("123456789012.dkr-ecr-fips.us-east-1.on.aws/app");
        assert!(dsf.fips() && dsf.dual_stack());
        assert_eq!(
            ok("123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/a1").region,
            "eusc-de-east-1"
        );
        assert_eq!(
            ok("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/a1").region,
            "us-iso-east-1"
        );
        assert_eq!(
            ok("123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/a1").region,
            "us-isob-east-1"
        );
        assert_eq!(
            ok("123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/a1").region,
            "eu-isoe-west-1"
        );
        assert_eq!(
            ok("123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/a1").region,
            "us-isof-south-1"
        );
    }

    #[test]
    fn other_registries_are_not_available_with_the_exact_message() {
        for (image, host) in [
            ("weaveworksdemos/front-end", "docker.io"),
            ("alpine", "docker.io"),
            ("ghcr.io/fluxcd/flux-cli", "ghcr.io"),
            ("public.ecr.aws/nginx/nginx", "public.ecr.aws"),
            ("localhost:5000/app", "localhost:5000"),
            ("registry.example.com/dkr.ecr/app", "registry.example.com"),
            // Looks like ECR but the account is not 12 digits.
            (
                "12345.dkr.ecr.us-west-2.amazonaws.com/app",
                "12345.dkr.ecr.us-west-2.amazonaws.com",
            ),
            // ECR-looking prefix on a foreign domain.
            (
                "123456789012.dkr.ecr.us-west-2.amazonaws.com.evil.io/app",
                "123456789012.dkr.ecr.us-west-2.amazonaws.com.evil.io",
            ),
            (
                "123456789012.dkr-ecr.us-west-2.amazonaws.com/app",
                "123456789012.dkr-ecr.us-west-2.amazonaws.com",
            ),
        ] {
            let err = parse_ecr_image(image).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("registry scan not available for {host}"),
                "{image}"
            );
            assert_eq!(err.host(), Some(host));
        }
    }

    #[test]
    fn bad_images_say_what_to_remove() {
        let e = parse_ecr_image("https://123456789012.dkr.ecr.us-west-2.amazonaws.com/app")
            .unwrap_err();
        assert!(e.to_string().contains("remove 'https://'"), "{e}");
        let e = parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/app:v1").unwrap_err();
        assert!(e.to_string().contains("remove ':v1'"), "{e}");
        let e = parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/app@sha256:abc")
            .unwrap_err();
        assert!(e.to_string().contains("remove '@sha256:abc'"), "{e}");
        let e = parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/App").unwrap_err();
        assert!(e.to_string().contains("not an ECR repository name"), "{e}");
        let e = parse_ecr_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/a//b").unwrap_err();
        assert!(matches!(e, NotEcr::Invalid { .. }), "{e}");
        assert!(matches!(parse_ecr_image("  "), Err(NotEcr::Invalid { .. })));
    }

    #[test]
    fn registry_port_is_not_a_tag() {
        let e = parse_ecr_image("localhost:5000/app").unwrap_err();
        assert_eq!(
            e,
            NotEcr::Unsupported {
                host: "localhost:5000".into()
            }
        );
    }
}
