//! The bytes of a document between "may still be looked at" and "fed so far": line and column
//! numbers for offsets (lol_html reports byte offsets only), and the splice that writes the
//! output as the original bytes with the edits applied.
//!
//! Memory stays flat: bytes are dropped as soon as no handler can refer to them any more, so
//! the window is a tag or a few text chunks long, however large the page.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io;
use std::ops::Range;

use super::output::Output;

/// A replacement of input bytes `range` with `bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) range: Range<usize>,
    pub(crate) bytes: Vec<u8>,
}

/// A request for the line and column of an offset, answered once the window passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(usize);

/// The window over the input.
#[derive(Debug)]
pub(crate) struct Source {
    buf: Vec<u8>,
    /// Index in `buf` of the first live byte.
    start: usize,
    /// Document offset of `buf[start]`.
    base: usize,
    /// Line (1-based) and column (0-based, characters) at `base`.
    line: usize,
    column: usize,
    /// Count columns in characters (UTF-8) rather than bytes.
    utf8: bool,
    /// Bytes at the start of the document that are not characters (a BOM).
    bom: usize,
    pending: BinaryHeap<Reverse<(usize, usize)>>,
    resolved: Vec<(usize, usize)>,
    edits: VecDeque<Edit>,
    edited: bool,
}

impl Source {
    pub(crate) fn new() -> Source {
        Source {
            buf: Vec::new(),
            start: 0,
            base: 0,
            line: 1,
            column: 0,
            utf8: true,
            bom: 0,
            pending: BinaryHeap::new(),
            resolved: Vec::new(),
            edits: VecDeque::new(),
            edited: false,
        }
    }

    /// Counts columns in bytes from now on (a legacy multi-byte encoding).
    pub(crate) fn count_bytes(&mut self) {
        self.utf8 = false;
    }

    /// The document starts with a byte-order mark of `len` bytes.
    pub(crate) fn skip_bom(&mut self, len: usize) {
        self.bom = len;
    }

    /// Appends input.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Total bytes fed so far.
    pub(crate) fn fed(&self) -> usize {
        self.base + self.buf.len() - self.start
    }

    /// The input bytes in `range`, if they are still held.
    pub(crate) fn bytes(&self, range: Range<usize>) -> Option<&[u8]> {
        if range.start < self.base || range.end > self.fed() || range.start > range.end {
            return None;
        }
        let from = self.start + range.start - self.base;
        Some(&self.buf[from..from + range.len()])
    }

    /// The first offset still held.
    pub(crate) fn base_offset(&self) -> usize {
        self.base
    }

    /// Up to `max` held bytes that end at `at`; `None` when `at` itself is no longer held.
    pub(crate) fn tail_before(&self, at: usize, max: usize) -> Option<&[u8]> {
        let from = at.saturating_sub(max).max(self.base);
        self.bytes(from..at)
    }

    /// Asks for the line and column of `offset` (which must not be before [`Source::base`]).
    pub(crate) fn ticket(&mut self, offset: usize) -> Ticket {
        debug_assert!(
            offset >= self.base,
            "ticket for released offset {offset} < {}",
            self.base
        );
        let id = self.resolved.len();
        self.resolved.push((0, 0));
        self.pending.push(Reverse((offset.max(self.base), id)));
        Ticket(id)
    }

    /// The 1-based line and column of a ticket, once the window has passed it.
    pub(crate) fn position(&self, ticket: Ticket) -> Option<(usize, usize)> {
        let (line, column) = self.resolved[ticket.0];
        (line > 0).then_some((line, column))
    }

    /// Queues an edit; edits must not overlap, and none may start before bytes already
    /// written (callers hold the flush point back where they may still edit).
    pub(crate) fn edit(&mut self, edit: Edit) {
        debug_assert!(edit.range.start >= self.base, "edit before the flush point");
        let at = self
            .edits
            .partition_point(|e| e.range.start <= edit.range.start);
        debug_assert!(at == 0 || self.edits[at - 1].range.end <= edit.range.start);
        self.edits.insert(at, edit);
    }

