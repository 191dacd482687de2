//! Go `text/template` lexer: text, `{{ }}` actions with trim markers, comments and the tokens
//! inside actions.

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Text outside actions (trim markers already applied).
    Text(String),
    /// `{{`.
    Open,
    /// `}}`.
    Close,
    /// `.Name` (one field of a chain).
    Field(String),
    /// `$name` or `$`.
    Var(String),
    /// `.` alone.
    Dot,
    /// An identifier: a function name or a keyword.
    Ident(String),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// An integer constant (decimal, hex, octal, binary, or a character constant).
    Int(i64),
    /// A float constant.
    Float(f64),
    /// A string constant, unquoted.
    Str(String),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
}

/// A token and the byte offsets where it starts and ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset in the template.
    pub pos: usize,
    /// Byte offset just after the token.
    pub end: usize,
}

/// A lexing error: message and byte offset.
pub type LexError = (String, usize);

const TRIM: [char; 4] = [' ', '\t', '\r', '\n'];

/// Splits a template into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut trim_next_text = false;
    while pos < src.len() {
        let rest = src.get(pos..).unwrap_or_default();
        let open = rest.find("{{");
        let text_end = open.map_or(src.len(), |i| pos + i);
        let mut text = src.get(pos..text_end).unwrap_or_default();
        if trim_next_text {
            text = text.trim_start_matches(TRIM);
        }
        let Some(open) = open else {
            if !text.is_empty() {
                out.push(Token {
                    tok: Tok::Text(text.to_owned()),
                    pos,
                    end: text_end,
                });
            }
            break;
        };
        let mut inner = pos + open + 2;
        let after_open = src.get(inner..).unwrap_or_default();
        if after_open.starts_with('-') && after_open.get(1..).is_some_and(|r| r.starts_with(TRIM)) {
            text = text.trim_end_matches(TRIM);
            inner += 2;
        }
        if !text.is_empty() {
            out.push(Token {
                tok: Tok::Text(text.to_owned()),
                pos,
                end: text_end,
            });
        }
        let (next, trim) = lex_action(src, inner, pos + open, &mut out)?;
        pos = next;
        trim_next_text = trim;
    }
    Ok(out)
}

/// True when `s` starts with a right delimiter, with or without its trim marker; returns the
/// length to skip and whether it trims.
fn close_at(s: &str) -> Option<(usize, bool)> {
    if s.starts_with("}}") {
        return Some((2, false));
    }
    let first = s.chars().next()?;
    if TRIM.contains(&first) && s.get(1..).is_some_and(|r| r.starts_with("-}}")) {
        return Some((4, true));
    }
    None
}

