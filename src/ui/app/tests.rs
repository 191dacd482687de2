//! The app between frames: notifications ring once, after the frame that shows why.
use std::sync::{Arc, Mutex};

use ratatui::backend::TestBackend;
use serde_json::json;

use super::*;
use crate::state::testkit::*;
use crate::ui::clock::ManualClock;

/// What the app wrote as notifications.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_rollout_rings_once_between_frames() {
    let clock = ManualClock::new(t(100));
    let (commands, _rx) = mpsc::channel(8);
    let config = AppConfig {
        read_only: false,
        theme: Theme::plain("plain"),
        themes: Themes::new(None),
        keymap: Keymap::defaults(),
        pods: crate::state::PodsWatch::Namespace("shop".into()),
    };
    let sink = Sink::default();
    let mut app = App::new(config, commands, Box::new(clock.clone()))
        .with_notifications(Box::new(sink.clone()), true);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let written = || String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    // Build 1 runs, rolled out at 70, before notifications began: old news.
    let old = "main-aaaaaaa-1";
    app.apply_all([
        repository(90, &[old], json!({})),
        policy(Some(old), json!({})),
        automation(json!({})),
        source(2, 50, json!({})),
        kustomization(2, json!({})),
        pod("web-abc-2", old, true, None, 70),
        pod("web-abc-1", old, true, None, 60),
        log(2, &[(2, old)]),
        scan(&[(old, 5)]),
    ]);
    app.draw(&mut terminal).unwrap();
    app.write_notifications();
    assert_eq!(written(), "");
    // Build 2 goes through; the last pod turns Ready at 280.
    let tag = "main-bbbbbbb-2";
    for (update, at) in [
        (scan(&[(tag, 200), (old, 5)]), 205),
        (repository(230, &[tag, old], json!({})), 231),
        (policy(Some(tag), json!({})), 232),
        (log(3, &[(2, old), (3, tag)]), 240),
        (source(3, 250, json!({})), 251),
        (kustomization(3, json!({})), 260),
        (pod("web-abc-1", tag, true, None, 270), 271),
        (pod("web-abc-2", tag, true, None, 280), 281),
    ] {
        clock.set(t(at));
        app.apply(update);
        app.draw(&mut terminal).unwrap();
        app.write_notifications();
    }
    clock.set(t(290));
    app.tick();
    app.write_notifications();
    assert_eq!(
        written(),
        "\x07\x1bPtmux;\x1b\x1b]9;fluxdeck: shop/web main-bbbbbbb-2 rolled out in 80s\x07\x1b\\"
    );
}
