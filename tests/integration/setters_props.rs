//! Property tests of `setters::rewrite`: for generated YAML files and marker sets, the rewrite
//! changes no byte outside the replaced scalars, the replaced scalars read back as the
//! recorded new values, and rewriting twice equals rewriting once.

use fluxdeck::setters::{ImageRef, PolicyRef, rewrite};
use granit_parser::{Event, Parser};
use proptest::prelude::*;

/// Scalars of the text: (byte span, value), or `None` when the text does not parse.
fn scalars(text: &str) -> Option<Vec<((usize, usize), String)>> {
    let mut out = Vec::new();
    for next in Parser::new_from_str(text) {
        let (event, span) = next.ok()?;
        if let Event::Scalar(value, ..) = event {
            out.push((
                (span.start.byte_offset()?, span.end.byte_offset()?),
                value.into_owned(),
            ));
        }
    }
    Some(out)
}

/// The text with every scalar span cut out: what must never change.
fn outside(text: &str, spans: &[((usize, usize), String)]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut at = 0;
    for ((start, end), _) in spans {
        parts.push(text.get(at..*start).unwrap_or_default().to_owned());
        at = *end;
    }
    parts.push(text.get(at..).unwrap_or_default().to_owned());
    parts
}

fn check(text: &str, policies: &[PolicyRef]) -> Result<(), TestCaseError> {
    let Ok(result) = rewrite(text, policies) else {
        return Ok(()); // a problem file is left alone: nothing to compare
    };
    let Some(new_text) = result.new_text else {
        prop_assert!(result.changes.is_empty());
        return Ok(());
    };
    let before = scalars(text).expect("the rewriter accepted it, so it parses");
    let after = scalars(&new_text);
    prop_assert!(
        after.is_some(),
        "rewritten text does not parse:\n{new_text}"
    );
    let after = after.unwrap_or_default();
    prop_assert_eq!(
        before.len(),
        after.len(),
        "scalar count changed:\n{}\n---\n{}",
        text,
        new_text
    );
    prop_assert_eq!(
        outside(text, &before),
        outside(&new_text, &after),
        "bytes outside scalars changed"
    );
    let mut changed = Vec::new();
    for ((span_b, value_b), (span_a, value_a)) in before.iter().zip(&after) {
        let raw_b = text.get(span_b.0..span_b.1).unwrap_or_default();
        let raw_a = new_text.get(span_a.0..span_a.1).unwrap_or_default();
        if raw_b != raw_a {
            prop_assert_ne!(value_b, value_a, "a scalar was rewritten to the same value");
            changed.push((value_b.clone(), value_a.clone()));
        }
    }
    let recorded: Vec<(String, String)> = result
        .changes
        .iter()
        .map(|c| (c.old_value.clone(), c.new_value.clone()))
        .collect();
    prop_assert_eq!(
        changed,
        recorded,
        "changed scalars differ from the change list"
    );
    let again = rewrite(&new_text, policies);
    prop_assert!(again.is_ok(), "second run failed: {:?}", again.err());
    let again = again.unwrap_or_default();
    prop_assert_eq!(again.new_text, None, "rewriting twice differs from once");
    prop_assert!(again.changes.is_empty());
    Ok(())
}

