//! The subset of sprig's hermetic functions (`sprig.HermeticTxtFuncMap`, what Flux gives
//! commit message templates) that fluxdeck implements, with sprig's argument order:
//!
//! - strings: `upper lower title trim trimAll trimPrefix trimSuffix trunc replace repeat
//!   substr contains hasPrefix hasSuffix quote squote cat indent nindent nospace splitList
//!   join toString`
//! - defaults and logic: `default empty coalesce ternary`
//! - lists: `list first last rest initial uniq has sortAlpha compact`
//! - dicts: `dict keys hasKey get` (`keys` returns sorted keys where sprig's order is random;
//!   they accept any string-keyed map, where sprig wants `map[string]interface{}`)
//! - numbers: `add add1 sub mul div mod max min atoi int int64 float64`
//! - regular expressions, with Go's syntax and `$` expansion ([`regexp`] module doc):
//!   `regexMatch regexFind regexReplaceAll regexReplaceAllLiteral`
//! - encodings: `b64enc b64dec sha256sum toJson`
//!
//! Any other sprig function is reported as not defined when the template is parsed.

mod regexp;
mod strings;

use std::rc::Rc;

use base64::Engine;
use sha2::Digest;

use super::builtins::{arity, equal};
use crate::golang::json;
use crate::golang::strconv::quote;
use crate::golang::value::{List, Map, Value, write_v};
use strings::{go_replace_empty, title};

const NAMES: &[&str] = &[
    "upper",
    "lower",
    "title",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trunc",
    "replace",
    "repeat",
    "substr",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "nospace",
    "splitList",
    "join",
    "toString",
    "default",
    "empty",
    "coalesce",
    "ternary",
    "list",
    "first",
    "last",
    "rest",
    "initial",
    "uniq",
    "has",
    "sortAlpha",
    "compact",
    "dict",
    "keys",
    "hasKey",
    "get",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "atoi",
    "int",
    "int64",
    "float64",
    "regexMatch",
    "regexFind",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "b64enc",
    "b64dec",
    "sha256sum",
    "toJson",
];

/// The longest string `repeat` may build, so a template cannot exhaust memory.
const MAX_REPEAT_BYTES: usize = 1 << 20;

/// True when the sprig subset has this function.
pub fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

/// sprig's `strval`: strings as they are, anything else with `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => {
            let mut out = String::new();
            write_v(&mut out, other, false);
            out
        }
    }
}

/// cast's `ToInt64`: numbers, numeric strings (0 when not numeric), booleans.
fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn float(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn list(items: Vec<Value>) -> Value {
    Value::List(Rc::new(List {
        type_name: "[]interface {}",
        items,
    }))
}

fn items(v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::List(l) => Ok(l.items.clone()),
        Value::Invalid | Value::Nil => Ok(Vec::new()),
        other => Err(format!("cannot find first on type {}", other.type_name())),
    }
}

