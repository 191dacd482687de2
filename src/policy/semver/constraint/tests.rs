use super::*;

fn check(range: &str, version: &str) -> bool {
    let c = Constraints::parse(range).unwrap_or_else(|e| panic!("{range:?}: {e}"));
    let v = Version::parse_loose(version).unwrap_or_else(|| panic!("{version} parses"));
    c.check(&v)
}

fn parse_err(range: &str) -> String {
    match Constraints::parse(range) {
        Ok(_) => panic!("{range:?} should be invalid"),
        Err(e) => e,
    }
}

#[test]
fn grammar_compiles() {
    assert!(GRAMMAR.is_some());
}

#[test]
fn comparison_operators() {
    assert!(check(">=1.2.3", "1.2.3"));
    assert!(!check(">1.2.3", "1.2.3"));
    assert!(check(">1.2.3", "1.2.4"));
    assert!(check("<1.2.3", "1.2.2"));
    assert!(check("<=1.2.3", "1.2.3"));
    assert!(check("=1.2.3", "1.2.3"));
    assert!(check("1.2.3", "1.2.3"));
    assert!(!check("1.2.3", "1.2.4"));
    assert!(check("!=1.2.3", "1.2.4"));
    assert!(!check("!=1.2.3", "1.2.3"));
    assert!(check("=>1.0.0", "1.0.0"));
    assert!(check("=<1.0.0", "1.0.0"));
    assert!(check("v1.0.0", "1.0.0"));
    assert!(check("1.0.0+build", "1.0.0+other"));
}

#[test]
fn and_with_commas_or_spaces_and_or_groups() {
    for r in [
        ">=1.0.0 <2.0.0",
        ">=1.0.0, <2.0.0",
        ">= 1.0.0 , < 2.0.0",
        ">=1.0.0,<2.0.0",
    ] {
        assert!(check(r, "1.5.0"), "{r}");
        assert!(!check(r, "2.0.0"), "{r}");
    }
    assert!(check("<1.0.0 || >=3.0.0", "3.1.0"));
    assert!(check("<1.0.0 || >=3.0.0", "0.9.0"));
    assert!(!check("<1.0.0 || >=3.0.0", "2.0.0"));
}

#[test]
fn hyphen_ranges_need_spaces() {
    assert!(check("1.2 - 1.4.5", "1.2.0"));
    assert!(check("1.2 - 1.4.5", "1.4.5"));
    assert!(!check("1.2 - 1.4.5", "1.4.6"));
    assert!(
        check("1 - 2", "2.9.0"),
        "upper bound is dirty: <= 2 means < 3"
    );
    // Without spaces it is one version with a prerelease.
    assert!(check("1.2-1.4.5", "1.2.0-1.4.5"));
    assert!(!check("1.2-1.4.5", "1.3.0"));
}

#[test]
fn wildcards() {
    for x in ["1.2.x", "1.2.X", "1.2.*", "1.2"] {
        assert!(check(x, "1.2.0") && check(x, "1.2.9"), "{x}");
        assert!(!check(x, "1.3.0") && !check(x, "1.1.9"), "{x}");
    }
    assert!(check("*", "0.0.0") && check("*", "99.1.1"));
    assert!(check("x", "3.0.0"));
    assert!(check("1.x", "1.9.9") && !check("1.x", "2.0.0"));
    assert!(check(">1.x", "2.0.0") && !check(">1.x", "1.9.0"));
    assert!(check(">1.2.x", "1.3.0") && !check(">1.2.x", "1.2.9"));
    assert!(check("<=1.2.x", "1.2.9") && !check("<=1.2.x", "1.3.0"));
    assert!(check("<=1.x", "1.9.0") && !check("<=1.x", "2.0.0"));
    assert!(check("!=1.2.x", "1.3.0") && !check("!=1.2.x", "1.2.5"));
    assert!(!check("!=1.x", "1.3.0") && check("!=1.x", "2.0.0"));
    assert!(!check("<1.x", "1.0.0") && check("<1.x", "0.9.0"));
}

