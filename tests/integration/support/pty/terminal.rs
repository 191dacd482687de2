//! The terminal side of the pseudo-terminal: a reader thread feeds the program's output to
//! a `vt100` parser and answers the queries crossterm sends (cursor position, device
//! status and attributes), as a real terminal would.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the reader thread shares with the test.
pub(super) struct Shared {
    pub(super) parser: vt100::Parser,
    /// Every byte the program wrote, to check how it left the terminal.
    pub(super) raw: Vec<u8>,
    /// The reader saw end of file (the program and its children closed the terminal).
    pub(super) eof: bool,
    /// Replies sent to terminal queries, for diagnostics.
    pub(super) answered: Vec<String>,
    /// Answer queries, as a terminal does (`false`: a terminal that never answers).
    pub(super) answer: bool,
    /// Every query seen (`6n`, `c`, ...), answered or not.
    pub(super) queries: Vec<String>,
}

pub(super) type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

pub(super) fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal is at least one cell in each direction")
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Spots terminal queries in the output stream, across read boundaries.
#[derive(Default)]
struct QueryScanner {
    /// Bytes of the control sequence being read: `None` outside one.
    seq: Option<Vec<u8>>,
    after_esc: bool,
}

impl QueryScanner {
    /// Feeds one byte; returns a finished CSI sequence's parameters and final byte.
    fn feed(&mut self, b: u8) -> Option<(Vec<u8>, u8)> {
        if let Some(seq) = &mut self.seq {
            if (0x40..=0x7e).contains(&b) {
                let params = std::mem::take(seq);
                self.seq = None;
                return Some((params, b));
            }
            seq.push(b);
            return None;
        }
        if self.after_esc {
            self.after_esc = false;
            if b == b'[' {
                self.seq = Some(Vec::new());
                return None;
            }
        }
        self.after_esc = b == 0x1b;
        None
    }
}

/// The reply a terminal gives to a query, if this CSI sequence is one we answer.
fn reply(params: &[u8], final_byte: u8, screen: &vt100::Screen) -> Option<String> {
    match (params, final_byte) {
        // Cursor position report (1-based).
        (b"6", b'n') => {
            let (row, col) = screen.cursor_position();
            Some(format!("\x1b[{};{}R", row + 1, col + 1))
        }
        // Device status: "OK".
        (b"5", b'n') => Some("\x1b[0n".to_owned()),
        // Primary device attributes, as xterm answers (crossterm ends feature probes with it).
        (b"" | b"0", b'c') => Some("\x1b[?62;22c".to_owned()),
        _ => None,
    }
}

pub(super) fn read_loop(
    mut reader: Box<dyn Read + Send>,
    shared: Arc<Mutex<Shared>>,
    writer: Writer,
) {
    let mut scanner = QueryScanner::default();
    let mut buf = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let mut replies = Vec::new();
        {
            let mut s = lock(&shared);
            s.raw.extend_from_slice(chunk);
            // The parser must have seen everything before a cursor query to answer it.
            let mut start = 0;
            for (i, &b) in chunk.iter().enumerate() {
                if let Some((params, fin)) = scanner.feed(b) {
                    s.parser.process(&chunk[start..=i]);
                    start = i + 1;
                    if let Some(r) = reply(&params, fin, s.parser.screen()) {
                        let query = format!("{}{}", String::from_utf8_lossy(&params), fin as char);
                        s.queries.push(query);
                        if s.answer {
                            s.answered.push(r.escape_debug().to_string());
                            replies.push(r);
                        }
                    }
                }
            }
            s.parser.process(&chunk[start..]);
        }
        if !replies.is_empty() {
            let mut w = lock(&writer);
            for r in replies {
                let _ = w.write_all(r.as_bytes());
            }
            let _ = w.flush();
        }
    }
    lock(&shared).eof = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queries(chunks: &[&[u8]]) -> Vec<(Vec<u8>, u8)> {
        let mut scanner = QueryScanner::default();
        chunks
            .iter()
            .flat_map(|c| c.iter())
            .filter_map(|&b| scanner.feed(b))
            .collect()
    }

    #[test]
    fn queries_split_across_reads_are_found_and_answered() {
        let found = queries(&[b"text\x1b[?10", b"49h\x1b", b"[6n more \x1b[c"]);
        assert_eq!(
            found,
            [
                (b"?1049".to_vec(), b'h'),
                (b"6".to_vec(), b'n'),
                (Vec::new(), b'c')
            ]
        );
        let mut parser = vt100::Parser::new(nonzero(24), nonzero(80), 0);
        parser.process(b"\x1b[5;7H");
        assert_eq!(
            reply(b"6", b'n', parser.screen()).as_deref(),
            Some("\x1b[5;7R")
        );
        assert_eq!(reply(b"?1049", b'h', parser.screen()), None);
    }
}
