#![no_main]
//! Fuzz target for `fluxdeck::setters`. Placeholder until the engine lands.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|_data: &[u8]| {});
