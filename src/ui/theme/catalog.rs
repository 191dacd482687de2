//! The themes on offer: the built-in files under `themes/`, compiled in, and the user's
//! `$XDG_CONFIG_HOME/fluxdeck/themes/NAME.toml`, looked up by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[cfg(test)]
use super::slot::Slot;

use super::palette::{Theme, ThemeError};

/// The built-in theme files, compiled in.
const BUILTIN: [(&str, &str); 4] = [
    ("default", include_str!("../../../themes/default.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../../themes/mono.toml")),
];

/// The built-in themes and the user's theme directory.
#[derive(Clone, Debug)]
pub struct Themes {
    builtin: BTreeMap<String, Theme>,
    user_dir: Option<PathBuf>,
}

impl Themes {
    /// The built-in themes, plus user themes from `user_dir` when given.
    pub fn new(user_dir: Option<PathBuf>) -> Themes {
        let mut builtin = BTreeMap::new();
        let plain = Theme::plain("default");
        for (name, text) in BUILTIN {
            // The built-in files parse: `builtin_themes_parse_and_define_every_style` checks
            // it. Were one broken, its name would fall back to plain terminal colours.
            let theme = Theme::parse(text, name, &plain).unwrap_or_else(|_| Theme::plain(name));
            builtin.insert(name.to_owned(), theme);
        }
        Themes { builtin, user_dir }
    }

    /// The user theme directory: `$XDG_CONFIG_HOME/fluxdeck/themes`.
    pub fn default_user_dir() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("fluxdeck").join("themes"))
    }

    /// The theme called `name`: a user file `NAME.toml` first (so users can override a
    /// built-in), else a built-in.
    pub fn get(&self, name: &str) -> Result<Theme, ThemeError> {
        let fallback = self
            .builtin
            .get("default")
            .cloned()
            .unwrap_or_else(|| Theme::plain("default"));
        if let Some(path) = self.user_file(name) {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let mut theme = Theme::parse(&text, &path.display().to_string(), &fallback)?;
                    theme.name = name.to_owned();
                    return Ok(theme);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ThemeError::Io { path, source }),
            }
        }
        self.builtin
            .get(name)
            .cloned()
            .ok_or_else(|| ThemeError::NotFound {
                name: name.to_owned(),
                known: self.names().join(", "),
                dir: self.user_dir.as_deref().map_or_else(
                    || "$XDG_CONFIG_HOME/fluxdeck/themes".to_owned(),
                    |d| d.display().to_string(),
                ),
            })
    }

    /// Names of the built-in themes and of the user's theme files.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.builtin.keys().cloned().collect();
        if let Some(dir) = &self.user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                    && !names.iter().any(|n| n == stem)
                {
                    names.push(stem.to_owned());
                }
            }
        }
        names.sort();
        names
    }

    fn user_file(&self, name: &str) -> Option<PathBuf> {
        // Names are file stems; anything path-like is not a theme name.
        let safe = !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.');
        self.user_dir
            .as_deref()
            .filter(|_| safe)
            .map(|dir: &Path| dir.join(format!("{name}.toml")))
    }
}

/// Which theme to start with: the one asked for, else `mono` when `NO_COLOR` is set and
/// not empty (no-color.org), else `default`.
pub fn initial_theme_name(requested: Option<&str>, no_color: Option<&str>) -> String {
    match (requested, no_color) {
        (Some(name), _) => name.to_owned(),
        (None, Some(value)) if !value.is_empty() => "mono".to_owned(),
        _ => "default".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    #[test]
    fn builtin_themes_parse_and_define_every_style() {
        let plain = Theme::plain("x");
        for (name, text) in BUILTIN {
            let theme = Theme::parse(text, name, &plain).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(theme.name, name);
            for slot in Slot::ALL {
                assert!(theme.defines(slot), "{name} lacks {}", slot.name());
            }
        }
    }

    #[test]
    fn mono_uses_no_colour() {
        let mono = Themes::new(None).get("mono").unwrap();
        for slot in Slot::ALL {
            let style = mono.style(slot);
            assert!(
                matches!(style.fg, None | Some(Color::Reset))
                    && matches!(style.bg, None | Some(Color::Reset)),
                "mono {} has a colour",
                slot.name()
            );
        }
        let selected = mono.style(Slot::Selected);
        assert!(selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn no_color_selects_mono_unless_a_theme_is_named() {
        assert_eq!(initial_theme_name(None, Some("1")), "mono");
        assert_eq!(initial_theme_name(None, Some("")), "default");
        assert_eq!(initial_theme_name(None, None), "default");
        assert_eq!(initial_theme_name(Some("light"), Some("1")), "light");
    }

    #[test]
    fn user_themes_override_and_inherit() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "name = \"ignored\"\n[styles]\nerror = { fg = \"#ff0000\", bold = true }\n",
        )
        .unwrap();
        let themes = Themes::new(Some(dir.path().to_owned()));
        let mine = themes.get("mine").unwrap();
        assert_eq!(mine.name, "mine");
        assert_eq!(mine.style(Slot::Error).fg, Some(Color::Rgb(255, 0, 0)));
        let default = themes.get("default").unwrap();
        assert_eq!(mine.style(Slot::Ok), default.style(Slot::Ok));
        assert!(themes.names().contains(&"mine".to_owned()));
        assert!(themes.get("../etc/passwd").is_err());
    }
}
