//! Go's semantics where Flux's observable behaviour depends on them, in one place: pure, no
//! I/O, knowing nothing of Flux.
//!
//! - [`regexp`]: Go `regexp` syntax and errors on the Rust `regex` crate, and
//!   `Regexp.Expand`'s `$` templates;
//! - [`strconv`]: `ParseFloat`, `FormatFloat` (`g`), `Quote` and `QuoteRune`;
//! - [`fmt`]: `Sprint`, `Sprintln`, `Sprintf` over template values;
//! - [`json`]: `encoding/json` string escaping and marshalling of template values;
//! - [`value`]: the Go values a template sees, printed as `%v` prints them;
//! - [`template`]: `text/template` with the sprig subset Flux gives commit templates.
//!
//! `policy` and `setters` use these and keep only Flux's own logic.

pub mod fmt;
pub mod json;
pub mod regexp;
pub mod strconv;
pub mod template;
pub mod value;
