//! The parsed Go pattern re-emitted as a Rust `regex` pattern with the same meaning.

use super::class;
use super::tree::Node;

/// Appends the alternatives `alts` to `out` in Rust syntax.
pub(super) fn emit_alts(alts: &[Vec<Node>], out: &mut String) {
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
