//! Line numbers in the user's TOML files (keys, themes), so every error names its line.

/// The 1-based line holding byte `offset` of `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line of a TOML parse error (1 when the error has no position).
pub fn error_line(text: &str, error: &toml::de::Error) -> usize {
    error.span().map_or(1, |span| line_at(text, span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_from_one() {
        let text = "a\n\nb = 1\n";
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 2), 2);
        assert_eq!(line_at(text, 3), 3);
        assert_eq!(line_at(text, 99), 1);
        let err = toml::from_str::<toml::Table>("a = 1\nb = \n").unwrap_err();
        assert_eq!(error_line("a = 1\nb = \n", &err), 2);
    }
}
