//! The event loop itself: `App::run` over a headless terminal, a scripted key stream and a
//! worker's update channel. Checks behaviour (what is applied, drawn, sent), not timing.

use std::io;
use std::time::Duration;

use crate::support::ui::{Harness, pipeline};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use fluxdeck::model::key::Kind;
use fluxdeck::state::{Command, Update};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

fn key(c: char) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// Runs the app's loop until the scripted keys quit or end.
async fn run(
    ui: &mut Harness,
    keys: mpsc::UnboundedReceiver<io::Result<Event>>,
    updates: mpsc::Receiver<Update>,
) {
    ui.app
        .run(
            &mut ui.terminal,
            UnboundedReceiverStream::new(keys),
            updates,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_burst_of_updates_is_drawn_once() {
    let mut ui = Harness::new(160, 48);
    let (updates_tx, updates) = mpsc::channel(10_000);
    let (keys_tx, keys) = mpsc::unbounded_channel();
    // 2,000 Kustomizations plus the pipeline, queued before the loop starts.
    let mut burst = pipeline();
    let template = crate::support::ui::object("kustomization-apps.json");
    burst.push(Update::RelistStarted(Kind::Kustomization));
    for i in 0..2000 {
        let mut object = template.clone();
        if let fluxdeck::model::object::Object::Kustomization(k) = &mut object {
            std::sync::Arc::make_mut(k).key.name = format!("app-{i:04}").into();
        }
        burst.push(Update::Relisted(object));
    }
    burst.push(Update::RelistDone(Kind::Kustomization));
    for update in burst {
        updates_tx.try_send(update).unwrap();
    }
    let script = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        keys_tx.send(key('j')).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        keys_tx.send(key('q')).unwrap();
    });
    run(&mut ui, keys, updates).await;
    script.await.unwrap();
    assert_eq!(ui.app.state().kustomizations().len(), 2000);
    // First frame, the burst (one frame however many updates), the `j`, the `q`.
    assert!(ui.app.frames() <= 4, "drew {} frames", ui.app.frames());
    assert_eq!(
        ui.app
            .ui()
            .kustomizations
            .selected()
            .map(|k| k.name.as_str()),
        Some("app-0001")
    );
    assert_eq!(ui.sent(), vec![Command::Shutdown]);
    drop(updates_tx);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_steady_flood_of_updates_is_drawn_at_the_busy_pace() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    let (updates_tx, updates) = mpsc::channel(10_000);
    let (keys_tx, keys) = mpsc::unbounded_channel();
    let template = crate::support::ui::object("kustomization-apps.json");
    let script = tokio::spawn(async move {
        // One second of a busy cluster: a change every 5 ms.
        for i in 0..200 {
            let mut object = template.clone();
            if let fluxdeck::model::object::Object::Kustomization(k) = &mut object {
                std::sync::Arc::make_mut(k).key.name = format!("app-{i:04}").into();
            }
            updates_tx.send(Update::Applied(object)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        keys_tx.send(key('q')).unwrap();
    });
    run(&mut ui, keys, updates).await;
    script.await.unwrap();
    assert_eq!(ui.app.state().kustomizations().len(), 204);
    // At FRAME_MIN (10 ms) it would draw ~100 frames; busy, at most one per 50 ms.
    let frames = ui.app.frames();
    assert!((10..=25).contains(&frames), "drew {frames} frames");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_idle_screen_is_not_redrawn() {
    let mut ui = Harness::new(80, 24);
    ui.updates(pipeline());
    let (_updates_tx, updates) = mpsc::channel(16);
    let (keys_tx, keys) = mpsc::unbounded_channel();
    let clock = ui.clock.clone();
    let script = tokio::spawn(async move {
        // Ten idle minutes in which the visible ages (days old, "37d") do not change.
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            clock.advance(1);
        }
        keys_tx.send(key('q')).unwrap();
    });
    run(&mut ui, keys, updates).await;
    script.await.unwrap();
    // The first frame and the frame after `q`; no tick redrew.
    assert_eq!(ui.app.frames(), 2);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn ages_tick_only_when_a_visible_age_changes() {
    let mut ui = Harness::new(160, 48);
    ui.updates(pipeline());
    // The image pane shows a scan 40s ago: it changes every second.
    ui.screen();
    let before = ui.app.frames();
    ui.clock.advance(1);
    ui.app.tick();
    assert!(ui.app.is_dirty());
    ui.screen();
    assert!(ui.screen().contains("41s"));
    assert_eq!(ui.app.frames(), before + 1);
    // Focus a pane showing only old ages in tabs mode: nothing changes within a second.
    let mut narrow = Harness::new(80, 24);
    narrow.updates(pipeline());
    narrow.screen();
    narrow.clock.advance(1);
    narrow.app.tick();
    assert!(!narrow.app.is_dirty());
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_loop_ends_when_the_terminal_stream_ends_and_survives_closed_workers() {
    let mut ui = Harness::new(80, 24);
    let (updates_tx, updates) = mpsc::channel(16);
    drop(updates_tx);
    let (keys_tx, keys) = mpsc::unbounded_channel::<io::Result<Event>>();
    keys_tx.send(Ok(Event::Resize(100, 30))).unwrap();
    drop(keys_tx);
    run(&mut ui, keys, updates).await;
    assert!(ui.app.frames() >= 1);
}

/// Kustomization `name` from the apps fixture.
fn kustomization(name: &str) -> Update {
    let mut object = crate::support::ui::object("kustomization-apps.json");
    if let fluxdeck::model::object::Object::Kustomization(k) = &mut object {
        std::sync::Arc::make_mut(k).key.name = name.into();
    }
    Update::Relisted(object)
}

#[test]
fn a_first_list_is_on_screen_as_it_comes_and_says_so() {
    let mut ui = Harness::new(120, 35);
    ui.updates([
        crate::support::ui::session(),
        Update::RelistStarted(Kind::Kustomization),
        kustomization("app-0002"),
        kustomization("app-0001"),
    ]);
    let screen = ui.screen();
    assert!(
        screen.contains("Kustomizations (2 so far) loading…"),
        "{screen}"
    );
    let first = screen.find("app-0001").expect("first page on screen");
    assert!(first < screen.find("app-0002").unwrap(), "in key order");
    ui.updates([
        kustomization("app-0003"),
        Update::RelistDone(Kind::Kustomization),
    ]);
    let screen = ui.screen();
    assert!(screen.contains("Kustomizations (3) "), "{screen}");
    assert!(!screen.contains("loading") && screen.contains("app-0003"));
    // A later relist (a reconnect) keeps the rows on screen and says it is syncing.
    ui.updates([
        Update::RelistStarted(Kind::Kustomization),
        kustomization("app-0004"),
    ]);
    let screen = ui.screen();
    assert!(screen.contains("Kustomizations (3) syncing…"), "{screen}");
    assert!(!screen.contains("app-0004"));
}

/// The texts of the OSC 52 sequences in `written`, decoded.
fn copied(written: &str) -> Vec<String> {
    use base64::Engine as _;
    written
        .split("\x1b]52;c;")
        .skip(1)
        .map(|rest| {
            let payload = rest.split('\x07').next().unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}

#[test]
fn c_copies_what_each_pane_names_and_y_yanks_outside_a_confirmation() {
    let (mut ui, written) = Harness::new(120, 35).with_clipboard(false);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let mut updates = crate::support::ui::pipeline();
    updates.push(Update::Commits(fluxdeck::state::CommitLog {
        key: "sock-shop/sock-shop-tenant".into(),
        repository: "https://git.example/config".into(),
        branch: "refs/heads/main".into(),
        commits: vec![fluxdeck::model::commit::Commit {
            sha: sha.into(),
            author: "alice".into(),
            email: "alice@example.com".into(),
            time: crate::support::ui::ago(60),
            subject: "a change".into(),
            automation: false,
            changes: Vec::new(),
        }],
        complete: true,
        ..fluxdeck::state::CommitLog::default()
    }));
    ui.updates(updates);
    // Kustomizations: the last row's name, said on the status line.
    ui.keys("G c");
    ui.app.write_clipboard();
    assert_eq!(copied(&written.take()), ["sock-shop"]);
    assert!(ui.screen().contains("copied sock-shop"), "{}", ui.screen());
    // Sources, then the image policy's pick as a full reference, then the commit's SHA.
    ui.keys("Tab G c Tab c Tab c");
    ui.app.write_clipboard();
    assert_eq!(
        copied(&written.take()),
        [
            "sock-shop-tenant",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/weaveworksdemos/front-end:main-1f49071-24",
            sha,
        ]
    );
    // Pods (of sock-shop's workloads), with `y`.
    ui.keys("Tab y");
    ui.app.write_clipboard();
    let pod = ui.app.ui().pods.selected().unwrap().name.to_string();
    assert!(pod.starts_with("carts-"), "{pod}");
    assert_eq!(copied(&written.take()), vec![pod.clone()]);
    assert!(ui.screen().contains(&format!("copied {pod}")));
    // In a confirmation `y` still means yes and copies nothing.
    ui.keys("Tab s");
    assert!(ui.screen().contains("Suspend"), "{}", ui.screen());
    ui.keys("y");
    ui.app.write_clipboard();
    assert_eq!(written.take(), "");
    assert!(matches!(ui.sent().as_slice(), [Command::Suspend { .. }]));
}
