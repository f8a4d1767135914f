//! Where a fixed document goes: [`Output`] receives bytes copied from the input apart from
//! bytes affilint rewrote, so a caller can leave an unchanged file alone.

use std::io;

/// Where a fixed document goes: bytes copied from the input, and bytes affilint rewrote.
///
/// Every [`std::io::Write`] is an `Output` (both kinds of bytes are written). An output that
/// wants to know whether anything changed, to leave an unchanged file alone, implements
/// [`Output::rewritten`] itself.
pub trait Output {
    /// Bytes copied unchanged from the input.
    fn original(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Bytes affilint wrote in place of input bytes (a rewritten attribute value).
    fn rewritten(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.original(bytes)
    }
}

impl<W: io::Write> Output for W {
    fn original(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }
}
