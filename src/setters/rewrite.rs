//! `setters::rewrite`: replace marked scalar values in one YAML text, keeping every other byte.
//!
//! The text is read as YAML events with byte spans (granit-parser); the marked scalars' spans
//! are replaced by the new values written in the scalar's own style ([`super::scalar`]). What is
//! outside those spans (comments, indentation, sequence style, block scalars, line endings,
//! non-ASCII text, trailing blanks, a leading `---`) is copied as it is. Flux itself drops a
//! leading `---` when it rewrites a file (kyaml's writer does); fluxdeck keeps it on purpose, as
//! it keeps every byte it has no reason to touch.
//!
//! Visited nodes follow Flux's `accept`: mapping values, sequence items and document roots,
//! never keys (nor anything inside a complex key). Only scalars are set; a marker on an alias
//! is ignored, as kyaml ignores alias nodes. An anchored scalar is rewritten where it is
//! defined, so its aliases follow, as they do in Flux.
//!
//! Known divergence: kyaml unwraps a single-document `kind: List` (or `ResourceList`) file into
//! its `items`, so Flux attributes changes to each item and ignores markers outside `items`;
//! fluxdeck treats such a file as one document.
//!
//! Scalars fluxdeck does not rewrite in place, reported as a [`ParseProblem`] that leaves the
//! whole file alone (only when the marker names a known setter and the value would change):
//! block scalars (`|`, `>`), values spanning several lines, values with an explicit tag
//! (`!!str`), and values inside flow collections (`[...]`, `{...}`). Every rewrite is checked
//! by parsing the result again: each replaced scalar must read back as its new value.

use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde::Serialize;

use super::error::ParseProblem;
use super::marker;
use super::policy_ref::{PolicyRef, SetterTable};
use super::scalar::{self, Style};
use super::splice::{Edit, splice, verify};

/// The object a change was made in, as kyaml's `GetMeta` identifies it: top-level
/// `apiVersion` and `kind`, `metadata.name` and `metadata.namespace` (empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (empty for a kustomization file).
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
}

/// One rewritten value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The object holding the value.
    pub object: ObjectId,
    /// The marker's setter, e.g. `flux-system:podinfo:tag`.
    pub setter: String,
    /// The value before.
    pub old_value: String,
    /// The value after.
    pub new_value: String,
    /// True when the document has no `apiVersion`, no `kind` and no `metadata.name`,
    /// `namespace`, `labels` or `annotations` (a plain values file, a bare scalar). kyaml's
    /// `GetMeta` fails on such a document and Flux then leaves the change out of its `Result`
    /// while still writing the file [derived from the code, no upstream test]. fluxdeck records
    /// the change anyway, with an empty [`ObjectId`] and this flag, so that no rewritten value
    /// goes unreported; callers that mimic Flux's commit decision can skip flagged changes.
    pub missing_metadata: bool,
}

/// The outcome of rewriting one text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRewrite {
    /// The new text, or `None` when no value changed (the file must not be written).
    pub new_text: Option<String>,
    /// The changes in document order; values already up to date are not recorded.
    pub changes: Vec<Change>,
}

/// Rewrites every marked scalar of `text` whose setter one of `policies` defines.
pub fn rewrite(text: &str, policies: &[PolicyRef]) -> Result<FileRewrite, ParseProblem> {
    Setters::new(policies).rewrite(text)
}

/// A reusable rewriter for one set of policies (the setter table is built once).
#[derive(Debug, Clone, Default)]
pub struct Setters {
    table: SetterTable,
}

impl Setters {
    /// Builds the setter table of `policies`.
    pub fn new(policies: &[PolicyRef]) -> Self {
        Self {
            table: SetterTable::new(policies),
        }
    }

