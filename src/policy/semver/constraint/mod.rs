//! Masterminds/semver v3 constraints (`NewConstraint`, `Check`), the range language of
//! `spec.policy.semver.range`.
//!
//! The grammar is Masterminds' regular expressions, kept as regular expressions: its quirks
//! (a `|` accepted inside version numbers, the empty operator, the hyphen-range rewrite done
//! by text replacement) are part of what Flux accepts, and a hand-written parser would drift.
//! Go's `\s` is `[\t\n\f\r ]`, spelled out here because Rust's `\s` is Unicode.

use std::sync::LazyLock;

use super::version::{Version, compare_prerelease};
use crate::golang::strconv::quote;

const WS: &str = r"[\t\n\x0C\r ]";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// The four Masterminds expressions, compiled once.
struct Grammar {
    /// One `op version` term, anchored.
    term: regex::Regex,
    /// `a - b` hyphen ranges.
    range: regex::Regex,
    /// Finds the terms of an AND group.
    find: regex::Regex,
    /// A whole AND group.
    valid: regex::Regex,
}

static GRAMMAR: LazyLock<Option<Grammar>> = LazyLock::new(|| {
    let build = |p: String| regex::Regex::new(&p).ok();
    Some(Grammar {
        term: build(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$"))?,
        range: build(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*"))?,
        find: build(format!(r"({OPS}){WS}*({CV})"))?,
        valid: build(format!(
            r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
        ))?,
    })
});

/// The comparison a term makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

impl Op {
    fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "" | "=" => Self::TildeOrEqual,
            "!=" => Self::NotEqual,
            ">" => Self::Greater,
            "<" => Self::Less,
            ">=" | "=>" => Self::GreaterEqual,
            "<=" | "=<" => Self::LessEqual,
            "~" | "~>" => Self::Tilde,
            "^" => Self::Caret,
            _ => return None,
        })
    }
}

