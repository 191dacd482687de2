//! Keys to named intents. Defaults are built in; a user file overrides them.
//!
//! The user file is `$XDG_CONFIG_HOME/fluxdeck/keys.toml` (usually
//! `~/.config/fluxdeck/keys.toml`). It has one table, `[keys]`, mapping an intent name to a
//! key or a list of keys. Listing an intent replaces all its default keys; a key taken from
//! another intent's defaults moves to the new intent. `Ctrl-c` always quits.
//!
//! ```toml
//! [keys]
//! suspend = "S"                 # one key
//! reconcile = ["f", "Ctrl-r"]   # several keys
//! page_down = []                # unbind
//! ```
//!
//! Keys are written `q`, `Q`, `/`, `Space`, `Enter`, `Esc`, `Tab`, `Shift-Tab`, `Up`,
//! `Down`, `Left`, `Right`, `Home`, `End`, `PageUp`, `PageDown`, `Backspace`, `Delete`,
//! `Insert`, `F1`..`F12`, with optional `Ctrl-` and `Alt-` prefixes. Names are
//! case-insensitive; a single character is taken literally (`G` is shift-g).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::toml_lines::{error_line, line_at};

pub use super::intent::Intent;
pub use super::key_chord::KeyChord;

/// The built-in bindings, k9s-like.
const DEFAULTS: &[(Intent, &[&str])] = &[
    (Intent::Quit, &["q"]),
    (Intent::Help, &["?"]),
    (Intent::FocusNext, &["Tab"]),
    (Intent::FocusPrev, &["Shift-Tab"]),
    (Intent::Down, &["j", "Down"]),
    (Intent::Up, &["k", "Up"]),
    (Intent::Top, &["g", "Home"]),
    (Intent::Bottom, &["G", "End"]),
    (Intent::PageDown, &["PageDown", "Ctrl-f"]),
    (Intent::PageUp, &["PageUp", "Ctrl-b"]),
    (Intent::Left, &["h", "Left"]),
    // `l` is `logs`; on the release lanes it moves to the next stage, as `Right` does.
    (Intent::Right, &["Right"]),
    (Intent::Logs, &["l"]),
    (Intent::Releases, &["t"]),
    (Intent::Filter, &["/"]),
    (Intent::Back, &["Esc"]),
    (Intent::Details, &["Enter"]),
    (Intent::Select, &["Space"]),
    (Intent::Suspend, &["s"]),
    (Intent::Resume, &["r"]),
    (Intent::Reconcile, &["f"]),
    (Intent::ReconcileWithSource, &["F"]),
    (Intent::Refresh, &["R"]),
    (Intent::Copy, &["c"]),
    (Intent::Command, &[":"]),
    (Intent::Confirm, &["y"]),
    (Intent::Cancel, &["n"]),
];

/// A problem in the user's `keys.toml`; every message names the file, the line and the fix.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// The file exists but cannot be read.
    #[error(
        "{path}: cannot read the key bindings: {source}; fix the file's permissions or remove it"
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or not shaped as `[keys]` with strings.
    #[error(
        "{path} line {line}: {message}; expected `[keys]` with lines like `suspend = \"S\"` or `reconcile = [\"f\", \"Ctrl-r\"]`"
    )]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What the TOML reader said.
        message: String,
    },
    /// An intent name that does not exist.
    #[error("{path} line {line}: unknown action `{name}`; known actions: {known}")]
    UnknownIntent {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The name found.
        name: String,
        /// The valid names.
        known: String,
    },
    /// A key that cannot be read.
    #[error("{path} line {line}: `{key}` is not a key: {reason}")]
    BadKey {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The text found.
        key: String,
        /// What is wrong and how to write it.
        reason: String,
    },
    /// The same key bound to two intents in the file.
    #[error(
        "{path} line {line}: key `{key}` is bound to both `{first}` and `{second}`; remove it from one of them"
    )]
    Conflict {
        /// The file.
        path: String,
        /// 1-based line of the second binding.
        line: usize,
        /// The key.
        key: String,
        /// The first intent.
        first: &'static str,
        /// The second intent.
        second: &'static str,
    },
}

