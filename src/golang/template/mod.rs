//! Go `text/template` with the sprig subset Flux gives commit message templates.
//!
//! Why fluxdeck has its own engine: the existing crate `gtmpl` 0.7.1 was evaluated first. Its
//! last commit is from August 2021 (unmaintained); it ranges over maps in `HashMap` order
//! where Go sorts keys, its maps only have string keys (Flux's `.Changed.FileChanges` values
//! and `.Changed.Objects` are keyed by an `ObjectIdentifier` struct), it has no sprig
//! functions, and it indexes argument slices directly (`args[0]`), which panics on bad input.
//! This engine is small, total (no panics, bounded steps and output), and covers what commit
//! templates use:
//! - text, actions, trim markers `{{-`/`-}}`, comments `{{/* */}}`;
//! - pipelines, parenthesised pipelines, variables (`$x :=`, `$x =`, `$`), field chains on
//!   structs (with Go's promoted fields and argument-less methods) and string-keyed maps;
//! - `if`/`else if`/`else`, `with`/`else with`, `range` over slices, maps (sorted keys),
//!   integers, with one or two variables, `else`, `break`, `continue`;
//! - builtins `and or not eq ne lt le gt ge len index slice print printf println`
//!   (`printf` with Go's verbs and error forms, [`fmt`](crate::golang::fmt)), and a
//!   documented sprig subset (the `sprig` module doc lists it).
//!
//! Not supported (a parse error says so): `define`/`template`/`block`, `call`, `html`, `js`,
//! `urlquery`, and sprig functions outside the subset.
//!
//! The data is a [`Value`]: the caller builds the Go values the template sees.

mod builtins;
mod exec;
mod funcs;
mod lex;
mod parse;
mod sprig;

use crate::golang::value::Value;

/// A parsed template: Go's `template.New(name).Funcs(sprig).Parse(src)`.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    src: String,
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses the template `name` from `src`; the error is Go's `template: NAME:LINE: ...`.
    pub fn parse(name: &str, src: &str) -> Result<Self, String> {
        let located = |(msg, pos): (String, usize)| {
            let line = src.get(..pos).unwrap_or_default().matches('\n').count() + 1;
            format!("template: {name}:{line}: {msg}")
        };
        let tokens = lex::lex(src).map_err(located)?;
        let nodes = parse::parse(src, &tokens, &funcs::exists).map_err(located)?;
        Ok(Self {
            name: name.to_owned(),
            src: src.to_owned(),
            nodes,
        })
    }

    /// Runs the template with `data` as dot and `$`; the error is Go's
    /// `template: NAME:LINE:COL: executing ...` text.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        exec::Exec::new(&self.name, &self.src, data).run(&self.nodes, data)
    }
}

#[cfg(test)]
mod tests;
