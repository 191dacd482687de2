//! Go's `strconv`: the number parsing, float formatting and quoting whose exact results
//! show in Flux's behaviour and output.

mod format_float;
mod parse_float;
mod parse_int;
mod quote;

pub use format_float::format_float_g;
pub use parse_float::parse_float;
pub use parse_int::{parse_int, parse_uint};
pub use quote::{quote, quote_rune};
