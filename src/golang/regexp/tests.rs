use super::*;

fn re(p: &str) -> GoRegex {
    GoRegex::new(p).unwrap_or_else(|e| panic!("{p:?} should compile: {e}"))
}

fn err(p: &str) -> String {
    match GoRegex::new(p) {
        Ok(_) => panic!("{p:?} should not compile"),
        Err(e) => e.to_string(),
    }
}

/// The leftmost match's groups as strings ("-" for a group that did not take part).
fn groups(p: &str, text: &str) -> Option<Vec<String>> {
    let caps = re(p).captures(text)?;
    Some(
        caps.iter()
            .map(|g| g.map_or("-".to_owned(), |(s, e)| text[s..e].to_owned()))
            .collect(),
    )
}

#[test]
fn unanchored_leftmost_first() {
    assert_eq!(groups("a+", "baaa").unwrap(), ["aaa"]);
    assert_eq!(groups("a|ab", "ab").unwrap(), ["a"]);
    assert_eq!(groups("(a*)(a*)", "aa").unwrap(), ["aa", "aa", ""]);
    assert!(re("").is_match("anything"));
}

#[test]
fn perl_classes_and_word_boundary_are_ascii() {
    assert!(!re(r"^\d$").is_match("٣"));
    assert!(!re(r"^\w$").is_match("é"));
    assert!(re(r"^\W$").is_match("é"));
    assert!(!re(r"^\s$").is_match("\u{a0}"));
    assert!(!re(r"^\s$").is_match("\x0B"));
    assert!(re(r"^[[:space:]]$").is_match("\x0B"));
    assert!(re(r"^\D$").is_match("٣"));
    // `\b` sees only ASCII word characters: `é` is not one, so `aé` has a boundary inside.
    assert!(re(r"a\b").is_match("aé"));
    assert!(!re(r"a\B").is_match("aé"));
    assert!(re(r"^[\d\s]+$").is_match("1 2"));
    assert!(re(r"^[^\d]$").is_match("x"));
}

#[test]
fn class_brackets_and_set_operators_are_literals() {
    let r = re(r"^[a[b]$");
    assert!(r.is_match("[") && r.is_match("a") && !r.is_match("]"));
    let r = re(r"^[a&&b]+$");
    assert!(r.is_match("a&b"));
    // `--` and `~~` are plain characters (Go reads `+--` as the range `+` to `-`).
    let r = re(r"^[+--]+$");
    assert!(r.is_match("+,-") && !r.is_match("a"));
    assert!(re(r"^[a~~]+$").is_match("~a~"));
    assert!(re(r"^[]a]+$").is_match("]a"));
    assert!(re(r"^[^]a]$").is_match("b"));
    assert!(re(r"^[a-]+$").is_match("-a"));
    assert!(re("^[^a]$").is_match("\n"));
}

#[test]
fn go_only_syntax_works() {
    assert!(re(r"^\Qa.b*\E$").is_match("a.b*"));
    assert!(!re(r"^\Qa.b\E$").is_match("axb"));
    assert!(re(r"^\Qa.b").is_match("a.b"));
    assert!(re(r"^\101\0$").is_match("A\0"));
    assert!(re(r"^\x41\x{1F600}$").is_match("A😀"));
    assert!(re(r"^\a\f\v\t$").is_match("\x07\x0C\x0B\t"));
    assert!(re(r"^\_\-\ \#$").is_match("_- #"));
    assert!(re("(?)a").is_match("a"));
    assert!(re(r"\Aab\z").is_match("ab"));
    assert!(!re(r"\Aab\z").is_match("ab\n"));
    // Go accepts duplicate names.
    assert_eq!(re("(?P<x>a)|(?P<x>b)").names().len(), 3);
    // `(?<name>` (Go 1.22+).
    assert_eq!(re("(?<v>a)").names()[1].as_deref(), Some("v"));
    // A flag group between an atom and its operator: Go applies the operator to the atom.
    assert!(re("^a(?i)*$").is_match(""));
    assert!(re("^a(?i)*b$").is_match("aaB"));
    // Repetition of an empty-width assertion.
    assert!(re("^*a").is_match("a"));
    // `{` that does not form a repetition is a literal.
    assert!(re("^a{,5}$").is_match("a{,5}"));
    assert!(re("^a{x}$").is_match("a{x}"));
    assert!(re("^a{1$").is_match("a{1"));
    assert!(re(r"^x{0}y{2}z{1,}w{1,2}$").is_match("yyzw"));
}

