//! Go's `strings` functions that sprig's string functions call and Rust's `str` has no
//! equivalent for.

/// Go's `strings.Title`: the first letter of each space-separated word upper-cased.
pub fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

/// Go's `strings.Replace(s, "", new, -1)`: `new` before each character and at the end.
pub fn go_replace_empty(s: &str, new: &str) -> String {
    let mut out = String::from(new);
    for c in s.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}