fn policies_strategy() -> impl Strategy<Value = Vec<PolicyRef>> {
    let tag = prop_oneof![
        Just("v1.0.1".to_owned()),
        Just("1.10".to_owned()),
        Just("123".to_owned()),
        Just("yes".to_owned()),
        Just("main-1f49071-24".to_owned()),
        Just("1e3".to_owned()),
        Just("2024-01-02".to_owned()),
        "[a-z0-9._-]{1,12}",
    ];
    let name = prop_oneof![
        Just("index.repo.fake/updated".to_owned()),
        Just("host:5000/team/img".to_owned()),
        Just("ünïcode/app".to_owned()),
        "[a-z]{1,8}(/[a-z]{1,8})?",
    ];
    let digest = proptest::option::of("sha256:[0-9a-f]{8}");
    let one = (
        prop_oneof![Just("ns"), Just("other")],
        prop_oneof![Just("p"), Just("q")],
        name,
        tag,
        digest,
    )
        .prop_map(|(ns, p, name, tag, digest)| PolicyRef {
            namespace: ns.into(),
            name: p.into(),
            latest: ImageRef::parse(&match digest {
                Some(d) => format!("{name}:{tag}@{d}"),
                None => format!("{name}:{tag}"),
            })
            .expect("generated refs are valid"),
        });
    proptest::collection::vec(one, 0..4)
}

/// A marker comment: a known setter, an unknown one, or broken JSON.
fn marker() -> impl Strategy<Value = String> {
    let setter = prop_oneof![
        Just("ns:p"),
        Just("ns:p:tag"),
        Just("ns:p:name"),
        Just("ns:p:digest"),
        Just("other:q"),
        Just("ns:q:tag"),
        Just("ns:p:bogus"),
        Just(""),
    ];
    prop_oneof![
        4 => setter.prop_map(|s| format!("# {{\"$imagepolicy\": \"{s}\"}}")),
        1 => Just("# {\"$imagepolicy\": \"ns:p\"} trailing".to_owned()),
        1 => Just("## {\"$imagepolicy\":\"ns:p:tag\"}".to_owned()),
        1 => Just("# plain comment, ünïcode".to_owned()),
    ]
}

/// A scalar in one of YAML's inline styles (sometimes multi-line or a block scalar).
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9:./_-]{0,12}",
        1 => "[a-z]{1,6}".prop_map(|s| format!("'{s}''s'")),
        1 => "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\\t\"")),
        1 => Just("1.0".to_owned()),
        1 => Just("&anchor value".to_owned()),
        1 => Just("!!str tagged".to_owned()),
        1 => Just("é-ü".to_owned()),
        1 => Just("|\n  block text\n".to_owned()),
        1 => Just("[a, b]".to_owned()),
        1 => Just("multi\n  line".to_owned()),
    ]
}

/// A YAML tree, rendered in block style with consistent indentation so that most generated
/// files parse.
#[derive(Debug, Clone)]
enum Tree {
    Scalar(String),
    Map(Vec<(String, Tree, Option<String>, bool)>),
    Seq(Vec<(Tree, Option<String>, bool)>, bool),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = scalar().prop_map(Tree::Scalar);
    leaf.prop_recursive(4, 40, 5, |inner| {
        let comment = || proptest::option::weighted(0.6, marker());
        prop_oneof![
            proptest::collection::vec(
                ("[a-z]{1,6}", inner.clone(), comment(), any::<bool>()),
                1..5
            )
            .prop_map(Tree::Map),
            (
                proptest::collection::vec((inner, comment(), any::<bool>()), 1..5),
                any::<bool>()
            )
                .prop_map(|(items, compact)| Tree::Seq(items, compact)),
        ]
    })
}

