use std::rc::Rc;

use super::*;
use crate::golang::value::{Map, Struct};

/// `.Tag` and `.Labels` (a `map[string]string`).
fn data() -> Value {
    let labels = Value::Map(Rc::new(Map::new(
        "map[string]string",
        "string",
        vec![
            (Value::str("team"), Value::str("web")),
            (Value::str("env"), Value::str("prod")),
        ],
        Value::str(""),
    )));
    Value::Struct(Rc::new(Struct {
        type_name: "main.Data",
        fields: vec![
            ("Tag", Value::str("main-1f49071-24"), false),
            ("Labels", labels, false),
        ],
        methods: vec![],
        stringer: None,
    }))
}

fn render(src: &str) -> Result<String, String> {
    Template::parse("t", src)?.execute(&data())
}

#[test]
fn renders_fields_maps_and_pipelines() {
    assert_eq!(
        render("{{.Tag}}{{range $k, $v := .Labels}} {{$k}}={{$v}}{{end}}").unwrap(),
        "main-1f49071-24 env=prod team=web"
    );
    assert_eq!(
        render(r#"{{.Tag | printf "%q"}} {{len .Labels}}"#).unwrap(),
        r#""main-1f49071-24" 2"#
    );
}

#[test]
fn regex_functions_follow_go() {
    let run = |src: &str| render(src).unwrap();
    assert_eq!(
        run(r##"{{regexReplaceAll "-(\\d+)$" .Tag "#${1}"}}"##),
        "main-1f49071#24"
    );
    // Go reads `$01` as a group name (none here); Rust's `regex` would read group 1.
    assert_eq!(
        run(r#"{{regexReplaceAll "-(\\d+)$" .Tag "[$01]"}}"#),
        "main-1f49071[]"
    );
    assert_eq!(
        run(r#"{{regexReplaceAll "(\\d+)$" .Tag "$1x"}}"#),
        "main-1f49071-"
    );
    assert_eq!(
        run(r#"{{regexReplaceAll "(\\d+)$" .Tag "${1}x"}}"#),
        "main-1f49071-24x"
    );
    assert_eq!(
        run(r#"{{regexFind "\\Q-\\E[0-9a-f]{7}" .Tag}}"#),
        "-1f49071"
    );
    assert_eq!(run(r#"{{regexMatch "^\\d+$" "١٢"}}"#), "false");
}

#[test]
fn errors_are_go_texts() {
    assert_eq!(
        render("a\n{{.Tag").unwrap_err(),
        "template: t:2: unclosed action"
    );
    assert_eq!(
        render("{{nosuch 1}}").unwrap_err(),
        "template: t:1: function \"nosuch\" not defined"
    );
    assert_eq!(
        render(r#"{{regexFind "(" .Tag}}"#).unwrap_err(),
        "template: t:1:2: executing \"t\" at <regexFind \"(\" .Tag>: error calling regexFind: \
         regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"
    );
}
