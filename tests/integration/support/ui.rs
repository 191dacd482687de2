//! The real app, headless: a `TestBackend` terminal, a hand-set clock, the default keymap
//! and built-in themes, fed with `Update`s built from the JSON fixtures exactly as the
//! cluster worker will build them, and driven with key presses through the real keymap.

use fluxdeck::model::key::Kind;
use fluxdeck::model::object::Object;
use fluxdeck::state::{Command, PodsWatch, Session, Update};
use fluxdeck::ui::app::{App, AppConfig};
use fluxdeck::ui::clock::ManualClock;
use fluxdeck::ui::keymap::{KeyChord, Keymap};
use fluxdeck::ui::theme::Themes;
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use tokio::sync::mpsc;

/// The fixed "now" of every snapshot: fixtures are written relative to it.
pub const NOW: &str = "2026-08-07T12:00:00Z";

/// The fixed clock's start.
pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// `seconds` before [`NOW`].
pub fn ago(seconds: i64) -> Timestamp {
    Timestamp::from_second(now().as_second() - seconds).unwrap()
}

/// A fixture from `src/model/testdata`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/src/model/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The items of a `kind: List` fixture.
pub fn items(name: &str) -> Vec<Value> {
    fixture(name)["items"].as_array().unwrap().clone()
}

/// A fixture read the way the worker reads objects.
pub fn object(name: &str) -> Object {
    Object::from_value(&fixture(name)).unwrap()
}

/// A whole relist of `kind`, as kube-runtime's watcher emits it (Init, InitApply…, InitDone).
pub fn relist(kind: Kind, objects: Vec<Object>) -> Vec<Update> {
    let mut updates = vec![Update::RelistStarted(kind)];
    updates.extend(objects.into_iter().map(Update::Relisted));
    updates.push(Update::RelistDone(kind));
    updates
}

/// The session of the sandbox context, all namespaces, pods of sock-shop.
pub fn session() -> Update {
    Update::Session(Session {
        context: Some("sandbox".into()),
        server: Some("http://127.0.0.1:6443".into()),
        namespace: None,
        pods: PodsWatch::Namespace("sock-shop".into()),
        pods_namespaces: vec!["sock-shop".into()],
    })
}

/// The sock-shop pipeline of the reference write-up, healthy: Kustomizations flux-system,
/// infrastructure, apps and sock-shop; both GitRepositories; the image chain; 14 pods.
pub fn pipeline() -> Vec<Update> {
    pipeline_with("kustomization-sock-shop.json", "pods-sock-shop.json")
}

/// The pipeline with another sock-shop Kustomization fixture and pod list.
pub fn pipeline_with(sock_shop: &str, pods: &str) -> Vec<Update> {
    let mut updates = vec![session()];
    updates.extend(relist(
        Kind::Kustomization,
        [
            "kustomization-flux-system.json",
            "kustomization-infrastructure.json",
            "kustomization-apps.json",
            sock_shop,
        ]
        .into_iter()
        .map(object)
        .collect(),
    ));
    updates.extend(relist(
        Kind::GitRepository,
        vec![
            object("gitrepository-flux-system.json"),
            object("gitrepository-sock-shop-tenant.json"),
        ],
    ));
    updates.extend(relist(Kind::OciRepository, vec![]));
    updates.extend(relist(Kind::Bucket, vec![]));
    updates.extend(relist(
        Kind::ImageRepository,
        vec![object("imagerepository-v1.json")],
    ));
    updates.extend(relist(
        Kind::ImagePolicy,
        vec![object("imagepolicy-v1.json")],
    ));
    updates.extend(relist(
        Kind::ImageUpdateAutomation,
        vec![object("imageupdateautomation-v1.json")],
    ));
    updates.extend(relist(
        Kind::Pod,
        items(pods)
            .iter()
            .map(|p| Object::from_value(p).unwrap())
            .collect(),
    ));
    updates
}