/// Renders a tree; `head` puts a scalar's comment on the line above instead of after it.
fn render(tree: &Tree, indent: usize, eol: &str, out: &mut String) {
    let pad = " ".repeat(indent);
    match tree {
        Tree::Scalar(s) => {
            out.push_str(&pad);
            out.push_str(s);
            out.push_str(eol);
        }
        Tree::Map(entries) => {
            for (key, value, comment, head) in entries {
                match value {
                    Tree::Scalar(s) if *head && comment.is_some() && !s.starts_with('|') => {
                        let c = comment.clone().unwrap_or_default();
                        out.push_str(&format!("{pad}{key}:{eol}{pad}  {c}{eol}{pad}  {s}{eol}"));
                    }
                    Tree::Scalar(s) => {
                        let trail = comment
                            .as_ref()
                            .map(|c| format!(" {c}"))
                            .unwrap_or_default();
                        let mut lines = s.split('\n');
                        let first = lines.next().unwrap_or_default();
                        out.push_str(&format!("{pad}{key}: {first}{trail}{eol}"));
                        for line in lines.filter(|l| !l.is_empty()) {
                            out.push_str(&format!("{pad}{line}{eol}"));
                        }
                    }
                    Tree::Seq(_, compact) => {
                        out.push_str(&format!("{pad}{key}:{eol}"));
                        render(value, if *compact { indent } else { indent + 2 }, eol, out);
                    }
                    Tree::Map(_) => {
                        out.push_str(&format!("{pad}{key}:{eol}"));
                        render(value, indent + 2, eol, out);
                    }
                }
            }
        }
        Tree::Seq(items, _) => {
            for (item, comment, head) in items {
                match item {
                    Tree::Scalar(s) => {
                        let mut lines = s.split('\n');
                        let first = lines.next().unwrap_or_default();
                        match comment {
                            Some(c) if *head => {
                                out.push_str(&format!("{pad}{c}{eol}{pad}- {first}{eol}"))
                            }
                            Some(c) => out.push_str(&format!("{pad}- {first} {c}{eol}")),
                            None => out.push_str(&format!("{pad}- {first}{eol}")),
                        }
                        for line in lines.filter(|l| !l.is_empty()) {
                            out.push_str(&format!("{pad}{line}{eol}"));
                        }
                    }
                    _ => {
                        out.push_str(&format!("{pad}-{eol}"));
                        render(item, indent + 2, eol, out);
                    }
                }
            }
        }
    }
}

fn document() -> impl Strategy<Value = String> {
    (
        tree(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of("[a-z]{1,6}"),
    )
        .prop_map(|(tree, crlf, leading_sep, kind)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if leading_sep {
                text.push_str("---");
                text.push_str(eol);
            }
            let tree = match (tree, kind) {
                (Tree::Map(mut entries), Some(kind)) => {
                    entries.insert(0, ("kind".into(), Tree::Scalar(kind), None, false));
                    entries.insert(
                        0,
                        ("apiVersion".into(), Tree::Scalar("v1".into()), None, false),
                    );
                    Tree::Map(entries)
                }
                (tree, _) => tree,
            };
            render(&tree, 0, eol, &mut text);
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_change_only_marked_values_and_are_idempotent(
        docs in proptest::collection::vec(document(), 1..3),
        policies in policies_strategy(),
    ) {
        let text = docs.join("---\n");
        check(&text, &policies)?;
    }

    #[test]
    fn arbitrary_text_with_markers_never_panics_and_keeps_the_properties(
        chunks in proptest::collection::vec(prop_oneof![
            "[ -~\t\r\n]{0,20}",
            marker(),
            Just(": ".to_owned()),
            Just("\n- ".to_owned()),
            Just("\n  ".to_owned()),
        ], 0..20),
        policies in policies_strategy(),
    ) {
        let text: String = chunks.concat();
        check(&text, &policies)?;
    }
}

/// Guards the generators above against testing nothing: a good share of generated files must
/// really be rewritten, and some must be problem files.
#[test]
fn generators_produce_rewrites_and_problems() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut rewritten, mut problems) = (0, 0);
    let strategy = (
        proptest::collection::vec(document(), 1..3),
        policies_strategy(),
    );
    for _ in 0..500 {
        let (docs, policies) = strategy.new_tree(&mut runner).unwrap().current();
        match rewrite(&docs.join("---\n"), &policies) {
            Ok(r) if r.new_text.is_some() => rewritten += 1,
            Ok(_) => {}
            Err(_) => problems += 1,
        }
    }
    assert!(
        rewritten >= 50,
        "only {rewritten} of 500 generated files were rewritten"
    );
    assert!(
        problems >= 10,
        "only {problems} of 500 generated files were problems"
    );
}
