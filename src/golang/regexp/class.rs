//! Character classes and escapes in Go's grammar, rendered as explicit Rust class syntax.
//!
//! Everything is emitted as `\x{..}` code points, ranges and `\p{gc=..}`/`\p{sc=..}` items so
//! that no character of the Go pattern can be read as Rust class-set syntax (`[`, `&&`,
//! `--`, `~~`) or as a Unicode-aware Perl class.

use super::error::{ErrorCode, SyntaxError};

/// A class that matches nothing: Go can write one (`[\x{D800}]`), Rust has no `[]`.
const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";
/// Go's surrogate range: such runes never occur in valid UTF-8 text.
const SURROGATES: (u32, u32) = (0xD800, 0xDFFF);

/// Appends a literal code point.
pub(super) fn push_char(ch: u32, out: &mut String) {
    if char::from_u32(ch).is_some() {
        out.push_str(&format!(r"\x{{{ch:X}}}"));
    } else {
        out.push_str(NOTHING);
    }
}

/// Wraps a rendered item in `(?i:..)` when Go's `i` flag was on where it was written.
pub(super) fn wrap_fold(body: String, fold: bool) -> String {
    if fold { format!("(?i:{body})") } else { body }
}

/// Renders `[items]` / `[^items]`, coping with an empty item list.
pub(super) fn bracket(items: &str, negated: bool) -> String {
    match (items.is_empty(), negated) {
        (true, false) => NOTHING.to_owned(),
        (true, true) => "(?s:.)".to_owned(),
        (false, false) => format!("[{items}]"),
        (false, true) => format!("[^{items}]"),
    }
}

/// Appends the range `lo..=hi` minus the surrogates (which Rust classes cannot hold).
fn push_range(lo: u32, hi: u32, out: &mut String) {
    let (slo, shi) = SURROGATES;
    let pieces = [(lo, hi.min(slo - 1)), (lo.max(shi + 1), hi)];
    for (a, b) in pieces {
        if a <= b {
            out.push_str(&format!(r"\x{{{a:X}}}-\x{{{b:X}}}"));
        }
    }
}

/// Parses a bracketed class; `s` starts at `[`. Returns the rendered class and the rest.
pub(super) fn parse_class(s: &str, fold: bool) -> Result<(String, &str), SyntaxError> {
    let mut t = &s[1..];
    let negated = t.starts_with('^');
    if negated {
        t = &t[1..];
    }
    let mut items = String::new();
    // `]` right after `[` or `[^` is a literal, as in Go.
    let mut first = true;
    while t.is_empty() || !t.starts_with(']') || first {
        first = false;
        if let Some(i) = t.strip_prefix("[:").and_then(|rest| rest.find(":]")) {
            let name = &t[..i + 4];
            let Some(item) = posix_class(name) else {
                return Err(SyntaxError::new(ErrorCode::InvalidCharRange, name));
            };
            items.push_str(item);
            t = &t[i + 4..];
            continue;
        }
        if t.starts_with(r"\p") || t.starts_with(r"\P") {
            let (item, rest) = unicode_class(t)?;
            items.push_str(&item);
            t = rest;
            continue;
        }
        if let Some((item, rest)) = perl_class(t) {
            items.push_str(item);
            t = rest;
            continue;
        }
        let range_start = t;
        let (lo, rest) = class_char(t, s)?;
        t = rest;
        let mut hi = lo;
        if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
            let (h, rest) = class_char(&t[1..], s)?;
            t = rest;
            hi = h;
            if hi < lo {
                let expr = &range_start[..range_start.len() - t.len()];
                return Err(SyntaxError::new(ErrorCode::InvalidCharRange, expr));
            }
        }
        push_range(lo, hi, &mut items);
    }
    Ok((wrap_fold(bracket(&items, negated), fold), &t[1..]))
}

/// One class member: an escape or a plain character. `whole` is the class for errors.
fn class_char<'a>(t: &'a str, whole: &str) -> Result<(u32, &'a str), SyntaxError> {
    match t.chars().next() {
        None => Err(SyntaxError::new(ErrorCode::MissingBracket, whole)),
        Some('\\') => parse_escape(t),
        Some(c) => Ok((c as u32, &t[c.len_utf8()..])),
    }
}

