//! Go `regexp` (RE2 syntax) on top of the Rust `regex` crate.
//!
//! Flux compiles `filterTags.pattern` and `exclusionList` entries with Go's `regexp.Compile`.
//! The Rust `regex` crate is RE2-like but not the same language: Perl classes (`\d`, `\s`,
//! `\w`) and `\b` are Unicode in Rust and ASCII in Go; `[`, `&&`, `--`, `~~` inside a class
//! are set syntax in Rust and literals in Go; Go has `\Q..\E`, octal escapes, `(?)`,
//! `a(?i)*`, duplicate group names and `\p{^Greek}`, and rejects `\C`, `\Z`, `(?x)`, `\e`,
//! `a**` and counts above 1000. So the pattern is parsed here with Go's grammar (and Go's
//! error messages), then re-emitted as an explicit Rust pattern whose every construct means
//! what it meant in Go.
//!
//! Known divergences (documented, tested where testable):
//! - `\p{..}` script names are looked up by the Rust crate, which also accepts ISO 15924
//!   abbreviations (`\p{Grek}`) and multi-word scripts (`\p{Old_Italic}`); Go 1.25+ rejects
//!   those (its canonical-name lookup misses them).
//! - Nesting: Go allows a parse tree 1000 deep; the Rust crate's default nest limit (250
//!   levels of its own syntax) applies here, because raising it overflows small thread
//!   stacks. Deeper patterns fail with Go's `expression nests too deeply` message.
//! - Size: the compiled program may use 64 MiB (Go: about 128 MiB of instructions); larger
//!   patterns fail with Go's `expression too large` message.

mod class;
mod parse;
mod tree;

use std::fmt;

use tree::Node;

/// Go's `regexp/syntax` error codes (the text is Go's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `invalid character class`
    InvalidCharClass,
    /// `invalid character class range`
    InvalidCharRange,
    /// `invalid escape sequence`
    InvalidEscape,
    /// `invalid named capture`
    InvalidNamedCapture,
    /// `invalid or unsupported Perl syntax`
    InvalidPerlOp,
    /// `invalid nested repetition operator`
    InvalidRepeatOp,
    /// `invalid repeat count`
    InvalidRepeatSize,
    /// `missing closing ]`
    MissingBracket,
    /// `missing closing )`
    MissingParen,
    /// `missing argument to repetition operator`
    MissingRepeatArgument,
    /// `trailing backslash at end of expression`
    TrailingBackslash,
    /// `unexpected )`
    UnexpectedParen,
    /// `expression nests too deeply`
    NestingDepth,
    /// `expression too large`
    Large,
    /// `regexp/syntax: internal error`: the translation produced something the Rust crate
    /// refused. A fluxdeck bug (the fuzz target asserts it never happens).
    Internal,
}

impl ErrorCode {
    fn text(self) -> &'static str {
        match self {
            Self::InvalidCharClass => "invalid character class",
            Self::InvalidCharRange => "invalid character class range",
            Self::InvalidEscape => "invalid escape sequence",
            Self::InvalidNamedCapture => "invalid named capture",
            Self::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Self::InvalidRepeatOp => "invalid nested repetition operator",
            Self::InvalidRepeatSize => "invalid repeat count",
            Self::MissingBracket => "missing closing ]",
            Self::MissingParen => "missing closing )",
            Self::MissingRepeatArgument => "missing argument to repetition operator",
            Self::TrailingBackslash => "trailing backslash at end of expression",
            Self::UnexpectedParen => "unexpected )",
            Self::NestingDepth => "expression nests too deeply",
            Self::Large => "expression too large",
            Self::Internal => "regexp/syntax: internal error",
        }
    }
}

/// A pattern Go's `regexp.Compile` would reject; displays as Go's `*syntax.Error` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub code: ErrorCode,
    /// The offending part of the pattern, as Go reports it.
    pub expr: String,
}

impl SyntaxError {
    pub(crate) fn new(code: ErrorCode, expr: &str) -> Self {
        Self {
            code,
            expr: expr.to_owned(),
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error parsing regexp: {}: `{}`",
            self.code.text(),
            self.expr
        )
    }
}

impl std::error::Error for SyntaxError {}

/// Compiled program budget; see the module doc.
const SIZE_LIMIT: usize = 64 << 20;

