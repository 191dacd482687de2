//! Go's `Regexp.Expand` template language (Flux's `filterTags.extract`, the replacement of
//! `ReplaceAllString`).
//!
//! Rules (Go `regexp.(*Regexp).expand` and `extract`):
//! - `$$` is a literal `$`;
//! - `$name` takes the longest run of letters, digits and `_` (Unicode categories L and Nd,
//!   as Go's `unicode.IsLetter`/`IsDigit`), so `$1x` is the group named `1x`, not `${1}x`;
//! - `${name}` delimits the name; a name made only of ASCII digits (below 1e8, no leading
//!   zero) is a group number, anything else a group name;
//! - a `$` not followed by a valid name (`$-`, `${`, `${}`, `${a-b}`) is a literal `$`;
//! - a group that does not exist or did not participate expands to nothing; for a name used
//!   by several groups (Go allows that), the first participating one counts.
//!
//! A template is parsed once; expanding it for each match is then a walk of pieces.

use std::sync::LazyLock;

/// Go's name characters outside ASCII: `unicode.IsLetter || unicode.IsDigit`.
static NAME_CHAR: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"\A[\p{L}\p{Nd}]\z").ok());

fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let mut buf = [0u8; 4];
    match NAME_CHAR.as_ref() {
        Some(re) => re.is_match(c.encode_utf8(&mut buf)),
        // The pattern is a constant the tests compile; never reached.
        None => c.is_alphanumeric(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// Candidate group indexes, tried in order; the first that participated is used.
    Groups(Vec<usize>),
}

/// A parsed `Expand` template, bound to the group names of one regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// A reference after `$`: a number or a name, and the rest of the template.
fn reference(s: &str) -> Option<(Result<usize, &str>, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|c| is_name_char(*c))
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let rest = if braced {
        body[len..].strip_prefix('}')?
    } else {
        &body[len..]
    };
    let numeric = name.bytes().all(|b| b.is_ascii_digit())
        && !(name.len() > 1 && name.starts_with('0'))
        && name.len() <= 8;
    let target = match name.parse::<usize>() {
        Ok(n) if numeric => Ok(n),
        _ => Err(name),
    };
    Some((target, rest))
}

impl Template {
    /// Parses `template` for a regex whose groups are named `names` (index 0 = whole match).
    pub fn new(template: &str, names: &[Option<String>]) -> Self {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(pos) = rest.find('$') {
            text.push_str(&rest[..pos]);
            rest = &rest[pos + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                text.push('$');
                rest = after;
                continue;
            }
            let Some((target, after)) = reference(rest) else {
                text.push('$');
                continue;
            };
            rest = after;
            let groups = match target {
                Ok(n) if n < names.len() => vec![n],
                Ok(_) => Vec::new(),
                Err(name) => names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.as_deref() == Some(name))
                    .map(|(i, _)| i)
                    .collect(),
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            if !groups.is_empty() {
                pieces.push(Piece::Groups(groups));
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Self { pieces }
    }

    /// Expands the template for one match of `text`; `group(i)` is the span of group `i`.
    pub fn expand(&self, text: &str, group: impl Fn(usize) -> Option<(usize, usize)>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Groups(candidates) => {
                    let span = candidates.iter().find_map(|i| group(*i));
                    if let Some(value) = span.and_then(|(s, e)| text.get(s..e)) {
                        out.push_str(value);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golang::regexp::GoRegex;

    fn expand(pattern: &str, template: &str, text: &str) -> String {
        let re = GoRegex::new(pattern).unwrap();
        let t = Template::new(template, re.names());
        let groups = re.captures(text).unwrap();
        t.expand(text, |i| groups.get(i).copied().flatten())
    }

    #[test]
    fn name_char_pattern_compiles() {
        assert!(NAME_CHAR.is_some());
    }

    #[test]
    fn numbered_and_named_groups() {
        let p = r"^main-(?P<sha>[0-9a-f]+)-(?P<n>\d+)$";
        assert_eq!(expand(p, "$n", "main-1f49071-24"), "24");
        assert_eq!(expand(p, "${n}", "main-1f49071-24"), "24");
        assert_eq!(expand(p, "$2.$1", "main-1f49071-24"), "24.1f49071");
        assert_eq!(expand(p, "$0", "main-1f49071-24"), "main-1f49071-24");
        assert_eq!(expand(p, "${sha}x", "main-1f49071-24"), "1f49071x");
    }

    #[test]
    fn name_is_the_longest_word_run() {
        // `$1x` is the (missing) group `1x`, and `$nn` is not `$n` followed by `n`.
        let p = r"(?P<n>\d+)";
        assert_eq!(expand(p, "$1x", "42"), "");
        assert_eq!(expand(p, "${1}x", "42"), "42x");
        assert_eq!(expand(p, "$nn", "42"), "");
        assert_eq!(expand(p, "$n-$n", "42"), "42-42");
        // Unicode letters belong to the name too: `$né` is the group `né`.
        assert_eq!(expand(p, "$né", "42"), "");
        // A non-letter symbol ends it.
        assert_eq!(expand(p, "$n€", "42"), "42€");
    }

    #[test]
    fn dollar_escapes_and_malformed_references() {
        let p = r"(\d+)";
        assert_eq!(expand(p, "$$1", "7"), "$1");
        assert_eq!(expand(p, "$", "7"), "$");
        assert_eq!(expand(p, "${", "7"), "${");
        assert_eq!(expand(p, "${}", "7"), "${}");
        assert_eq!(expand(p, "${1", "7"), "${1");
        assert_eq!(expand(p, "${a-b}", "7"), "${a-b}");
        assert_eq!(expand(p, "$-1", "7"), "$-1");
        // `$1b` names the group `1b`, which does not exist.
        assert_eq!(expand(p, "a$$$1b", "7"), "a$");
        assert_eq!(expand(p, "a$$${1}b", "7"), "a$7b");
    }

    #[test]
    fn numbers_follow_go_rules() {
        let p = r"(a)(b)";
        // Leading zeros make it a name, so nothing.
        assert_eq!(expand(p, "$01", "ab"), "");
        assert_eq!(expand(p, "$2", "ab"), "b");
        assert_eq!(expand(p, "$3", "ab"), "");
        assert_eq!(expand(p, "$99999999999", "ab"), "");
    }

    #[test]
    fn non_participating_and_duplicate_groups() {
        assert_eq!(expand(r"(a)|(b)", "[$1][$2]", "b"), "[][b]");
        // Go allows a name twice; the first group that took part wins.
        let p = r"(?P<v>a)x|(?P<v>b)y";
        assert_eq!(expand(p, "$v", "by"), "b");
        assert_eq!(expand(p, "$v", "ax"), "a");
    }
}