    /// Rewrites one text; see the module doc.
    pub fn rewrite(&self, text: &str) -> Result<FileRewrite, ParseProblem> {
        let mut walk = Walk::new(text, &self.table);
        for next in Parser::new_from_str(text) {
            let (event, span) = next.map_err(|e| {
                ParseProblem::at(
                    e.marker().line(),
                    format!(
                        "not valid YAML ({}, column {}); fix the syntax",
                        e.info(),
                        e.marker().col() + 1
                    ),
                )
            })?;
            walk.event(event, span)?;
        }
        let Walk { edits, changes, .. } = walk;
        if edits.is_empty() {
            return Ok(FileRewrite {
                new_text: None,
                changes,
            });
        }
        let new_text = splice(text, &edits);
        verify(&new_text, &edits)?;
        Ok(FileRewrite {
            new_text: Some(new_text),
            changes,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Other,
    Metadata,
    Labels,
    Annotations,
    ApiVersion,
    Kind,
}

#[derive(Debug)]
struct Frame {
    mapping: bool,
    flow: bool,
    in_key: bool,
    expect_key: bool,
    entries: usize,
    last_key: Option<String>,
    role: Role,
}

#[derive(Debug, Default)]
struct DocMeta {
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    labels_or_annotations: bool,
}

impl DocMeta {
    fn missing(&self) -> bool {
        self.api_version.is_none()
            && self.kind.is_none()
            && self.name.is_none()
            && self.namespace.is_none()
            && !self.labels_or_annotations
    }

    fn object(&self) -> ObjectId {
        ObjectId {
            api_version: self.api_version.clone().unwrap_or_default(),
            kind: self.kind.clone().unwrap_or_default(),
            name: self.name.clone().unwrap_or_default(),
            namespace: self.namespace.clone().unwrap_or_default(),
        }
    }
}

/// Where a node sits in its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Root,
    Key,
    Value,
    Item,
}

struct Walk<'t> {
    text: &'t str,
    table: &'t SetterTable,
    frames: Vec<Frame>,
    meta: DocMeta,
    pending: Vec<(String, String, String)>,
    edits: Vec<Edit>,
    changes: Vec<Change>,
}

impl<'t> Walk<'t> {
    fn new(text: &'t str, table: &'t SetterTable) -> Self {
        Self {
            text,
            table,
            frames: Vec::new(),
            meta: DocMeta::default(),
            pending: Vec::new(),
            edits: Vec::new(),
            changes: Vec::new(),
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseProblem> {
        match event {
            Event::DocumentStart(..) => {
                self.frames.clear();
                self.meta = DocMeta::default();
            }
            Event::DocumentEnd => {
                let object = self.meta.object();
                let missing_metadata = self.meta.missing();
                self.changes
                    .extend(self.pending.drain(..).map(|(setter, old, new)| Change {
                        object: object.clone(),
                        setter,
                        old_value: old,
                        new_value: new,
                        missing_metadata,
                    }));
            }
            Event::MappingStart(style, ..) | Event::SequenceStart(style, ..) => {
                let mapping = matches!(event, Event::MappingStart(..));
                let position = self.advance();
                let role = self.role_of_child(position);
                let parent = self.frames.last();
                let frame = Frame {
                    mapping,
                    flow: style == granit_parser::StructureStyle::Flow
                        || parent.is_some_and(|p| p.flow),
                    in_key: position == Position::Key || parent.is_some_and(|p| p.in_key),
                    expect_key: true,
                    entries: 0,
                    last_key: None,
                    role,
                };
                self.frames.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(frame) = self.frames.pop()
                    && frame.entries > 0
                {
                    match frame.role {
                        Role::Labels | Role::Annotations => self.meta.labels_or_annotations = true,
                        Role::ApiVersion => self.meta.api_version = Some(String::new()),
                        Role::Kind => self.meta.kind = Some(String::new()),
                        Role::Metadata | Role::Other => {}
                    }
                }
            }
            Event::Alias(_) => {
                self.advance();
            }
            Event::Scalar(value, style, _anchor, tag) => {
                let position = self.advance();
                let in_key =
                    position == Position::Key || self.frames.last().is_some_and(|f| f.in_key);
                if in_key {
                    if position == Position::Key
                        && let Some(frame) = self.frames.last_mut()
                    {
                        frame.last_key = Some(value.to_string());
                    }
                    return Ok(());
                }
                let is_null = tag
                    .as_ref()
                    .is_some_and(|t| t.core_suffix() == Some("null"))
                    || (tag.is_none()
                        && style == ScalarStyle::Plain
                        && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL"));
                self.record_meta(position, &value, is_null);
                self.scalar(position, &value, style, tag.is_some(), span)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Moves the parent's state past one child node and says where that child sits.
    fn advance(&mut self) -> Position {
        let Some(frame) = self.frames.last_mut() else {
            return Position::Root;
        };
        if !frame.mapping {
            frame.entries += 1;
            return Position::Item;
        }
        if frame.expect_key {
            frame.expect_key = false;
            frame.last_key = None;
            Position::Key
        } else {
            frame.expect_key = true;
            frame.entries += 1;
            Position::Value
        }
    }

    /// The meta role of a collection that starts as a child at `position` of the current frame.
    fn role_of_child(&self, position: Position) -> Role {
        if position != Position::Value {
            return Role::Other;
        }
        let depth = self.frames.len();
        let Some(parent) = self.frames.last() else {
            return Role::Other;
        };
        match (depth, parent.role, parent.last_key.as_deref()) {
            (1, _, Some("metadata")) => Role::Metadata,
            (1, _, Some("apiVersion")) => Role::ApiVersion,
            (1, _, Some("kind")) => Role::Kind,
            (2, Role::Metadata, Some("labels")) => Role::Labels,
            (2, Role::Metadata, Some("annotations")) => Role::Annotations,
            _ => Role::Other,
        }
    }

    fn record_meta(&mut self, position: Position, value: &str, is_null: bool) {
        if position != Position::Value || is_null {
            return;
        }
        let depth = self.frames.len();
        let Some(frame) = self.frames.last() else {
            return;
        };
        let slot = match (depth, frame.role, frame.last_key.as_deref()) {
            (1, _, Some("apiVersion")) => &mut self.meta.api_version,
            (1, _, Some("kind")) => &mut self.meta.kind,
            (2, Role::Metadata, Some("name")) => &mut self.meta.name,
            (2, Role::Metadata, Some("namespace")) => &mut self.meta.namespace,
            _ => return,
        };
        *slot = Some(value.to_owned());
    }

    fn scalar(
        &mut self,
        position: Position,
        value: &str,
        style: ScalarStyle,
        tagged: bool,
        span: Span,
    ) -> Result<(), ParseProblem> {
        let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset()) else {
            return Ok(());
        };
        let flow = self.frames.last().is_some_and(|f| f.flow);
        let Some(setter) = self.marker(position, style, start, end, flow) else {
            return Ok(());
        };
        let Some(new_value) = self.table.value(&setter) else {
            return Ok(());
        };
        if new_value == value {
            return Ok(());
        }
        let line = span.start.line();
        let unsafe_because = match style {
            ScalarStyle::Literal | ScalarStyle::Folded => Some(
                "the marked value is a block scalar (`|` or `>`); write it as a one-line value",
            ),
            _ if span.end.line() != line => {
                Some("the marked value spans several lines; write it on one line")
            }
            _ if tagged => Some("the marked value has an explicit tag (`!!...`); remove the tag"),
            _ if flow => Some(
                "the marked value is inside a flow collection (`[...]` or `{...}`); write the collection in block style",
            ),
            _ => None,
        };
        if let Some(cause) = unsafe_because {
            return Err(ParseProblem::at(
                line,
                format!("{cause} (setter `{setter}`)"),
            ));
        }
        let style = match style {
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            _ => Style::Plain,
        };
        self.edits.push(Edit {
            start,
            end,
            replacement: scalar::render(new_value, style),
            value: new_value.to_owned(),
        });
        self.pending
            .push((setter, value.to_owned(), new_value.to_owned()));
        Ok(())
    }

    /// The setter named by the scalar's line comment, else by its head comment.
    fn marker(
        &self,
        position: Position,
        style: ScalarStyle,
        start: usize,
        end: usize,
        flow: bool,
    ) -> Option<String> {
        let text = self.text;
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            return self.block_marker(position, start);
        }
        if let Some(comment) = marker::line_comment(text, end, flow) {
            return marker::setter_name(comment);
        }
        let line_start = marker::line_start(text, start);
        let prefix = text.get(line_start..start)?;
        if !marker::first_on_line(prefix, position == Position::Item) {
            return None;
        }
        marker::setter_name(&marker::head_comment(text, line_start)?)
    }

    /// The marker of a block scalar (`|`, `>`): its comments sit around the header line, which
    /// is where the span starts when the content is empty, else the nearest non-blank line
    /// above the content.
    fn block_marker(&self, position: Position, start: usize) -> Option<String> {
        let text = self.text;
        let header_start = if text.get(start..).is_some_and(|t| t.starts_with(['|', '>'])) {
            marker::line_start(text, start)
        } else {
            let mut line = marker::line_start(text, start);
            loop {
                let above = marker::line_start(text, line.checked_sub(1)?);
                let body = text.get(above..line)?;
                line = above;
                if !body.trim().is_empty() {
                    break line;
                }
            }
        };
        let header = text.get(header_start..)?.split(['\n', '\r']).next()?;
        let hash = header.find(" #").or_else(|| header.find("\t#"));
        let before_comment = header.get(..hash.unwrap_or(header.len()))?;
        let indicator = before_comment.rfind(['|', '>'])?;
        if let Some(hash) = hash {
            let comment = marker::line_comment(text, header_start + hash, false)?;
            return marker::setter_name(comment);
        }
        let prefix = header.get(..indicator)?;
        if !marker::first_on_line(prefix, position == Position::Item) {
            return None;
        }
        marker::setter_name(&marker::head_comment(text, header_start)?)
    }
}

#[cfg(test)]
#[path = "rewrite_tests.rs"]
mod tests;
