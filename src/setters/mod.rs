//! `$imagepolicy` setter markers rewritten over text (keeping every other byte), commit message
//! templates and change lists; pure: no tokio, no git, no terminal (only `std::fs` for the tree
//! walk).
//!
//! This is Flux's `Setters` update strategy (image-automation-controller `internal/update`):
//! - [`rewrite`](fn@rewrite) rewrites one YAML text ([`rewrite`](mod@rewrite) module doc: what is visited,
//!   what is kept, which scalars are left alone);
//! - [`apply_tree`] walks a repository as Flux screens it and writes the changed files;
//! - [`commit_message`] renders an ImageUpdateAutomation's `messageTemplate` (Flux's
//!   `TemplateData` through Go `text/template`, [`golang::template`](crate::golang::template)
//!   module doc: why fluxdeck has its own engine).
//!
//! Markers are read as kyaml reads them ([`marker`] module doc); new values keep the scalar's
//! quoting style ([`scalar`] module doc).

pub mod error;
pub mod marker;
pub mod policy_ref;
pub mod rewrite;
pub mod scalar;
mod splice;
pub mod template;
pub mod tree;
mod write;

#[cfg(test)]
mod test_support;

pub use error::{ParseProblem, SettersError};
pub use policy_ref::{ImageRef, PolicyRef, SetterTable};
pub use rewrite::{Change, FileRewrite, ObjectId, Setters, rewrite};
pub use template::{DEFAULT_MESSAGE, TemplateData, TemplateError, commit_message};
pub use tree::{
    DEFAULT_MAX_FILE_SIZE, FileChange, Output, Problem, TreeOptions, TreeResult, apply_files,
    apply_tree, apply_tree_with, screened_file_name,
};