#[test]
fn flags_scope_and_meaning() {
    assert!(re("(?i)abc").is_match("ABC"));
    assert!(re("a(?i)bc").is_match("aBC"));
    assert!(!re("a(?i)bc").is_match("ABC"));
    assert!(re("(?i:a)b").is_match("Ab"));
    assert!(!re("(?i:a)b").is_match("AB"));
    assert!(re("((?i)a)b").is_match("Ab") && !re("((?i)a)b").is_match("AB"));
    assert!(re("(?i)k").is_match("\u{212A}"));
    assert!(!re("a.b").is_match("a\nb"));
    assert!(re("(?s)a.b").is_match("a\nb"));
    assert!(re("(?m)^b$").is_match("a\nb\nc"));
    assert!(!re("^b$").is_match("a\nb\nc"));
    assert!(re("(?i-i)a").is_match("a") && !re("(?i-i)a").is_match("A"));
    // Ungreedy swaps `*` and `*?`.
    assert_eq!(groups("(?U)(a+)", "aaa").unwrap(), ["a", "a"]);
    assert_eq!(groups("(?U)(a+?)", "aaa").unwrap(), ["aaa", "aaa"]);
    assert_eq!(groups("(a+?)", "aaa").unwrap(), ["a", "a"]);
}

#[test]
fn unicode_classes() {
    assert!(re(r"^\pL+$").is_match("héllo"));
    assert!(re(r"^\p{Greek}+$").is_match("αβγ"));
    assert!(re(r"^\P{Greek}$").is_match("a"));
    assert!(re(r"^\p{^Greek}$").is_match("a"));
    assert!(!re(r"^\P{^Greek}$").is_match("a"));
    assert!(re(r"^\p{Lu}$").is_match("É"));
    assert!(re(r"^\p{greek}$").is_match("α"));
    assert!(re(r"^\p{Letter}$").is_match("a"));
    assert!(re(r"^\p{Uppercase_Letter}$").is_match("A"));
    assert!(re(r"^\p{Any}$").is_match("\n"));
    assert!(re(r"^\p{ASCII}$").is_match("~"));
    assert!(!re(r"^\p{ascii}$").is_match("é"));
    assert!(re(r"^\p{Assigned}$").is_match("a"));
    assert!(re(r"^\p{LC}$").is_match("a"));
    assert!(re(r"^[\p{Nd}x]+$").is_match("x٣"));
    assert!(!re(r"\p{Cs}").is_match("a"));
    assert!(re(r"^\P{Cs}$").is_match("a"));
}

#[test]
fn surrogates_never_match() {
    assert!(!re(r"\x{D800}").is_match("\u{FFFD}"));
    assert!(!re(r"[\x{D800}-\x{DFFF}]").is_match("a"));
    assert!(re(r"^[^\x{D800}]$").is_match("a"));
    assert!(re(r"^[\x{D7FF}-\x{E000}]+$").is_match("\u{D7FF}\u{E000}"));
}

