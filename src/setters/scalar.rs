//! Writing a new value into a YAML scalar's existing style.
//!
//! Rules, after kyaml's `FormatNonStringStyle` and go-yaml v3's emitter:
//! - a double-quoted scalar stays double-quoted (escaped as YAML needs);
//! - a single-quoted scalar stays single-quoted, unless the value holds characters single
//!   quotes cannot carry (line breaks, control characters): then double quotes;
//! - a plain scalar stays plain unless the value would read back as something else:
//!   - values that YAML 1.1 (the Kubernetes API's parser, go-yaml v2) or YAML 1.2 (go-yaml v3)
//!     resolve to null, a boolean, a number, a timestamp or a merge key get **double** quotes,
//!     as `FormatNonStringStyle` and go-yaml v3's forced quoting do (`1.10`, `123`, `yes`,
//!     `""`, `2024-01-02`);
//!   - values that plain syntax cannot hold (`a: b`, `#x`, leading spaces...) get single quotes,
//!     as go-yaml's emitter picks, or double quotes when single quotes cannot carry them.
//!
//! One deliberate divergence: Flux keeps the implicit tag of a plain float (`tag: 1.0`) and
//! go-yaml then writes `tag: !!float 1.0.1` for a non-numeric new value. fluxdeck never writes
//! a tag: it writes `tag: 1.0.1`.

/// The quoting style of a scalar as written in the file.
use crate::golang::strconv::{parse_float, parse_int, parse_uint};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No quotes.
    Plain,
    /// `'...'`.
    SingleQuoted,
    /// `"..."`.
    DoubleQuoted,
}

/// The text to put in place of a scalar of style `style` so that it reads back as `value`.
pub fn render(value: &str, style: Style) -> String {
    match style {
        Style::DoubleQuoted => double_quoted(value),
        Style::SingleQuoted if single_quotable(value) => single_quoted(value),
        Style::SingleQuoted => double_quoted(value),
        Style::Plain if resolves_to_non_string(value) => double_quoted(value),
        Style::Plain if plain_safe(value) => value.to_owned(),
        Style::Plain if single_quotable(value) => single_quoted(value),
        Style::Plain => double_quoted(value),
    }
}