/// Distinct patterns [`GoRegex::new`] keeps compiled (the cache starts over beyond).
const CACHED_PATTERNS: usize = 1024;

/// A compiled Go regular expression.
#[derive(Debug, Clone)]
pub struct GoRegex {
    re: regex::Regex,
    /// Group names by group index (0 is the whole match); Go allows duplicates.
    names: Vec<Option<String>>,
}

impl GoRegex {
    /// Compiles `pattern` with Go's syntax and errors.
    pub fn new(pattern: &str) -> Result<Self, SyntaxError> {
        // Compiled patterns are kept (a few thousand ImagePolicies usually share a handful of
        // patterns, and a `Regex` clone shares its program): a view that re-evaluates every
        // policy compiles each pattern once, not once per policy.
        static CACHE: std::sync::OnceLock<
            std::sync::Mutex<std::collections::HashMap<String, Result<GoRegex, SyntaxError>>>,
        > = std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut kept = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = kept.get(pattern) {
            return hit.clone();
        }
        let compiled = Self::compile(pattern);
        if kept.len() >= CACHED_PATTERNS {
            kept.clear();
        }
        kept.insert(pattern.to_string(), compiled.clone());
        compiled
    }

    fn compile(pattern: &str) -> Result<Self, SyntaxError> {
        let parsed = parse::parse(pattern)?;
        let mut rust = String::with_capacity(pattern.len() * 2);
        emit_alts(&parsed.alts, &mut rust);
        let re = regex::RegexBuilder::new(&rust)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|err| {
                let code = match &err {
                    regex::Error::CompiledTooBig(_) => ErrorCode::Large,
                    // The parser validated everything else; nesting past the crate's own
                    // limit is the one refusal a valid translation can meet.
                    regex::Error::Syntax(msg) if msg.contains("nested parentheses/brackets") => {
                        ErrorCode::NestingDepth
                    }
                    _ => ErrorCode::Internal,
                };
                SyntaxError::new(code, pattern)
            })?;
        Ok(Self {
            re,
            names: parsed.names,
        })
    }

    /// Reports whether the pattern matches anywhere in `text` (Go `MatchString`).
    pub fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }

    /// Byte spans of every group of the leftmost match (Go `FindStringSubmatchIndex`).
    pub fn captures(&self, text: &str) -> Option<Vec<Option<(usize, usize)>>> {
        let mut slots = self.slots();
        self.captures_into(text, &mut slots)
            .then(|| (0..slots.len()).map(|i| slots.get(i)).collect())
    }

    /// Reusable storage for [`GoRegex::captures_into`].
    pub fn slots(&self) -> regex::CaptureLocations {
        self.re.capture_locations()
    }

    /// Like [`GoRegex::captures`], filling `slots` instead of allocating (for hot loops).
    pub fn captures_into(&self, text: &str, slots: &mut regex::CaptureLocations) -> bool {
        self.re.captures_read(slots, text).is_some()
    }

    /// Group names by index (`None` for unnamed groups and the whole match).
    pub fn names(&self) -> &[Option<String>] {
        &self.names
    }
}

fn emit_alts(alts: &[Vec<Node>], out: &mut String) {
    for (i, alt) in alts.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for node in alt {
            emit(node, out);
        }
    }
}

fn emit(node: &Node, out: &mut String) {
    match node {
        Node::Lit { ch, fold } => {
            if *fold {
                out.push_str("(?i:");
            }
            class::push_char(*ch, out);
            if *fold {
                out.push(')');
            }
        }
        Node::Raw(text) => out.push_str(text),
        Node::Group { cap, alts, .. } => {
            out.push_str(if cap.is_some() { "(" } else { "(?:" });
            emit_alts(alts, out);
            out.push(')');
        }
        Node::Repeat {
            sub,
            min,
            max,
            greedy,
            counted,
            ..
        } => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
            match (counted, min, max) {
                (false, 0, None) => out.push('*'),
                (false, 1, None) => out.push('+'),
                (false, _, _) => out.push('?'),
                (true, n, Some(m)) if n == m => out.push_str(&format!("{{{n}}}")),
                (true, n, None) => out.push_str(&format!("{{{n},}}")),
                (true, n, Some(m)) => out.push_str(&format!("{{{n},{m}}}")),
            }
            if !greedy {
                out.push('?');
            }
        }
    }
}

#[cfg(test)]
mod tests;
