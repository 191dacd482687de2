//! What goes in and out of the scanner's channels: the ImageRepositories to scan, requests
//! to scan now, and the events it reports.

use std::time::Duration;

use super::super::errors::ScanError;
use super::super::image_ref::{EcrRepo, NotEcr};
use super::super::scan::RegistryScan;

/// What the scanner needs to know about one ImageRepository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRepoSpec {
    /// A stable id, e.g. `sock-shop/sock-shop-front-end` (namespace/name).
    pub id: String,
    /// `spec.image`.
    pub image: String,
    /// `spec.interval` (the scanner's default when `None`).
    pub interval: Option<Duration>,
}

/// A request to scan now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanRequest {
    /// Scan this ImageRepository (by [`ImageRepoSpec::id`]).
    Repository(String),
    /// Scan every ECR-backed ImageRepository.
    All,
}

/// What the scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    /// A scan started.
    Scanning {
        /// The ImageRepository id.
        id: String,
        /// The repository being scanned.
        repo: EcrRepo,
    },
    /// A scan finished.
    Scanned {
        /// The ImageRepository id.
        id: String,
        /// What it found.
        scan: RegistryScan,
    },
    /// A scan failed; the next attempt is scheduled.
    Failed {
        /// The ImageRepository id.
        id: String,
        /// The repository.
        repo: EcrRepo,
        /// Why.
        error: ScanError,
        /// Consecutive failures so far (1 for the first).
        failures: u32,
        /// When the next attempt happens.
        retry_in: Duration,
    },
    /// The image is not a scannable ECR repository (never scanned; the message is for the pane).
    Unavailable {
        /// The ImageRepository id.
        id: String,
        /// Why (its `Display` is e.g. `registry scan not available for ghcr.io`).
        reason: NotEcr,
    },
    /// The ImageRepository is gone from the input; forget its results.
    Removed {
        /// The ImageRepository id.
        id: String,
    },
}
