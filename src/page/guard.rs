//! The output of a fix, held at its start until the first kilobyte is complete: an edit there
//! must not change the encoding a browser's prescan reads from it.

use std::io;

use encoding_rs::{Encoding, UTF_8};

use super::output::Output;
use super::sniff::{HEAD, declared};

/// The output of a fix, with its first [`HEAD`] bytes held back until they are complete and
/// let through only if a browser's prescan reads the encoding from them that the input was
/// read in. An edit there (a link or a disclosure near the top) can push a `<meta charset>`
/// out of the first kilobyte or pull a later one in, and every byte after it would then be
/// read differently.
pub(crate) struct PrescanGuard<O> {
    pub(crate) output: O,
    /// The encoding the held bytes must declare; `None` once they are through (or when
    /// nothing is checked: a page with a byte-order mark, or a check that writes nothing).
    expected: Option<&'static Encoding>,
    /// The bytes held back, and where each piece ends and whether it was rewritten.
    held: Vec<u8>,
    pieces: Vec<(usize, bool)>,
    /// What the held bytes declared instead, once refused.
    pub(crate) refused: Option<(&'static Encoding, &'static Encoding)>,
}

impl<O: Output> PrescanGuard<O> {
    pub(crate) fn new(output: O) -> Self {
        PrescanGuard {
            output,
            expected: None,
            held: Vec::new(),
            pieces: Vec::new(),
            refused: None,
        }
    }

    /// Holds the first bytes written from now on until they declare `encoding`.
    pub(crate) fn expect(&mut self, encoding: &'static Encoding) {
        self.expected = Some(encoding);
    }

    /// Lets the held bytes through, if they declare the expected encoding; called when the
    /// document ends shorter than [`HEAD`]. Once refused, every later write is refused too.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if self.refused.is_some() {
            return Err(io::Error::other("the fixed page declares another encoding"));
        }
        let Some(expected) = self.expected else {
            return Ok(());
        };
        let found = declared(&self.held).unwrap_or(UTF_8);
        if found != expected {
            self.refused = Some((expected, found));
            return self.finish();
        }
        self.expected = None;
        let held = std::mem::take(&mut self.held);
        let mut start = 0;
        for (end, rewritten) in std::mem::take(&mut self.pieces) {
            self.forward(rewritten, &held[start..end])?;
            start = end;
        }
        Ok(())
    }

    fn pass(&mut self, rewritten: bool, bytes: &[u8]) -> io::Result<()> {
        if self.expected.is_none() {
            return self.forward(rewritten, bytes);
        }
        if self.refused.is_some() {
            return self.finish();
        }
        self.held.extend_from_slice(bytes);
        self.pieces.push((self.held.len(), rewritten));
        if self.held.len() >= HEAD {
            self.finish()?;
        }
        Ok(())
    }

    fn forward(&mut self, rewritten: bool, bytes: &[u8]) -> io::Result<()> {
        if rewritten {
            self.output.rewritten(bytes)
        } else {
            self.output.original(bytes)
        }
    }
}

impl<O: Output> Output for PrescanGuard<O> {
    fn original(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pass(false, bytes)
    }

    fn rewritten(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.pass(true, bytes)
    }
}

#[cfg(test)]
mod tests {
    use encoding_rs::WINDOWS_1252;

    use super::*;

    /// Records what reaches the output, and whether affilint rewrote it.
    #[derive(Default)]
    struct Pieces(Vec<(bool, Vec<u8>)>);

    impl Output for Pieces {
        fn original(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.push((false, bytes.to_vec()));
            Ok(())
        }

        fn rewritten(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.push((true, bytes.to_vec()));
            Ok(())
        }
    }

    #[test]
    fn the_guard_holds_the_first_kilobyte_and_keeps_what_was_rewritten() {
        let mut guard = PrescanGuard::new(Pieces::default());
        guard.expect(WINDOWS_1252);
        guard.original(b"<meta charset=cp1252>").unwrap();
        guard.rewritten(b"tag=x").unwrap();
        assert!(
            guard.output.0.is_empty(),
            "held until the kilobyte is complete"
        );
        guard.original(&[b' '; HEAD]).unwrap();
        let kinds: Vec<bool> = guard.output.0.iter().map(|(r, _)| *r).collect();
        assert_eq!(kinds, [false, true, false]);
        guard.original(b"after").unwrap();
        assert_eq!(
            guard.output.0.len(),
            4,
            "passed straight through once checked"
        );
        guard.finish().unwrap();
    }

    #[test]
    fn the_guard_refuses_a_kilobyte_that_declares_another_encoding_for_good() {
        let mut guard = PrescanGuard::new(Pieces::default());
        guard.expect(UTF_8);
        guard.rewritten(b"<meta charset=windows-1252>").unwrap();
        assert!(guard.finish().is_err());
        assert_eq!(guard.refused, Some((UTF_8, WINDOWS_1252)));
        assert!(guard.original(b"more").is_err());
        assert!(guard.output.0.is_empty(), "nothing written");

        let mut unchecked = PrescanGuard::new(Pieces::default());
        unchecked.original(b"<meta charset=windows-1252>").unwrap();
        assert_eq!(
            unchecked.output.0.len(),
            1,
            "nothing expected, nothing held"
        );
    }
}
