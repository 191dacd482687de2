//! The parse tree the Go-syntax parser builds and the emitter turns into Rust syntax, with
//! Go's nested-repetition rule (`repeatIsValid`), which is a property of the tree.

/// One element of a concatenation.
#[derive(Debug)]
pub(super) enum Node {
    /// A literal code point (`u32`: Go allows `\x{D800}`, which never matches UTF-8 text).
    Lit { ch: u32, fold: bool },
    /// An already rendered single-width item: class, assertion, dot.
    Raw(String),
    /// A group; `cap` is the capture index (non-capturing groups with one item vanish).
    Group {
        cap: Option<usize>,
        alts: Vec<Vec<Node>>,
        height: u32,
    },
    /// `*`, `+`, `?` (`counted == false`) or `{n}`, `{n,}`, `{n,m}`.
    Repeat {
        sub: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        counted: bool,
        height: u32,
    },
}

impl Node {
    pub(super) fn height(&self) -> u32 {
        match self {
            Node::Lit { .. } | Node::Raw(_) => 1,
            Node::Group { height, .. } | Node::Repeat { height, .. } => *height,
        }
    }
}

/// Go's `repeatIsValid`: the product of nested counted repetitions stays within `n`.
/// Recursion is bounded by `MAX_HEIGHT`, checked before this is called.
pub(super) fn repeat_ok(node: &Node, mut n: u32) -> bool {
    match node {
        Node::Lit { .. } | Node::Raw(_) => true,
        Node::Group { alts, .. } => alts.iter().flatten().all(|sub| repeat_ok(sub, n)),
        Node::Repeat {
            sub,
            min,
            max,
            counted,
            ..
        } => {
            if *counted {
                let m = match max {
                    Some(0) => return true,
                    Some(m) => *m,
                    None => *min,
                };
                if m > n {
                    return false;
                }
                n = n.checked_div(m).unwrap_or(n);
            }
            repeat_ok(sub, n)
        }
    }
}
