//! `setters::commit_message`: an ImageUpdateAutomation's `messageTemplate`, rendered as Flux
//! renders it: Go `text/template` with sprig's hermetic functions
//! ([`golang::template`](crate::golang::template) module doc: what the engine covers) over
//! Flux's `TemplateData`.
//!
//! The data is Flux's v1 `TemplateData`: `.AutomationObject` (prints `namespace/name`),
//! `.Changed.FileChanges` (file → object → changes), `.Changed.Objects`, `.Changed.Changes`
//! (de-duplicated) and `.Values`. Go iterates the `Result` maps in random order for
//! `Changes`/`Objects`; fluxdeck uses the walk order (files by path, changes in document
//! order), which is one of Go's possible orders. `.Updated` and `.Changed.ImageResult` fail
//! with Flux's `RemovedTemplateField` messages.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::rewrite::{Change, ObjectId};
use super::tree::FileChange;
use crate::golang::template::Template;
use crate::golang::value::{List, Map, Struct, Value};

/// The message Flux commits with when the automation has no template.
pub const DEFAULT_MESSAGE: &str = "Update from image update automation";

/// The name Flux gives the template (it appears in error messages).
const TEMPLATE_NAME: &str = "commit message";

/// The data a commit message template sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateData {
    /// The ImageUpdateAutomation's namespace.
    pub automation_namespace: String,
    /// The ImageUpdateAutomation's name.
    pub automation_name: String,
    /// The changes, in walk order ([`super::TreeResult::changes`]).
    pub changes: Vec<FileChange>,
    /// `spec.git.commit.messageTemplateValues`.
    pub values: BTreeMap<String, String>,
}

/// Why a template could not be rendered; the texts are Flux's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template does not parse.
    #[error("unable to create commit message template from spec: {0}")]
    Parse(String),
    /// The template failed while running.
    #[error("failed to run template from spec: {0}")]
    Execute(String),
    /// The template uses `.Updated`, removed in Flux's v1 API (the automation stalls).
    #[error(
        "template uses removed '.Updated' field. Please use '.Changed' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
    )]
    RemovedUpdated,
    /// The template uses `.Changed.ImageResult`, removed in Flux's v1 API (the automation stalls).
    #[error(
        "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or '.Changed.Objects' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
    )]
    RemovedImageResult,
}

impl TemplateError {
    /// True for the errors Flux reports as Stalled with reason `RemovedTemplateField`.
    pub fn is_removed_field(&self) -> bool {
        matches!(self, Self::RemovedUpdated | Self::RemovedImageResult)
    }
}

/// Renders the commit message: [`DEFAULT_MESSAGE`] without a template (or with an empty one).
pub fn commit_message(
    template: Option<&str>,
    data: &TemplateData,
) -> Result<String, TemplateError> {
    let src = template
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_MESSAGE);
    let template = Template::parse(TEMPLATE_NAME, src).map_err(TemplateError::Parse)?;
    template.execute(&data.to_value()).map_err(|msg| {
        if msg.contains("can't evaluate field Updated in type source.TemplateData") {
            TemplateError::RemovedUpdated
        } else if msg.contains("can't evaluate field ImageResult in type update.Result") {
            TemplateError::RemovedImageResult
        } else {
            TemplateError::Execute(msg)
        }
    })
}

fn strukt(type_name: &'static str, fields: Vec<(&'static str, Value, bool)>) -> Value {
    Value::Struct(Rc::new(Struct {
        type_name,
        fields,
        methods: Vec::new(),
        stringer: None,
    }))
}

fn change_value(change: &Change) -> Value {
    strukt(
        "update.Change",
        vec![
            ("OldValue", Value::str(change.old_value.as_str()), false),
            ("NewValue", Value::str(change.new_value.as_str()), false),
            ("Setter", Value::str(change.setter.as_str()), false),
        ],
    )
}

