//! Benchmark of `fluxdeck::policy` (criterion). Placeholder until the engine lands.

fn main() {}
