//! Domain types, no I/O: Flux objects read tolerantly from any served version, conditions and
//! readiness, pods, commits.

pub mod automation;
pub mod commit;
pub mod compact;
pub mod conditions;
pub mod duration;
pub mod ecr;
pub mod event;
pub mod image;
pub mod json;
pub mod key;
pub mod kustomization;
pub mod mask;
pub mod meta;
pub mod object;
pub mod pod;
pub mod revision;
pub mod source;
#[cfg(test)]
pub(crate) mod testdata;
pub mod wire;
pub mod yaml;