/// Calls a sprig function; an error is the message after `error calling NAME: `.
pub fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let s = |i: usize| args.get(i).map(strval).unwrap_or_default();
    let n = |i: usize| args.get(i).map(int).unwrap_or(0);
    let want = |k: usize| {
        if args.len() == k {
            Ok(())
        } else {
            Err(arity(name, k, args))
        }
    };
    let text = |t: String| Ok(Value::str(t));
    match name {
        "upper" => want(1).and_then(|()| text(s(0).to_uppercase())),
        "lower" => want(1).and_then(|()| text(s(0).to_lowercase())),
        "title" => want(1).and_then(|()| text(title(&s(0)))),
        "trim" => want(1).and_then(|()| text(s(0).trim().to_owned())),
        "trimAll" => want(2).and_then(|()| {
            let cut = s(0);
            text(s(1).trim_matches(|c| cut.contains(c)).to_owned())
        }),
        "trimPrefix" => want(2).and_then(|()| {
            text(
                s(1).strip_prefix(&s(0))
                    .map(str::to_owned)
                    .unwrap_or_else(|| s(1)),
            )
        }),
        "trimSuffix" => want(2).and_then(|()| {
            text(
                s(1).strip_suffix(&s(0))
                    .map(str::to_owned)
                    .unwrap_or_else(|| s(1)),
            )
        }),
        "trunc" => want(2).and_then(|()| {
            let (c, v) = (n(0), s(1));
            let len = i64::try_from(v.len()).unwrap_or(i64::MAX);
            let out = if c < 0 && c.checked_neg().is_some_and(|neg| neg < len) {
                v.as_bytes()
                    .get(usize::try_from(len + c).unwrap_or(0)..)
                    .unwrap_or_default()
            } else if c >= 0 && len > c {
                v.as_bytes()
                    .get(..usize::try_from(c).unwrap_or(0))
                    .unwrap_or_default()
            } else {
                v.as_bytes()
            };
            text(String::from_utf8_lossy(out).into_owned())
        }),
        "replace" => want(3).and_then(|()| {
            let (old, new, v) = (s(0), s(1), s(2));
            let out = if old.is_empty() {
                go_replace_empty(&v, &new)
            } else {
                v.replace(&old, &new)
            };
            text(out)
        }),
        "repeat" => want(2).and_then(|()| {
            let v = s(1);
            let count = usize::try_from(n(0)).unwrap_or(0);
            if v.len().saturating_mul(count) > MAX_REPEAT_BYTES {
                return Err(format!(
                    "repeat would build more than {MAX_REPEAT_BYTES} bytes"
                ));
            }
            text(v.repeat(count))
        }),
        "substr" => want(3).and_then(|()| {
            let v = s(2);
            let len = v.len();
            let (start, end) = (n(0), n(1));
            let start_u = usize::try_from(start).unwrap_or(0).min(len);
            let bytes = v.as_bytes();
            let out = if start < 0 {
                bytes.get(..usize::try_from(end).unwrap_or(0).min(len))
            } else if end < 0 || usize::try_from(end).unwrap_or(usize::MAX) > len {
                bytes.get(start_u..)
            } else {
                bytes.get(start_u..usize::try_from(end).unwrap_or(0))
            };
            text(String::from_utf8_lossy(out.unwrap_or_default()).into_owned())
        }),
        "contains" => want(2).map(|()| Value::Bool(s(1).contains(&s(0)))),
        "hasPrefix" => want(2).map(|()| Value::Bool(s(1).starts_with(&s(0)))),
        "hasSuffix" => want(2).map(|()| Value::Bool(s(1).ends_with(&s(0)))),
        "quote" => text(
            args.iter()
                .filter(|a| !matches!(a, Value::Nil | Value::Invalid))
                .map(|a| quote(&strval(a)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => text(
            args.iter()
                .filter(|a| !matches!(a, Value::Nil | Value::Invalid))
                .map(|a| format!("'{}'", strval(a)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "cat" => text(
            args.iter()
                .filter(|a| !matches!(a, Value::Nil | Value::Invalid))
                .map(strval)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "indent" | "nindent" => want(2).and_then(|()| {
            let pad = " ".repeat(usize::try_from(n(0)).unwrap_or(0).min(1 << 12));
            let body = format!("{pad}{}", s(1).replace('\n', &format!("\n{pad}")));
            text(if name == "nindent" {
                format!("\n{body}")
            } else {
                body
            })
        }),
        "nospace" => {
            want(1).and_then(|()| text(s(0).chars().filter(|c| !c.is_whitespace()).collect()))
        }
        "splitList" => want(2).map(|()| list(s(1).split(&s(0)).map(Value::str).collect())),
        "join" => want(2).and_then(|()| {
            let parts: Vec<String> = match args.get(1) {
                Some(Value::List(l)) => l
                    .items
                    .iter()
                    .filter(|a| !matches!(a, Value::Nil | Value::Invalid))
                    .map(strval)
                    .collect(),
                Some(other) => vec![strval(other)],
                None => Vec::new(),
            };
            text(parts.join(&s(0)))
        }),
        "toString" => want(1).and_then(|()| text(s(0))),
        "default" => {
            let default = args.first().cloned().unwrap_or(Value::Nil);
            Ok(match args.get(1) {
                Some(given) if given.truth() => given.clone(),
                _ => default,
            })
        }
        "empty" => want(1).map(|()| Value::Bool(!args.first().is_some_and(Value::truth))),
        "coalesce" => Ok(args
            .iter()
            .find(|a| a.truth())
            .cloned()
            .unwrap_or(Value::Nil)),
        "ternary" => want(3).map(|()| {
            let pick = if args.get(2).is_some_and(Value::truth) {
                0
            } else {
                1
            };
            args.get(pick).cloned().unwrap_or(Value::Nil)
        }),
        "list" => Ok(list(args.to_vec())),
        "first" | "last" | "rest" | "initial" | "uniq" | "sortAlpha" | "compact" => {
            want(1)?;
            let mut all = items(args.first().unwrap_or(&Value::Nil))?;
            Ok(match name {
                "first" => all.first().cloned().unwrap_or(Value::Nil),
                "last" => all.last().cloned().unwrap_or(Value::Nil),
                "rest" => list(all.get(1..).unwrap_or_default().to_vec()),
                "initial" => list(
                    all.get(..all.len().saturating_sub(1))
                        .unwrap_or_default()
                        .to_vec(),
                ),
                "uniq" => {
                    let mut out: Vec<Value> = Vec::new();
                    for item in all {
                        if !out.iter().any(|o| equal(o, &item).unwrap_or(false)) {
                            out.push(item);
                        }
                    }
                    list(out)
                }
                "compact" => list(all.into_iter().filter(Value::truth).collect()),
                _ => {
                    let mut names: Vec<String> = all.drain(..).map(|v| strval(&v)).collect();
                    names.sort();
                    list(names.into_iter().map(Value::str).collect())
                }
            })
        }
        "has" => want(2).and_then(|()| {
            let needle = args.first().unwrap_or(&Value::Nil);
            let found = items(args.get(1).unwrap_or(&Value::Nil))?
                .iter()
                .any(|item| equal(item, needle).unwrap_or(false));
            Ok(Value::Bool(found))
        }),
        "dict" => {
            let entries = args
                .chunks(2)
                .map(|pair| {
                    let key = Value::str(pair.first().map(strval).unwrap_or_default());
                    (key, pair.get(1).cloned().unwrap_or(Value::str("")))
                })
                .collect();
            Ok(Value::Map(Rc::new(Map::new(
                "map[string]interface {}",
                "string",
                entries,
                Value::Nil,
            ))))
        }
        "keys" => {
            let mut keys = Vec::new();
            for arg in args {
                if let Value::Map(m) = arg {
                    keys.extend(m.entries.iter().map(|(k, _)| k.clone()));
                }
            }
            Ok(list(keys))
        }
        "hasKey" | "get" => want(2).map(|()| {
            let found = match args.first() {
                Some(Value::Map(m)) => m.get(&Value::str(s(1))).cloned(),
                _ => None,
            };
            match name {
                "hasKey" => Value::Bool(found.is_some()),
                _ => found.unwrap_or(Value::str("")),
            }
        }),
        "add" => Ok(Value::Int(
            args.iter().map(int).fold(0i64, i64::wrapping_add),
        )),
        "add1" => want(1).map(|()| Value::Int(n(0).wrapping_add(1))),
        "sub" => want(2).map(|()| Value::Int(n(0).wrapping_sub(n(1)))),
        "mul" => Ok(Value::Int(
            args.iter().map(int).fold(1i64, i64::wrapping_mul),
        )),
        "div" | "mod" => want(2).and_then(|()| {
            let (a, b) = (n(0), n(1));
            if b == 0 {
                return Err("runtime error: integer divide by zero".to_owned());
            }
            Ok(Value::Int(if name == "div" {
                a.wrapping_div(b)
            } else {
                a.wrapping_rem(b)
            }))
        }),
        "max" | "min" => {
            let nums = args.iter().map(int);
            let out = if name == "max" {
                nums.max()
            } else {
                nums.min()
            };
            out.map(Value::Int).ok_or_else(|| arity(name, 1, args))
        }
        "atoi" | "int" | "int64" => want(1).map(|()| Value::Int(n(0))),
        "float64" => want(1).map(|()| Value::Float(args.first().map(float).unwrap_or(0.0))),
        "regexMatch" | "regexFind" | "regexReplaceAll" | "regexReplaceAllLiteral" => {
            want(if name.starts_with("regexReplace") {
                3
            } else {
                2
            })?;
            regexp::call(name, &s(0), &s(1), &s(2))
        }
        "b64enc" => {
            want(1).and_then(|()| text(base64::engine::general_purpose::STANDARD.encode(s(0))))
        }
        "b64dec" => want(1).and_then(|()| {
            // sprig returns the decoding error's text as the result.
            text(
                match base64::engine::general_purpose::STANDARD.decode(s(0)) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(e) => e.to_string(),
                },
            )
        }),
        "sha256sum" => {
            want(1).and_then(|()| text(hex::encode(sha2::Sha256::digest(s(0).as_bytes()))))
        }
        "toJson" => want(1).and_then(|()| {
            // sprig drops json.Marshal's error and returns what it wrote: nothing.
            text(json::marshal(args.first().unwrap_or(&Value::Nil)).unwrap_or_default())
        }),
        _ => Err(format!("function {name:?} not defined")),
    }
}

#[cfg(test)]
mod tests;
