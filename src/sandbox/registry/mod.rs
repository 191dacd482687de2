//! The sandbox's ECR-compatible registry: an in-memory store of repositories and image
//! manifests, served over the AWS JSON 1.1 protocol so fluxdeck's own aws-sdk-ecr client (and
//! any other ECR client) can talk to it, plus a Rust API for the sandbox's controllers and its
//! CI simulator.
//!
//! - [`RegistryStore`] (`store`): repositories, pushes, tags, fault controls and a call log;
//! - [`RegistryError`] (`error`): why a call failed, as the ECR error it stands for;
//! - [`wire`]: the HTTP endpoint (`POST /` with `X-Amz-Target`), [`RegistryServer`];
//! - [`ops`]: the operations (`DescribeImages`, `ListImages`, `DescribeRepositories`,
//!   `CreateRepository`, `PutImage`, `BatchGetImage`, `GetAuthorizationToken`);
//! - [`seed`]: the sock-shop `front-end` repository with a realistic build history.
//!
//! One store is one registry: one account in one region. Only image manifests are stored
//! (no layer blobs, so no `LayersNotFoundException`), which is all the tag and digest views
//! need.

mod error;
pub mod ops;
pub mod repository;
pub mod seed;
mod store;
pub mod wire;

pub use error::RegistryError;
pub use repository::{PushRequest, Repository, StoredImage, manifest_digest};
pub use store::{Fault, RegistryCall, RegistryStore, TagEntry};
pub use wire::RegistryServer;
