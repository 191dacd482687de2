//! ssh's host patterns: `*`/`?` wildcards, and pattern lists with `!negated` entries (the
//! `Host` lines of `~/.ssh/config`, the host field of `known_hosts`).

/// Whether `name` matches a pattern list: some pattern matches it, and no negated one does
/// (each pattern is lowercased first, so `name` should be lowercase).
pub(crate) fn patterns_match<'a>(patterns: impl IntoIterator<Item = &'a str>, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        let pattern = pattern.to_ascii_lowercase();
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob(negated.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if glob(pattern.as_bytes(), name.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// ssh's wildcard match: `*` any run, `?` one character.
pub(crate) fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}
