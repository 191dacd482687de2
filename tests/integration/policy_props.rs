//! Properties of the policy engine over generated tags, ranges and patterns.

use fluxdeck::golang::regexp::{ErrorCode, GoRegex};
use fluxdeck::golang::strconv::parse_float;
use fluxdeck::policy::{
    Constraints, FilterTags, Order, PolicyChoice, PolicyError, PolicySpec, Version,
};
use proptest::prelude::*;

fn compile(choice: PolicyChoice, filter: Option<FilterTags>) -> fluxdeck::policy::CompiledPolicy {
    PolicySpec { choice, filter }
        .compile()
        .expect("valid policy")
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::Asc), Just(Order::Desc)]
}

/// Tags shaped like real ones: versions, build numbers, words, numbers, junk.
fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            0u64..4,
            0u64..12,
            0u64..12,
            prop::option::of("(rc|beta)\\.[0-9]")
        )
            .prop_map(|(a, b, c, pre)| match pre {
                Some(p) => format!("{a}.{b}.{c}-{p}"),
                None => format!("{a}.{b}.{c}"),
            }),
        (0u64..4, 0u64..12, 0u64..12).prop_map(|(a, b, c)| format!("v{a}.{b}.{c}")),
        ("[0-9a-f]{7}", 0u32..500).prop_map(|(sha, n)| format!("main-{sha}-{n}")),
        "[a-zA-Z0-9._-]{0,12}",
        "-?[0-9]{1,4}(\\.[0-9]{1,2})?",
        any::<String>(),
    ]
}

fn numbers() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            "-?[0-9]{1,6}(\\.[0-9]{1,3})?",
            "[0-9]e[0-9]",
            "0x[0-9a-f]{1,3}p[0-9]",
        ],
        1..40,
    )
}

