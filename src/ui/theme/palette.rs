//! One theme: a style per slot, read from a theme file's TOML (the format is in the
//! `theme` module's doc), and why a theme file cannot be used.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::ui::toml_lines::{error_line, line_at};

use super::slot::Slot;

/// A named set of styles.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// The theme's name.
    pub name: String,
    styles: BTreeMap<Slot, Style>,
}

/// A theme file that cannot be used; the message names the file, the line and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// No built-in or user theme has this name.
    #[error("there is no theme `{name}`; choose one of {known}, or add {dir}/{name}.toml")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Available names.
        known: String,
        /// The user theme directory.
        dir: String,
    },
    /// The file cannot be read.
    #[error("{path}: cannot read the theme: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the theme shape.
    #[error(
        "{path} line {line}: {message}; a theme has `name = \"...\"` and a `[styles]` table like `error = {{ fg = \"red\", bold = true }}`"
    )]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What the TOML reader said.
        message: String,
    },
    /// A style name that does not exist.
    #[error("{path} line {line}: unknown style `{name}`; known styles: {known}")]
    UnknownSlot {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The name found.
        name: String,
        /// The valid names.
        known: String,
    },
    /// A colour that cannot be read.
    #[error(
        "{path} line {line}: `{color}` is not a colour; write an ANSI name like `red` or `lightblue`, `#rrggbb`, a number 0-255, or `reset`"
    )]
    BadColor {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The text found.
        color: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<StyleSpec>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    crossed_out: bool,
}

impl Theme {
    /// A theme with no colours at all (every slot the terminal's default).
    pub fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_owned(),
            styles: BTreeMap::new(),
        }
    }

    /// Whether the theme sets `slot` itself (built-in themes set every slot).
    pub fn defines(&self, slot: Slot) -> bool {
        self.styles.contains_key(&slot)
    }

    /// The style of `slot`.
    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(&slot).copied().unwrap_or_default()
    }

    /// Reads a theme from TOML `text`; slots it omits come from `fallback`.
    pub fn parse(text: &str, origin: &str, fallback: &Theme) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| ThemeError::Syntax {
            path: origin.to_owned(),
            line: error_line(text, &e),
            message: e.message().trim().to_owned(),
        })?;
        let mut theme = fallback.clone();
        if let Some(name) = file.name {
            theme.name = name;
        }
        for (name, spec) in file.styles {
            let line = line_at(text, name.span().start);
            let slot = Slot::from_name(name.get_ref()).ok_or_else(|| ThemeError::UnknownSlot {
                path: origin.to_owned(),
                line,
                name: name.get_ref().clone(),
                known: Slot::ALL.map(Slot::name).join(", "),
            })?;
            let spec = spec.into_inner();
            let color = |text: &Option<String>| -> Result<Option<Color>, ThemeError> {
                text.as_deref()
                    .map(|t| {
                        parse_color(t).ok_or_else(|| ThemeError::BadColor {
                            path: origin.to_owned(),
                            line,
                            color: t.to_owned(),
                        })
                    })
                    .transpose()
            };
            let mut style = Style::default();
            if let Some(fg) = color(&spec.fg)? {
                style = style.fg(fg);
            }
            if let Some(bg) = color(&spec.bg)? {
                style = style.bg(bg);
            }
            for (on, modifier) in [
                (spec.bold, Modifier::BOLD),
                (spec.dim, Modifier::DIM),
                (spec.italic, Modifier::ITALIC),
                (spec.underlined, Modifier::UNDERLINED),
                (spec.reversed, Modifier::REVERSED),
                (spec.crossed_out, Modifier::CROSSED_OUT),
            ] {
                if on {
                    style = style.add_modifier(modifier);
                }
            }
            theme.styles.insert(slot, style);
        }
        Ok(theme)
    }
}

/// Reads a colour: ANSI name, `#rrggbb`, index, or `reset`.
fn parse_color(text: &str) -> Option<Color> {
    if text.eq_ignore_ascii_case("reset") {
        return Some(Color::Reset);
    }
    if let Ok(index) = text.parse::<u8>() {
        return Some(Color::Indexed(index));
    }
    if text.starts_with('#') {
        return (text.len() == 7).then(|| text.parse().ok()).flatten();
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_line_and_fix() {
        let plain = Theme::plain("x");
        let err = Theme::parse(
            "[styles]\nbase = {}\nerorr = { fg = \"red\" }\n",
            "t.toml",
            &plain,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.toml line 3: unknown style `erorr`"),
            "{err}"
        );
        let err =
            Theme::parse("[styles]\nbase = { fg = \"redd\" }\n", "t.toml", &plain).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.toml line 2: `redd` is not a colour"),
            "{err}"
        );
        let err =
            Theme::parse("[styles]\nbase = { fg = \"#12345\" }\n", "t.toml", &plain).unwrap_err();
        assert!(matches!(err, ThemeError::BadColor { .. }), "{err}");
        let err = Theme::parse("[styles]\nbase = { fg = red }\n", "t.toml", &plain).unwrap_err();
        assert!(err.to_string().starts_with("t.toml line 2:"), "{err}");
        let err =
            Theme::parse("[styles]\nbase = { colour = \"red\" }\n", "t.toml", &plain).unwrap_err();
        assert!(matches!(err, ThemeError::Syntax { .. }), "{err}");
        let err = crate::ui::theme::Themes::new(None).get("nope").unwrap_err();
        assert!(
            err.to_string()
                .contains("default, high-contrast, light, mono"),
            "{err}"
        );
    }

    #[test]
    fn colours_parse_in_every_form() {
        assert_eq!(parse_color("red"), Some(Color::Red));
        assert_eq!(parse_color("LightBlue"), Some(Color::LightBlue));
        assert_eq!(parse_color("#7aa2f7"), Some(Color::Rgb(0x7a, 0xa2, 0xf7)));
        assert_eq!(parse_color("238"), Some(Color::Indexed(238)));
        assert_eq!(parse_color("reset"), Some(Color::Reset));
        assert_eq!(parse_color("nope"), None);
    }
}