#[test]
fn errors_are_gos() {
    let cases = [
        ("(", "missing closing ): `(`"),
        ("a(b", "missing closing ): `a(b`"),
        (")", "unexpected ): `)`"),
        ("a)b", "unexpected ): `a)b`"),
        ("[a", "missing closing ]: `[a`"),
        ("x[]", "missing closing ]: `[]`"),
        ("[z-a]", "invalid character class range: `z-a`"),
        ("[a--b]", "invalid character class range: `a--`"),
        ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
        (r"\p{Foo}", "invalid character class range: `\\p{Foo}`"),
        (r"\pX", "invalid character class range: `\\pX`"),
        (r"\p", "invalid character class range: `\\p`"),
        (r"\p{L", "invalid character class range: `\\p{L`"),
        (
            r"\p{Alphabetic}",
            "invalid character class range: `\\p{Alphabetic}`",
        ),
        (r"\C", "invalid escape sequence: `\\C`"),
        (r"\Z", "invalid escape sequence: `\\Z`"),
        (r"\e", "invalid escape sequence: `\\e`"),
        (r"\8", "invalid escape sequence: `\\8`"),
        (r"\1", "invalid escape sequence: `\\1`"),
        (r"a\1b", "invalid escape sequence: `\\1`"),
        (r"\xZ1", "invalid escape sequence: `\\xZ1`"),
        (r"\x{}", "invalid escape sequence: `\\x{}`"),
        (r"\x{110000}", "invalid escape sequence: `\\x{110000`"),
        (r"\x{12", "invalid escape sequence: `\\x{12`"),
        (r"[\b]", "invalid escape sequence: `\\b`"),
        ("a\\", "trailing backslash at end of expression: ``"),
        ("*", "missing argument to repetition operator: `*`"),
        ("a|*", "missing argument to repetition operator: `*`"),
        ("(*)", "missing argument to repetition operator: `*`"),
        ("(?i)+", "missing argument to repetition operator: `+`"),
        ("a**", "invalid nested repetition operator: `**`"),
        ("a*+", "invalid nested repetition operator: `*+`"),
        ("a*??", "invalid nested repetition operator: `*??`"),
        ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
        ("a{1001}", "invalid repeat count: `{1001}`"),
        ("a{2,1}", "invalid repeat count: `{2,1}`"),
        ("a{0,1001}", "invalid repeat count: `{0,1001}`"),
        ("{1001}", "invalid repeat count: `{1001}`"),
        ("(a{100}){100}", "invalid repeat count: `{100}`"),
        ("((a{10}){10}){11}?", "invalid repeat count: `{11}?`"),
        ("(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
        ("(?P=n)", "invalid or unsupported Perl syntax: `(?P`"),
        ("(?i-)a", "invalid or unsupported Perl syntax: `(?i-)`"),
        ("(?--i)a", "invalid or unsupported Perl syntax: `(?--`"),
        ("(?", "invalid or unsupported Perl syntax: `(?`"),
        ("(?P<n", "invalid named capture: `(?P<n`"),
        ("(?P<>a)", "invalid named capture: `(?P<>`"),
        ("(?P<a-b>x)", "invalid named capture: `(?P<a-b>`"),
        ("(?<é>x)", "invalid named capture: `(?<é>`"),
    ];
    for (pattern, want) in cases {
        assert_eq!(
            err(pattern),
            format!("error parsing regexp: {want}"),
            "pattern {pattern:?}"
        );
    }
}

#[test]
fn repeat_limits_are_gos() {
    assert!(GoRegex::new("a{1000}").is_ok());
    assert!(GoRegex::new("(a{10}){100}").is_ok());
    assert!(GoRegex::new("(a*){1000}").is_ok());
    assert!(GoRegex::new("(a{2}){0}").is_ok());
    assert!(GoRegex::new("a{99999999999}").is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Non-capturing single-item groups vanish, as in Go: any depth works.
    let flat = format!("{}a{}", "(?:".repeat(5000), ")".repeat(5000));
    assert!(re(&flat).is_match("a"));
    // Deep capture groups: Go allows up to 1000 levels; the Rust crate's limit is lower,
    // and either way the answer is an error message.
    let deep = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
    assert!(err(&deep).contains("expression nests too deeply"));
    let medium = format!("{}a{}", "(".repeat(300), ")".repeat(300));
    assert!(err(&medium).contains("expression nests too deeply"));
    let fine = format!("{}a{}", "(".repeat(50), ")".repeat(50));
    assert_eq!(re(&fine).names().len(), 51);
}

#[test]
fn huge_patterns_are_handled() {
    // Tags are short (the OCI limit is 128 characters); patterns need not be.
    let long = "a".repeat(100_000);
    let r = re(&long);
    assert!(!r.is_match(&"a".repeat(128)));
    assert!(!r.is_match("main-1f49071-24"));
    let classes = "[a-z]".repeat(2_000);
    assert!(!re(&classes).is_match("short"));
    let alternation = (0..5_000)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join("|");
    assert!(re(&format!("^(?:{alternation})$")).is_match("t4999"));
}

#[test]
fn find_is_the_leftmost_match_or_empty() {
    assert_eq!(re(r"\d+").find("main-1f4-24"), "1");
    assert_eq!(re(r"x").find("abc"), "");
}

#[test]
fn replace_all_expands_like_go() {
    let r = re(r"-(\d+)");
    assert_eq!(r.replace_all("a-1-22", "#${1}"), "a#1#22");
    assert_eq!(r.replace_all("a-1-22", "$$1"), "a$1$1");
    // `$1x` names the group `1x`, which does not exist.
    assert_eq!(r.replace_all("a-1", "$1x"), "a");
    assert_eq!(r.replace_all("a-1", "${1}x"), "a1x");
}

#[test]
fn replace_all_differs_from_the_rust_crate_where_go_does() {
    let go = re(r"(a)(b)");
    let rust = regex::Regex::new(r"(a)(b)").unwrap();
    // A number with a leading zero is a name in Go (so nothing), group 1 in Rust.
    assert_eq!(go.replace_all("ab", "[$01]"), "[]");
    assert_eq!(rust.replace_all("ab", "[$01]"), "[a]");
    // A brace name that is not a word is literal text in Go, a (missing) group in Rust.
    assert_eq!(go.replace_all("ab", "${a-b}"), "${a-b}");
    assert_eq!(rust.replace_all("ab", "${a-b}"), "");
    // Go's names take Unicode letters: `$1é` is the group `1é`; Rust stops at `é`.
    assert_eq!(go.replace_all("ab", "$1é"), "");
    assert_eq!(rust.replace_all("ab", "$1é"), "aé");
}

#[test]
fn replace_all_handles_empty_matches_like_go() {
    // An empty match right after a match is not replaced.
    assert_eq!(re(r"a*").replace_all("baaac", "X"), "XbXcX");
    assert_eq!(re(r"").replace_all("héj", "-"), "-h-é-j-");
    assert_eq!(re(r"x*").replace_all("", "-"), "-");
    assert_eq!(re(r"\b").replace_all("ab cd", "|"), "|ab| |cd|");
}

#[test]
fn replace_all_literal_does_not_expand() {
    assert_eq!(re(r"\d").replace_all_literal("a1b2", "$0"), "a$0b$0");
}
