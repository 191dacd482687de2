//! The functions a template can call: Go's builtins ([`builtins`](super::builtins)) and the
//! sprig subset ([`sprig`](super::sprig)), the map Flux gives commit message templates.

use super::{builtins, sprig};
use crate::golang::value::Value;

/// True when a function of that name exists.
pub fn exists(name: &str) -> bool {
    builtins::exists(name) || sprig::exists(name)
}

/// Calls a function with evaluated arguments; an error is the message Go would give after
/// `error calling NAME: `.
pub fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    if builtins::exists(name) {
        builtins::call(name, args)
    } else {
        sprig::call(name, args)
    }
}
