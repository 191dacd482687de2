//! Helpers shared by the integration tests.

pub mod cli;
pub mod git;
pub mod pty;
pub mod registry;
pub mod sandbox;
pub mod scene;
pub mod setters;
pub mod svg;
pub mod ui;
pub mod workloads;
