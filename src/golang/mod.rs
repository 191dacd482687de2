//! Go's semantics where Flux's observable behaviour depends on them, in one place: pure (no
//! I/O) and free of Flux's types and rules.
//!
//! - Go `regexp` syntax and errors on the Rust `regex` crate, and `Regexp.Expand`'s `$`
//!   templates ([`regexp`]);
//! - `ParseFloat`, `ParseInt`, `ParseUint`, `FormatFloat` (`g`), `Quote` and `QuoteRune`
//!   ([`strconv`]);
//! - `Sprint`, `Sprintln` and `Sprintf` over template values ([`fmt`]);
//! - `encoding/json` string escaping and marshalling of template values ([`json`]);
//! - the Go values a template sees, printed as `%v` prints them ([`value`]);
//! - `text/template` with the sprig subset Flux gives commit templates ([`template`]);
//! - `Duration.String` ([`time`]).
//!
//! `policy` and `setters` use these and keep only Flux's own logic; the sandbox uses them
//! where it prints what Go programs print.

pub mod fmt;
pub mod json;
pub mod regexp;
pub mod strconv;
pub mod template;
pub mod time;
pub mod value;
