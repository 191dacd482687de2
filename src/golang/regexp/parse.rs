//! Go's regexp grammar (`regexp/syntax.Parse` with the `Perl` flags), parsed into a small
//! tree of explicit Rust fragments. Errors carry Go's code and Go's offending substring.
//!
//! The parser works like Go's: one pass over the pattern with an explicit stack of open
//! groups (no recursion, so a hostile pattern cannot exhaust the call stack while parsing).
//! Slices like `&t[1..]` always follow a match on an ASCII first byte of `t`, so they cut
//! on a character boundary and cannot panic.

use super::class;
use super::error::{ErrorCode, SyntaxError};
use super::tree::{Node, repeat_ok};

/// Go's cap on a counted repetition, and on the product of nested ones.
const MAX_REPEAT: u32 = 1000;
/// Go's cap on the height of the parse tree.
const MAX_HEIGHT: u32 = 1000;

/// Go's parser flags that change meaning (the rest of `syntax.Perl` is always on).
#[derive(Debug, Clone, Copy)]
pub(super) struct Flags {
    pub fold: bool,
    pub dot_nl: bool,
    pub one_line: bool,
    pub non_greedy: bool,
}

/// The result of a parse: top-level alternatives and group names by index.
pub(super) struct Parsed {
    pub alts: Vec<Vec<Node>>,
    pub names: Vec<Option<String>>,
}

struct Frame {
    cap: Option<usize>,
    /// Flags to restore at the closing paren (Go saves them in the paren).
    saved: Flags,
    alts: Vec<Vec<Node>>,
    cur: Vec<Node>,
}

struct Parser<'p> {
    whole: &'p str,
    flags: Flags,
    stack: Vec<Frame>,
    names: Vec<Option<String>>,
}

/// Parses `pattern` as Go's `regexp.Compile` does.
pub(super) fn parse(pattern: &str) -> Result<Parsed, SyntaxError> {
    let flags = Flags {
        fold: false,
        dot_nl: false,
        one_line: true,
        non_greedy: false,
    };
    let mut p = Parser {
        whole: pattern,
        flags,
        stack: vec![Frame {
            cap: None,
            saved: flags,
            alts: Vec::new(),
            cur: Vec::new(),
        }],
        names: vec![None],
    };
    let mut t = pattern;
    // Go remembers the previous repetition operator to reject `a**` and `a*+`.
    let mut last_repeat: Option<&str> = None;
    while let Some(c) = t.chars().next() {
        let mut repeat = None;
        match c {
            '(' if t[1..].starts_with('?') => t = p.perl_flags(t)?,
            '(' => {
                p.names.push(None);
                let cap = p.names.len() - 1;
                p.open(Some(cap));
                t = &t[1..];
            }
            '|' => {
                let top = p.top();
                let cur = std::mem::take(&mut top.cur);
                top.alts.push(cur);
                t = &t[1..];
            }
            ')' => {
                p.close()?;
                t = &t[1..];
            }
            '^' => {
                let a = if p.flags.one_line { r"\A" } else { "(?m:^)" };
                p.push(Node::Raw(a.to_owned()));
                t = &t[1..];
            }
            '$' => {
                let a = if p.flags.one_line { r"\z" } else { "(?m:$)" };
                p.push(Node::Raw(a.to_owned()));
                t = &t[1..];
            }
            '.' => {
                let dot = if p.flags.dot_nl { "(?s:.)" } else { r"[^\n]" };
                p.push(Node::Raw(dot.to_owned()));
                t = &t[1..];
            }
            '[' => {
                let (rendered, rest) = class::parse_class(t, p.flags.fold)?;
                p.push(Node::Raw(rendered));
                t = rest;
            }
            '*' | '+' | '?' => {
                let (min, max) = match c {
                    '*' => (0, None),
                    '+' => (1, None),
                    _ => (0, Some(1)),
                };
                let after = p.repeat(t, &t[1..], min, max, false, last_repeat)?;
                repeat = Some(t);
                t = after;
            }
            '{' => match parse_repeat(t) {
                None => {
                    p.literal('{' as u32);
                    t = &t[1..];
                }
                Some((min, max, after)) => {
                    let max = match max {
                        Max::Same => Some(min),
                        Max::Unbounded => None,
                        Max::Value(m) => Some(m),
                    };
                    // Go: `min < 0 || min > 1000 || max > 1000 || max >= 0 && min > max`,
                    // where a number past 1e8 is -1 (here `None`).
                    let (min, max) = match (min, max) {
                        (Some(min), None) if min <= MAX_REPEAT => (min, None),
                        (Some(min), Some(Some(max))) if min <= max && max <= MAX_REPEAT => {
                            (min, Some(max))
                        }
                        _ => {
                            let expr = &t[..t.len() - after.len()];
                            return Err(SyntaxError::new(ErrorCode::InvalidRepeatSize, expr));
                        }
                    };
                    let after = p.repeat(t, after, min, max, true, last_repeat)?;
                    repeat = Some(t);
                    t = after;
                }
            },
            '\\' => t = p.escape(t)?,
            _ => {
                p.literal(c as u32);
                t = &t[c.len_utf8()..];
            }
        }
        last_repeat = repeat;
    }
    if p.stack.len() != 1 {
        return Err(SyntaxError::new(ErrorCode::MissingParen, pattern));
    }
    let root = p.stack.pop().map(|mut f| {
        f.alts.push(f.cur);
        f.alts
    });
    Ok(Parsed {
        alts: root.unwrap_or_default(),
        names: p.names,
    })
}

