//! Helpers shared by the integration tests.

pub mod git;
pub mod pty;
pub mod registry;
pub mod sandbox;
pub mod setters;
pub mod ui;
pub mod workloads;
