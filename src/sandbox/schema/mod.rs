//! Validation of an object against a CRD version's `openAPIV3Schema`, as the Kubernetes API
//! server does on create and update, for the structural-schema subset the Flux CRDs use.
//!
//! Checked: `type`, `properties`, `required`, `items`, `enum`, `pattern`, `format`
//! (`date-time`, `int32`, `int64`, `byte`), `minimum`/`maximum` (and their `exclusive*`
//! flags), `minLength`/`maxLength`, `minItems`/`maxItems`, `minProperties`/`maxProperties`,
//! `additionalProperties`, `nullable`, `x-kubernetes-preserve-unknown-fields`,
//! `x-kubernetes-int-or-string`, `x-kubernetes-embedded-resource`. `default` is ignored:
//! validation reads what the client sent. The root `metadata` is checked as an `ObjectMeta`
//! (the CRD schema only says `type: object` there, the API server knows the rest).
//!
//! Not checked: `x-kubernetes-validations` (CEL rules: the Flux CRDs use them for cross-field
//! rules such as "interval only with digestReflectionPolicy Always"; evaluating CEL is out of
//! scope for the sandbox), `x-kubernetes-list-type` uniqueness, and `anyOf`/`oneOf`/`allOf`/
//! `not`, which no Flux CRD uses.
//!
//! Unknown fields are violations, not pruned: the real server prunes them silently, but for a
//! seed object or a test fixture an unknown field is a bug worth a message.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;

use regex::Regex;
use serde_json::{Map, Number, Value, json};

mod object_meta;

/// One way an object breaks its schema: the field (`spec.interval`,
/// `status.conditions[0].reason`, `metadata.labels[app]`) and what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SchemaViolation {
    /// Field path in Kubernetes notation: dots for properties, `[i]` for items, `[key]` for map keys.
    pub path: String,
    /// What is wrong with the field and what to write instead.
    pub message: String,
}

/// Validates an object against a CRD version's `openAPIV3Schema`; an empty list means valid.
pub fn validate(schema: &Value, object: &Value) -> Vec<SchemaViolation> {
    let mut walk = Walk::default();
    walk.node(schema, object);
    walk.out
}

/// The walk's state: the current path (a buffer grown and cut as the walk descends, so no
/// path string is built for fields that are fine) and the violations found.
#[derive(Default)]
struct Walk {
    path: String,
    out: Vec<SchemaViolation>,
}

impl Walk {
    fn report(&mut self, message: String) {
        let path = if self.path.is_empty() {
            "<root>".to_string()
        } else {
            self.path.clone()
        };
        self.out.push(SchemaViolation { path, message });
    }

    /// Runs `f` one property deeper (`spec` then `spec.interval`).
    fn field(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(name);
        f(self);
        self.path.truncate(len);
    }

    /// Runs `f` on an array item (`[3]`) or a map entry (`[key]`).
    fn entry(&mut self, key: impl std::fmt::Display, f: impl FnOnce(&mut Self)) {
        let len = self.path.len();
        // Writing to a String cannot fail.
        let _ = write!(self.path, "[{key}]");
        f(self);
        self.path.truncate(len);
    }

