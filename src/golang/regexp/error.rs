//! Go's `regexp/syntax` errors: the codes and the `error parsing regexp: ...` text.

use std::fmt;

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
