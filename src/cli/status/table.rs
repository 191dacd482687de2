//! The report as aligned text columns, a section per kind, like `flux get all`.

use std::fmt::Write as _;

use super::report::{ObjectStatus, StatusReport};

/// One section of the table: its objects, the header of its kind's column, and the value.
type Section<'a> = (&'a [ObjectStatus], &'a str, fn(&ObjectStatus) -> String);

/// The report as aligned columns, a section per kind with objects, like `flux get all`:
/// names are `kind/name`, a NAMESPACE column leads when all namespaces are reported.
pub fn table(report: &StatusReport) -> String {
    let all_namespaces = report.namespace.is_none();
    let sections: [Section; 5] = [
        (&report.sources, "REVISION", |o| {
            o.revision.clone().unwrap_or_default()
        }),
        (&report.kustomizations, "REVISION", |o| {
            o.revision.clone().unwrap_or_default()
        }),
        (&report.image_repositories, "LAST SCAN", |o| {
            o.last_scan.map(|t| t.to_string()).unwrap_or_default()
        }),
        (&report.image_policies, "LATEST IMAGE", |o| {
            o.latest_image.clone().unwrap_or_default()
        }),
        (&report.image_update_automations, "LAST RUN", |o| {
            o.last_run.map(|t| t.to_string()).unwrap_or_default()
        }),
    ];
    let mut out = String::new();
    for (objects, column, value) in sections {
        if objects.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut header = Vec::new();
        if all_namespaces {
            header.push("NAMESPACE".to_owned());
        }
        header.extend(
            ["NAME", column, "SUSPENDED", "READY", "MESSAGE"]
                .iter()
                .map(|h| (*h).to_owned()),
        );
        rows.push(header);
        for o in objects {
            let mut row = Vec::new();
            if all_namespaces {
                row.push(o.namespace.clone());
            }
            row.extend([
                format!("{}/{}", o.kind.to_lowercase(), o.name),
                value(o),
                if o.suspended { "True" } else { "False" }.to_owned(),
                o.ready.clone().unwrap_or_else(|| "Unknown".to_owned()),
                o.message.replace('\n', " "),
            ]);
            rows.push(row);
        }
        write_aligned(&mut out, &rows);
    }
    if !report.lanes.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows = vec![
            ["APP", "TAG", "STAGE", "ROLLED OUT", "WAITING ON"]
                .iter()
                .map(|h| (*h).to_owned())
                .collect::<Vec<_>>(),
        ];
        for l in &report.lanes {
            let stage = l.stage.name().to_owned();
            rows.push(vec![
                l.app.clone(),
                l.tag.clone().unwrap_or_else(|| "-".to_owned()),
                stage,
                if l.rolled_out { "True" } else { "False" }.to_owned(),
                l.stuck
                    .as_ref()
                    .map(|s| s.reason.clone())
                    .unwrap_or_default(),
            ]);
        }
        write_aligned(&mut out, &rows);
    }
    for u in &report.unavailable {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}: {} ({})", u.kind, u.state, u.reason);
    }
    out
}

/// Writes rows with every column but the last padded to its widest cell, three spaces apart.
fn write_aligned(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let width = widths.get(c).copied().unwrap_or(0);
                let _ = write!(line, "{cell:<width$}   ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}