/// One term, e.g. `>=1.2.x`. `dirty` marks a wildcard or missing part.
#[derive(Debug, Clone)]
struct Term {
    op: Op,
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed range: OR of AND groups.
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    terms: Vec<Term>,
    /// Some term has a prerelease, so prereleases may satisfy this group.
    allows_pre: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn improper(c: &str) -> String {
    format!("improper constraint: {}", quote(c))
}

const PARSER_ERROR: &str = "constraint parser error";

/// Masterminds `rewriteRange`: each `a - b` becomes `>= a, <= b ` by first-occurrence
/// replacement in the evolving string, exactly as Go's `strings.Replace(o, match, t, 1)`.
fn rewrite_range(g: &Grammar, input: &str) -> String {
    let mut out = input.to_owned();
    for caps in g.range.captures_iter(input) {
        let (Some(whole), Some(a), Some(b)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", a.as_str(), b.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

fn parse_term(g: &Grammar, c: &str) -> Result<Term, String> {
    let caps = g.term.captures(c).ok_or_else(|| improper(c))?;
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let op = Op::parse(group(1)).ok_or_else(|| improper(c))?;
    let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
    let trim = |s: &'_ str| s.strip_prefix('.').unwrap_or(s).to_owned();
    let (text, dirty, minor_dirty, patch_dirty) = if is_x(major) {
        (format!("0.0.0{pre}"), true, false, false)
    } else if minor.is_empty() || is_x(&trim(minor)) {
        (format!("{major}.0.0{pre}"), true, true, false)
    } else if patch.is_empty() || is_x(&trim(patch)) {
        (format!("{major}{minor}.0{pre}"), true, false, true)
    } else {
        (group(2).to_owned(), false, false, false)
    };
    let v = Version::parse_loose(&text).ok_or_else(|| PARSER_ERROR.to_owned())?;
    Ok(Term {
        op,
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        pre: v.pre.to_owned(),
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraints {
    /// Masterminds `NewConstraint`; the error text is Masterminds' (Flux shows it as is).
    pub fn parse(range: &str) -> Result<Self, String> {
        let Some(g) = GRAMMAR.as_ref() else {
            return Err(PARSER_ERROR.to_owned());
        };
        let rewritten = rewrite_range(g, range);
        let mut groups = Vec::new();
        for or in rewritten.split("||") {
            if !g.valid.is_match(or) {
                return Err(improper(or));
            }
            let mut found: Vec<&str> = g.find.find_iter(or).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(or);
            }
            let terms = found
                .into_iter()
                .map(|c| parse_term(g, c))
                .collect::<Result<Vec<_>, _>>()?;
            let allows_pre = terms.iter().any(|t| !t.pre.is_empty());
            groups.push(Group { terms, allows_pre });
        }
        Ok(Self { groups })
    }

    /// Masterminds `Check`: some AND group holds for `v`; a prerelease only satisfies a group
    /// that names a prerelease itself (Flux never sets `IncludePrerelease`).
    pub fn check(&self, v: &Version<'_>) -> bool {
        self.groups.iter().any(|group| {
            (v.pre.is_empty() || group.allows_pre) && group.terms.iter().all(|t| t.check(v))
        })
    }
}

impl Term {
    fn version(&self) -> Version<'_> {
        Version {
            major: self.major,
            minor: self.minor,
            patch: self.patch,
            pre: &self.pre,
            metadata: "",
            original: "",
        }
    }

    fn check(&self, v: &Version<'_>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let ord = v.cmp_precedence(&self.version());
        match self.op {
            Op::Less => ord == Less,
            Op::GreaterEqual => ord != Less,
            Op::Greater if !self.dirty => ord == Greater,
            Op::Greater => {
                if v.major != self.major {
                    v.major > self.major
                } else if self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > self.minor
                } else {
                    ord == Greater
                }
            }
            Op::LessEqual if !self.dirty => ord != Greater,
            Op::LessEqual => {
                !(v.major > self.major
                    || (v.major == self.major && v.minor > self.minor && !self.minor_dirty))
            }
            Op::NotEqual => self.check_not_equal(v, ord),
            Op::TildeOrEqual if !self.dirty => ord == Equal,
            Op::TildeOrEqual | Op::Tilde => self.check_tilde(v, ord),
            Op::Caret => self.check_caret(v, ord),
        }
    }

    fn check_not_equal(&self, v: &Version<'_>, ord: std::cmp::Ordering) -> bool {
        if self.dirty {
            if self.major != v.major {
                return true;
            }
            if self.minor != v.minor && !self.minor_dirty {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if self.patch != v.patch && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                if !v.pre.is_empty() || !self.pre.is_empty() {
                    return compare_prerelease(v.pre, &self.pre) != std::cmp::Ordering::Equal;
                }
                return false;
            }
        }
        ord != std::cmp::Ordering::Equal
    }

    fn check_tilde(&self, v: &Version<'_>, ord: std::cmp::Ordering) -> bool {
        if ord == std::cmp::Ordering::Less {
            return false;
        }
        // `~0`, `~0.0.0`, `~*`: anything at or above 0.0.0.
        if (self.major, self.minor, self.patch) == (0, 0, 0)
            && !self.minor_dirty
            && !self.patch_dirty
        {
            return true;
        }
        v.major == self.major && (v.minor == self.minor || self.minor_dirty)
    }

    fn check_caret(&self, v: &Version<'_>, ord: std::cmp::Ordering) -> bool {
        if ord == std::cmp::Ordering::Less {
            return false;
        }
        if self.major > 0 || self.minor_dirty {
            return v.major == self.major;
        }
        if v.major > 0 {
            return false;
        }
        if self.minor > 0 || self.patch_dirty {
            return v.minor == self.minor;
        }
        if v.minor > 0 {
            return false;
        }
        v.patch == self.patch
    }
}

#[cfg(test)]
mod tests;
