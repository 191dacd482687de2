//! The ECR scanner: lists the images of the ECR repositories that ImageRepositories point
//! at (`DescribeImages`, all pages: tags, digests, push times), on each repository's interval
//! and on demand, with backoff on throttling. Other registries get "registry scan not
//! available for <host>", never a guess.
//!
//! - [`image_ref`]: which images are ECR repositories, and where they live;
//! - [`client`]: ECR clients from the default AWS chain, region from the image host;
//! - [`scan`]: one scan of one repository into a [`RegistryScan`];
//! - [`errors`]: typed scan errors and their mapping from the SDK;
//! - [`scanner`]: the background task that schedules scans and reports [`RegistryEvent`]s.
//!
//! Evaluating the ImagePolicy over a scan (preview, drift) belongs to the state layer, which
//! calls `crate::policy` with [`RegistryScan::tags`].

pub mod client;
pub mod errors;
pub mod image_ref;
pub mod scan;
pub mod scanner;

pub use client::{ClientError, EcrClientConfig, build_client};
pub use errors::ScanError;
pub use image_ref::{EcrRepo, NotEcr, parse_ecr_image};
pub use scan::{ImageDetail, RegistryScan, ScanAssembler, TagRef, scan};
pub use scanner::{
    EcrScanner, ImageRepoSpec, RegistryEvent, RepoScanner, ScanRequest, ScannerConfig,
    backoff_delay, spawn_scanner,
};
