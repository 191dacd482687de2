//! Go's `encoding/json` output: strings escaped as `json.Marshal` escapes them (HTML-safe:
//! `<`, `>`, `&`, `U+2028` and `U+2029` as `\uNNNN`), and template values marshalled.
//!
//! The bytes matter: Flux's ImageRepository revision is a checksum of Go's JSON of the tag
//! list, and sprig's `toJson` output lands in commit messages.

use std::fmt::Write as _;

use super::value::Value;

/// Appends `s` as a Go JSON string literal, quotes included.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Fast path: nothing to escape (registry tags never need it).
    let plain = |b: &u8| *b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xE2);
    if s.as_bytes().iter().all(plain) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `json.Marshal` of a `[]string`.
pub fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out =
        String::with_capacity(items.iter().map(|s| s.as_ref().len() + 3).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(&mut out, item.as_ref());
    }
    out.push(']');
    out
}

/// Go's `json.Marshal` of a template value; `None` where Go fails (NaN and infinities).
///
/// Structs marshal as objects of their fields under their Go names, in declaration order
/// (the values carry no `json` tags); maps as objects with their keys printed as `%v`, in
/// the map's sorted order.
pub fn marshal(value: &Value) -> Option<String> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Some(out)
}

fn write_value(out: &mut String, value: &Value) -> Option<()> {
    match value {
        Value::Invalid | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, *f)?,
        Value::Str(s) => write_string(out, s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let key = match k {
                    Value::Str(s) => s.to_string(),
                    other => other.printed(),
                };
                write_string(out, &key);
                out.push(':');
                write_value(out, v)?;
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (name, v, _)) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, v)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// Go's float encoding: the shortest decimal that reads back, in exponent form below 1e-6
/// and from 1e21 on (`1e+21`, `1e-7`).
fn write_float(out: &mut String, f: f64) -> Option<()> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let sci = format!("{f:e}");
        match sci.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&sci),
        }
    } else {
        let _ = write!(out, "{f}");
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::golang::value::{List, Map, Struct};

    #[test]
    fn strings_escape_like_go() {
        let empty: [&str; 0] = [];
        assert_eq!(string_array(&empty), "[]");
        assert_eq!(string_array(&["b", "a"]), r#"["b","a"]"#);
        assert_eq!(
            string_array(&["<a&b>", "q\"\\", "\u{1}\u{8}\u{2028}é"]),
            r#"["\u003ca\u0026b\u003e","q\"\\","\u0001\b\u2028é"]"#
        );
    }

    #[test]
    fn floats_encode_like_go() {
        let f = |x: f64| marshal(&Value::Float(x));
        assert_eq!(f(1.0).as_deref(), Some("1"));
        assert_eq!(f(0.1).as_deref(), Some("0.1"));
        assert_eq!(f(-2.5).as_deref(), Some("-2.5"));
        assert_eq!(f(1e20).as_deref(), Some("100000000000000000000"));
        assert_eq!(f(1e21).as_deref(), Some("1e+21"));
        assert_eq!(f(1.5e-7).as_deref(), Some("1.5e-7"));
        assert_eq!(f(0.0).as_deref(), Some("0"));
        assert_eq!(f(f64::NAN), None);
        assert_eq!(f(f64::INFINITY), None);
    }

    #[test]
    fn values_marshal_in_go_order() {
        let change = Value::Struct(Rc::new(Struct {
            type_name: "update.Change",
            fields: vec![
                ("OldValue", Value::str("a<"), false),
                ("NewValue", Value::Int(2), false),
            ],
            methods: vec![],
            stringer: None,
        }));
        let list = Value::List(Rc::new(List {
            type_name: "[]interface {}",
            items: vec![change, Value::Nil, Value::Bool(true)],
        }));
        let map = Value::Map(Rc::new(Map::new(
            "map[string]interface {}",
            "string",
            vec![(Value::str("z"), list), (Value::str("a"), Value::str("&"))],
            Value::Nil,
        )));
        assert_eq!(
            marshal(&map).as_deref(),
            Some(r#"{"a":"\u0026","z":[{"OldValue":"a\u003c","NewValue":2},null,true]}"#)
        );
    }
}
