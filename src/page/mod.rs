//! The bytes of a page, before anything knows about links or disclosures: the window over
//! the input with positions and edits, the encoding and the guard that keeps a fix from
//! changing it, character references, raw-byte markup reading for the sparse readers (and the
//! block of text around a link), and the element lists (roles, what hides content) every
//! reader takes its answer from.

pub(crate) mod block;
pub(crate) mod elements;
pub(crate) mod entities;
pub(crate) mod guard;
pub(crate) mod hiding;
pub(crate) mod markup;
mod output;
pub(crate) mod sniff;
pub(crate) mod source;

pub use output::Output;
