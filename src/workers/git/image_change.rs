//! The image change an automation commit made, read from its diff: the changed lines that
//! carry a `$imagepolicy` marker comment, paired old → new by file and setter. When the diff
//! has none (a marker on a line the automation did not touch), the commit message's lines
//! stand in: the reference template prints each new value on its own line.
//!
//! This reads one line at a time, enough for `key: value # {"$imagepolicy": "ns:policy:tag"}`
//! and `- value # {...}` lines; the full marker grammar lives in `setters`.

use std::fmt;

/// One value an automation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    /// The file, relative to the repository root (`None` when read from the message).
    pub file: Option<String>,
    /// The setter of the marker (`sock-shop:sock-shop-front-end:tag`).
    pub setter: Option<String>,
    /// The value before (`None` when unknown).
    pub old: Option<String>,
    /// The value after.
    pub new: String,
}

impl fmt::Display for ImageChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.old {
            Some(old) => write!(f, "{old} → {}", self.new),
            None => write!(f, "→ {}", self.new),
        }
    }
}

/// A line a commit added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangedLine<'a> {
    /// The file, relative to the repository root.
    pub file: &'a str,
    /// Added (`+`) rather than removed (`-`).
    pub added: bool,
    /// The line, without its newline.
    pub text: &'a str,
}

/// The token a marker comment holds, with its quotes, as the automation looks for it.
pub const MARKER: &str = "\"$imagepolicy\"";

/// The value and setter of a line carrying a marker comment, e.g.
/// `  newTag: main-1f49071-24 # {"$imagepolicy": "sock-shop:front-end:tag"}` gives
/// `("main-1f49071-24", "sock-shop:front-end:tag")`.
pub fn marked_value(line: &str) -> Option<(String, String)> {
    let (before, after) = line.split_once(MARKER)?;
    let (value_part, _) = before.rsplit_once('#')?;
    let setter = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?
        .split('"')
        .next()?
        .to_string();
    let mut value = value_part.trim();
    while let Some(rest) = value.strip_prefix("- ") {
        value = rest.trim_start();
    }
    if let Some((_key, v)) = value.split_once(": ") {
        value = v.trim();
    } else if value.ends_with(':') {
        // `key:` with the value missing.
        value = "";
    }
    let value = unquote(value);
    if value.is_empty() || setter.is_empty() {
        return None;
    }
    Some((value.to_string(), setter))
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// The changes in a commit's changed lines: each added marked line, with the removed marked
/// line of the same file and setter as its old value.
pub fn changes_from_lines(lines: &[ChangedLine<'_>]) -> Vec<ImageChange> {
    let mut removed: Vec<(&str, String, String, bool)> = lines
        .iter()
        .filter(|l| !l.added)
        .filter_map(|l| marked_value(l.text).map(|(v, s)| (l.file, s, v, false)))
        .collect();
    let mut out = Vec::new();
    for line in lines.iter().filter(|l| l.added) {
        let Some((new, setter)) = marked_value(line.text) else {
            continue;
        };
        let old = removed
            .iter_mut()
            .find(|(file, s, _, used)| !*used && *file == line.file && *s == setter)
            .map(|entry| {
                entry.3 = true;
                entry.2.clone()
            });
        if old.as_deref() == Some(new.as_str()) {
            continue;
        }
        out.push(ImageChange {
            file: Some(line.file.to_string()),
            setter: Some(setter),
            old,
            new,
        });
    }
    out
}

/// The new values a message lists, one per non-empty line (the reference template
/// `{{range .Changed.Changes}}{{println .NewValue}}{{end}}`).
pub fn changes_from_message(message: &str) -> Vec<ImageChange> {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| ImageChange {
            file: None,
            setter: None,
            old: None,
            new: l.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "sock-shop:sock-shop-front-end:tag";

    #[test]
    fn reads_values_of_marked_lines() {
        let cases = [
            (
                r#"  newTag: main-1f49071-24 # {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#,
                "main-1f49071-24",
            ),
            (
                r#"  newTag: "main-1f49071-24" # {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#,
                "main-1f49071-24",
            ),
            (
                r#"- image: 'repo/fe:1.2' #{"$imagepolicy":"sock-shop:sock-shop-front-end:tag"}"#,
                "repo/fe:1.2",
            ),
            (
                r#"  - repo/fe:1.2 # {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#,
                "repo/fe:1.2",
            ),
        ];
        for (line, value) in cases {
            assert_eq!(
                marked_value(line),
                Some((value.to_string(), TAG.to_string())),
                "{line}"
            );
        }
        assert_eq!(marked_value("  newTag: latest # a plain comment"), None);
        assert_eq!(
            marked_value(r#"  newTag: # {"$imagepolicy": "a:b:tag"}"#),
            None
        );
        assert_eq!(marked_value(r#"  newTag: x # {"$imagepolicy": 3}"#), None);
    }

    #[test]
    fn pairs_removed_and_added_lines_by_file_and_setter() {
        let k = "deploy/kustomization.yaml";
        let lines = [
            ChangedLine {
                file: k,
                added: false,
                text: r#"  newTag: main-aaaaaaa-23 # {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#,
            },
            ChangedLine {
                file: k,
                added: false,
                text: "  # an unmarked line the automation also touched",
            },
            ChangedLine {
                file: k,
                added: true,
                text: r#"  newTag: main-1f49071-24 # {"$imagepolicy": "sock-shop:sock-shop-front-end:tag"}"#,
            },
            ChangedLine {
                file: "other.yaml",
                added: true,
                text: r#"  image: repo/cart:2 # {"$imagepolicy": "sock-shop:carts"}"#,
            },
        ];
        let changes = changes_from_lines(&lines);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].file.as_deref(), Some(k));
        assert_eq!(changes[0].setter.as_deref(), Some(TAG));
        assert_eq!(changes[0].old.as_deref(), Some("main-aaaaaaa-23"));
        assert_eq!(changes[0].new, "main-1f49071-24");
        assert_eq!(changes[0].to_string(), "main-aaaaaaa-23 → main-1f49071-24");
        assert_eq!(changes[1].old, None);
        assert_eq!(changes[1].new, "repo/cart:2");
    }

    #[test]
    fn a_line_moved_without_a_new_value_is_no_change() {
        let line = r#"  newTag: v1 # {"$imagepolicy": "a:b:tag"}"#;
        let lines = [
            ChangedLine {
                file: "k.yaml",
                added: false,
                text: line,
            },
            ChangedLine {
                file: "k.yaml",
                added: true,
                text: line,
            },
        ];
        assert!(changes_from_lines(&lines).is_empty());
    }

    #[test]
    fn message_lines_are_new_values() {
        let changes = changes_from_message("main-1f49071-24\n\n123.dkr.ecr/fe\n");
        let news: Vec<_> = changes.iter().map(|c| c.new.as_str()).collect();
        assert_eq!(news, ["main-1f49071-24", "123.dkr.ecr/fe"]);
        assert!(changes.iter().all(|c| c.old.is_none() && c.file.is_none()));
    }
}
