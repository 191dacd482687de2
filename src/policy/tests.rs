//! The engine as Flux's controllers use it: spec → compiled policy → selected tag.

use serde_json::json;

use super::*;

fn spec(v: serde_json::Value) -> PolicySpec {
    PolicySpec::from_spec(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn pick(v: serde_json::Value, tags: &[&str]) -> Result<String, PolicyError> {
    spec(v).compile()?.latest(tags)
}

const PIPELINE_FILTER: &str = "^main-[a-fA-F0-9]+-(?P<buidnumber>.*)";

#[test]
fn reference_pipeline_numerical_build_number() {
    let policy = json!({
        "imageRepositoryRef": {"name": "sock-shop-front-end"},
        "filterTags": {"pattern": PIPELINE_FILTER, "extract": "$buidnumber"},
        "policy": {"numerical": {"order": "asc"}}
    });
    let tags = [
        "latest",
        "main-1f49071-24",
        "main-0a0b0c0-9",
        "main-abcdef1-100",
        "dev-1-200",
    ];
    assert_eq!(pick(policy.clone(), &tags).unwrap(), "main-abcdef1-100");
    // A build number that is not a number fails the whole policy (Ready=False, Failure).
    let err = pick(policy, &["main-1f49071-24", "main-1f49071-24b"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to parse invalid numeric value '24b'"
    );
    assert_eq!(err.condition(), FluxCondition::Failure);
    assert!(!err.condition().stalled());
}

#[test]
fn filter_reports_the_original_tag() {
    let policy = json!({
        "filterTags": {"pattern": "^test-(.*)$", "extract": "$1"},
        "policy": {"semver": {"range": ">=0.x"}}
    });
    let tags = [
        "test-0.1.0",
        "test-0.1.1",
        "dev-0.2.0",
        "1.0.0",
        "test-0.0.9",
    ];
    assert_eq!(pick(policy, &tags).unwrap(), "test-0.1.1");
}

#[test]
fn filter_without_pattern_or_extract_keeps_everything() {
    let policy = json!({"filterTags": {}, "policy": {"alphabetical": {}}});
    assert_eq!(pick(policy, &["a"]).unwrap(), "a");
}

#[test]
fn nothing_left_after_filter_is_empty_list_failure() {
    let policy =
        json!({"filterTags": {"pattern": "^release-"}, "policy": {"semver": {"range": "*"}}});
    let err = pick(policy, &["1.0.0", "main-1"]).unwrap_err();
    assert_eq!(err, PolicyError::EmptyList);
    assert_eq!(err.to_string(), "version list argument cannot be empty");
    assert_eq!(err.condition().reason(), "Failure");
}

#[test]
fn semver_skips_unparsable_and_reports_when_none_fit() {
    let policy = json!({"policy": {"semver": {"range": ">=2.0.0"}}});
    let err = pick(policy.clone(), &["latest", "1.0.0", "v1.2"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to determine latest version from provided list"
    );
    assert_eq!(
        pick(policy, &["latest", "2.0.0", "v2.1.0", "2.1"]).unwrap(),
        "v2.1.0"
    );
}

#[test]
fn semver_tie_goes_to_first_in_iteration_order() {
    let policy = json!({"policy": {"semver": {"range": "^1"}}});
    // Flux iterates the repository's tags in descending byte order: `v1.0.0` comes first.
    let scan = ScanSummary::new(&["1.0.0", "v1.0.0", "1.0.0+build"], &[]).unwrap();
    assert_eq!(scan.tags, ["v1.0.0", "1.0.0+build", "1.0.0"]);
    assert_eq!(
        pick(
            policy.clone(),
            &scan.tags.iter().map(String::as_str).collect::<Vec<_>>()
        )
        .unwrap(),
        "v1.0.0"
    );
    assert_eq!(pick(policy, &["1.0.0", "v1.0.0"]).unwrap(), "1.0.0");
}

#[test]
fn filter_ties_are_deterministic() {
    // Two tags extract to versions that compare equal. Flux's pick depends on Go map order;
    // fluxdeck's is the first extracted value in input order (and the last original tag
    // that produced that exact value).
    let policy = json!({
        "filterTags": {"pattern": "^(?:dev|prod)-(?P<v>.*)$", "extract": "$v"},
        "policy": {"semver": {"range": ">=1.0.0"}}
    });
    let tags = ["dev-1.0.0+a", "prod-1.0.0+b", "dev-0.9.0"];
    for _ in 0..3 {
        assert_eq!(pick(policy.clone(), &tags).unwrap(), "dev-1.0.0+a");
    }
    let reversed = ["prod-1.0.0+b", "dev-1.0.0+a"];
    assert_eq!(pick(policy, &reversed).unwrap(), "prod-1.0.0+b");
    // Same extracted value from two tags: the last original is reported.
    let numerical = json!({
        "filterTags": {"pattern": "-(?P<n>[0-9]+)$", "extract": "$n"},
        "policy": {"numerical": {}}
    });
    assert_eq!(
        pick(numerical, &["main-a-7", "main-b-7", "main-c-3"]).unwrap(),
        "main-b-7"
    );
}

#[test]
fn extract_to_empty_string_per_policy() {
    let filter = json!({"pattern": "^v(?P<n>[0-9]+)?", "extract": "$n"});
    let tags = ["v", "v2", "v10"];
    let alpha = json!({"filterTags": filter, "policy": {"alphabetical": {"order": "desc"}}});
    assert_eq!(pick(alpha, &tags).unwrap(), "v");
    let semver = json!({"filterTags": filter, "policy": {"semver": {"range": "*"}}});
    assert!(matches!(
        pick(semver, &tags),
        Err(PolicyError::NoMatchingVersion)
    ));
    let numerical = json!({"filterTags": filter, "policy": {"numerical": {}}});
    assert_eq!(
        pick(numerical, &tags).unwrap_err().to_string(),
        "failed to parse invalid numeric value ''"
    );
}

#[test]
fn order_is_case_insensitive_and_defaults_to_asc() {
    let tags = ["b", "c", "a"];
    for order in ["asc", "ASC", "Asc", ""] {
        assert_eq!(
            pick(json!({"policy": {"alphabetical": {"order": order}}}), &tags).unwrap(),
            "c"
        );
    }
    assert_eq!(
        pick(json!({"policy": {"alphabetical": {}}}), &tags).unwrap(),
        "c"
    );
    assert_eq!(
        pick(
            json!({"policy": {"numerical": {"order": "DeSc"}}}),
            &["3", "1", "2"]
        )
        .unwrap(),
        "1"
    );
    let err =
        PolicySpec::from_spec(&json!({"policy": {"numerical": {"order": "up"}}})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid order argument provided: 'UP', must be one of: ASC, DESC"
    );
    assert_eq!(err.condition(), FluxCondition::InvalidPolicy);
    assert_eq!(Order::parse("desc").unwrap(), Order::Desc);
    assert_eq!(Order::Desc.to_string(), "desc");
}

#[test]
fn choice_precedence_and_missing_choice() {
    let both = json!({"policy": {"numerical": {}, "semver": {"range": "*"}}});
    assert!(matches!(spec(both).choice, PolicyChoice::Semver { .. }));
    let null_semver = json!({"policy": {"semver": null, "alphabetical": {"order": "desc"}}});
    assert_eq!(
        spec(null_semver).choice,
        PolicyChoice::Alphabetical { order: Order::Desc }
    );
    for empty in [
        json!({}),
        json!({"policy": {}}),
        json!(null),
        json!({"policy": null}),
    ] {
        let err = PolicySpec::from_spec(&empty).unwrap_err();
        assert_eq!(err, PolicyError::NoChoice);
        assert_eq!(err.to_string(), "given ImagePolicyChoice object is invalid");
        assert_eq!(
            err.condition_message(),
            "invalid policy: given ImagePolicyChoice object is invalid"
        );
    }
}

#[test]
fn v1beta2_shape_with_deprecated_status_is_read() {
    let beta = json!({
        "imageRepositoryRef": {"name": "podinfo", "namespace": "flux-system"},
        "policy": {"semver": {"range": "5.0.x"}},
        "filterTags": {"pattern": "^v(.*)", "extract": "$1"},
        "digestReflectionPolicy": "IfNotPresent",
        "interval": "10m"
    });
    let s = spec(beta);
    assert_eq!(
        s.choice,
        PolicyChoice::Semver {
            range: "5.0.x".into()
        }
    );
    assert_eq!(
        s.filter,
        Some(FilterTags {
            pattern: "^v(.*)".into(),
            extract: "$1".into()
        })
    );
    assert_eq!(
        s.compile()
            .unwrap()
            .latest(&["v5.0.3", "v5.1.0", "5.0.9"])
            .unwrap(),
        "v5.0.3"
    );
}

#[test]
fn wrong_types_name_the_field() {
    let err = PolicySpec::from_spec(&json!({"policy": {"semver": {"range": 5}}})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "spec.policy.semver.range must be a string such as \">=1.0.0\"; fix the ImagePolicy spec and apply it again"
    );
    let err = PolicySpec::from_spec(
        &json!({"policy": {"alphabetical": {}}, "filterTags": {"pattern": ["x"]}}),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("spec.filterTags.pattern must be a string")
    );
    assert!(PolicySpec::from_spec(&json!("semver")).is_err());
}

#[test]
fn missing_range_is_invalid_policy() {
    let compiled = spec(json!({"policy": {"semver": {}}})).compile();
    let err = compiled.unwrap_err();
    assert_eq!(err.to_string(), r#"improper constraint: """#);
    assert_eq!(
        err.condition_message(),
        r#"invalid policy: improper constraint: """#
    );
    assert!(err.condition().stalled());
}

#[test]
fn invalid_regex_is_stalled_with_flux_message() {
    let s = spec(json!({"filterTags": {"pattern": "^(?P<n>.*"}, "policy": {"alphabetical": {}}}));
    let err = s.compile().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid regular expression pattern '^(?P<n>.*': error parsing regexp: missing closing ): `^(?P<n>.*`"
    );
    assert_eq!(
        err.condition_message(),
        format!("failed to filter tags: {err}")
    );
    assert_eq!(err.condition(), FluxCondition::InvalidPolicy);
    assert_eq!(err.condition().reason(), "InvalidPolicy");
}

#[test]
fn policy_error_comes_before_filter_error() {
    let s = spec(json!({"filterTags": {"pattern": "("}, "policy": {"semver": {"range": "nope"}}}));
    assert!(matches!(s.compile(), Err(PolicyError::InvalidRange { .. })));
}

#[test]
fn empty_tag_list_is_an_error_for_every_policy() {
    let empty: [&str; 0] = [];
    for p in [
        json!({"semver": {"range": "*"}}),
        json!({"alphabetical": {}}),
        json!({"numerical": {}}),
    ] {
        assert_eq!(
            pick(json!({"policy": p}), &empty),
            Err(PolicyError::EmptyList)
        );
    }
}

#[test]
fn prerelease_candidates_with_rc_filter() {
    let policy = json!({
        "filterTags": {"pattern": ".*-rc.*"},
        "policy": {"semver": {"range": "^1.x-0"}}
    });
    let tags = ["1.0.0", "1.1.0-rc.1", "1.1.0-rc.2", "2.0.0-rc.1", "1.2.0"];
    assert_eq!(pick(policy, &tags).unwrap(), "1.1.0-rc.2");
    let stable = json!({"policy": {"semver": {"range": ">=1.0.0"}}});
    assert_eq!(pick(stable, &tags).unwrap(), "1.2.0");
}

#[test]
fn hundred_thousand_tags() {
    let tags: Vec<String> = (0..100_000)
        .map(|i| format!("main-{:07x}-{i}", i * 7919))
        .collect();
    let policy = json!({
        "filterTags": {"pattern": PIPELINE_FILTER, "extract": "$buidnumber"},
        "policy": {"numerical": {"order": "asc"}}
    });
    let compiled = spec(policy).compile().unwrap();
    assert_eq!(compiled.latest(&tags).unwrap(), tags[99_999]);
}