/// The app under test with its terminal, clock and the worker's end of the command channel.
pub struct Harness {
    /// The app.
    pub app: App,
    /// A headless terminal.
    pub terminal: Terminal<TestBackend>,
    /// What the app sent to the workers.
    pub commands: mpsc::Receiver<Command>,
    /// The clock (starts at [`NOW`]).
    pub clock: ManualClock,
}

impl Harness {
    /// An app on a `width` x `height` terminal, default theme.
    pub fn new(width: u16, height: u16) -> Harness {
        Harness::with(width, height, false, "default")
    }

    /// An app with read-only mode and theme chosen.
    pub fn with(width: u16, height: u16, read_only: bool, theme: &str) -> Harness {
        let themes = Themes::new(None);
        let config = AppConfig {
            read_only,
            theme: themes.get(theme).unwrap(),
            themes,
            keymap: Keymap::defaults(),
            pods: PodsWatch::Namespace("sock-shop".into()),
        };
        let (tx, rx) = mpsc::channel(64);
        let clock = ManualClock::new(now());
        let app = App::new(config, tx, Box::new(clock.clone()));
        Harness {
            app,
            terminal: Terminal::new(TestBackend::new(width, height)).unwrap(),
            commands: rx,
            clock,
        }
    }

    /// The same app writing what `c` copies to the returned buffer (as to a terminal).
    pub fn with_clipboard(self, tmux: bool) -> (Harness, Written) {
        let written = Written::default();
        let app = self.app.with_clipboard(Box::new(written.clone()), tmux);
        (Harness { app, ..self }, written)
    }

    /// Applies updates as one drained batch.
    pub fn updates(&mut self, updates: impl IntoIterator<Item = Update>) -> &mut Self {
        self.app.apply_all(updates);
        self
    }

    /// Presses keys written as in `keys.toml`, separated by spaces (`"j j Enter"`).
    pub fn keys(&mut self, keys: &str) -> &mut Self {
        for key in keys.split_whitespace() {
            // Draw between keys, as the terminal would, so pane heights are known.
            self.app.draw(&mut self.terminal).unwrap();
            self.app.handle_key(KeyChord::parse(key).unwrap());
        }
        self
    }

    /// Types text character by character (for the filter and command lines).
    pub fn type_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.app
                .handle_key(KeyChord::parse(&c.to_string()).unwrap());
        }
        self
    }

    /// Draws if needed and returns the screen as text, trailing spaces trimmed.
    pub fn screen(&mut self) -> String {
        self.app.draw(&mut self.terminal).unwrap();
        let buffer = self.terminal.backend().buffer();
        let width = usize::from(buffer.area.width);
        buffer
            .content
            .chunks(width)
            .map(|row| {
                let line: String = row.iter().map(|cell| cell.symbol()).collect();
                line.trim_end().to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The style of the first cell on `row` whose text starts `text`.
    pub fn style_of(&mut self, text: &str) -> ratatui::style::Style {
        self.app.draw(&mut self.terminal).unwrap();
        let buffer = self.terminal.backend().buffer();
        let width = usize::from(buffer.area.width);
        for (y, row) in buffer.content.chunks(width).enumerate() {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            if let Some(byte) = line.find(text) {
                let x = line[..byte].chars().count();
                return buffer.content[y * width + x].style();
            }
        }
        panic!("`{text}` is not on the screen:\n{}", self.screen());
    }

    /// The clock's time.
    pub fn clock_now(&self) -> Timestamp {
        use fluxdeck::ui::clock::Clock;
        self.clock.now()
    }

    /// Commands sent since the last call.
    pub fn sent(&mut self) -> Vec<Command> {
        let mut sent = Vec::new();
        while let Ok(c) = self.commands.try_recv() {
            sent.push(c);
        }
        sent
    }
}

/// Bytes the app wrote to its terminal besides frames (OSC 52, OSC 9), shared with the test.
#[derive(Clone, Default)]
pub struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Written {
    /// Everything written so far, emptied.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8(bytes).unwrap()
    }
}

impl std::io::Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
