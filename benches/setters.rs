//! Benchmark of `fluxdeck::setters` (criterion). Placeholder until the engine lands.

fn main() {}