    fn node(&mut self, schema: &Value, value: &Value) {
        let Some(s) = schema.as_object() else {
            return; // `true` or a missing schema: anything goes
        };
        if value.is_null() && flag(s, "nullable") {
            return;
        }
        if flag(s, "x-kubernetes-int-or-string") {
            if !(value.is_string() || is_integer(value)) {
                let got = describe(value);
                self.report(format!("must be an integer or a string, not {got}"));
                return;
            }
        } else if let Some(ty) = s.get("type").and_then(Value::as_str)
            && !has_type(ty, value)
        {
            self.report(format!("must be {}, not {}", article(ty), describe(value)));
            return;
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            self.report(format!("must be one of {}, not {value}", list.join(", ")));
        }
        match value {
            Value::String(text) => self.string(s, text),
            Value::Number(n) => self.number(s, n),
            Value::Array(items) => self.array(s, items),
            Value::Object(fields) => self.object(s, fields),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn string(&mut self, s: &Map<String, Value>, text: &str) {
        let chars = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && chars < min
        {
            self.report(format!(
                "must be at least {min} characters long, not {chars}"
            ));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && chars > max
        {
            self.report(format!(
                "must be at most {max} characters long, not {chars}"
            ));
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            match matches_pattern(pattern, text) {
                Ok(true) => {}
                Ok(false) => self.report(format!(
                    "must match the pattern {pattern}, and {text:?} does not"
                )),
                Err(e) => self.report(format!(
                    "the schema's pattern {pattern} does not compile ({e}): fix the CRD"
                )),
            }
        }
        match s.get("format").and_then(Value::as_str) {
            Some("date-time") if text.parse::<jiff::Timestamp>().is_err() => self.report(format!(
                "must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z, not {text:?}"
            )),
            Some("byte") if !is_base64(text) => {
                self.report("must be base64-encoded data (standard alphabet, padded)".to_string())
            }
            _ => {}
        }
    }

    fn number(&mut self, s: &Map<String, Value>, n: &Number) {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
            let exclusive = flag(s, "exclusiveMinimum");
            if x < min || (exclusive && x <= min) {
                let op = if exclusive { ">" } else { ">=" };
                self.report(format!("must be {op} {min}, not {n}"));
            }
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
            let exclusive = flag(s, "exclusiveMaximum");
            if x > max || (exclusive && x >= max) {
                let op = if exclusive { "<" } else { "<=" };
                self.report(format!("must be {op} {max}, not {n}"));
            }
        }
        let fits = match s.get("format").and_then(Value::as_str) {
            Some("int32") => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            Some("int64") => n.as_i64().is_some() || (n.is_f64() && is_integer_f64(x)),
            _ => true,
        };
        if !fits {
            self.report(format!(
                "{n} does not fit the field's integer format: use a smaller value"
            ));
        }
    }

    fn array(&mut self, s: &Map<String, Value>, items: &[Value]) {
        let len = items.len() as u64;
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && len < min
        {
            self.report(format!("must have at least {min} items, not {len}"));
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
            && len > max
        {
            self.report(format!("must have at most {max} items, not {len}"));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.entry(i, |w| w.node(item_schema, item));
            }
        }
    }

    fn object(&mut self, s: &Map<String, Value>, fields: &Map<String, Value>) {
        let count = fields.len() as u64;
        if let Some(min) = s.get("minProperties").and_then(Value::as_u64)
            && count < min
        {
            self.report(format!("must have at least {min} fields, not {count}"));
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            self.report(format!("must have at most {max} fields, not {count}"));
        }
        let required = s.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                self.field(name, |w| w.report("is required: add it".to_string()));
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        let additional = s.get("additionalProperties");
        let preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
        // The API server, not the CRD, owns the root `metadata` (and an embedded object's
        // `apiVersion`, `kind` and `metadata`).
        let owns_meta = self.path.is_empty() || flag(s, "x-kubernetes-embedded-resource");
        for (name, value) in fields {
            if owns_meta && name == "metadata" {
                self.field(name, |w| w.object_meta(value));
            } else if let Some(field_schema) = properties.and_then(|p| p.get(name)) {
                self.field(name, |w| w.node(field_schema, value));
            } else if owns_meta && (name == "apiVersion" || name == "kind") {
                self.field(name, |w| w.node(&json!({"type": "string"}), value));
            } else if let Some(additional) = additional {
                if additional == &Value::Bool(false) {
                    let msg = "no keys beyond the declared fields are allowed here: remove it";
                    self.entry(name, |w| w.report(msg.to_string()));
                } else {
                    self.entry(name, |w| w.node(additional, value));
                }
            } else if !preserve {
                let mut known: Vec<&str> = properties
                    .into_iter()
                    .flat_map(|p| p.keys().map(String::as_str))
                    .collect();
                known.sort_unstable();
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                self.field(name, |w| {
                    w.report(format!(
                        "unknown field {name:?}: remove it or correct its name (known fields: {known})"
                    ))
                });
            }
        }
    }
}

fn flag(s: &Map<String, Value>, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn is_integer_f64(x: f64) -> bool {
    x.is_finite() && x.fract() == 0.0
}

fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(is_integer_f64),
        _ => false,
    }
}

fn has_type(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => is_integer(value),
        _ => true, // an unknown type name constrains nothing
    }
}

fn article(ty: &str) -> String {
    match ty {
        "object" | "array" | "integer" => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}

/// A short description of a value for messages: its JSON type and, for scalars, the value.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) if is_integer(value) => format!("an integer ({n})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

thread_local! {
    /// Compiled `pattern`s: the same dozen CRD patterns are checked on every write, and
    /// compiling a regex costs far more than matching it.
    static PATTERNS: RefCell<HashMap<String, Result<Regex, String>>> = RefCell::new(HashMap::new());
}

/// Bound on cached patterns, so a caller validating against many generated schemas does not
/// grow the cache without limit.
const MAX_CACHED_PATTERNS: usize = 256;

fn matches_pattern(pattern: &str, text: &str) -> Result<bool, String> {
    PATTERNS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= MAX_CACHED_PATTERNS {
                cache.clear();
            }
            let compiled = Regex::new(pattern).map_err(|e| e.to_string());
            cache.insert(pattern.to_string(), compiled);
        }
        match cache.get(pattern) {
            Some(Ok(re)) => Ok(re.is_match(text)),
            Some(Err(e)) => Err(e.clone()),
            None => Err("pattern cache lost the entry just inserted".to_string()),
        }
    })
}

fn is_base64(text: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .is_ok()
}

#[cfg(test)]
mod tests;