fn range() -> impl Strategy<Value = String> {
    let v = (0u64..4, 0u64..12, 0u64..12).prop_map(|(a, b, c)| format!("{a}.{b}.{c}"));
    prop_oneof![
        v.clone().prop_map(|v| format!(">={v}")),
        v.clone().prop_map(|v| format!("<{v}")),
        v.clone().prop_map(|v| format!("^{v}")),
        v.clone().prop_map(|v| format!("~{v}")),
        (v.clone(), v.clone()).prop_map(|(a, b)| format!(">={a}, <{b}")),
        (v.clone(), v).prop_map(|(a, b)| format!("{a} - {b} || >=3.0.0-0")),
        (0u64..4).prop_map(|m| format!("{m}.x")),
        Just("*".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn selected_tag_is_an_input(tags in prop::collection::vec(tag(), 0..30), order in order(), r in range()) {
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        for choice in [
            PolicyChoice::Alphabetical { order },
            PolicyChoice::Semver { range: r.clone() },
            PolicyChoice::Numerical { order },
        ] {
            if let Ok(tag) = compile(choice, None).latest(&refs) {
                prop_assert!(tags.contains(&tag));
            }
        }
        let filter = FilterTags { pattern: "^(?:main|v)-?(?P<x>.*)$".into(), extract: "$x".into() };
        if let Ok(tag) = compile(PolicyChoice::Alphabetical { order }, Some(filter)).latest(&refs) {
            prop_assert!(tags.contains(&tag));
            prop_assert!(tag.starts_with("main") || tag.starts_with('v'));
        }
    }

    #[test]
    fn alphabetical_is_byte_max_or_min(tags in prop::collection::vec(tag(), 1..30)) {
        let asc = compile(PolicyChoice::Alphabetical { order: Order::Asc }, None).latest(&tags).unwrap();
        let desc = compile(PolicyChoice::Alphabetical { order: Order::Desc }, None).latest(&tags).unwrap();
        prop_assert_eq!(Some(&asc), tags.iter().max());
        prop_assert_eq!(Some(&desc), tags.iter().min());
    }

    #[test]
    fn semver_pick_satisfies_and_is_maximal(tags in prop::collection::vec(tag(), 0..30), r in range()) {
        let constraints = Constraints::parse(&r).unwrap();
        let fits: Vec<Version<'_>> = tags
            .iter()
            .filter_map(|t| Version::parse_flux(t))
            .filter(|v| constraints.check(v))
            .collect();
        match compile(PolicyChoice::Semver { range: r.clone() }, None).latest(&tags) {
            Ok(tag) => {
                let chosen = Version::parse_flux(&tag).unwrap();
                prop_assert!(constraints.check(&chosen));
                for v in &fits {
                    prop_assert!(v.cmp_precedence(&chosen).is_le(), "{} > {}", v.original, tag);
                }
                // The first of equal versions wins.
                let first = fits.iter().find(|v| v.cmp_precedence(&chosen).is_eq()).unwrap();
                prop_assert_eq!(first.original, tag.as_str());
            }
            Err(PolicyError::EmptyList) => prop_assert!(tags.is_empty()),
            Err(PolicyError::NoMatchingVersion) => prop_assert!(fits.is_empty()),
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    #[test]
    fn numerical_is_max_and_last_of_equals(tags in numbers(), order in order()) {
        let pick = compile(PolicyChoice::Numerical { order }, None).latest(&tags).unwrap();
        let values: Vec<f64> = tags.iter().map(|t| parse_float(t).unwrap()).collect();
        let best = values.iter().copied().fold(values[0], |a, b| match order {
            Order::Asc => a.max(b),
            Order::Desc => a.min(b),
        });
        let last = tags.iter().zip(&values).rev().find(|(_, v)| **v == best).unwrap().0;
        prop_assert_eq!(&pick, last);
    }

    #[test]
    fn numerical_fails_on_any_non_number(mut tags in numbers(), junk in "[a-z]{1,5}", at in 0usize..40) {
        let at = at % (tags.len() + 1);
        tags.insert(at, junk.clone());
        let err = compile(PolicyChoice::Numerical { order: Order::Asc }, None).latest(&tags);
        prop_assert!(matches!(err, Err(PolicyError::InvalidNumber { .. })), "{err:?}");
    }

    #[test]
    fn any_pattern_compiles_or_errors_never_internally(pattern in "\\PC{0,40}", text in "\\PC{0,40}") {
        match GoRegex::new(&pattern) {
            Ok(re) => {
                let caps = re.captures(&text);
                prop_assert_eq!(caps.is_some(), re.is_match(&text));
                if let Some(groups) = caps {
                    prop_assert_eq!(groups.len(), re.names().len());
                }
            }
            Err(e) => prop_assert_ne!(e.code, ErrorCode::Internal, "{}", e),
        }
    }

    #[test]
    fn regex_metacharacter_soup(pattern in "[\\[\\]()|*+?{}^$.\\\\a-c0-9:PpQEx,<>-]{0,30}") {
        if let Err(e) = GoRegex::new(&pattern) {
            prop_assert_ne!(e.code, ErrorCode::Internal, "{:?}: {}", pattern, e);
        }
    }

    #[test]
    fn any_extract_template_expands(template in "[$a-z0-9{}_]{0,20}", tags in prop::collection::vec(tag(), 1..10)) {
        let filter = FilterTags { pattern: "(?P<a>[a-z]+)?(?P<b>[0-9]+)?".into(), extract: template };
        let compiled = compile(PolicyChoice::Alphabetical { order: Order::Asc }, Some(filter));
        let tag = compiled.latest(&tags).unwrap();
        prop_assert!(tags.contains(&tag));
    }

    #[test]
    fn go_float_agrees_with_rust_on_plain_decimals(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        prop_assert_eq!(parse_float(&x.to_string()), Some(x));
        prop_assert_eq!(parse_float(&format!("{x:e}")), Some(x));
    }
}
