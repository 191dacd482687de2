//! Go values as `text/template` sees them (shaped after `reflect.Value`: the few types a
//! template meets), printed as Go's `fmt` prints them (`%v`).

use std::cmp::Ordering;
use std::fmt::Write;
use std::rc::Rc;

use super::strconv::format_float_g;

/// A value in a template, shaped after Go's `reflect.Value`.
#[derive(Debug, Clone)]
pub enum Value {
    /// Go's invalid value (a missing map key): prints `<no value>`, is false.
    Invalid,
    /// A nil interface: prints `<nil>`.
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (untyped integer constants and lengths).
    Int(i64),
    /// `float64`.
    Float(f64),
    /// `string`.
    Str(Rc<str>),
    /// A slice, with its Go type name (e.g. `[]update.Change`).
    List(Rc<List>),
    /// A map, entries sorted by key as Go's `fmtsort` sorts them.
    Map(Rc<Map>),
    /// A struct.
    Struct(Rc<Struct>),
}

/// A slice.
#[derive(Debug, Clone)]
pub struct List {
    /// Go type name, for error messages.
    pub type_name: &'static str,
    /// The elements.
    pub items: Vec<Value>,
}

/// A map with its entries kept sorted by key.
#[derive(Debug, Clone)]
pub struct Map {
    /// Go type name, for error messages.
    pub type_name: &'static str,
    /// Go type name of the keys (`string`, `update.ObjectIdentifier`).
    pub key_type: &'static str,
    /// Entries, sorted by [`compare_keys`].
    pub entries: Vec<(Value, Value)>,
    /// What `index` returns for a missing key (the element type's zero value).
    pub zero: Value,
}

/// A struct, with its fields in declaration order and its methods (all without arguments).
#[derive(Debug, Clone)]
pub struct Struct {
    /// Go type name (`source.TemplateData`), for error messages.
    pub type_name: &'static str,
    /// Fields; `true` marks an embedded field whose own fields are promoted.
    pub fields: Vec<(&'static str, Value, bool)>,
    /// Methods without arguments, evaluated up front.
    pub methods: Vec<(&'static str, Value)>,
    /// The result of the type's `String()` method, which `fmt` prints instead of the fields.
    pub stringer: Option<String>,
}

impl Map {
    /// Builds a map, sorting the entries by key.
    pub fn new(
        type_name: &'static str,
        key_type: &'static str,
        mut entries: Vec<(Value, Value)>,
        zero: Value,
    ) -> Self {
        entries.sort_by(|a, b| compare_keys(&a.0, &b.0));
        Self {
            type_name,
            key_type,
            entries,
            zero,
        }
    }

    /// The value at a key, if present.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .binary_search_by(|(k, _)| compare_keys(k, key))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }
}

impl Struct {
    /// A method or field by name, fields of embedded structs included (Go's promotion).
    pub fn member(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.methods.iter().find(|(n, _)| *n == name) {
            return Some(v.clone());
        }
        if let Some((_, v, _)) = self.fields.iter().find(|(n, _, _)| *n == name) {
            return Some(v.clone());
        }
        self.fields.iter().find_map(|(_, v, embedded)| match v {
            Value::Struct(s) if *embedded => s.member(name),
            _ => None,
        })
    }
}

/// Go's `fmtsort` order for map keys: numbers and strings by value, structs field by field.
pub fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Struct(x), Value::Struct(y)) => x
            .fields
            .iter()
            .zip(y.fields.iter())
            .map(|((_, fx, _), (_, fy, _))| compare_keys(fx, fy))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Rc<str>>) -> Self {
        Self::Str(s.into())
    }

    /// Go's `isTrue`: false, 0, nil, "" and empty collections are false; structs are true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Struct(_) => true,
        }
    }

    /// The Go type name, as error messages and `%!v(type=...)` forms show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Invalid => "<no value>",
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(l) => l.type_name,
            Value::Map(m) => m.type_name,
            Value::Struct(s) => s.type_name,
        }
    }

    /// The text an action prints for this value (text/template's `printValue`).
    pub fn printed(&self) -> String {
        match self {
            Value::Invalid => "<no value>".to_owned(),
            other => {
                let mut out = String::new();
                write_v(&mut out, other, false);
                out
            }
        }
    }
}

/// Go's `%v` (or `%+v` with `plus`, which names struct fields).
pub fn write_v(out: &mut String, value: &Value, plus: bool) {
    match value {
        Value::Invalid => out.push_str("<invalid reflect.Value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float_g(*f, None, false)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, item, plus);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, v)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, k, plus);
                out.push(':');
                write_v(out, v, plus);
            }
            out.push(']');
        }
        Value::Struct(s) => match &s.stringer {
            Some(text) => out.push_str(text),
            None => {
                out.push('{');
                for (i, (name, v, _)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if plus {
                        out.push_str(name);
                        out.push(':');
                    }
                    write_v(out, v, plus);
                }
                out.push('}');
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_maps_and_lists_print_like_go() {
        let change = Value::Struct(Rc::new(Struct {
            type_name: "update.Change",
            fields: vec![
                ("OldValue", Value::str("a"), false),
                ("NewValue", Value::str("b"), false),
            ],
            methods: vec![],
            stringer: None,
        }));
        let list = Value::List(Rc::new(List {
            type_name: "[]update.Change",
            items: vec![change.clone(), Value::Int(3)],
        }));
        assert_eq!(list.printed(), "[{a b} 3]");
        let mut plus = String::new();
        write_v(&mut plus, &change, true);
        assert_eq!(plus, "{OldValue:a NewValue:b}");
        let map = Value::Map(Rc::new(Map::new(
            "map[string]string",
            "string",
            vec![
                (Value::str("b"), Value::str("2")),
                (Value::str("a"), Value::str("1")),
            ],
            Value::str(""),
        )));
        assert_eq!(map.printed(), "map[a:1 b:2]");
        assert_eq!(Value::Invalid.printed(), "<no value>");
        assert_eq!(Value::Nil.printed(), "<nil>");
    }
}
