//! Domain types, no I/O: Flux objects read tolerantly from any served version, conditions and
//! readiness, pods, commits.

pub mod ecr;
pub mod yaml;
