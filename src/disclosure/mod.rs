//! Disclosures: the statements programs and publishers accept, the words a reader sees, the
//! matcher that finds statements in them, the reader that looks only where a statement can
//! be, the page-level verdict, and where `fix` inserts a missing one.

pub(crate) mod insertion;
pub(crate) mod matcher;
mod negation;
pub(crate) mod policy;
pub(crate) mod reader;
pub(crate) mod statement;
pub(crate) mod words;

pub use policy::Placement;
