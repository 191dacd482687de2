//! Times `sandbox::scenario::objects` and `for_each_object` (medians of several runs) with
//! the serialisation the store does next; or, with `--dump`, prints a scenario's objects as
//! JSON lines.
//!
//! ```sh
//! cargo run --release --example scenario_timing -- scale:10000 [runs]
//! cargo run --release --example scenario_timing -- --dump sock-shop [2.6]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use fluxdeck::sandbox::crds::FluxVersion;
use fluxdeck::sandbox::scenario::{Scenario, ScenarioOptions, for_each_object, objects};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args.first().is_some_and(|a| a == "--dump");
    let rest = args.get(usize::from(dump)..).unwrap_or_default();
    let scenario: Scenario = match rest
        .first()
        .map(String::as_str)
        .unwrap_or("scale:10000")
        .parse()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut opts = ScenarioOptions::default();
    if dump {
        if rest.get(1).is_some_and(|v| v == "2.6") {
            opts.flux = FluxVersion::V2_6;
        }
        for object in objects(&scenario, &opts) {
            println!("{object}");
        }
        return ExitCode::SUCCESS;
    }
    let runs: usize = rest.get(1).and_then(|r| r.parse().ok()).unwrap_or(7);
    let mut build = Vec::new();
    let mut serialise = Vec::new();
    let mut streamed = Vec::new();
    let mut generated = Vec::new();
    let mut count = 0;
    let mut bytes = 0;
    for _ in 0..runs {
        // Generation alone: every tree dropped as soon as it is made.
        let start = Instant::now();
        for_each_object(&scenario, &opts, drop);
        generated.push(start.elapsed());
        // As a store would take them: one at a time, serialised, the tree dropped.
        let start = Instant::now();
        let mut stored: Vec<Vec<u8>> = Vec::new();
        for_each_object(&scenario, &opts, |o| {
            stored.extend(serde_json::to_vec(&o).ok())
        });
        streamed.push(start.elapsed());
        bytes = stored.iter().map(Vec::len).sum::<usize>();
        drop(stored);
        // All at once, then serialised.
        let start = Instant::now();
        let objs = objects(&scenario, &opts);
        build.push(start.elapsed());
        let start = Instant::now();
        let serialised: Vec<Vec<u8>> = objs
            .iter()
            .filter_map(|o| serde_json::to_vec(o).ok())
            .collect();
        serialise.push(start.elapsed());
        count = objs.len();
        drop(serialised);
    }
    println!(
        "{scenario}: {count} objects, {:.1} MiB serialised; medians over {runs} runs: \
         for_each_object alone {:?}; for_each_object + serialise {:?}; \
         objects() {:?}, then serialise {:?}",
        bytes as f64 / (1024.0 * 1024.0),
        median(generated),
        median(streamed),
        median(build),
        median(serialise)
    );
    ExitCode::SUCCESS
}