/// The maximum of a counted repetition as written.
enum Max {
    /// `{n}`
    Same,
    /// `{n,}`
    Unbounded,
    /// `{n,m}`; `None` when `m` is too big for Go's parser.
    Value(Option<u32>),
}

/// Parses `{n}`, `{n,}` or `{n,m}` at the start of `s`; `None` when `s` is not of that form
/// (then Go treats `{` as a literal). A number too big for Go's parser is `None` inside.
fn parse_repeat(s: &str) -> Option<(Option<u32>, Max, &str)> {
    let s = s.strip_prefix('{')?;
    let (min, s) = parse_int(s)?;
    let (max, s) = match s.strip_prefix(',') {
        None => (Max::Same, s),
        Some(s) if s.starts_with('}') => (Max::Unbounded, s),
        Some(s) => {
            let (max, s) = parse_int(s)?;
            (Max::Value(max), s)
        }
    };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

/// Go's `parseInt`: decimal digits, no leading zero; values past 1e8 are "too big" (`None`).
fn parse_int(s: &str) -> Option<(Option<u32>, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && s.starts_with('0')) {
        return None;
    }
    let (num, rest) = s.split_at(digits);
    let mut n: u32 = 0;
    for b in num.bytes() {
        if n >= 100_000_000 {
            return Some((None, rest));
        }
        n = n * 10 + u32::from(b - b'0');
    }
    Some((Some(n), rest))
}

impl<'p> Parser<'p> {
    fn top(&mut self) -> &mut Frame {
        // The root frame is never popped before the end of `parse` (`close` refuses to).
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn push(&mut self, node: Node) {
        self.top().cur.push(node);
    }

    fn literal(&mut self, ch: u32) {
        let fold = self.flags.fold;
        self.push(Node::Lit { ch, fold });
    }

    fn open(&mut self, cap: Option<usize>) {
        let saved = self.flags;
        self.stack.push(Frame {
            cap,
            saved,
            alts: Vec::new(),
            cur: Vec::new(),
        });
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        if self.stack.len() < 2 {
            return Err(SyntaxError::new(ErrorCode::UnexpectedParen, self.whole));
        }
        let Some(mut frame) = self.stack.pop() else {
            return Err(SyntaxError::new(ErrorCode::UnexpectedParen, self.whole));
        };
        self.flags = frame.saved;
        frame.alts.push(frame.cur);
        let single = frame.alts.len() == 1 && frame.alts.first().is_some_and(|a| a.len() == 1);
        let node = if frame.cap.is_none() && single {
            // `(?:x)` is just `x`, as in Go; this also keeps `(?:(?:(?:a)))` flat.
            frame.alts.pop().and_then(|mut alt| alt.pop())
        } else {
            None
        };
        let node = match node {
            Some(node) => node,
            None => {
                let height = 1 + frame
                    .alts
                    .iter()
                    .flatten()
                    .map(Node::height)
                    .max()
                    .unwrap_or(0);
                if height > MAX_HEIGHT {
                    return Err(SyntaxError::new(ErrorCode::NestingDepth, self.whole));
                }
                Node::Group {
                    cap: frame.cap,
                    alts: frame.alts,
                    height,
                }
            }
        };
        self.push(node);
        Ok(())
    }

    /// Applies a repetition to the last item. `before` starts at the operator, `after` just
    /// past it; returns the rest of the pattern.
    fn repeat(
        &mut self,
        before: &'p str,
        mut after: &'p str,
        min: u32,
        max: Option<u32>,
        counted: bool,
        last_repeat: Option<&'p str>,
    ) -> Result<&'p str, SyntaxError> {
        let mut greedy = !self.flags.non_greedy;
        if let Some(rest) = after.strip_prefix('?') {
            after = rest;
            greedy = !greedy;
        }
        if let Some(last) = last_repeat {
            let expr = &last[..last.len() - after.len()];
            return Err(SyntaxError::new(ErrorCode::InvalidRepeatOp, expr));
        }
        let expr = &before[..before.len() - after.len()];
        let Some(sub) = self.top().cur.pop() else {
            return Err(SyntaxError::new(ErrorCode::MissingRepeatArgument, expr));
        };
        let height = sub.height() + 1;
        let node = Node::Repeat {
            sub: Box::new(sub),
            min,
            max,
            greedy,
            counted,
            height,
        };
        if height > MAX_HEIGHT {
            return Err(SyntaxError::new(ErrorCode::NestingDepth, self.whole));
        }
        if counted && (min >= 2 || max.is_some_and(|m| m >= 2)) && !repeat_ok(&node, MAX_REPEAT) {
            return Err(SyntaxError::new(ErrorCode::InvalidRepeatSize, expr));
        }
        self.push(node);
        Ok(after)
    }

