use super::*;

fn call_s(name: &str, args: &[&str]) -> String {
    let args: Vec<Value> = args.iter().map(|a| Value::str(*a)).collect();
    call(name, &args).unwrap().printed()
}

#[test]
fn string_functions_take_sprig_argument_order() {
    assert_eq!(call_s("upper", &["abc"]), "ABC");
    assert_eq!(call_s("title", &["hello world-x"]), "Hello World-X");
    assert_eq!(call_s("trim", &["  a \n"]), "a");
    assert_eq!(call_s("trimAll", &["$", "$5.00$"]), "5.00");
    assert_eq!(call_s("trimPrefix", &["v", "v1.2"]), "1.2");
    assert_eq!(call_s("trimSuffix", &["-dirty", "1.2-dirty"]), "1.2");
    assert_eq!(call_s("replace", &[":", "@", "a:b:c"]), "a@b@c");
    assert_eq!(call_s("replace", &["", "-", "ab"]), "-a-b-");
    assert_eq!(call_s("contains", &["1f4", "main-1f49071-24"]), "true");
    assert_eq!(call_s("hasPrefix", &["main-", "main-1"]), "true");
    assert_eq!(call_s("hasSuffix", &["-24", "main-1"]), "false");
    assert_eq!(call_s("quote", &["a\"b"]), "\"a\\\"b\"");
    assert_eq!(call_s("squote", &["a"]), "'a'");
    assert_eq!(call_s("nospace", &["a b\tc"]), "abc");
    assert_eq!(call_s("indent", &["2", "a\nb"]), "  a\n  b");
    assert_eq!(call_s("nindent", &["1", "a"]), "\n a");
    assert_eq!(call_s("toString", &["x"]), "x");
    assert_eq!(
        call("trunc", &[Value::Int(3), Value::str("abcdef")])
            .unwrap()
            .printed(),
        "abc"
    );
    assert_eq!(
        call("trunc", &[Value::Int(-2), Value::str("abcdef")])
            .unwrap()
            .printed(),
        "ef"
    );
    assert_eq!(
        call(
            "substr",
            &[Value::Int(1), Value::Int(3), Value::str("abcdef")]
        )
        .unwrap()
        .printed(),
        "bc"
    );
    assert_eq!(
        call("repeat", &[Value::Int(3), Value::str("ab")])
            .unwrap()
            .printed(),
        "ababab"
    );
    assert!(call("repeat", &[Value::Int(1 << 40), Value::str("ab")]).is_err());
}

#[test]
fn lists_defaults_numbers_regex_and_encodings() {
    let l = call("splitList", &[Value::str(","), Value::str("b,a,b")]).unwrap();
    assert_eq!(l.printed(), "[b a b]");
    assert_eq!(
        call("join", &[Value::str("+"), l.clone()])
            .unwrap()
            .printed(),
        "b+a+b"
    );
    assert_eq!(
        call("sortAlpha", std::slice::from_ref(&l))
            .unwrap()
            .printed(),
        "[a b b]"
    );
    assert_eq!(
        call("uniq", std::slice::from_ref(&l)).unwrap().printed(),
        "[b a]"
    );
    assert_eq!(
        call("first", std::slice::from_ref(&l)).unwrap().printed(),
        "b"
    );
    assert_eq!(
        call("has", &[Value::str("a"), l]).unwrap().printed(),
        "true"
    );
    assert_eq!(
        call("default", &[Value::str("d"), Value::Nil])
            .unwrap()
            .printed(),
        "d"
    );
    assert_eq!(
        call("default", &[Value::str("d"), Value::str("x")])
            .unwrap()
            .printed(),
        "x"
    );
    assert_eq!(
        call(
            "ternary",
            &[Value::str("y"), Value::str("n"), Value::Bool(false)]
        )
        .unwrap()
        .printed(),
        "n"
    );
    assert_eq!(
        call("add", &[Value::Int(1), Value::str("2"), Value::Int(3)])
            .unwrap()
            .printed(),
        "6"
    );
    assert!(call("div", &[Value::Int(1), Value::Int(0)]).is_err());
    assert_eq!(
        call_s("regexReplaceAll", &["-([0-9]+)$", "main-1f4-24", "#${1}"]),
        "main-1f4#24"
    );
    assert_eq!(call_s("regexMatch", &["^main-", "main-1"]), "true");
    assert_eq!(call_s("regexMatch", &["(", "x"]), "false");
    assert_eq!(call_s("b64enc", &["hi"]), "aGk=");
    assert_eq!(call_s("b64dec", &["aGk="]), "hi");
    assert_eq!(
        call_s("sha256sum", &[""]),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(call_s("toJson", &["<a&b>"]), "\"\\u003ca\\u0026b\\u003e\"");
    let d = call(
        "dict",
        &[
            Value::str("b"),
            Value::Int(2),
            Value::str("a"),
            Value::Int(1),
        ],
    )
    .unwrap();
    assert_eq!(
        call("keys", std::slice::from_ref(&d)).unwrap().printed(),
        "[a b]"
    );
    assert_eq!(call("get", &[d, Value::str("b")]).unwrap().printed(), "2");
}
