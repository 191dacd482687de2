//! A ratatui buffer as an SVG picture: monospace text on a dark terminal, each cell with
//! its foreground and background colour, bold, italic, underlined, crossed out, dim or
//! reversed as the app drew it. One `<rect>` per run of cells of one background on a row,
//! one `<tspan>` per run of one style; every run is placed at its column and stretched to
//! its cells (`textLength`), so columns line up whatever monospace font the viewer has.

use std::fmt::Write as _;

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};

/// Width of a cell, in SVG units (pixels).
pub const CELL_WIDTH: f32 = 8.4;
/// Height of a cell (a line).
pub const CELL_HEIGHT: u16 = 17;
const FONT_SIZE: u16 = 14;
/// The terminal's default foreground and background (`Color::Reset`).
const DEFAULT_FG: &str = "#cccccc";
const DEFAULT_BG: &str = "#1e1e1e";

/// The 16 ANSI colours of a common dark terminal palette, in ANSI order.
const ANSI: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

/// `color` as an SVG colour; `None` for the terminal's default.
fn rgb(color: Color) -> Option<String> {
    let ansi = |i: usize| Some(ANSI[i].to_owned());
    match color {
        Color::Reset => None,
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => Some(indexed(i)),
    }
}

/// xterm's 256-colour palette: the 16 ANSI colours, a 6×6×6 cube, 24 greys.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => ANSI[usize::from(i)].to_owned(),
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let (r, g, b) = (level(n / 36), level(n / 6 % 6), level(n % 6));
            format!("#{r:02x}{g:02x}{b:02x}")
        }
        232..=255 => {
            let v = 8 + (i - 232) * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

/// What a run of text shares.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Look {
    fg: String,
    bg: Option<String>,
    bold: bool,
    italic: bool,
    underline: bool,
    crossed: bool,
    dim: bool,
}

impl Look {
    fn of(cell: &Cell) -> Look {
        let m = cell.modifier;
        let mut fg = rgb(cell.fg);
        let mut bg = rgb(cell.bg);
        if m.contains(Modifier::REVERSED) {
            let fg_or_default = fg.take().unwrap_or_else(|| DEFAULT_FG.to_owned());
            fg = Some(bg.take().unwrap_or_else(|| DEFAULT_BG.to_owned()));
            bg = Some(fg_or_default);
        }
        Look {
            fg: fg.unwrap_or_else(|| DEFAULT_FG.to_owned()),
            bg,
            bold: m.contains(Modifier::BOLD),
            italic: m.contains(Modifier::ITALIC),
            underline: m.contains(Modifier::UNDERLINED),
            crossed: m.contains(Modifier::CROSSED_OUT),
            dim: m.contains(Modifier::DIM),
        }
    }

    /// The attributes of a `<tspan>` in this look.
    fn attributes(&self) -> String {
        let mut out = String::new();
        if self.fg != DEFAULT_FG {
            let _ = write!(out, r#" fill="{}""#, self.fg);
        }
        if self.bold {
            out.push_str(r#" font-weight="bold""#);
        }
        if self.italic {
            out.push_str(r#" font-style="italic""#);
        }
        match (self.underline, self.crossed) {
            (true, true) => out.push_str(r#" text-decoration="underline line-through""#),
            (true, false) => out.push_str(r#" text-decoration="underline""#),
            (false, true) => out.push_str(r#" text-decoration="line-through""#),
            (false, false) => {}
        }
        if self.dim {
            out.push_str(r#" opacity="0.6""#);
        }
        out
    }
}

/// `text` safe inside an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to write most control characters.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A run of cells on one row: where it starts, how many cells, its text and look.
struct Run {
    col: u16,
    cells: u16,
    text: String,
    look: Look,
}

/// The runs of row `y`: neighbouring cells of one look together.
fn runs(buffer: &Buffer, y: u16) -> Vec<Run> {
    let area = buffer.area;
    let mut runs: Vec<Run> = Vec::new();
    for x in area.x..area.x + area.width {
        let Some(cell) = buffer.cell((x, y)) else {
            continue;
        };
        let look = Look::of(cell);
        // A wide character's trailing cell holds nothing and joins its run.
        let symbol = cell.symbol();
        match runs.last_mut() {
            Some(run) if run.look == look && run.col + run.cells == x - area.x => {
                run.text.push_str(symbol);
                run.cells += 1;
            }
            _ => runs.push(Run {
                col: x - area.x,
                cells: 1,
                text: symbol.to_owned(),
                look,
            }),
        }
    }
    runs
}

/// The buffer as an SVG document.
pub fn render(buffer: &Buffer) -> String {
    let area = buffer.area;
    let width = f32::from(area.width) * CELL_WIDTH;
    let height = area.height * CELL_HEIGHT;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace" font-size="{FONT_SIZE}" xml:space="preserve">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>"#
    );
    let x = |col: u16| f32::from(col) * CELL_WIDTH;
    let rows: Vec<(u16, Vec<Run>)> = (area.y..area.y + area.height)
        .map(|y| (y - area.y, runs(buffer, y)))
        .collect();
    // Backgrounds first, so no text is covered by the next run's rectangle.
    for (row, runs) in &rows {
        for run in runs {
            if let Some(bg) = &run.look.bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{}" width="{:.1}" height="{CELL_HEIGHT}" fill="{bg}"/>"#,
                    x(run.col),
                    row * CELL_HEIGHT,
                    x(run.cells),
                );
            }
        }
    }
    for (row, runs) in &rows {
        // Blank runs need no text; their background is drawn.
        let shown: Vec<&Run> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
        if shown.is_empty() {
            continue;
        }
        // The baseline sits a fifth of a line above the cell's bottom.
        let baseline = row * CELL_HEIGHT + CELL_HEIGHT - 4;
        let _ = write!(out, r#"<text y="{baseline}" fill="{DEFAULT_FG}">"#);
        for run in shown {
            let _ = write!(
                out,
                r#"<tspan x="{:.1}" textLength="{:.1}" lengthAdjust="spacingAndGlyphs"{}>{}</tspan>"#,
                x(run.col),
                x(run.cells),
                run.look.attributes(),
                escape(&run.text)
            );
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    out
}
