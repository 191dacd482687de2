//! Go's text encodings that leak into Flux's observable output: `%q` quoting (in
//! Masterminds' error messages) and `encoding/json` string escaping (the ImageRepository
//! revision is a checksum of Go's JSON bytes, so the bytes must be Go's).

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
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
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
    out.push('"');
    out
}

/// Go's `json.Marshal` of a `[]string` (HTML-safe escaping, `\u2028`/`\u2029` escaped).
pub fn go_json_string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out =
        String::with_capacity(items.iter().map(|s| s.as_ref().len() + 3).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        let item = item.as_ref();
        // Fast path: nothing to escape (registry tags never need it).
        let plain = |b: &u8| *b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2);
        if item.as_bytes().iter().all(plain) {
            out.push_str(item);
            out.push('"');
            continue;
        }
        for c in item.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\x08' => out.push_str("\\b"),
                '\x0C' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20
                    || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') =>
                {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
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
        assert_eq!(go_quote("foo"), r#""foo""#);
        assert_eq!(go_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(go_quote("\t\n\x01\x7f"), r#""\t\n\x01\x7f""#);
        assert_eq!(go_quote("é漢"), "\"é漢\"");
        assert_eq!(go_quote("\u{200b}"), r#""\u200b""#);
        assert_eq!(go_quote("\u{e0001}"), r#""\U000e0001""#);
    }

    #[test]
    fn json_escapes_like_go() {
        let empty: [&str; 0] = [];
        assert_eq!(go_json_string_array(&empty), "[]");
        assert_eq!(go_json_string_array(&["b", "a"]), r#"["b","a"]"#);
        assert_eq!(
            go_json_string_array(&["<a&b>", "q\"\\", "\u{1}\u{8}\u{2028}é"]),
            r#"["\u003ca\u0026b\u003e","q\"\\","\u0001\b\u2028é"]"#
        );
    }
}