    /// `(?flags)`, `(?flags:`, `(?P<name>` and `(?<name>`; `s` starts at `(?`.
    fn perl_flags(&mut self, s: &'p str) -> Result<&'p str, SyntaxError> {
        let named = if s.len() > 4 && s[2..].starts_with("P<") {
            Some(4)
        } else if s.len() > 3 && s[2..].starts_with('<') {
            Some(3)
        } else {
            None
        };
        if let Some(start) = named {
            let Some(end) = s.find('>') else {
                return Err(SyntaxError::new(ErrorCode::InvalidNamedCapture, s));
            };
            let name = &s[start..end];
            let valid =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                let capture = &s[..=end];
                return Err(SyntaxError::new(ErrorCode::InvalidNamedCapture, capture));
            }
            self.names.push(Some(name.to_owned()));
            let cap = self.names.len() - 1;
            self.open(Some(cap));
            return Ok(&s[end + 1..]);
        }
        let mut flags = self.flags;
        let mut negate = false;
        let mut saw_flag = false;
        let mut t = &s[2..];
        while let Some(c) = t.chars().next() {
            t = &t[c.len_utf8()..];
            match c {
                'i' => flags.fold = !negate,
                'm' => flags.one_line = negate,
                's' => flags.dot_nl = !negate,
                'U' => flags.non_greedy = !negate,
                '-' if !negate => {
                    negate = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if !negate || saw_flag => {
                    if c == ':' {
                        // The group restores the flags from before `(?flags:`.
                        self.open(None);
                    }
                    self.flags = flags;
                    return Ok(t);
                }
                _ => break,
            }
            saw_flag = true;
        }
        let expr = &s[..s.len() - t.len()];
        Err(SyntaxError::new(ErrorCode::InvalidPerlOp, expr))
    }

    /// Everything that starts with a backslash outside a class.
    fn escape(&mut self, t: &'p str) -> Result<&'p str, SyntaxError> {
        let fold = self.flags.fold;
        match t.as_bytes().get(1) {
            Some(b'A') => return Ok(self.raw(r"\A", &t[2..])),
            Some(b'b') => return Ok(self.raw(r"(?-u:\b)", &t[2..])),
            Some(b'B') => return Ok(self.raw(r"(?-u:\B)", &t[2..])),
            Some(b'z') => return Ok(self.raw(r"\z", &t[2..])),
            Some(b'C') => return Err(SyntaxError::new(ErrorCode::InvalidEscape, &t[..2])),
            Some(b'Q') => {
                let body = &t[2..];
                let (lit, rest) = body.split_once(r"\E").unwrap_or((body, ""));
                for c in lit.chars() {
                    self.literal(c as u32);
                }
                return Ok(rest);
            }
            Some(b'p' | b'P') => {
                let (item, rest) = class::unicode_class(t)?;
                let rendered = class::wrap_fold(class::bracket(&item, false), fold);
                return Ok(self.raw(&rendered, rest));
            }
            _ => {}
        }
        if let Some((item, rest)) = class::perl_class(t) {
            let rendered = class::wrap_fold(class::bracket(item, false), fold);
            return Ok(self.raw(&rendered, rest));
        }
        let (ch, rest) = class::parse_escape(t)?;
        self.literal(ch);
        Ok(rest)
    }

    fn raw(&mut self, text: &str, rest: &'p str) -> &'p str {
        self.push(Node::Raw(text.to_owned()));
        rest
    }
}
