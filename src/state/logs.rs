//! Pod logs for the log view: which log the UI asked for ([`LogTarget`]), what the log
//! worker reports ([`LogEvent`]), and the lines so far ([`LogBuffer`]), bounded to the last
//! [`MAX_LINES`]. Lines are made safe on arrival: escape sequences are dropped and other
//! control characters shown as `^X`, so nothing a container prints can drive the terminal.

use std::collections::VecDeque;

use crate::model::key::ObjectKey;

/// Lines a log view keeps; older ones go first.
pub const MAX_LINES: usize = 10_000;

/// Numbers the log streams the UI opens, so lines of a closed one are dropped on arrival.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct LogSession(pub u64);

/// Which log to read: a pod's container, the running instance or the previous one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct LogTarget {
    /// The pod.
    pub pod: ObjectKey,
    /// The container; `None` lets the API pick (a pod with one container).
    pub container: Option<String>,
    /// The previous (terminated) instance instead of the current one (`--previous`).
    pub previous: bool,
}

/// Where a log stream is.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogStatus {
    /// Asking the API.
    #[default]
    Connecting,
    /// Lines come as the container writes them.
    Streaming,
    /// The whole log was read (the previous instance, or an instance that stopped); the
    /// worker waits for a new instance to follow.
    Ended(String),
    /// The API refused or failed; the text says why (and the worker retries if it can).
    Failed(String),
}

/// What the log worker reports about one stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogEvent {
    /// Lines, oldest first, as the container wrote them (not yet made safe).
    Lines(Vec<String>),
    /// A line of fluxdeck's own between two instances' output (`container restarted`).
    Marker(String),
    /// The stream's state changed.
    Status(LogStatus),
}

/// One line of a log view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The text, made safe for a terminal.
    pub text: String,
    /// fluxdeck's own line, not the container's (drawn differently).
    pub marker: bool,
}

/// The lines of the open log stream, the last [`MAX_LINES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogBuffer {
    /// The stream these lines come from.
    pub session: LogSession,
    lines: VecDeque<LogLine>,
    /// Lines dropped from the front so far: line `i` of [`LogBuffer::lines`] is number
    /// `dropped + i` of the stream, which lets a paused view stay on its line.
    pub dropped: usize,
    /// Where the stream is.
    pub status: LogStatus,
    max: usize,
}

impl LogBuffer {
    /// An empty buffer for `session`, keeping at most [`MAX_LINES`].
    pub fn new(session: LogSession) -> LogBuffer {
        LogBuffer::with_limit(session, MAX_LINES)
    }

    /// An empty buffer keeping at most `max` lines (at least one).
    pub fn with_limit(session: LogSession, max: usize) -> LogBuffer {
        LogBuffer {
            session,
            lines: VecDeque::new(),
            dropped: 0,
            status: LogStatus::Connecting,
            max: max.max(1),
        }
    }

    /// Folds one event in; returns whether anything shown changed.
    pub fn apply(&mut self, event: LogEvent) -> bool {
        match event {
            LogEvent::Lines(lines) => {
                let any = !lines.is_empty();
                for line in lines {
                    self.push(LogLine {
                        text: sanitize(&line),
                        marker: false,
                    });
                }
                if any && self.status == LogStatus::Connecting {
                    self.status = LogStatus::Streaming;
                }
                any
            }
            LogEvent::Marker(text) => {
                self.push(LogLine {
                    text: sanitize(&text),
                    marker: true,
                });
                true
            }
            LogEvent::Status(status) => {
                let changed = self.status != status;
                self.status = status;
                changed
            }
        }
    }

