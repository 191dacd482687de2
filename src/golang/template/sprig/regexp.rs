//! sprig's `regexMatch`, `regexFind`, `regexReplaceAll` and `regexReplaceAllLiteral`, on Go's
//! `regexp` ([`GoRegex`]): Go's pattern syntax (`\d` is ASCII, `\Q..\E` works) and Go's
//! `$` expansion in replacements (`$01` and `${a-b}` are not group 1 and group `a-b`).
//!
//! As in sprig, a pattern that does not compile makes `regexMatch` false and the other
//! functions fail with the text of Go's `regexp.MustCompile` panic.

use crate::golang::regexp::{GoRegex, SyntaxError};
use crate::golang::strconv::quote;
use crate::golang::value::Value;

/// Calls one of the regular expression functions with sprig's arguments (the pattern, the
/// text, and for the replacing functions the replacement).
pub fn call(name: &str, pattern: &str, text: &str, replacement: &str) -> Result<Value, String> {
    if name == "regexMatch" {
        return Ok(Value::Bool(
            GoRegex::new(pattern).is_ok_and(|re| re.is_match(text)),
        ));
    }
    let re = GoRegex::new(pattern).map_err(|e| must_compile_panic(pattern, &e))?;
    Ok(match name {
        "regexFind" => Value::str(re.find(text)),
        "regexReplaceAll" => Value::str(re.replace_all(text, replacement)),
        "regexReplaceAllLiteral" => Value::str(re.replace_all_literal(text, replacement)),
        _ => return Err(format!("function {name:?} not defined")),
    })
}

/// Go's `regexp.MustCompile` panic text, which `text/template` reports as the call's error.
fn must_compile_panic(pattern: &str, err: &SyntaxError) -> String {
    // Go's `regexp.quote`: backquotes when `strconv.CanBackquote`, else `strconv.Quote`.
    let backquote = !pattern
        .chars()
        .any(|c| matches!(c, '`' | '\u{7f}' | '\u{feff}') || (c < ' ' && c != '\t'));
    let quoted = if backquote {
        format!("`{pattern}`")
    } else {
        quote(pattern)
    };
    format!("regexp: Compile({quoted}): {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: [&str; 3]) -> Result<String, String> {
        call(name, args[0], args[1], args[2]).map(|v| v.printed())
    }

    #[test]
    fn replacements_expand_dollars_as_go_does() {
        let ok = |args| run("regexReplaceAll", args).unwrap();
        assert_eq!(ok([r"-(\d+)$", "main-1f4-24", "#${1}"]), "main-1f4#24");
        // `$1x` is the group `1x` (none), `${1}x` is group 1 then `x`.
        assert_eq!(ok([r"(\d+)", "v42", "$1x"]), "v");
        assert_eq!(ok([r"(\d+)", "v42", "${1}x"]), "v42x");
        // Where Rust's `regex` differs: `$01` is group 1 there and a (missing) name in Go;
        // `${a-b}` is a group name there and literal text in Go.
        assert_eq!(ok([r"(\d+)", "v42", "[$01]"]), "v[]");
        assert_eq!(ok([r"(\d+)", "v42", "${a-b}"]), "v${a-b}");
        assert_eq!(
            run("regexReplaceAllLiteral", [r"(\d+)", "v42", "$1"]).unwrap(),
            "v$1"
        );
    }

    #[test]
    fn patterns_use_go_syntax() {
        let matches = |p: &str, t: &str| run("regexMatch", [p, t, ""]).unwrap();
        // `\d` is ASCII in Go (Unicode in Rust's `regex`).
        assert_eq!(matches(r"^\d+$", "١٢٣"), "false");
        assert_eq!(matches(r"^\d+$", "123"), "true");
        // `\Q..\E` quotes in Go (an error in Rust's `regex`).
        assert_eq!(matches(r"^\Qa.b\E$", "a.b"), "true");
        assert_eq!(matches(r"^\Qa.b\E$", "axb"), "false");
        assert_eq!(run("regexFind", [r"\Q+\E\d", "1+2+3", ""]).unwrap(), "+2");
    }

    #[test]
    fn bad_patterns_are_false_or_go_panics() {
        assert_eq!(run("regexMatch", ["(", "x", ""]).unwrap(), "false");
        assert_eq!(
            run("regexFind", ["(", "x", ""]).unwrap_err(),
            "regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"
        );
        assert_eq!(
            run("regexReplaceAll", ["a**\n", "x", ""]).unwrap_err(),
            "regexp: Compile(\"a**\\n\"): error parsing regexp: invalid nested repetition operator: `**`"
        );
    }
}
