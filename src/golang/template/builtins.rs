//! Go `text/template`'s builtin functions (`and`/`or` are evaluated lazily by the executor).

use std::rc::Rc;

use crate::golang::fmt::{sprint, sprintf, sprintln};
use crate::golang::value::{List, Value, compare_keys};

/// The builtins fluxdeck implements (Go's minus `call`, `html`, `js`, `urlquery`).
const BUILTINS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice", "print",
    "printf", "println",
];

/// True when `name` is a builtin.
pub fn exists(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Calls a builtin with evaluated arguments; an error is the message Go would give after
/// `error calling NAME: `.
pub fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "not" => {
            let [v] = args else {
                return Err(arity(name, 1, args));
            };
            Ok(Value::Bool(!v.truth()))
        }
        "eq" => {
            let (first, rest) = args
                .split_first()
                .ok_or("missing argument for comparison")?;
            if rest.is_empty() {
                return Err("missing argument for comparison".to_owned());
            }
            for other in rest {
                if equal(first, other)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" => {
            let [a, b] = args else {
                return Err(arity(name, 2, args));
            };
            Ok(Value::Bool(!equal(a, b)?))
        }
        "lt" | "le" | "gt" | "ge" => {
            let [a, b] = args else {
                return Err(arity(name, 2, args));
            };
            let less = less(a, b)?;
            let eq = equal(a, b)?;
            Ok(Value::Bool(match name {
                "lt" => less,
                "le" => less || eq,
                "gt" => !less && !eq,
                _ => !less,
            }))
        }
        "len" => {
            let [v] = args else {
                return Err(arity(name, 1, args));
            };
            length(v).map(Value::Int)
        }
        "index" => {
            let (first, keys) = args.split_first().ok_or_else(|| arity(name, 1, args))?;
            let mut current = first.clone();
            for key in keys {
                current = index(&current, key)?;
            }
            Ok(current)
        }
        "slice" => slice(args),
        "print" => Ok(Value::str(sprint(args))),
        "println" => Ok(Value::str(sprintln(args))),
        "printf" => {
            let (format, rest) = args.split_first().ok_or_else(|| arity(name, 1, args))?;
            let Value::Str(format) = format else {
                return Err(format!(
                    "wrong type for value; expected string; got {}",
                    format.type_name()
                ));
            };
            Ok(Value::str(sprintf(format, rest)))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// Go's message for a wrong number of arguments.
pub fn arity(name: &str, want: usize, args: &[Value]) -> String {
    format!(
        "wrong number of args for {name}: want {want} got {}",
        args.len()
    )
}

/// Go's `eq` on two values: basic kinds by value (ints and floats do not mix), structs field by
/// field; slices and maps are not comparable; a missing value equals only a missing value.
pub fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    use Value::*;
    Ok(match (a, b) {
        (Invalid | Nil, Invalid | Nil) => true,
        (Invalid | Nil, _) | (_, Invalid | Nil) => false,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Float(x), Float(y)) => x == y,
        (Str(x), Str(y)) => x == y,
        (Struct(x), Struct(y)) if x.type_name == y.type_name => {
            compare_keys(a, b).is_eq() && x.fields.len() == y.fields.len()
        }
        (List(_) | Map(_), _) | (_, List(_) | Map(_)) => {
            return Err(format!("non-comparable type {}", a.type_name()));
        }
        _ => return Err("incompatible types for comparison".to_owned()),
    })
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Ok(x < y),
        (Float(x), Float(y)) => Ok(x < y),
        (Str(x), Str(y)) => Ok(x.as_bytes() < y.as_bytes()),
        (Int(_) | Float(_) | Str(_), Int(_) | Float(_) | Str(_)) => {
            Err("incompatible types for comparison".to_owned())
        }
        _ => Err("invalid type for comparison".to_owned()),
    }
}

/// `len`: bytes of a string, items of a slice or map.
pub fn length(v: &Value) -> Result<i64, String> {
    let n = match v {
        Value::Str(s) => s.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

fn index(v: &Value, key: &Value) -> Result<Value, String> {
    let position = |len: usize| match key {
        Value::Int(i) => usize::try_from(*i)
            .ok()
            .filter(|&i| i < len)
            .ok_or_else(|| format!("index out of range: {i}")),
        other => Err(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        )),
    };
    match v {
        Value::List(l) => Ok(l
            .items
            .get(position(l.items.len())?)
            .cloned()
            .unwrap_or(Value::Invalid)),
        Value::Str(s) => Ok(Value::Int(i64::from(
            s.as_bytes().get(position(s.len())?).copied().unwrap_or(0),
        ))),
        Value::Map(m) => {
            let fits = match key {
                Value::Str(_) => m.key_type == "string",
                Value::Struct(s) => s.type_name == m.key_type,
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "value has type {}; should be {}",
                    key.type_name(),
                    m.key_type
                ));
            }
            Ok(m.get(key).cloned().unwrap_or_else(|| m.zero.clone()))
        }
        Value::Invalid | Value::Nil => Err("index of untyped nil".to_owned()),
        other => Err(format!("can't index item of type {}", other.type_name())),
    }
}

fn slice(args: &[Value]) -> Result<Value, String> {
    let (v, bounds) = args.split_first().ok_or_else(|| arity("slice", 1, args))?;
    let len = usize::try_from(length(v)?).unwrap_or(0);
    let mut idx = Vec::new();
    for b in bounds {
        match b {
            Value::Int(i) => {
                idx.push(usize::try_from(*i).map_err(|_| format!("index out of range: {i}"))?)
            }
            other => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                ));
            }
        }
    }
    let (lo, hi) = match idx.as_slice() {
        [] => (0, len),
        [lo] => (*lo, len),
        [lo, hi] => (*lo, *hi),
        _ => return Err("too many slice indexes".to_owned()),
    };
    if lo > hi || hi > len {
        return Err(format!("invalid slice index: {lo} > {hi}"));
    }
    match v {
        Value::Str(s) => Ok(Value::str(
            String::from_utf8_lossy(s.as_bytes().get(lo..hi).unwrap_or_default()).into_owned(),
        )),
        Value::List(l) => Ok(Value::List(Rc::new(List {
            type_name: l.type_name,
            items: l.items.get(lo..hi).unwrap_or_default().to_vec(),
        }))),
        other => Err(format!("can't slice item of type {}", other.type_name())),
    }
}
