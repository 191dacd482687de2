//! Tolerant field access over `serde_json::Value`: a missing field and a field of the wrong
//! type both read as absent, so an object from an older or newer API version never fails to
//! load because one field changed shape.

use compact_str::CompactString;
use jiff::Timestamp;
use serde_json::Value;

/// The value at `path` (object keys), or `None` when any step is missing or not an object.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object()?.get(*key))
}

/// The string at `path`; absent when missing or not a string.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)?.as_str()
}

/// The non-empty string at `path`, owned; empty strings count as absent because the API
/// machinery omits empty strings and an empty value on screen means nothing.
pub fn string_at(value: &Value, path: &[&str]) -> Option<String> {
    str_at(value, path)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `s` as a compact string (held inline up to 24 bytes), when not empty: what
/// [`string_at`] gives, for the short fields every row holds.
pub fn compact(s: &str) -> Option<CompactString> {
    (!s.is_empty()).then(|| s.into())
}

/// The integer at `path`; absent when missing, fractional or not a number.
pub fn i64_at(value: &Value, path: &[&str]) -> Option<i64> {
    at(value, path)?.as_i64()
}

/// The boolean at `path`; absent when missing or not a boolean.
pub fn bool_at(value: &Value, path: &[&str]) -> Option<bool> {
    at(value, path)?.as_bool()
}

/// The RFC 3339 timestamp at `path`; absent when missing or unparsable.
pub fn time_at(value: &Value, path: &[&str]) -> Option<Timestamp> {
    str_at(value, path)?.parse().ok()
}

/// The array at `path`, or an empty slice when missing or not an array.
pub fn array_at<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    at(value, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Cuts `text` to at most `max` characters (on a char boundary), marking the cut with `…`.
/// Stored messages are bounded so one runaway status message cannot grow memory per object.
pub fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let mut out = text.get(..cut).unwrap_or(text).to_owned();
            out.push('…');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_read_as_absent() {
        let v = json!({"a": {"s": 5, "n": "x", "b": "true", "t": "yesterday", "l": {}}});
        assert_eq!(str_at(&v, &["a", "s"]), None);
        assert_eq!(i64_at(&v, &["a", "n"]), None);
        assert_eq!(bool_at(&v, &["a", "b"]), None);
        assert_eq!(time_at(&v, &["a", "t"]), None);
        assert!(array_at(&v, &["a", "l"]).is_empty());
        assert_eq!(str_at(&v, &["a", "s", "deeper"]), None);
        assert_eq!(str_at(&json!("scalar"), &["a"]), None);
    }

    #[test]
    fn present_fields_read() {
        let v = json!({"a": {"s": "x", "n": 7, "b": true, "t": "2026-08-07T10:00:00Z", "l": [1]}});
        assert_eq!(str_at(&v, &["a", "s"]), Some("x"));
        assert_eq!(i64_at(&v, &["a", "n"]), Some(7));
        assert_eq!(bool_at(&v, &["a", "b"]), Some(true));
        assert_eq!(
            time_at(&v, &["a", "t"]).map(|t| t.as_second()),
            Some(1_786_096_800)
        );
        assert_eq!(array_at(&v, &["a", "l"]).len(), 1);
    }

    #[test]
    fn empty_strings_are_absent_for_string_at() {
        let v = json!({"s": ""});
        assert_eq!(string_at(&v, &["s"]), None);
    }

    #[test]
    fn bounded_cuts_on_char_boundaries() {
        assert_eq!(bounded("héllo", 10), "héllo");
        assert_eq!(bounded("héllo", 2), "hé…");
        assert_eq!(bounded("", 0), "");
    }
}
