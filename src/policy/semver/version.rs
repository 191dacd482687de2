//! Versions as Flux parses tags (`fluxcd/pkg/version.ParseVersion`, i.e. a two-dot check and
//! then Masterminds/semver v3 `NewVersion` in its default coerce mode) and Masterminds'
//! ordering.

use std::cmp::Ordering;

/// A parsed version; borrows the text it came from (`original` is what Flux reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Prerelease without the `-` (empty when none).
    pub pre: &'a str,
    /// Build metadata without the `+` (ignored by comparisons).
    pub metadata: &'a str,
    /// The text as given, `v` prefix included.
    pub original: &'a str,
}

/// Identifier characters of prerelease and metadata parts.
fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Splits a dot-separated run of non-empty identifiers off the start of `s`.
fn identifiers(s: &str) -> Option<(&str, &str)> {
    let mut end = 0;
    let bytes = s.as_bytes();
    loop {
        let start = end;
        while bytes.get(end).copied().is_some_and(ident_char) {
            end += 1;
        }
        if end == start {
            return None;
        }
        match bytes.get(end) {
            Some(b'.') if bytes.get(end + 1).copied().is_some_and(ident_char) => end += 1,
            _ => return Some(s.split_at(end)),
        }
    }
}

/// Splits leading ASCII digits off `s` and parses them (Go `ParseUint`: fails past u64).
fn number(s: &str) -> Option<(u64, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let (digits, rest) = s.split_at(n);
    Some((digits.parse().ok()?, rest))
}

/// Masterminds `validatePrerelease`: numeric identifiers may not have leading zeros.
fn valid_prerelease(pre: &str) -> bool {
    pre.split('.').all(|part| {
        let numeric = part.bytes().all(|b| b.is_ascii_digit());
        !(numeric && part.len() > 1 && part.starts_with('0'))
    })
}

impl<'a> Version<'a> {
    /// Masterminds `NewVersion` in coerce mode: `v?N(.N)?(.N)?(-pre)?(+meta)?`, leading zeros
    /// allowed in the numbers, not in numeric prerelease identifiers; only a lowercase `v`.
    pub fn parse_loose(text: &'a str) -> Option<Self> {
        let s = text.strip_prefix('v').unwrap_or(text);
        let (major, mut s) = number(s)?;
        let mut minor = 0;
        let mut patch = 0;
        if let Some((n, rest)) = s.strip_prefix('.').and_then(number) {
            minor = n;
            s = rest;
            if let Some((n, rest)) = s.strip_prefix('.').and_then(number) {
                patch = n;
                s = rest;
            }
        }
        let mut pre = "";
        if let Some(rest) = s.strip_prefix('-') {
            (pre, s) = identifiers(rest)?;
        }
        let mut metadata = "";
        if let Some(rest) = s.strip_prefix('+') {
            (metadata, s) = identifiers(rest)?;
        }
        if !s.is_empty() || !valid_prerelease(pre) {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            pre,
            metadata,
            original: text,
        })
    }

    /// `fluxcd/pkg/version.ParseVersion`: at least two dots, then [`Version::parse_loose`].
    /// So `1.2` and `v1` are rejected while `v1.2-beta.5` passes (as `1.2.0-beta.5`).
    pub fn parse_flux(text: &'a str) -> Option<Self> {
        if text.splitn(3, '.').count() != 3 {
            return None;
        }
        Self::parse_loose(text)
    }

    /// Masterminds `Compare`: numbers, then release above prerelease, then prerelease parts;
    /// metadata never counts.
    pub fn cmp_precedence(&self, other: &Version<'_>) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(self.pre, other.pre),
            })
    }
}

/// Masterminds `comparePrerelease`: part by part; a missing part sorts first.
pub(super) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (l, r) => {
                let ord = compare_part(l.unwrap_or(""), r.unwrap_or(""));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Masterminds `comparePrePart`: numeric parts (those that fit a u64) sort below
/// alphanumeric ones and compare as numbers; others compare byte-wise.
fn compare_part(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.is_empty() {
        return Ordering::Less;
    }
    if b.is_empty() {
        return Ordering::Greater;
    }
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version<'_> {
        Version::parse_flux(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn flux_needs_two_dots() {
        for bad in ["1", "v1", "1.2", "v1.2", "1.2-beta5", ""] {
            assert!(Version::parse_flux(bad).is_none(), "{bad}");
        }
        assert_eq!(Version::parse_loose("1.2").map(|v| v.minor), Some(2));
    }

    #[test]
    fn coerce_mode_accepts_leading_zeros_and_lowercase_v() {
        let x = v("v2025.07.03");
        assert_eq!((x.major, x.minor, x.patch), (2025, 7, 3));
        assert_eq!(x.original, "v2025.07.03");
        assert!(Version::parse_flux("V1.2.3").is_none());
        assert!(Version::parse_flux("vv1.2.3").is_none());
    }

    #[test]
    fn quirk_two_part_with_dotted_prerelease() {
        let x = v("v1.2-beta.5");
        assert_eq!((x.major, x.minor, x.patch, x.pre), (1, 2, 0, "beta.5"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "1.2.3.4",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3-01",
            "1.2.3-a.01",
            "1.2.3+a_b",
            "1.2.3 ",
            "a.b.c",
            "1.2.3-é",
            "18446744073709551616.0.0",
            "1..2.3",
        ] {
            assert!(Version::parse_flux(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn accepts_prerelease_and_metadata() {
        let x = v("1.2.3-rc.1+build.01");
        assert_eq!((x.pre, x.metadata), ("rc.1", "build.01"));
        assert_eq!(v("1.2.3-0a").pre, "0a");
        assert_eq!(v("1.2.3-a-b.c").pre, "a-b.c");
        assert_eq!(v("18446744073709551615.0.0").major, u64::MAX);
    }

    #[test]
    fn ordering() {
        let ord = |a, b| v(a).cmp_precedence(&v(b));
        assert_eq!(ord("1.2.3", "1.2.4"), Ordering::Less);
        assert_eq!(ord("1.10.0", "1.9.0"), Ordering::Greater);
        assert_eq!(ord("1.0.0", "1.0.0-rc.1"), Ordering::Greater);
        assert_eq!(ord("1.0.0-alpha", "1.0.0-alpha.1"), Ordering::Less);
        assert_eq!(ord("1.0.0-alpha.1", "1.0.0-alpha.beta"), Ordering::Less);
        assert_eq!(ord("1.0.0-beta.2", "1.0.0-beta.11"), Ordering::Less);
        assert_eq!(ord("1.0.0-rc.1", "1.0.0-RC.1"), Ordering::Greater);
        assert_eq!(ord("1.0.0+a", "1.0.0+b"), Ordering::Equal);
        assert_eq!(ord("v1.0.0", "1.0.0"), Ordering::Equal);
        assert_eq!(ord("01.0.0", "1.0.0"), Ordering::Equal);
        // A numeric part too big for u64 compares as text, so above small numbers.
        assert_eq!(
            ord("1.0.0-99999999999999999999", "1.0.0-5"),
            Ordering::Greater
        );
        assert_eq!(ord("1.0.0-99999999999999999999", "1.0.0-a"), Ordering::Less);
    }
}