/// Go's ASCII classes `[:name:]` and `[:^name:]`; the Rust crate defines the same 14 sets.
fn posix_class(name: &str) -> Option<&str> {
    const NAMES: [&str; 14] = [
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    let inner = name.strip_prefix("[:")?.strip_suffix(":]")?;
    let bare = inner.strip_prefix('^').unwrap_or(inner);
    NAMES.contains(&bare).then_some(name)
}

/// Go's Perl classes, which are ASCII-only (Rust's are Unicode): `\d \D \s \S \w \W`.
pub(super) fn perl_class(t: &str) -> Option<(&'static str, &str)> {
    let item = match t.get(..2)? {
        r"\d" => "0-9",
        r"\D" => "[^0-9]",
        r"\s" => r"\x{9}\x{A}\x{C}\x{D}\x{20}",
        r"\S" => r"[^\x{9}\x{A}\x{C}\x{D}\x{20}]",
        r"\w" => "0-9A-Za-z_",
        r"\W" => "[^0-9A-Za-z_]",
        _ => return None,
    };
    Some((item, &t[2..]))
}

/// `\pN`, `\p{Name}`, `\p{^Name}`, `\PN`, `\P{Name}`; `s` starts at the backslash. Returns a
/// class item (to be put inside brackets) and the rest.
pub(super) fn unicode_class(s: &str) -> Result<(String, &str), SyntaxError> {
    let mut positive = !s[1..].starts_with('P');
    let t = &s[2..];
    let (seq, name, rest) = match t.chars().next() {
        // Go reads a missing name as "" and reports the two characters.
        None => (s, "", ""),
        Some('{') => {
            let Some(end) = s.find('}') else {
                return Err(SyntaxError::new(ErrorCode::InvalidCharRange, s));
            };
            (&s[..=end], &s[3..end], &s[end + 1..])
        }
        Some(c) => {
            let end = 2 + c.len_utf8();
            (&s[..end], &s[2..end], &s[end..])
        }
    };
    let name = match name.strip_prefix('^') {
        Some(stripped) => {
            positive = !positive;
            stripped
        }
        None => name,
    };
    let Some(table) = lookup(&canonical_name(name)) else {
        return Err(SyntaxError::new(ErrorCode::InvalidCharRange, seq));
    };
    Ok((table.render(positive), rest))
}

/// A Unicode table Go's `unicodeTable` can return.
enum Table {
    Any,
    Ascii,
    /// `Assigned`: Go returns `Cn` with the sign inverted.
    Assigned,
    Category(&'static str),
    Script(String),
}

impl Table {
    fn render(&self, positive: bool) -> String {
        let property = |p: String, positive: bool| {
            if positive {
                format!(r"\p{{{p}}}")
            } else {
                format!(r"[^\p{{{p}}}]")
            }
        };
        match self {
            Table::Any if positive => r"\x{0}-\x{10FFFF}".to_owned(),
            // Nothing: as an item inside brackets, the empty string adds nothing.
            Table::Any => String::new(),
            Table::Ascii if positive => r"\x{0}-\x{7F}".to_owned(),
            Table::Ascii => r"[^\x{0}-\x{7F}]".to_owned(),
            Table::Assigned => property("gc=Cn".to_owned(), !positive),
            // Surrogates: the Rust crate has no such table, and none occur in UTF-8 text.
            Table::Category("Cs") if positive => String::new(),
            Table::Category("Cs") => r"\x{0}-\x{10FFFF}".to_owned(),
            Table::Category(code) => property(format!("gc={code}"), positive),
            Table::Script(name) => property(format!("sc={name}"), positive),
        }
    }
}

/// Go's `canonicalName`: drop `_`, `-` and spaces, uppercase the first letter, lowercase the
/// rest (ASCII only).
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '_' | '-' | ' ' => {}
            c if out.is_empty() => out.push(c.to_ascii_uppercase()),
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Go's general categories (`unicode.Categories` keys, Go 1.25+: with `Cn`).
const CATEGORIES: [&str; 37] = [
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// Go's `unicode.CategoryAliases`, keys already in canonical form.
const CATEGORY_ALIASES: [(&str, &str); 42] = [
    ("Casedletter", "LC"),
    ("Closepunctuation", "Pe"),
    ("Combiningmark", "M"),
    ("Connectorpunctuation", "Pc"),
    ("Control", "Cc"),
    ("Currencysymbol", "Sc"),
    ("Dashpunctuation", "Pd"),
    ("Decimalnumber", "Nd"),
    ("Enclosingmark", "Me"),
    ("Finalpunctuation", "Pf"),
    ("Format", "Cf"),
    ("Initialpunctuation", "Pi"),
    ("Letter", "L"),
    ("Letternumber", "Nl"),
    ("Lineseparator", "Zl"),
    ("Lowercaseletter", "Ll"),
    ("Mark", "M"),
    ("Mathsymbol", "Sm"),
    ("Modifierletter", "Lm"),
    ("Modifiersymbol", "Sk"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Openpunctuation", "Ps"),
    ("Other", "C"),
    ("Otherletter", "Lo"),
    ("Othernumber", "No"),
    ("Otherpunctuation", "Po"),
    ("Othersymbol", "So"),
    ("Paragraphseparator", "Zp"),
    ("Privateuse", "Co"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Spaceseparator", "Zs"),
    ("Spacingmark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecaseletter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercaseletter", "Lu"),
    ("Cntrl", "Cc"),
    ("Digit", "Nd"),
    ("Punct", "P"),
];

/// Go's `unicodeTable` lookup order: specials, categories, scripts, category aliases.
fn lookup(name: &str) -> Option<Table> {
    match name {
        "Any" => return Some(Table::Any),
        "Assigned" => return Some(Table::Assigned),
        "Ascii" => return Some(Table::Ascii),
        "Lc" => return Some(Table::Category("LC")),
        _ => {}
    }
    if let Some(code) = CATEGORIES.iter().find(|c| **c == name) {
        return Some(Table::Category(code));
    }
    // Scripts: ask the regex crate, which knows the Unicode script names. Only plain ASCII
    // letters can name a script, and nothing else may reach the `\p{..}` syntax.
    if !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphabetic())
        && regex::Regex::new(&format!(r"\p{{sc={name}}}")).is_ok()
    {
        return Some(Table::Script(name.to_owned()));
    }
    CATEGORY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, code)| Table::Category(code))
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// Go's `parseEscape`: a single-character escape; `s` starts at the backslash. Errors report
/// the backslash and everything consumed so far, as Go does.
pub(super) fn parse_escape(s: &str) -> Result<(u32, &str), SyntaxError> {
    let mut t = &s[1..];
    let invalid = |t: &str| SyntaxError::new(ErrorCode::InvalidEscape, &s[..s.len() - t.len()]);
    let Some(c) = t.chars().next() else {
        return Err(SyntaxError::new(ErrorCode::TrailingBackslash, ""));
    };
    t = &t[c.len_utf8()..];
    let octal = |t: &str| match t.as_bytes().first() {
        Some(b @ b'0'..=b'7') => Some(u32::from(b - b'0')),
        _ => None,
    };
    match c {
        // `\1`..`\7` alone would be a backreference, which Go does not support.
        '1'..='7' if octal(t).is_none() => Err(invalid(t)),
        '0'..='7' => {
            let mut r = c as u32 - '0' as u32;
            for _ in 1..3 {
                let Some(d) = octal(t) else {
                    break;
                };
                r = r * 8 + d;
                t = &t[1..];
            }
            Ok((r, t))
        }
        'x' => hex_escape(t).ok_or_else(|| invalid(hex_consumed(t))),
        'a' => Ok((0x07, t)),
        'f' => Ok((0x0C, t)),
        'n' => Ok((0x0A, t)),
        'r' => Ok((0x0D, t)),
        't' => Ok((0x09, t)),
        'v' => Ok((0x0B, t)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, t)),
        _ => Err(invalid(t)),
    }
}

/// `\x7F` or `\x{10FFFF}` after the `\x`.
fn hex_escape(t: &str) -> Option<(u32, &str)> {
    let mut chars = t.char_indices();
    let (_, c) = chars.next()?;
    if c == '{' {
        let mut r: u32 = 0;
        for (digits, (i, c)) in chars.enumerate() {
            if c == '}' {
                return (digits > 0).then_some((r, &t[i + 1..]));
            }
            r = r * 16 + unhex(c)?;
            if r > 0x10FFFF {
                return None;
            }
        }
        return None;
    }
    let (i, d) = chars.next()?;
    Some((unhex(c)? * 16 + unhex(d)?, &t[i + d.len_utf8()..]))
}

/// What Go has consumed of a bad `\x` escape when it gives up (for the error text).
fn hex_consumed(t: &str) -> &str {
    let mut chars = t.char_indices();
    let Some((_, c)) = chars.next() else {
        return t;
    };
    if c != '{' {
        // Go reads two characters before judging them.
        return chars.next().map_or("", |(i, d)| &t[i + d.len_utf8()..]);
    }
    let mut r: u32 = 0;
    for (i, c) in chars {
        let rest = &t[i + c.len_utf8()..];
        if c == '}' {
            return rest;
        }
        match unhex(c) {
            Some(v) if r * 16 + v <= 0x10FFFF => r = r * 16 + v,
            _ => return rest,
        }
    }
    ""
}