    fn push(&mut self, line: LogLine) {
        if self.lines.len() == self.max {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> &VecDeque<LogLine> {
        &self.lines
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is kept.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The positions (in [`LogBuffer::lines`]) of the lines containing `needle`, ignoring
    /// case; none for an empty needle.
    pub fn matches(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        let needle = needle.to_lowercase();
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.text.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect()
    }
}

/// `line` safe to print: ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`,
/// and two-byte `ESC x`) removed, a tab as spaces up to the next multiple of 4, a trailing
/// `\r` (CRLF logs) dropped, and every other control character shown as `^X` (`^?` for
/// DEL, `<U+0085>`-style for C1 controls).
pub fn sanitize(line: &str) -> String {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut column = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte in '@'..='~'.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    // Until BEL or ST (`ESC \`).
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' => {
                let n = 4 - column % 4;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
                column += 2;
            }
            '\u{7f}' => {
                out.push_str("^?");
                column += 2;
            }
            c if ('\u{80}'..='\u{9f}').contains(&c) => {
                let shown = format!("<U+{:04X}>", c as u32);
                column += shown.len();
                out.push_str(&shown);
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: std::ops::Range<usize>) -> LogEvent {
        LogEvent::Lines(n.map(|i| format!("line {i}")).collect())
    }

    #[test]
    fn the_buffer_keeps_the_last_lines_and_counts_the_dropped() {
        let mut b = LogBuffer::with_limit(LogSession(1), 3);
        assert_eq!(b.status, LogStatus::Connecting);
        assert!(b.apply(lines(0..2)));
        assert_eq!(b.status, LogStatus::Streaming);
        assert!(b.apply(lines(2..5)));
        let kept: Vec<&str> = b.lines().iter().map(|l| l.text.as_str()).collect();
        assert_eq!(kept, ["line 2", "line 3", "line 4"]);
        assert_eq!(b.dropped, 2);
        assert!(!b.apply(LogEvent::Lines(Vec::new())));
        assert!(b.apply(LogEvent::Marker("restarted".into())));
        assert!(b.lines().back().unwrap().marker);
        assert_eq!(b.dropped, 3);
        let ended = LogStatus::Ended("done".into());
        assert!(b.apply(LogEvent::Status(ended.clone())));
        assert!(!b.apply(LogEvent::Status(ended)));
        assert_eq!(LogBuffer::new(LogSession(2)).max, MAX_LINES);
    }

    #[test]
    fn search_ignores_case_and_finds_every_line() {
        let mut b = LogBuffer::new(LogSession(1));
        b.apply(LogEvent::Lines(vec![
            "GET / 200".into(),
            "error: boom".into(),
            "ok".into(),
            "ERROR again".into(),
        ]));
        assert_eq!(b.matches("error"), [1, 3]);
        assert_eq!(b.matches("Error"), [1, 3]);
        assert!(b.matches("").is_empty());
        assert!(b.matches("nothing").is_empty());
    }

    #[test]
    fn escape_sequences_and_control_characters_never_reach_the_terminal() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m plain"), "red plain");
        assert_eq!(sanitize("\u{1b}[2J\u{1b}[1;1Hcleared"), "cleared");
        assert_eq!(
            sanitize("\u{1b}]0;title\u{7}after \u{1b}]8;;http://x\u{1b}\\link"),
            "after link"
        );
        assert_eq!(sanitize("bell\u{7} nul\u{0} bs\u{8}"), "bell^G nul^@ bs^H");
        assert_eq!(sanitize("crlf\r"), "crlf");
        assert_eq!(sanitize("a\rb"), "a^Mb");
        assert_eq!(sanitize("del\u{7f} c1\u{9b}31m"), "del^? c1<U+009B>31m");
        assert_eq!(sanitize("a\tb\tc"), "a   b   c");
        assert_eq!(sanitize("unicode ✓ é"), "unicode ✓ é");
        // An escape at the very end, or an unterminated one, just ends the line.
        assert_eq!(sanitize("x\u{1b}"), "x");
        assert_eq!(sanitize("x\u{1b}[12"), "x");
        let mut b = LogBuffer::new(LogSession(1));
        b.apply(LogEvent::Lines(vec!["\u{1b}[1mbold\u{1b}[0m".into()]));
        assert_eq!(b.lines()[0].text, "bold");
    }
}
