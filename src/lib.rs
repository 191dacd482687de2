//! fluxdeck: a terminal cockpit for GitOps releases run by Flux CD on Kubernetes.
//!
//! The binary is a thin clap shell over this library; tests and benchmarks use the library
//! directly. Data flows one way: workers send `state::Update`s, `state::State::apply` is the
//! only writer, and `ui` renders `&State`. Dependency direction:
//! `cli → {ui, workers, sandbox} → state → {model, policy, setters}`; `policy`, `setters` and
//! the sandbox use `golang`, the Go semantics that Flux's output depends on.

pub mod cli;
pub mod golang;
pub mod heap;
pub mod model;
pub mod policy;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod setters;
pub mod state;
pub mod ui;
pub mod workers;