#[test]
fn tilde() {
    assert!(check("~1.2.3", "1.2.9") && !check("~1.2.3", "1.3.0") && !check("~1.2.3", "1.2.2"));
    assert!(check("~1", "1.9.0") && !check("~1", "2.0.0"));
    assert!(check("~1.2", "1.2.5") && !check("~1.2", "1.3.0"));
    assert!(check("~>1.2.3", "1.2.4"));
    assert!(check("~0", "0.5.0"));
    assert!(
        check("~0.0.0", "5.0.0"),
        "~0.0.0 accepts anything from 0.0.0"
    );
}

#[test]
fn caret() {
    assert!(check("^1.2.3", "1.9.0") && !check("^1.2.3", "2.0.0") && !check("^1.2.3", "1.2.2"));
    assert!(check("^0.2.3", "0.2.9") && !check("^0.2.3", "0.3.0"));
    assert!(check("^0.0.3", "0.0.3") && !check("^0.0.3", "0.0.4"));
    assert!(check("^0", "0.9.9") && !check("^0", "1.0.0"));
    assert!(check("^0.0", "0.0.9") && !check("^0.0", "0.1.0"));
    assert!(check("^1.x", "1.5.0") && !check("^1.x", "2.0.0"));
}

#[test]
fn prereleases_only_when_the_group_has_one() {
    assert!(!check(">=1.0.0", "1.1.0-rc.1"));
    assert!(check(">=1.0.0-0", "1.1.0-rc.1"));
    assert!(check("^1.x-0", "1.3.0-rc.2"));
    assert!(!check("^1.x-0", "2.0.0-rc.1"));
    assert!(check(">=1.0.0-0 <2.0.0", "1.5.0-beta"));
    // The OR groups decide independently.
    assert!(!check(">=1.0.0 || >=3.0.0-0 <3.0.0", "1.5.0-beta"));
    assert!(check(">=1.0.0 || >=3.0.0-0 <4.0.0", "3.5.0-beta"));
    assert!(check("=1.0.0-rc.1", "1.0.0-rc.1"));
    assert!(!check("<1.0.0", "0.9.0-alpha"));
    assert!(check("<1.0.0-0", "0.9.0-alpha"));
    assert!(check("!=1.2.x-0", "1.2.3-beta"));
}

#[test]
fn invalid_ranges_have_masterminds_messages() {
    assert_eq!(parse_err(""), r#"improper constraint: """#);
    assert_eq!(parse_err("foo"), r#"improper constraint: "foo""#);
    assert_eq!(parse_err(">= bar"), r#"improper constraint: ">= bar""#);
    assert_eq!(parse_err("1.0.0 || "), r#"improper constraint: " ""#);
    assert_eq!(
        parse_err("12.3.4.1234"),
        r#"improper constraint: "12.3.4.1234""#
    );
    assert_eq!(
        parse_err("1.2.3~ 1.2.4"),
        r#"improper constraint: "1.2.3~ 1.2.4""#
    );
    assert_eq!(
        parse_err(">=1.0.0\t\u{1}"),
        "improper constraint: \">=1.0.0\\t\\x01\""
    );
    assert_eq!(parse_err("v1.2.3-beta.01"), "constraint parser error");
    assert_eq!(parse_err("1|2.0.0"), "constraint parser error");
    assert_eq!(parse_err("1x.0.0"), "constraint parser error");
    assert_eq!(parse_err("V1.0.0"), r#"improper constraint: "V1.0.0""#);
}

#[test]
fn accepted_oddities() {
    assert!(Constraints::parse(" >= 1.0.0 ").is_ok());
    assert!(Constraints::parse("1.2.3 ~1.2.3").is_ok());
    assert!(Constraints::parse("v2.3.5-20161202202307-sha.e8fc5e5").is_ok());
    assert!(Constraints::parse("1.0.0 - 2.0.0, <=2.0.0").is_ok());
    assert!(check("3 - 4 || => 3.0, < 4", "4.5.0"));
}
