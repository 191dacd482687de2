//! Applying a rewrite's edits to the text, and checking that the result reads back as meant.

use granit_parser::{Event, Parser};

use super::error::ParseProblem;

/// One replacement of the bytes `start..end` of the original text.
#[derive(Debug)]
pub(super) struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// End of the replaced bytes (exclusive).
    pub end: usize,
    /// The scalar as written, quotes included.
    pub replacement: String,
    /// The value the replacement must read back as.
    pub value: String,
}

/// The text with every edit applied (edits in text order, not overlapping).
pub(super) fn splice(text: &str, edits: &[Edit]) -> String {
    let extra: usize = edits.iter().map(|e| e.replacement.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut at = 0;
    for edit in edits {
        out.push_str(text.get(at..edit.start).unwrap_or_default());
        out.push_str(&edit.replacement);
        at = edit.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// Parses the new text and checks that each replaced scalar reads back as its new value, so a
/// quoting mistake can never write a file that means something else.
pub(super) fn verify(new_text: &str, edits: &[Edit]) -> Result<(), ParseProblem> {
    let mut expected = Vec::with_capacity(edits.len());
    let mut shift: isize = 0;
    for edit in edits {
        let start = edit.start.checked_add_signed(shift).unwrap_or(usize::MAX);
        expected.push((start, edit.value.as_str()));
        shift += edit.replacement.len() as isize - (edit.end - edit.start) as isize;
    }
    let mut pending = expected.iter().peekable();
    for next in Parser::new_from_str(new_text) {
        let Ok((event, span)) = next else {
            return Err(internal("the rewritten text does not parse"));
        };
        if let Event::Scalar(value, ..) = event
            && let Some(&&(start, want)) = pending.peek()
            && span.start.byte_offset() == Some(start)
        {
            if value != want {
                return Err(internal("a rewritten value does not read back as written"));
            }
            pending.next();
        }
    }
    match pending.next() {
        None => Ok(()),
        Some(_) => Err(internal("a rewritten value is missing from the result")),
    }
}

fn internal(what: &str) -> ParseProblem {
    ParseProblem::whole_file(format!(
        "{what}: a fluxdeck bug, please report it with the file"
    ))
}