    /// Whether any edit was written.
    pub(crate) fn edited(&self) -> bool {
        self.edited
    }

    /// Writes the output up to `upto` (or to the start of an edit that crosses it), then drops
    /// those bytes. Returns how far it got.
    pub(crate) fn flush(&mut self, upto: usize, out: &mut dyn Output) -> io::Result<usize> {
        let upto = upto.min(self.fed());
        if upto <= self.base {
            return Ok(self.base);
        }
        let mut reached = upto;
        let mut at = self.base;
        while let Some(edit) = self.edits.front() {
            if edit.range.start >= upto {
                break;
            }
            if edit.range.end > upto {
                reached = edit.range.start;
                break;
            }
            if let Some(bytes) = self.bytes(at..edit.range.start) {
                out.original(bytes)?;
            }
            out.rewritten(&edit.bytes)?;
            at = edit.range.end;
            self.edits.pop_front();
            self.edited = true;
        }
        if let Some(bytes) = self.bytes(at..reached) {
            out.original(bytes)?;
        }
        self.release(reached);
        Ok(reached)
    }

    /// Drops the bytes before `upto`, counting lines and columns across them.
    fn release(&mut self, upto: usize) {
        while let Some(&Reverse((offset, id))) = self.pending.peek() {
            if offset > upto {
                break;
            }
            self.pending.pop();
            self.scan_to(offset);
            let column = if self.line == 1 {
                self.column.saturating_sub(self.bom)
            } else {
                self.column
            };
            self.resolved[id] = (self.line, column + 1);
        }
        self.scan_to(upto);
        if self.start > 64 * 1024 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    fn scan_to(&mut self, offset: usize) {
        if offset <= self.base {
            return;
        }
        let len = offset - self.base;
        let bytes = &self.buf[self.start..self.start + len];
        let count = |b: &[u8]| {
            if self.utf8 {
                b.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
            } else {
                b.len()
            }
        };
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count();
                self.column = count(&bytes[last + 1..]);
            }
            None => self.column += count(bytes),
        }
        self.start += len;
        self.base = offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_counted_in_lines_and_characters() {
        let mut source = Source::new();
        source.push("ab\ncé".as_bytes());
        let a = source.ticket(0);
        let c = source.ticket(3);
        source.push("d\nxyz".as_bytes());
        let d = source.ticket(6);
        let z = source.ticket(10);
        source.flush(source.fed(), &mut std::io::sink()).unwrap();
        assert_eq!(source.position(a), Some((1, 1)));
        assert_eq!(source.position(c), Some((2, 1)));
        assert_eq!(source.position(d), Some((2, 3)));
        assert_eq!(source.position(z), Some((3, 3)));
        assert_eq!(source.bytes(0..1), None, "released bytes are gone");
    }

    #[test]
    fn flush_splices_edits_and_stops_before_an_edit_it_cannot_finish() {
        let mut source = Source::new();
        let input = b"<a href=\"x\">y</a>";
        source.push(input);
        source.edit(Edit {
            range: 9..10,
            bytes: b"https://z".to_vec(),
        });
        let mut out = Vec::new();
        assert_eq!(source.flush(9, &mut out).unwrap(), 9);
        assert_eq!(
            source.flush(9, &mut out).unwrap(),
            9,
            "flushing again is a no-op"
        );
        assert_eq!(source.flush(input.len(), &mut out).unwrap(), input.len());
        assert_eq!(out, b"<a href=\"https://z\">y</a>");
    }

    #[test]
    fn a_crossing_edit_holds_the_flush_point() {
        let mut source = Source::new();
        source.push(b"0123456789");
        source.edit(Edit {
            range: 2..6,
            bytes: b"X".to_vec(),
        });
        let mut out = Vec::new();
        assert_eq!(source.flush(4, &mut out).unwrap(), 2);
        assert_eq!(out, b"01");
        assert_eq!(source.flush(10, &mut out).unwrap(), 10);
        assert_eq!(out, b"01X6789");
    }
}
