//! Render cost against the number of Kustomizations: fluxdeck must stay flat in N because
//! it renders only visible rows and keeps its tables sorted as updates arrive.
//!
//! For N = 2,000 and 20,000 Kustomizations (plus the sock-shop pipeline), at 160x48:
//! - `full_render`: one whole frame into a cleared terminal (every cell written);
//! - `update_visible`: apply one Update that changes a visible row, then draw;
//! - `update_offscreen`: apply one Update that changes a row far below the window, then draw.
//!
//! Run: `cargo bench --bench render`; medians are in `target/criterion/*/new/estimates.json`.

// The integration tests' helpers, of which this benchmark uses a part.
#[path = "../tests/integration/support/ui.rs"]
#[allow(dead_code)]
mod ui_support;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::Event;
use fluxdeck::model::key::Kind;
use fluxdeck::model::kustomization::Kustomization;
use fluxdeck::model::object::Object;
use fluxdeck::state::Update;
use ui_support::{Harness, fixture, pipeline};

/// A Kustomization named `app-NNNNN`, with a message that varies with `generation`.
fn kustomization(template: &Kustomization, i: usize, generation: u64) -> Object {
    let mut k = template.clone();
    k.key.name = format!("app-{i:05}").into();
    if let Some(ready) = k.status.ready.as_mut() {
        ready.message = format!("Applied revision: main@sha1:{generation:040x}");
    }
    Object::Kustomization(k.into())
}

fn harness(n: usize) -> (Harness, Kustomization) {
    let template = Kustomization::parse(&fixture("kustomization-apps.json")).unwrap();
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    let mut relist = vec![Update::RelistStarted(Kind::Kustomization)];
    relist.extend((0..n).map(|i| Update::Relisted(kustomization(&template, i, 0))));
    relist.push(Update::RelistDone(Kind::Kustomization));
    ui.updates(relist);
    ui.screen();
    (ui, template)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_160x48");
    for n in [2_000usize, 20_000] {
        let (mut ui, template) = harness(n);
        group.bench_with_input(BenchmarkId::new("full_render", n), &n, |b, _| {
            b.iter(|| {
                ui.terminal.clear().unwrap();
                ui.app.handle_event(&Event::Resize(160, 48));
                assert!(ui.app.draw(&mut ui.terminal).unwrap());
            });
        });
        let mut generation = 0;
        group.bench_with_input(BenchmarkId::new("update_visible", n), &n, |b, _| {
            b.iter(|| {
                generation += 1;
                ui.app
                    .apply(Update::Applied(kustomization(&template, 2, generation)));
                assert!(ui.app.draw(&mut ui.terminal).unwrap());
            });
        });
        group.bench_with_input(BenchmarkId::new("update_offscreen", n), &n, |b, _| {
            b.iter(|| {
                generation += 1;
                ui.app
                    .apply(Update::Applied(kustomization(&template, n - 7, generation)));
                ui.app.draw(&mut ui.terminal).unwrap();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
