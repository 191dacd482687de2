//! `Table` responses (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which is what
//! `kubectl get` prints: CRD columns come from `additionalPrinterColumns` (a JSONPath
//! subset), the built-ins' columns are computed as kubectl's server-side printers do.

pub mod cells;
pub mod jsonpath;

use serde_json::{Value, json};

use super::resources::{PrinterColumn, ResourceType};
use cells::row_cells;

/// What the row's `object` field carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// Nothing.
    None,
    /// `PartialObjectMetadata` (the default).
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// From the `includeObject` query parameter.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// The column definitions of a kind at a version.
pub fn column_definitions(ty: &ResourceType, version: &str) -> Vec<Value> {
    let defs = |cols: &[PrinterColumn]| -> Vec<Value> {
        cols.iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "type": if c.kind == "date" { "string" } else { c.kind.as_str() },
                    "format": if c.name == "Name" { "name" } else { "" },
                    "description": c.description,
                    "priority": c.priority,
                })
            })
            .collect()
    };
    let cols = ty
        .version(version)
        .map(|v| v.columns.as_slice())
        .unwrap_or(&[]);
    if ty.custom {
        let mut out = vec![json!({
            "name": "Name", "type": "string", "format": "name",
            "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
            "priority": 0,
        })];
        out.extend(defs(cols));
        out
    } else if cols.is_empty() {
        defs(&[
            PrinterColumn {
                name: "Name".into(),
                kind: "string".into(),
                json_path: String::new(),
                priority: 0,
                description: "Name of the object.".into(),
            },
            PrinterColumn {
                name: "Age".into(),
                kind: "string".into(),
                json_path: String::new(),
                priority: 0,
                description: "Age of the object.".into(),
            },
        ])
    } else {
        defs(cols)
    }
}

/// A table row for an object.
pub fn row(
    ty: &ResourceType,
    version: &str,
    obj: &Value,
    include: IncludeObject,
    now: jiff::Timestamp,
) -> Value {
    let mut row = json!({ "cells": row_cells(ty, version, obj, now) });
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            });
        }
        IncludeObject::Object => row["object"] = obj.clone(),
    }
    row
}

/// A whole `Table`.
pub fn table(
    ty: &ResourceType,
    version: &str,
    rows: Vec<Value>,
    metadata: Value,
    with_columns: bool,
) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": if with_columns { json!(column_definitions(ty, version)) } else { json!([]) },
        "rows": rows,
    })
}
