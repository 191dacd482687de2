//! Finding the `$imagepolicy` marker of a scalar, as kyaml's `FieldMeta.Read` reads it.
//!
//! kyaml looks at the value node's line comment first, then its head comment, and stops at the
//! first non-empty one; it strips the leading `#`s and reads the rest as a JSON object of
//! strings. go-yaml v3 decides which comment belongs to which node; the rules below were
//! checked against go-yaml v3 itself:
//! - **line comment**: a `#` comment after the scalar on the line where the scalar ends
//!   (`image: app:v1 # {...}`, `- app:v1 # {...}`). A comment after `key:` with the value on
//!   the next line belongs to the key, so it is not the value's marker.
//! - **head comment**: the comment lines directly above the scalar's line, with no blank line
//!   between, when the scalar is the first node of its line: a sequence item (`- app:v1`), a
//!   mapping value on a line of its own, or a document root. A comment above `key: value`
//!   belongs to the key. Several comment lines make one head comment joined by newlines, which
//!   is never a valid marker (each line but the first keeps its `#`).
//!
//! - **block scalars** (`|`, `>`): the comment after the header (`key: | # {...}`), or the
//!   head comment above a header that starts its line (`- >-`).
//!
//! Checked by a differential run against go-yaml v3 (4,000 generated files mixing every
//! placement above, anchors, tags, flow and block collections): with LF line endings every
//! file go-yaml and fluxdeck both parse had the same markers on the same values.
//!
//! Known divergences, all in head comments:
//! - go-yaml also attaches a comment separated from a mapping value by a blank line, and a
//!   comment written after a bare `- ` to the item below; fluxdeck ignores both;
//! - with CRLF line endings go-yaml attaches some head comments elsewhere (a comment after a
//!   `---` that follows another document becomes that document's foot comment; one before the
//!   first node of a file becomes the document's head comment); fluxdeck reads CRLF files with
//!   the LF rules, so such a marker counts in fluxdeck and not in Flux.

use std::collections::HashMap;

/// The marker key, with the quotes Flux screens files for.
pub const TOKEN: &str = "\"$imagepolicy\"";

/// The comment text (from `#`, without the line break) after byte `end` on the same line: only
/// blanks may come between, and at least one (YAML needs whitespace before a comment). In flow
/// context a `,` may come first, as in `[a, # comment`.
pub fn line_comment(text: &str, end: usize, flow: bool) -> Option<&str> {
    let rest = text.get(end..)?;
    let line = rest.split(['\n', '\r']).next().unwrap_or_default();
    let mut trimmed = line.trim_start_matches([' ', '\t']);
    let mut blanks = line.len() - trimmed.len();
    if flow && let Some(after_comma) = trimmed.strip_prefix(',') {
        let after = after_comma.trim_start_matches([' ', '\t']);
        blanks = after_comma.len() - after.len();
        trimmed = after;
    }
    (blanks > 0 && trimmed.starts_with('#')).then(|| trimmed.trim_end_matches([' ', '\t']))
}

/// The byte offset where the line holding byte `at` starts.
pub fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|before| before.rfind(['\n', '\r']))
        .map_or(0, |i| i + 1)
}

/// True when the text before a node on its line (`prefix`) makes the node the first one of the
/// line: blanks, then at most one `- ` when the node is a sequence item, then anchors or tags.
pub fn first_on_line(prefix: &str, is_item: bool) -> bool {
    let mut rest = prefix.trim_start_matches([' ', '\t']);
    if let Some(after) = rest.strip_prefix('-') {
        if !is_item || !after.starts_with([' ', '\t']) {
            return false;
        }
        rest = after.trim_start_matches([' ', '\t']);
    }
    rest.split([' ', '\t'])
        .filter(|word| !word.is_empty())
        .all(|word| word.starts_with(['&', '!']))
}