/// Lexes one action starting after `{{`; returns the offset after `}}` and whether it trims.
fn lex_action(
    src: &str,
    mut pos: usize,
    open_pos: usize,
    out: &mut Vec<Token>,
) -> Result<(usize, bool), LexError> {
    let here = |p: usize| src.get(p..).unwrap_or_default();
    // A comment is the whole action: {{/* ... */}}.
    let trimmed_start = here(pos).trim_start_matches(TRIM);
    if trimmed_start.starts_with("/*") && here(pos).len() == trimmed_start.len() {
        let body = pos + 2;
        let end = here(body)
            .find("*/")
            .ok_or_else(|| ("unclosed comment".to_owned(), open_pos))?;
        let after = body + end + 2;
        return match close_at(here(after)) {
            Some((len, trim)) => Ok((after + len, trim)),
            None => Err(("comment ends before closing delimiter".to_owned(), after)),
        };
    }
    out.push(Token {
        tok: Tok::Open,
        pos: open_pos,
        end: pos,
    });
    loop {
        let rest = here(pos);
        if rest.is_empty() {
            return Err(("unclosed action".to_owned(), open_pos));
        }
        if let Some((len, trim)) = close_at(rest) {
            out.push(Token {
                tok: Tok::Close,
                pos,
                end: pos + len,
            });
            return Ok((pos + len, trim));
        }
        let c = rest.chars().next().unwrap_or(' ');
        let start = pos;
        let pushed = out.len();
        let push = |out: &mut Vec<Token>, tok| {
            out.push(Token {
                tok,
                pos: start,
                end: start,
            })
        };
        match c {
            ' ' | '\t' | '\r' | '\n' => pos += 1,
            '|' => {
                push(out, Tok::Pipe);
                pos += 1;
            }
            '(' => {
                push(out, Tok::LParen);
                pos += 1;
            }
            ')' => {
                push(out, Tok::RParen);
                pos += 1;
            }
            ',' => {
                push(out, Tok::Comma);
                pos += 1;
            }
            '=' => {
                push(out, Tok::Assign);
                pos += 1;
            }
            ':' if rest.starts_with(":=") => {
                push(out, Tok::Declare);
                pos += 2;
            }
            '"' | '`' => {
                let (s, len) = lex_string(rest).map_err(|e| (e, start))?;
                push(out, Tok::Str(s));
                pos += len;
            }
            '\'' => {
                let (s, len) = lex_string(rest).map_err(|e| (e, start))?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(ch), None) => push(out, Tok::Int(i64::from(u32::from(ch)))),
                    _ => {
                        return Err((
                            format!(
                                "malformed character constant: {}",
                                rest.get(..len).unwrap_or_default()
                            ),
                            start,
                        ));
                    }
                }
                pos += len;
            }
            '$' | '.' => {
                let word_len = rest
                    .get(1..)
                    .unwrap_or_default()
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len() - 1);
                let name = rest.get(1..1 + word_len).unwrap_or_default();
                if c == '.' && name.is_empty() {
                    if rest
                        .get(1..)
                        .is_some_and(|r| r.starts_with(|d: char| d.is_ascii_digit()))
                    {
                        let len = number_len(rest);
                        push(
                            out,
                            number(rest.get(..len).unwrap_or_default()).map_err(|e| (e, start))?,
                        );
                        pos += len;
                        if let Some(last) = out.last_mut() {
                            last.end = pos;
                        }
                        continue;
                    }
                    push(out, Tok::Dot);
                } else if c == '.' {
                    push(out, Tok::Field(name.to_owned()));
                } else {
                    push(out, Tok::Var(format!("${name}")));
                }
                pos += 1 + word_len;
            }
            '0'..='9' | '+' | '-' => {
                let len = number_len(rest);
                if len == 0 {
                    return Err((format!("unexpected {c:?} in command"), start));
                }
                push(
                    out,
                    number(rest.get(..len).unwrap_or_default()).map_err(|e| (e, start))?,
                );
                pos += len;
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let word = rest.get(..len).unwrap_or_default();
                push(
                    out,
                    match word {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        _ => Tok::Ident(word.to_owned()),
                    },
                );
                pos += len;
            }
            other => return Err((format!("unexpected {other:?} in command"), start)),
        }
        if out.len() > pushed
            && let Some(last) = out.last_mut()
        {
            last.end = pos;
        }
    }
}

/// The length of a number token at the start of `s` (0 when there is none).
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits_start = i;
    while let Some(&c) = b.get(i) {
        let exp_sign = matches!(c, b'+' | b'-')
            && i > digits_start
            && matches!(b.get(i - 1), Some(b'e' | b'E' | b'p' | b'P'))
            && !s.get(digits_start..).is_some_and(|d| {
                (d.starts_with("0x") || d.starts_with("0X"))
                    && !matches!(b.get(i - 1), Some(b'p' | b'P'))
            });
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
            i += 1;
        } else {
            break;
        }
    }
    if i == digits_start { 0 } else { i }
}