fn object_value(id: &ObjectId) -> Value {
    let type_meta = strukt(
        "yaml.TypeMeta",
        vec![
            ("APIVersion", Value::str(id.api_version.as_str()), false),
            ("Kind", Value::str(id.kind.as_str()), false),
        ],
    );
    let name_meta = strukt(
        "yaml.NameMeta",
        vec![
            ("Name", Value::str(id.name.as_str()), false),
            ("Namespace", Value::str(id.namespace.as_str()), false),
        ],
    );
    let resource = strukt(
        "yaml.ResourceIdentifier",
        vec![("TypeMeta", type_meta, true), ("NameMeta", name_meta, true)],
    );
    strukt(
        "update.ObjectIdentifier",
        vec![("ResourceIdentifier", resource, true)],
    )
}

fn changes_list(changes: Vec<Value>) -> Value {
    Value::List(Rc::new(List {
        type_name: "[]update.Change",
        items: changes,
    }))
}

/// `ObjectChanges`: object → its changes, in order of first appearance per object.
fn object_changes<'c>(changes: impl Iterator<Item = &'c FileChange>) -> Value {
    let mut by_object: Vec<(ObjectId, Vec<Value>)> = Vec::new();
    for fc in changes {
        let entry = match by_object.iter_mut().find(|(id, _)| *id == fc.change.object) {
            Some(entry) => entry,
            None => {
                by_object.push((fc.change.object.clone(), Vec::new()));
                let last = by_object.len() - 1;
                match by_object.get_mut(last) {
                    Some(entry) => entry,
                    None => continue,
                }
            }
        };
        entry.1.push(change_value(&fc.change));
    }
    let entries = by_object
        .into_iter()
        .map(|(id, changes)| (object_value(&id), changes_list(changes)))
        .collect();
    Value::Map(Rc::new(Map::new(
        "update.ObjectChanges",
        "update.ObjectIdentifier",
        entries,
        changes_list(Vec::new()),
    )))
}

impl TemplateData {
    /// The data as the template sees it (Go's `TemplateData`).
    pub fn to_value(&self) -> Value {
        let mut files: Vec<&str> = Vec::new();
        for fc in &self.changes {
            if !files.contains(&fc.file.as_str()) {
                files.push(&fc.file);
            }
        }
        let file_changes = files
            .iter()
            .map(|file| {
                let in_file = self.changes.iter().filter(|fc| fc.file == *file);
                (Value::str(*file), object_changes(in_file))
            })
            .collect();
        let empty_objects = Value::Map(Rc::new(Map::new(
            "update.ObjectChanges",
            "update.ObjectIdentifier",
            Vec::new(),
            Value::Nil,
        )));
        let file_changes = Value::Map(Rc::new(Map::new(
            "map[string]update.ObjectChanges",
            "string",
            file_changes,
            empty_objects,
        )));
        let mut unique: Vec<&Change> = Vec::new();
        for fc in &self.changes {
            let same = |c: &&Change| {
                c.old_value == fc.change.old_value
                    && c.new_value == fc.change.new_value
                    && c.setter == fc.change.setter
            };
            if !unique.iter().any(same) {
                unique.push(&fc.change);
            }
        }
        let result = Value::Struct(Rc::new(Struct {
            type_name: "update.Result",
            fields: vec![("FileChanges", file_changes, false)],
            methods: vec![
                (
                    "Changes",
                    changes_list(unique.into_iter().map(change_value).collect()),
                ),
                ("Objects", object_changes(self.changes.iter())),
            ],
            stringer: None,
        }));
        let automation = Value::Struct(Rc::new(Struct {
            type_name: "types.NamespacedName",
            fields: vec![
                (
                    "Namespace",
                    Value::str(self.automation_namespace.as_str()),
                    false,
                ),
                ("Name", Value::str(self.automation_name.as_str()), false),
            ],
            methods: vec![(
                "String",
                Value::str(format!(
                    "{}/{}",
                    self.automation_namespace, self.automation_name
                )),
            )],
            stringer: Some(format!(
                "{}/{}",
                self.automation_namespace, self.automation_name
            )),
        }));
        let values = self
            .values
            .iter()
            .map(|(k, v)| (Value::str(k.as_str()), Value::str(v.as_str())))
            .collect();
        let values = Value::Map(Rc::new(Map::new(
            "map[string]string",
            "string",
            values,
            Value::str(""),
        )));
        strukt(
            "source.TemplateData",
            vec![
                ("AutomationObject", automation, false),
                ("Changed", result, false),
                ("Values", values, false),
            ],
        )
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