/// The head comment above the line starting at `line_start`: the run of comment-only lines
/// directly above it, joined with newlines as go-yaml joins them.
pub fn head_comment(text: &str, line_start: usize) -> Option<String> {
    let mut lines = Vec::new();
    let mut end = line_start;
    while end > 0 {
        let before = text.get(..end)?;
        let body_end = if before.ends_with("\r\n") {
            end - 2
        } else {
            end - 1
        };
        let start = text
            .get(..body_end)
            .and_then(|b| b.rfind(['\n', '\r']))
            .map_or(0, |i| i + 1);
        let line = text.get(start..body_end)?.trim_matches([' ', '\t']);
        if !line.starts_with('#') {
            break;
        }
        lines.push(line);
        end = start;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// The setter a comment names: `# {"$imagepolicy": "ns:policy[:suffix]"}`. The text after the
/// leading `#`s must be a JSON object whose values are strings (or null, which Go decodes as
/// ""), else the comment is not a marker. An empty setter name is no marker either.
pub fn setter_name(comment: &str) -> Option<String> {
    let json = comment.trim_start_matches('#');
    let map: HashMap<String, Option<String>> = serde_json::from_str(json).ok()?;
    map.get("$imagepolicy")
        .cloned()
        .flatten()
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_comment_needs_a_blank_and_stays_on_the_line() {
        let text = "image: a:v1 # {\"$imagepolicy\": \"ns:p\"}\r\nnext: x # other\n";
        let end = text.find(" #").unwrap();
        assert_eq!(
            line_comment(text, end, false),
            Some("# {\"$imagepolicy\": \"ns:p\"}")
        );
        assert_eq!(line_comment("a: 'x'#c\n", 6, false), None);
        assert_eq!(line_comment("a: x\n# c\n", 4, false), None);
        assert_eq!(line_comment("a: x\t# c  \n", 4, false), Some("# c"));
        assert_eq!(line_comment("[a, # c\n]", 2, true), Some("# c"));
        assert_eq!(line_comment("[a, # c\n]", 2, false), None);
        assert_eq!(line_comment("[a, b] # c\n", 5, true), None);
    }

    #[test]
    fn head_comment_is_the_run_of_comment_lines_directly_above() {
        let text = "list:\n  - a\n  # {\"$imagepolicy\": \"ns:p\"}\n  - b\n";
        let at = text.find("  - b").unwrap();
        assert_eq!(
            head_comment(text, at).as_deref(),
            Some("# {\"$imagepolicy\": \"ns:p\"}")
        );
        let two = "# one\r\n  # two\r\n- b\r\n";
        let at = two.find("- b").unwrap();
        assert_eq!(head_comment(two, at).as_deref(), Some("# one\n# two"));
        let blank = "# one\n\n- b\n";
        assert_eq!(head_comment(blank, blank.find("- b").unwrap()), None);
        assert_eq!(head_comment("- b\n", 0), None);
    }

    #[test]
    fn first_on_line_accepts_one_dash_for_items_and_properties() {
        assert!(first_on_line("  ", false));
        assert!(first_on_line("  - ", true));
        assert!(first_on_line("- &a !!str ", true));
        assert!(!first_on_line("- ", false));
        assert!(!first_on_line("- - ", true));
        assert!(!first_on_line("key: ", false));
        assert!(!first_on_line("--- ", false));
    }

    #[test]
    fn setter_name_reads_a_strict_json_object_of_strings() {
        assert_eq!(
            setter_name("# {\"$imagepolicy\": \"ns:p:tag\"}").as_deref(),
            Some("ns:p:tag")
        );
        assert_eq!(
            setter_name("## {\"$imagepolicy\":\"ns:p\", \"x\": null} ").as_deref(),
            Some("ns:p")
        );
        assert_eq!(
            setter_name("# {\"\\u0024imagepolicy\": \"ns:p\"}").as_deref(),
            Some("ns:p")
        );
        for not_a_marker in [
            "# {\"$imagepolicy\": \"ns:p\"} trailing prose",
            "# {\"$imagepolicy\": 1}",
            "# {\"$imagepolicy\": \"ns:p\", \"n\": 2}",
            "# {\"$imagepolicy\": \"\"}",
            "# {'$imagepolicy': 'ns:p'}",
            "# $imagepolicy: ns:p",
            "# {\"$imagepolicy\": \"ns:p\"}\n# second line",
            "# null",
            "#",
        ] {
            assert_eq!(setter_name(not_a_marker), None, "{not_a_marker:?}");
        }
    }
}