/// The file's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<KeyList>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// Which intent each key means, and which keys each intent has.
#[derive(Clone, Debug)]
pub struct Keymap {
    by_key: HashMap<KeyChord, Intent>,
    by_intent: BTreeMap<Intent, Vec<KeyChord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::defaults()
    }
}

impl Keymap {
    /// The built-in bindings.
    pub fn defaults() -> Keymap {
        let mut map = Keymap {
            by_key: HashMap::new(),
            by_intent: BTreeMap::new(),
        };
        for (intent, keys) in DEFAULTS {
            // Every default parses: `default_keys_parse_and_do_not_collide` checks it.
            let chords = keys
                .iter()
                .filter_map(|k| KeyChord::parse(k).ok())
                .collect();
            map.bind(*intent, chords);
        }
        map
    }

    /// The defaults overridden by the user's file at `path`; a missing file is no error.
    pub fn load(path: &Path) -> Result<Keymap, KeymapError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Keymap::with_overrides(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Keymap::defaults()),
            Err(source) => Err(KeymapError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The defaults overridden by the TOML `text` (`origin` names it in errors).
    pub fn with_overrides(text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        let file: KeysFile = toml::from_str(text).map_err(|e| KeymapError::Syntax {
            path: origin.to_owned(),
            line: error_line(text, &e),
            message: e.message().trim().to_owned(),
        })?;
        let mut map = Keymap::defaults();
        let mut claimed: HashMap<KeyChord, Intent> = HashMap::new();
        // In file order, so a conflict is reported at its second occurrence.
        let mut entries: Vec<_> = file.keys.into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        for (name, keys) in entries {
            let line = line_at(text, name.span().start);
            let intent =
                Intent::from_name(name.get_ref()).ok_or_else(|| KeymapError::UnknownIntent {
                    path: origin.to_owned(),
                    line,
                    name: name.get_ref().clone(),
                    known: Intent::ALL.map(Intent::name).join(", "),
                })?;
            let list = match keys.into_inner() {
                KeyList::One(key) => vec![key],
                KeyList::Many(keys) => keys,
            };
            let mut chords = Vec::new();
            for key in list {
                let chord = KeyChord::parse(&key).map_err(|reason| KeymapError::BadKey {
                    path: origin.to_owned(),
                    line,
                    key: key.clone(),
                    reason,
                })?;
                if let Some(first) = claimed.insert(chord, intent).filter(|f| *f != intent) {
                    return Err(KeymapError::Conflict {
                        path: origin.to_owned(),
                        line,
                        key,
                        first: first.name(),
                        second: intent.name(),
                    });
                }
                chords.push(chord);
            }
            map.bind(intent, chords);
        }
        Ok(map)
    }

    /// Makes `chords` the keys of `intent`, taking them from any other intent.
    fn bind(&mut self, intent: Intent, chords: Vec<KeyChord>) {
        if let Some(old) = self.by_intent.remove(&intent) {
            for chord in old {
                self.by_key.remove(&chord);
            }
        }
        for chord in &chords {
            if let Some(previous) = self.by_key.insert(*chord, intent)
                && let Some(keys) = self.by_intent.get_mut(&previous)
            {
                keys.retain(|k| k != chord);
            }
        }
        self.by_intent.insert(intent, chords);
    }

    /// The intent of a key press, if any. `Ctrl-c` always quits.
    pub fn intent(&self, chord: &KeyChord) -> Option<Intent> {
        if *chord == KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL) {
            return Some(Intent::Quit);
        }
        self.by_key.get(chord).copied()
    }

    /// The keys bound to `intent`.
    pub fn keys(&self, intent: Intent) -> &[KeyChord] {
        self.by_intent.get(&intent).map_or(&[], Vec::as_slice)
    }

