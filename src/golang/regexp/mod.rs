//! Go `regexp` (RE2 syntax) on top of the Rust `regex` crate, and Go's `Regexp.Expand`
//! template language ([`Template`]).
//!
//! Flux compiles `filterTags.pattern` and `exclusionList` entries with Go's `regexp.Compile`,
//! and sprig's `regex*` template functions do the same. The Rust `regex` crate is RE2-like but not the same language: Perl classes (`\d`, `\s`,
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
mod emit;
mod error;
mod expand;
mod parse;
mod tree;

pub use error::{ErrorCode, SyntaxError};
pub use expand::Template;

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
        emit::emit_alts(&parsed.alts, &mut rust);
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

    /// The text of the leftmost match, empty when there is none (Go `FindString`).
    pub fn find<'t>(&self, text: &'t str) -> &'t str {
        self.re.find(text).map_or("", |m| m.as_str())
    }

    /// Go `ReplaceAllString`: every match replaced by `template` expanded as
    /// [`Template`] expands it (`$1`, `${name}`, `$$`).
    pub fn replace_all(&self, text: &str, template: &str) -> String {
        let template = Template::new(template, &self.names);
        self.replace_with(text, |out, slots| {
            out.push_str(&template.expand(text, |i| slots.get(i)));
        })
    }

    /// Go `ReplaceAllLiteralString`: every match replaced by `replacement` as it is.
    pub fn replace_all_literal(&self, text: &str, replacement: &str) -> String {
        self.replace_with(text, |out, _| out.push_str(replacement))
    }

    /// Go's `replaceAll` loop: an empty match right after a match is not replaced, and the
    /// search always advances by at least one character.
    fn replace_with(
        &self,
        text: &str,
        mut replace: impl FnMut(&mut String, &regex::CaptureLocations),
    ) -> String {
        let mut out = String::with_capacity(text.len());
        let mut slots = self.slots();
        let (mut last_end, mut search) = (0, 0);
        while search <= text.len() {
            let Some(m) = self.re.captures_read_at(&mut slots, text, search) else {
                break;
            };
            out.push_str(text.get(last_end..m.start()).unwrap_or_default());
            if m.end() > last_end || m.start() == 0 {
                replace(&mut out, &slots);
            }
            last_end = m.end();
            let width = text
                .get(search..)
                .and_then(|rest| rest.chars().next())
                .map_or(1, char::len_utf8);
            search = if search + width > m.end() {
                search + width
            } else {
                m.end()
            };
        }
        out.push_str(text.get(last_end..).unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests;