/// True when a plain scalar with this text is not a string in YAML 1.1 or YAML 1.2 (go-yaml v2
/// and v3 `resolve`): null, booleans (1.1 has `yes`/`no`/`on`/`off`/`y`/`n`), ints (any base
/// Go's `ParseInt(s, 0, 64)` reads, underscores ignored), floats, `.inf`/`.nan`, timestamps
/// and the merge key `<<`.
pub fn resolves_to_non_string(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if WORDS.contains(&value) {
        return true;
    }
    let first = value.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return false;
    }
    let plain: String = value.chars().filter(|&c| c != '_').collect();
    parse_int(&plain).is_some()
        || parse_uint(&plain).is_some()
        || yaml_float(&plain)
        || is_timestamp(value)
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` that parses to a finite
/// float (Go's `ParseFloat` fails on overflow, which leaves the value a string).
fn yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len() && parse_float(s).is_some()
}

/// go-yaml's timestamp forms: `YYYY-M-D`, optionally followed by `T`/`t`/space and
/// `H:M:S[.frac][Z|±HH:MM]`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let n_digits = |from: usize| {
        b.iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    if n_digits(0) != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let mut i = 5;
    for (idx, sep) in [(0, Some(b'-')), (1, None)] {
        let n = n_digits(i);
        if !(1..=2).contains(&n) {
            return false;
        }
        i += n;
        if idx == 0 {
            if b.get(i).copied() != sep {
                return false;
            }
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    if !matches!(b.get(i), Some(b'T' | b't' | b' ')) {
        return false;
    }
    i += 1;
    for part in 0..3 {
        let n = n_digits(i);
        if !(1..=2).contains(&n) {
            return false;
        }
        i += n;
        if part < 2 {
            if b.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
        }
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let n = n_digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = s.get(i + 1..).unwrap_or_default();
            let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
            (1..=2).contains(&h.len())
                && h.bytes().all(|c| c.is_ascii_digit())
                && m.len() == 2
                && m.bytes().all(|c| c.is_ascii_digit())
        }
        Some(_) => false,
    }
}

/// Characters YAML cannot carry raw in any scalar but a double-quoted one.
fn needs_escape(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// True when the value reads back unchanged between single quotes.
fn single_quotable(value: &str) -> bool {
    !value.chars().any(needs_escape)
}

/// True when the value reads back unchanged as a plain scalar in block context.
fn plain_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let second = value.chars().nth(1);
    let followed_by_space = second.is_none_or(|c| c == ' ' || c == '\t');
    if value.chars().any(needs_escape) {
        return false;
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return false;
    }
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') && followed_by_space {
        return false;
    }
    if value.starts_with("---") || value.starts_with("...") {
        return false;
    }
    !(value.contains(": ")
        || value.contains(":\t")
        || value.ends_with(':')
        || value.contains(" #")
        || value.contains("\t#"))
}

fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Double-quoted with YAML escapes for what cannot be written raw.
pub fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if needs_escape(c) && (c as u32) <= 0xff => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_and_1_2_non_strings_are_recognised() {
        for v in [
            "",
            "~",
            "null",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "true",
            "FALSE",
            "123",
            "-5",
            "+7",
            "0x1F",
            "0o17",
            "0b101",
            "017",
            "08",
            "1_000",
            "1.10",
            "1.0",
            ".5",
            "5.",
            "1e3",
            "-1.5E-3",
            ".inf",
            "-.Inf",
            ".NaN",
            "<<",
            "2024-01-02",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10",
            "2002-12-14T01:02:03Z",
            "99999999999999999999",
            "123456789012",
            "18446744073709551615",
        ] {
            assert!(resolves_to_non_string(v), "{v:?} should be a non-string");
        }
    }

    #[test]
    fn strings_stay_strings() {
        for v in [
            "v1.0.1",
            "1.0.1",
            "main-1f49071-24",
            "latest",
            "sha256:abc",
            "1e400",
            "0x",
            "1e",
            "1.2.3.4",
            "0xFFFFFFFFFFFFFFFFFF",
            "yesno",
            "nulls",
            "2024-1",
            "2024-01-02x",
            "image:v1",
            "1a",
            "-",
            "+",
            ".",
            "-0x",
        ] {
            assert!(!resolves_to_non_string(v), "{v:?} should stay a string");
        }
        // an all-digit date without dashes is an int, not a timestamp
        assert!(resolves_to_non_string("20240102"));
    }

    #[test]
    fn plain_scalars_stay_plain_when_they_can() {
        assert_eq!(render("v1.0.1", Style::Plain), "v1.0.1");
        assert_eq!(
            render("index.repo.fake/updated:v1.0.1", Style::Plain),
            "index.repo.fake/updated:v1.0.1"
        );
        assert_eq!(render("é-ü:1", Style::Plain), "é-ü:1");
        assert_eq!(render("-x", Style::Plain), "-x");
    }

    #[test]
    fn plain_non_strings_get_double_quotes_like_format_non_string_style() {
        assert_eq!(render("1.10", Style::Plain), "\"1.10\"");
        assert_eq!(render("123", Style::Plain), "\"123\"");
        assert_eq!(render("yes", Style::Plain), "\"yes\"");
        assert_eq!(render("", Style::Plain), "\"\"");
    }

    #[test]
    fn plain_unsafe_values_get_single_quotes_or_double_when_needed() {
        assert_eq!(render("a: b", Style::Plain), "'a: b'");
        assert_eq!(render("#x", Style::Plain), "'#x'");
        assert_eq!(render("it's #1", Style::Plain), "'it''s #1'");
        assert_eq!(render(" lead", Style::Plain), "' lead'");
        assert_eq!(render("- x", Style::Plain), "'- x'");
        assert_eq!(render("---x", Style::Plain), "'---x'");
        assert_eq!(render("a\nb", Style::Plain), "\"a\\nb\"");
        assert_eq!(render("tab\there", Style::Plain), "\"tab\\there\"");
    }

    #[test]
    fn quoted_styles_are_kept() {
        assert_eq!(render("v1", Style::SingleQuoted), "'v1'");
        assert_eq!(render("it's", Style::SingleQuoted), "'it''s'");
        assert_eq!(render("123", Style::SingleQuoted), "'123'");
        assert_eq!(render("a\u{1}", Style::SingleQuoted), "\"a\\x01\"");
        assert_eq!(render("v1", Style::DoubleQuoted), "\"v1\"");
        assert_eq!(
            render("say \"hi\" \\o/", Style::DoubleQuoted),
            "\"say \\\"hi\\\" \\\\o/\""
        );
        assert_eq!(
            render("\u{2028}\u{feff}", Style::DoubleQuoted),
            "\"\\L\\uFEFF\""
        );
    }
}
