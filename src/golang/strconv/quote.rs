//! Go's `strconv.Quote` and `QuoteRune`: what `%q` prints (Masterminds' error messages,
//! sprig's `quote`, kustomize's messages).

use std::fmt::Write as _;
use std::sync::LazyLock;

/// Go's `unicode.IsPrint` for non-ASCII runes: letters, marks, numbers, punctuation, symbols.
static GRAPHIC: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"\A[\p{L}\p{M}\p{N}\p{P}\p{S}]\z").ok());

fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buf = [0u8; 4];
    match GRAPHIC.as_ref() {
        Some(re) => re.is_match(c.encode_utf8(&mut buf)),
        // The pattern is a constant the tests compile; never reached.
        None => !c.is_control(),
    }
}

/// Go's `strconv.Quote` (what `fmt`'s `%q` prints for a string).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    append_quoted(&mut out, s.chars(), '"');
    out
}

/// Go's `strconv.QuoteRune` (what `fmt`'s `%q` prints for an integer).
pub fn quote_rune(c: char) -> String {
    let mut out = String::with_capacity(8);
    append_quoted(&mut out, std::iter::once(c), '\'');
    out
}

/// Go's `appendQuotedWith`: `quote` and `\\` escaped, named escapes for the usual controls,
/// `\xNN`, `\uNNNN` or `\UNNNNNNNN` for anything `unicode.IsPrint` rejects.
fn append_quoted(out: &mut String, chars: impl Iterator<Item = char>, quote: char) {
    out.push(quote);
    for c in chars {
        match c {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0B' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphic_pattern_compiles() {
        assert!(GRAPHIC.is_some());
    }

    #[test]
    fn quote_escapes_like_go() {
        assert_eq!(quote("foo"), r#""foo""#);
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("\t\n\x01\x7f"), r#""\t\n\x01\x7f""#);
        assert_eq!(quote("é漢"), "\"é漢\"");
        assert_eq!(quote("\u{200b}"), r#""\u200b""#);
        assert_eq!(quote("\u{e0001}"), r#""\U000e0001""#);
    }

    #[test]
    fn quote_rune_escapes_the_single_quote_only() {
        assert_eq!(quote_rune('x'), "'x'");
        assert_eq!(quote_rune('\''), r"'\''");
        assert_eq!(quote_rune('"'), "'\"'");
        assert_eq!(quote_rune('\n'), r"'\n'");
        assert_eq!(quote_rune('\u{a0}'), r"'\u00a0'");
    }
}