    /// The keys of `intent` for display (`j/Down`), or `-` when unbound.
    pub fn label(&self, intent: Intent) -> String {
        let keys = self.keys(intent);
        if keys.is_empty() {
            return "-".to_owned();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key of `intent` for a footer hint (`s`), or `-` when unbound.
    pub fn first(&self, intent: Intent) -> String {
        self.keys(intent)
            .first()
            .map_or_else(|| "-".to_owned(), ToString::to_string)
    }
}

/// Where the user's key file lives: `$XDG_CONFIG_HOME/fluxdeck/keys.toml`.
pub fn user_keys_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("fluxdeck").join("keys.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(text: &str) -> KeyChord {
        KeyChord::parse(text).unwrap()
    }

    #[test]
    fn default_keys_parse_and_do_not_collide() {
        let mut seen = HashMap::new();
        for (intent, keys) in DEFAULTS {
            for key in *keys {
                let c = KeyChord::parse(key).unwrap_or_else(|e| panic!("{key}: {e}"));
                assert_eq!(seen.insert(c, *intent), None, "{key} bound twice");
            }
        }
        let map = Keymap::defaults();
        for intent in Intent::ALL {
            assert!(!map.keys(intent).is_empty(), "{} unbound", intent.name());
        }
        assert_eq!(map.intent(&chord("G")), Some(Intent::Bottom));
        assert_eq!(map.intent(&chord("g")), Some(Intent::Top));
        assert_eq!(map.intent(&chord("Ctrl-c")), Some(Intent::Quit));
    }

    #[test]
    fn user_overrides_replace_and_steal_keys() {
        let map = Keymap::with_overrides(
            "[keys]\nsuspend = \"S\"\nreconcile = [\"f\", \"Ctrl-r\"]\nfilter = \"s\"\npage_down = []\n",
            "keys.toml",
        )
        .unwrap();
        assert_eq!(map.intent(&chord("S")), Some(Intent::Suspend));
        assert_eq!(map.intent(&chord("s")), Some(Intent::Filter));
        assert_eq!(map.intent(&chord("/")), None);
        assert_eq!(map.intent(&chord("Ctrl-r")), Some(Intent::Reconcile));
        assert_eq!(map.intent(&chord("PageDown")), None);
        assert_eq!(map.label(Intent::PageDown), "-");
        assert_eq!(map.label(Intent::Reconcile), "f/Ctrl-r");
        // Stolen from `bottom`: G now means nothing else.
        let map = Keymap::with_overrides("[keys]\nsuspend = \"G\"\n", "k").unwrap();
        assert_eq!(map.intent(&chord("G")), Some(Intent::Suspend));
        assert_eq!(map.label(Intent::Bottom), "End");
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let err = Keymap::with_overrides("[keys]\n\nsuspnd = \"S\"\n", "keys.toml").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("keys.toml line 3: unknown action `suspnd`"),
            "{text}"
        );
        assert!(text.contains("suspend"), "{text}");

        let err = Keymap::with_overrides("[keys]\nquit = \"Ctl-q\"\n", "keys.toml").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("keys.toml line 2: `Ctl-q` is not a key: unknown modifier `ctl`"),
            "{err}"
        );

        let err = Keymap::with_overrides("[keys]\nquit = \"PageUpp\"\n", "k").unwrap_err();
        assert!(
            err.to_string().contains("unknown key name `PageUpp`"),
            "{err}"
        );

        let err = Keymap::with_overrides("[keys]\nquit = \"x\"\nhelp = \"x\"\n", "k").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("k line 3: key `x` is bound to both `quit` and `help`"),
            "{err}"
        );

        let err = Keymap::with_overrides("[keys]\nquit = \"x\n", "k").unwrap_err();
        assert!(err.to_string().starts_with("k line 2:"), "{err}");

        let err = Keymap::with_overrides("[keys]\nquit = 5\n", "k").unwrap_err();
        assert!(matches!(err, KeymapError::Syntax { line: 2, .. }), "{err}");

        let err = Keymap::with_overrides("[bindings]\nquit = \"x\"\n", "k").unwrap_err();
        assert!(matches!(err, KeymapError::Syntax { .. }), "{err}");
    }

    #[test]
    fn a_missing_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let map = Keymap::load(&dir.path().join("keys.toml")).unwrap();
        assert_eq!(map.intent(&chord("q")), Some(Intent::Quit));
        std::fs::write(dir.path().join("keys.toml"), "[keys]\nquit = \"x\"\n").unwrap();
        let map = Keymap::load(&dir.path().join("keys.toml")).unwrap();
        assert_eq!(map.intent(&chord("x")), Some(Intent::Quit));
        assert_eq!(map.intent(&chord("q")), None);
    }
}