/// A number constant as Go reads it: integers in any Go base (underscores allowed), else a
/// float.
fn number(text: &str) -> Result<Tok, String> {
    let bad = || format!("bad number syntax: {text:?}");
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let int = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = lower.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if let Some(bin) = lower.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(lower.get(1..).unwrap_or_default(), 8).ok()
    } else if lower.bytes().all(|c| c.is_ascii_digit()) {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(n) = int {
        return Ok(Tok::Int(if negative { -n } else { n }));
    }
    let float: f64 = lower.parse().map_err(|_| bad())?;
    if !float.is_finite() || lower.starts_with("0x") {
        return Err(bad());
    }
    Ok(Tok::Float(if negative { -float } else { float }))
}

/// Reads a Go string constant at the start of `s` (`"..."` with escapes, or `` `raw` ``);
/// returns the value and the length in the source.
fn lex_string(s: &str) -> Result<(String, usize), String> {
    let quote = s.chars().next().unwrap_or('"');
    if quote == '`' {
        let end = s
            .get(1..)
            .and_then(|r| r.find('`'))
            .ok_or("unterminated raw quoted string")?;
        return Ok((s.get(1..1 + end).unwrap_or_default().to_owned(), end + 2));
    }
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, i + 1)),
            '\n' => break,
            '\\' => {
                let (_, e) = chars.next().ok_or("unterminated quoted string")?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' | '"' | '\'' => out.push(e),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .map_err(|_| "invalid escape in string")?;
                        out.push(char::from_u32(code).ok_or("invalid escape in string")?);
                    }
                    '0'..='7' => {
                        let rest: String = (0..2)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let code = u32::from_str_radix(&format!("{e}{rest}"), 8)
                            .map_err(|_| "invalid escape in string")?;
                        out.push(char::from_u32(code).ok_or("invalid escape in string")?);
                    }
                    _ => return Err("invalid escape in string".to_owned()),
                }
            }
            c => out.push(c),
        }
    }
    Err("unterminated quoted string".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_actions_and_trim_markers() {
        assert_eq!(
            toks("a  {{- .X -}}  b"),
            [
                Tok::Text("a".into()),
                Tok::Open,
                Tok::Field("X".into()),
                Tok::Close,
                Tok::Text("b".into())
            ]
        );
        // `{{-3}}` is the number -3, not a trim marker
        assert_eq!(toks("{{-3}}"), [Tok::Open, Tok::Int(-3), Tok::Close]);
        assert_eq!(
            toks("x {{/* note */}} y"),
            [Tok::Text("x ".into()), Tok::Text(" y".into())]
        );
        assert_eq!(
            toks("x {{- /* note */ -}} y"),
            [Tok::Text("x".into()), Tok::Text("y".into())]
        );
    }

    #[test]
    fn tokens_inside_actions() {
        assert_eq!(
            toks(r#"{{ range $k, $v := .A.B | printf "%q\n" 'x' 0x1F 1.5 nil true }}"#),
            [
                Tok::Open,
                Tok::Ident("range".into()),
                Tok::Var("$k".into()),
                Tok::Comma,
                Tok::Var("$v".into()),
                Tok::Declare,
                Tok::Field("A".into()),
                Tok::Field("B".into()),
                Tok::Pipe,
                Tok::Ident("printf".into()),
                Tok::Str("%q\n".into()),
                Tok::Int(120),
                Tok::Int(31),
                Tok::Float(1.5),
                Tok::Nil,
                Tok::Bool(true),
                Tok::Close
            ]
        );
        assert_eq!(
            toks("{{ `raw\\n` }}"),
            [Tok::Open, Tok::Str("raw\\n".into()), Tok::Close]
        );
        assert_eq!(
            toks("{{ 1e3 }}"),
            [Tok::Open, Tok::Float(1000.0), Tok::Close]
        );
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        for bad in [
            "{{",
            "{{ \"abc }}",
            "{{ /* x",
            "{{ 'ab' }}",
            "{{ # }}",
            "{{ 1x }}",
            "{{ \"\\q\" }}",
            "{{ ` }}",
        ] {
            assert!(lex(bad).is_err(), "{bad:?}");
        }
    }
}
